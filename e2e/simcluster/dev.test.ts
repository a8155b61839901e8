// `kubeloop dev` as a new user runs it: a child process, kubectl against its kubeconfig, Ctrl-C.
import { after, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually } from '../support/index.js';

import { describeInProcess } from '../support/index.js';
import { KUBELOOP_BIN } from '../support/bin.js';

const main = KUBELOOP_BIN;

function kubectl(args: string[]): Promise<string> {
  return new Promise((res, rej) => execFile('kubectl', args, { timeout: 15_000 }, (err, stdout, stderr) => (err ? rej(new Error(`${err.message}\n${stderr}`)) : res(stdout))));
}

function startDev(stateDir: string, extra: string[] = []): { child: ChildProcess; output: () => string; running: Promise<void>; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [main, 'dev', '--state-dir', stateDir, ...extra], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LOG_LEVEL: 'silent' } });
  let out = '';
  const running = new Promise<void>((res, rej) => {
    child.stdout!.on('data', (b: Buffer) => { out += b.toString(); if (out.includes('Ctrl-C stops everything')) res(); });
    child.stderr!.on('data', (b: Buffer) => { out += b.toString(); });
    child.on('exit', (code) => rej(new Error(`kubeloop dev exited early (${code}):\n${out}`)));
  });
  const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
  return { child, output: () => out, running, exited };
}

/** The Ready nodes kubectl lists, once there are 3 (within `timeoutMs`). */
async function readyNodes(kubeconfig: string, timeoutMs: number): Promise<string[]> {
  let out = '';
  try {
    return await eventually('3 Ready nodes', async () => {
      out = await kubectl(['--kubeconfig', kubeconfig, 'get', 'nodes,pods', '-A']).catch(() => '');
      const ready = out.split('\n').filter((l) => /^node\/\S+\s+Ready\s/.test(l)).map((l) => l.split(/\s+/)[0]);
      return ready.length >= 3 && ready.sort();
    }, timeoutMs, 200);
  } catch {
    throw new Error(`no Ready nodes in time; kubectl said:\n${out}`);
  }
}

describeInProcess('kubeloop dev', 'tests the kubeloop dev command itself, started here', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kubeloop-dev-'));
  const children: ChildProcess[] = [];
  after(() => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('starts, serves kubectl with Ready nodes, stops on SIGINT and keeps its state across restarts', async () => {
    const dev = startDev(dir);
    children.push(dev.child);
    await dev.running;
    const kubeconfig = join(dir, 'kubeconfig');
    assert.ok(dev.output().includes(`kubectl --kubeconfig ${kubeconfig} get nodes,pods -A`), dev.output());
    const info = JSON.parse(readFileSync(join(dir, 'dev.json'), 'utf8'));
    assert.equal(info.kubeconfig, kubeconfig);
    assert.equal(info.pid, dev.child.pid);
    assert.match(info.apiServer, /^https:\/\/127\.0\.0\.1:\d+$/);
    assert.match(info.cloud.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.ok(info.cloud.accessKeyId && info.cloud.accessKeySecret);
    // 2 static nodes + the scaling group's minimum instance, Ready within 10 s; every one an
    // ECS instance named and identified as ACK does it
    const nodes = await readyNodes(kubeconfig, 10_000);
    assert.equal(nodes.length, 3, nodes.join(' '));
    assert.ok(nodes.every((n) => /^node\/cn-hangzhou\.\d+\.\d+\.\d+\.\d+$/.test(n)), nodes.join(' '));
    const ids = await kubectl(['--kubeconfig', kubeconfig, 'get', 'nodes', '-o', 'jsonpath={range .items[*]}{.spec.providerID}{"\\n"}{end}']);
    assert.ok(ids.trim().split('\n').every((id) => /^cn-hangzhou\.i-[a-z0-9]+$/.test(id)), ids);
    // ACK's system DaemonSets (kube-proxy, network plugin, log agent) run on every node
    let phases = '';
    await eventually('3 system DaemonSet pods Running on each node', async () => {
      phases = await kubectl(['--kubeconfig', kubeconfig, 'get', 'pods', '-n', 'kube-system', '-l', 'k8s-app in (kube-proxy-worker,terway-eniip,logtail-ds)',
        '-o', 'jsonpath={range .items[*]}{.spec.nodeName}={.status.phase}{"\\n"}{end}']).catch(() => '');
      const running = phases.trim().split('\n').filter((l) => l.endsWith('=Running'));
      return running.length === 9 && new Set(running).size === 3;
    }, 15_000, 200).catch(() => assert.fail(`system DaemonSet pods: ${phases}`));
    const cidrs = await kubectl(['--kubeconfig', kubeconfig, 'get', 'nodes', '-o', 'jsonpath={range .items[*]}{.metadata.name}={.spec.podCIDR}{"\\n"}{end}']);
    dev.child.kill('SIGINT');
    assert.equal(await dev.exited, 0);
    assert.ok(!existsSync(join(dir, 'dev.json')), 'dev.json is removed on a clean stop');

    const again = startDev(dir);
    children.push(again.child);
    await again.running;
    await readyNodes(kubeconfig, 10_000);
    const cidrs2 = await kubectl(['--kubeconfig', kubeconfig, 'get', 'nodes', '-o', 'jsonpath={range .items[*]}{.metadata.name}={.spec.podCIDR}{"\\n"}{end}']);
    assert.equal(cidrs2, cidrs, 'same nodes and podCIDRs after a restart');
    again.child.kill('SIGTERM');
    assert.equal(await again.exited, 0);
  });

  it('with --no-controllers sets the cluster up as ACK\'s but runs no controller', async () => {
    const state = join(dir, 'no-controllers');
    const dev = startDev(state, ['--no-controllers']);
    children.push(dev.child);
    await dev.running;
    assert.match(dev.output(), /running {10}no controllers \(run yours with --kubeconfig /);
    const kubeconfig = join(state, 'kubeconfig');
    const info = JSON.parse(readFileSync(join(state, 'dev.json'), 'utf8'));
    assert.equal(info.clusterCidr, '172.16.0.0/16');
    // the cluster-wide settings the controllers read are there (ACK's ConfigMaps) ...
    const cms = await kubectl(['--kubeconfig', kubeconfig, 'get', 'configmaps', '-n', 'kube-system', '-o', 'name']);
    assert.match(cms, /configmap\/acr-configuration/);
    assert.match(cms, /configmap\/alibaba-log-configuration/);
    // ... but nothing routes the nodes: they stay without a route (no NetworkUnavailable=False/RouteCreated)
    await readyNodes(kubeconfig, Date.now() + 10_000);
    const conds = await kubectl(['--kubeconfig', kubeconfig, 'get', 'nodes', '-o', 'jsonpath={range .items[*]}{.status.conditions[?(@.type=="NetworkUnavailable")].reason}{"\\n"}{end}']);
    assert.ok(!conds.includes('RouteCreated'), conds);
    const routes = (await (await fetch(`${info.cloud.url}/_sim/state`)).json()) as { routeTables: Array<{ entries: Array<{ type: string }> }> };
    assert.equal(routes.routeTables.flatMap((t) => t.entries).filter((e) => e.type === 'Custom').length, 0);
    dev.child.kill('SIGINT');
    assert.equal(await dev.exited, 0);
  });
});
