// The seeds' namespace outage (issue 19), end to end: scripts/demo/namespace-outage.sh — the demo
// docs/outage.md tells people to run — is itself run against a `kubeloop dev` child process, and
// every step is asserted on what the script printed from kubectl (and curl, for the route
// controller's metric and readiness). So the demo cannot rot: when kubectl stops showing a step,
// or the heal stops happening, this fails. The script's own waits are eventually-style with a
// timeout; a second run that never restores Allow must fail on the first recovery wait.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { kubectlFor, root, runDev, type DevProcess } from '../support/index.js';

const SCRIPT = join(root, 'scripts/demo/namespace-outage.sh');

interface ScriptRun { code: number; output: string }

/** Runs the demo script (bash) with `args`; resolves with its exit code and stdout + stderr. */
function runScript(args: string[]): Promise<ScriptRun> {
  return new Promise((resolve) => {
    let output = '';
    // the script calls `node`: the one running this test
    const env = { ...process.env, PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ''}` };
    const child = execFile('bash', [SCRIPT, ...args], { env, cwd: root, timeout: 500_000, maxBuffer: 16 << 20 }, (err) => {
      resolve({ code: err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0, output });
    });
    child.stdout!.on('data', (b: Buffer) => { output += b.toString(); });
    child.stderr!.on('data', (b: Buffer) => { output += b.toString(); });
  });
}

/** The script's output by step: `==> 3. ...` starts step "3". */
function steps(output: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of output.split('\n==> ').slice(1)) {
    const m = /^(\d+)\./.exec(part);
    if (m) out.set(m[1], part);
  }
  return out;
}

describe('the seeds\' namespace outage, as scripts/demo/namespace-outage.sh plays it against kubeloop dev', { timeout: 1_000_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'kubeloop-outage-'));
  let dev: DevProcess;
  const kubectl = kubectlFor(join(dir, 'kubeconfig'), dir);

  before(async () => {
    // the route controller notices a route deleted behind its back at its next full resync
    dev = await runDev(dir, ['--no-console', '--flag', 'route-reconciliation-period=5s']);
  });
  after(async () => {
    if (dev && dev.child.exitCode === null) {
      dev.child.kill('SIGINT');
      await dev.exited;
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('dev.json names the ACK controllers\' metrics and probes, and the --flag settings', () => {
    const controllers = dev.info.controllers as Array<{ name: string; metrics: string; health: string | null }>;
    const ack = controllers.find((c) => c.name === 'ack-controllers');
    assert.match(ack?.metrics ?? '', /^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    assert.match(ack?.health ?? '', /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.deepEqual(dev.info.controllerFlags, ['route-reconciliation-period=5s']);
    assert.ok(dev.output().includes(`${ack!.metrics}, ${ack!.health}/readyz (ack-controllers)`), 'the banner names them');
  });

  it('Deny: the route stays gone, the APIService unavailable, kubectl top failing, the namespace Terminating, the controller saying why; Allow: all healed', async () => {
    const run = await runScript(['--state-dir', dir, '--timeout', '120']);
    assert.equal(run.code, 0, run.output);
    const s = steps(run.output);
    assert.deepEqual([...s.keys()], ['0', '1', '2', '3', '4', '5', '6', '7', '8'], run.output);

    // before: metrics served, the route in place, the controller ready
    assert.match(s.get('0')!, /^\s+v1beta1\.metrics\.k8s\.io\s+kube-system\/metrics-server\s+True\s+\S+$/m);
    assert.match(s.get('0')!, /^\s+NAME\s+CPU\(cores\)\s+CPU\(%\)\s+MEMORY\(bytes\)\s+MEMORY\(%\)/m);
    assert.match(s.get('0')!, /^\s+route_controller_last_full_sync_timestamp_seconds\{route_table="vtb-\w+"\} [\d.]+\s+\(\d+s ago\)$/m);
    assert.match(s.get('0')!, /\[\+\]route-sync ok\n(.*\n)*\s+HTTP 200/);

    // 1. RAM: Deny on the route writes
    assert.match(s.get('1')!, /"decision": "ExplicitDeny"/);
    // 2. the route is deleted in the VPC
    assert.match(s.get('2')!, /"deleted": "rte-\w+"/);
    // 3. the route controller reports why: the node's condition and a Warning Event
    assert.match(s.get('3')!, /^\s+NetworkUnavailable\s+True\s+.+\s+NoRouteCreated\s+Could not create route \S+ -> i-\w+ for node \S+ in route table vtb-\w+: vpc:CreateRouteEntry: Forbidden\.RAM: /m);
    assert.match(s.get('3')!, /^\s+\S+\s+Warning\s+CreateRouteFailed\s+node\/\S+\s+Could not create route .*Forbidden\.RAM/m);
    // 4. the API server cannot reach the metrics-server pod
    assert.match(s.get('4')!, /^\s+v1beta1\.metrics\.k8s\.io\s+kube-system\/metrics-server\s+False \(FailedDiscoveryCheck\)\s+\S+$/m);
    assert.match(s.get('4')!, /^\s+failing or missing response from https:\/\/[\d.]+:443\/apis\/metrics\.k8s\.io\/v1beta1: .*context deadline exceeded/m);
    assert.match(s.get('4')!, /^\s+error: Metrics API not available$/m);
    // 5. the namespace stays Terminating on the discovery failure
    assert.match(s.get('5')!, /^\s+outage-demo\s+Terminating\s+\S+$/m);
    assert.match(s.get('5')!, /^\s+NamespaceDeletionDiscoveryFailure: DiscoveryFailed: Discovery failed for some groups, 1 failing: .*metrics\.k8s\.io\/v1beta1/m);
    // 6. the controller's metric stands still and its readiness fails
    assert.match(s.get('6')!, /^\s+\[-\]route-sync failed: reason withheld$/m);
    assert.match(s.get('6')!, /^\s+HTTP 500$/m);
    const stale = /last_full_sync_timestamp_seconds\{[^}]+\} [\d.]+\s+\((\d+)s ago\)/.exec(s.get('6')!);
    assert.ok(stale && Number(stale[1]) >= 15, `no full sync for 3 periods: ${stale?.[0]}`);
    // 7. Allow again
    assert.match(s.get('7')!, /"decision": "Allow"/);
    // 8. healed
    const healed = s.get('8')!;
    assert.match(healed, /^\s+NetworkUnavailable\s+False\s+.+\s+RouteCreated\s+RouteController created a route$/m);
    assert.match(healed, /^\s+\S+\s+Normal\s+CreatedRoute\s+node\/\S+\s+Created route for node /m);
    assert.match(healed, /^\s+v1beta1\.metrics\.k8s\.io\s+kube-system\/metrics-server\s+True\s+\S+$/m);
    assert.match(healed, /^\s+cn-hangzhou\.\S+\s+\d+m\s+\d+%\s+\d+Mi\s+\d+%\s*$/m);
    assert.match(healed, /^\s+Error from server \(NotFound\): namespaces "outage-demo" not found$/m);
    assert.match(healed, /\[\+\]route-sync ok\n(.*\n)*\s+HTTP 200/);
    assert.match(run.output, /The outage is over/);

    // and as seen from here, over kubectl and HTTP
    assert.match((await kubectl(['get', 'namespace', 'outage-demo'])).stderr, /NotFound/);
    const health = (dev.info.controllers as Array<{ name: string; health: string }>).find((c) => c.name === 'ack-controllers')!.health;
    assert.equal((await fetch(`${health}/readyz`)).status, 200);
  });

  it('without the Allow nothing heals, and the script says what it waited for in vain', async () => {
    const run = await runScript(['--state-dir', dir, '--timeout', '120', '--heal-timeout', '15', '--namespace', 'stuck', '--no-restore']);
    assert.notEqual(run.code, 0, run.output);
    assert.match(run.output, /==> 7\. \(--no-restore\)/, run.output);
    assert.match(run.output, /TIMEOUT after 15s waiting for: node \S+ NetworkUnavailable=False \(RouteCreated\)\nlast seen:\n\s+True NoRouteCreated .*Forbidden\.RAM/, run.output);
    assert.doesNotMatch(run.output, /The outage is over/, run.output);
    const ns = await kubectl(['get', 'namespace', 'stuck', '-o', 'jsonpath={.status.phase}']);
    assert.equal(ns.stdout, 'Terminating');
  });
});
