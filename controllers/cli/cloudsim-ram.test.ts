// `kubeloop cloudsim ram ...` against a running emulator, as a user runs it (the CLI binary),
// and how it finds the emulator of a running `kubeloop dev`.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startCloudSim, type CloudSim } from '../cloudsim/index.js';
import { emulatorUrl } from './cloudsim-ram.js';

// the `kubeloop` command as installed (package.json's bin, the bundle): it loads this package's
// extension, whose `kubeloop` import means the bundle in a child process
const kubeloopPkg = import.meta.resolve('kubeloop/package.json');
const main = fileURLToPath(new URL((JSON.parse(readFileSync(new URL(kubeloopPkg), 'utf8')) as { bin: { kubeloop: string } }).bin.kubeloop, kubeloopPkg));
const repo = fileURLToPath(new URL('.', import.meta.resolve('kubeloop/package.json')));

function kubeloop(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [main, ...args], { cwd: repo, env: { ...process.env, KUBELOOP_CLOUD_EMULATOR: '', ...env } }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

describe('kubeloop cloudsim ram', () => {
  let sim: CloudSim;
  before(async () => { sim = await startCloudSim(); });
  after(() => sim.stop());

  it('attaches a policy given inline and detaches it; RAM decides by it meanwhile', async () => {
    const ram = ['cloudsim', 'ram', '--url', sim.url];
    const doc = JSON.stringify({ Version: '1', Statement: [{ Effect: 'Deny', Action: 'vpc:CreateRouteEntry', Resource: '*' }] });
    let r = await kubeloop([...ram, 'attach', 'no-routes', '--user', 'kubeloop', '--document', doc]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { attached: 'no-routes', principalType: 'User', principalName: 'kubeloop' });
    assert.deepEqual(sim.state.ram.attachments, [{ policyName: 'no-routes', principalType: 'User', principalName: 'kubeloop' }]);
    const evaluated = await (await fetch(`${sim.url}/_sim/ram/evaluate`, { method: 'POST', body: JSON.stringify({ user: 'kubeloop', action: 'vpc:CreateRouteEntry' }) })).json() as { decision: string };
    assert.equal(evaluated.decision, 'ExplicitDeny');
    r = await kubeloop([...ram, 'detach', 'no-routes', '--user', 'kubeloop']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(sim.state.ram.attachments, []);
  });

  it('says why it cannot do something, with a non-zero exit', async () => {
    const ram = ['cloudsim', 'ram', '--url', sim.url];
    let r = await kubeloop([...ram, 'put-policy', 'bad', '{"Version":"1"}']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /400 MalformedPolicyDocument: .*"Statement" must be a list/);
    r = await kubeloop(['cloudsim', 'ram', '--url', 'http://127.0.0.1:1', 'attach', 'x', '--user', 'u']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /cannot reach the cloud emulator at http:\/\/127\.0\.0\.1:1/);
  });
});

describe('kubeloop cloudsim ram: which emulator', () => {
  it('--url, then $KUBELOOP_CLOUD_EMULATOR, then a running kubeloop dev (dev.json), then the cloudsim default port', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ram-cli-'));
    try {
      assert.equal(emulatorUrl({}, {}, dir), 'http://127.0.0.1:8090');
      mkdirSync(join(dir, '.kubeloop'));
      writeFileSync(join(dir, '.kubeloop', 'dev.json'), JSON.stringify({ cloud: { url: 'http://127.0.0.1:4242' } }));
      assert.equal(emulatorUrl({}, {}, dir), 'http://127.0.0.1:4242');
      mkdirSync(join(dir, 'state'));
      writeFileSync(join(dir, 'state', 'dev.json'), JSON.stringify({ cloud: { url: 'http://127.0.0.1:4343' } }));
      assert.equal(emulatorUrl({ stateDir: 'state' }, {}, dir), 'http://127.0.0.1:4343');
      assert.equal(emulatorUrl({}, { KUBELOOP_CLOUD_EMULATOR: 'http://e:1/' }, dir), 'http://e:1');
      assert.equal(emulatorUrl({ url: 'http://u:2' }, { KUBELOOP_CLOUD_EMULATOR: 'http://e:1' }, dir), 'http://u:2');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
