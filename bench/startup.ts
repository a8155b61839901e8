// Start-up benchmark: how long a user waits for a usable API server, against the floor of a
// bare Node https server measured in the same run, round by round (kubeloop, floor, kubeloop,
// floor, ...), so a ratio holds while the machine's speed drifts.
//
//   apiserver   `kubeloop apiserver --port P` spawned -> first 200 from GET /readyz
//   dev         `kubeloop dev --port P` spawned in a project with @kubeloop/ack (cloud emulator,
//               simulated cluster, four controllers) -> .kubeloop/dev.json written and /readyz 200
//   dev-plain   the same in a project without extensions (API server and simulated cluster)
//   floor       a bare Node https server process (bench/_startup-child.js floor) -> /readyz 200,
//               polled the same way (a new TLS connection every 5 ms from the spawn)
//   testenv     in one process: import('kubeloop/testing') (the package's bundle), startTestEnv() -> /readyz 200 (first
//               and second start), against a bare https server started in the same process
//
// Prints a JSON line per figure: min/median/max of kubeloop's and the floor's milliseconds and
// of their ratio (pair by pair), and the goal.
// Usage: npm run bench -- startup [--rounds=7] [--only=apiserver,dev,dev-plain,testenv]
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generatePki } from '../src/apiserver/index.js';
import { spread } from './_spread.js';
import { kubeconfigCredentials, readyz, type Credentials } from './_startup-child.js';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '..', '..');
// the `kubeloop` command as installed: package.json's bin (the bundle, scripts/bundle-packages.mjs)
const cli = join(repo, (JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { bin: { kubeloop: string } }).bin.kubeloop);
const child = join(here, '_startup-child.js');


function emit(metric: string, kubeloop: number[], floor: number[], goal: string, extra: Record<string, unknown> = {}): void {
  process.stdout.write(JSON.stringify({
    bench: 'startup', metric, unit: 'ms', rounds: kubeloop.length,
    kubeloop: spread(kubeloop), floor: spread(floor), ratio: spread(kubeloop.map((k, i) => k / floor[i])), goal, ...extra,
  }) + '\n');
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A poll of `url`/readyz with the admin credentials of the kubeconfig at `path` (read once it
 * is there, as a user's kubectl would), true on 200. The file is removed first, so a poll
 * never reads the previous start's.
 */
function readyWithKubeconfig(path: string, url: string): () => Promise<boolean> {
  rmSync(path, { force: true });
  let creds: Credentials | undefined;
  return async () => {
    if (!creds) {
      if (!existsSync(path)) return false;
      const text = readFileSync(path, 'utf8');
      if (!text.includes('client-key-data')) return false; // still being written
      creds = kubeconfigCredentials(text);
    }
    return (await readyz(url, creds)) === 200;
  };
}

/**
 * Spawns `args` and polls until `ready()` (every 5 ms); the milliseconds from the spawn. The
 * process is then stopped (SIGTERM, SIGKILL after 10 s) before this resolves.
 */
async function timeToReady(args: string[], cwd: string, ready: () => Promise<boolean>): Promise<number> {
  const t0 = performance.now();
  const p: ChildProcess = spawn(process.execPath, args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  p.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  let exited = false;
  const exit = new Promise<void>((r) => p.on('exit', () => { exited = true; r(); }));
  try {
    for (;;) {
      if (exited) throw new Error(`${args.join(' ')} exited before it was ready: ${stderr}`);
      if (await ready()) return performance.now() - t0;
      if (performance.now() - t0 > 60_000) throw new Error(`${args.join(' ')} not ready after 60 s: ${stderr}`);
      await sleep(5);
    }
  } finally {
    p.kill('SIGTERM');
    const kill = setTimeout(() => p.kill('SIGKILL'), 10_000);
    await exit;
    clearTimeout(kill);
  }
}

/** A project folder whose dependencies are `deps` (linked from this repository), for `kubeloop dev` to run in. */
function project(deps: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'kubeloop-bench-startup-'));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'bench-startup', private: true, dependencies: Object.fromEntries(Object.keys(deps).map((d) => [d, '*'])) }));
  for (const [name, path] of Object.entries(deps)) {
    mkdirSync(dirname(join(dir, 'node_modules', name)), { recursive: true });
    symlinkSync(path, join(dir, 'node_modules', name), 'dir');
  }
  return dir;
}

export async function main(args: string[]): Promise<void> {
  const rounds = Number(args.find((a) => a.startsWith('--rounds='))?.slice(9) ?? 7);
  const only = args.find((a) => a.startsWith('--only='))?.slice(7).split(',') ?? ['apiserver', 'dev', 'dev-plain', 'testenv'];
  const work = mkdtempSync(join(tmpdir(), 'kubeloop-bench-startup-'));
  const pki = generatePki();
  writeFileSync(join(work, 'tls.crt'), pki.server.certPem);
  writeFileSync(join(work, 'tls.key'), pki.server.keyPem);
  const floorCreds = { ca: pki.ca.certPem, cert: pki.client.certPem, key: pki.client.keyPem };
  const url = (port: number) => `https://127.0.0.1:${port}`;
  const floorOnce = async () => {
    const port = await freePort();
    // the same credentials as the polls of kubeloop (the bare server does not ask for the client certificate)
    return timeToReady([child, 'floor', String(port), join(work, 'tls.crt'), join(work, 'tls.key')], work, async () => (await readyz(url(port), floorCreds)) === 200);
  };
  const projects = { dev: project({ '@kubeloop/ack': join(repo, 'controllers') }), 'dev-plain': project({}) };
  try {
    // one unmeasured start of each, so the file system cache holds what they read
    await floorOnce();
    if (only.includes('apiserver')) {
      const k: number[] = [];
      const f: number[] = [];
      for (let i = 0; i <= rounds; i++) {
        const port = await freePort();
        const kubeconfig = join(work, 'kubeconfig');
        const ms = await timeToReady([cli, 'apiserver', '--port', String(port), '--kubeconfig', kubeconfig], work, readyWithKubeconfig(kubeconfig, url(port)));
        const fl = await floorOnce();
        if (i > 0) { k.push(ms); f.push(fl); } // round 0 warms up
      }
      emit('apiserver_start_to_readyz', k, f, 'ratio <= 3');
    }
    for (const variant of ['dev', 'dev-plain'] as const) {
      if (!only.includes(variant)) continue;
      const cwd = projects[variant];
      const k: number[] = [];
      const f: number[] = [];
      for (let i = 0; i <= rounds; i++) {
        const port = await freePort();
        const devJson = join(cwd, '.kubeloop', 'dev.json');
        rmSync(devJson, { force: true });
        const ready = readyWithKubeconfig(join(cwd, '.kubeloop', 'kubeconfig'), url(port));
        const ms = await timeToReady([cli, 'dev', '--port', String(port)], cwd, async () => existsSync(devJson) && ready());
        const fl = await floorOnce();
        if (i > 0) { k.push(ms); f.push(fl); }
      }
      emit(variant === 'dev' ? 'dev_start_to_devjson_and_readyz' : 'dev_plain_start_to_devjson_and_readyz', k, f, 'ratio <= 5',
        { project: variant === 'dev' ? 'with @kubeloop/ack (cloud emulator, 4 controllers)' : 'no extensions' });
    }
    if (only.includes('testenv')) {
      const runs: Array<{ importMs: number; firstStartMs: number; secondStartMs: number; floorMs: number }> = [];
      for (let i = 0; i <= rounds; i++) {
        const out = await new Promise<string>((resolveOut, reject) => {
          const p = spawn(process.execPath, [child, 'testenv'], { stdio: ['ignore', 'pipe', 'inherit'] });
          let text = '';
          p.stdout.on('data', (c: Buffer) => (text += c.toString()));
          p.on('exit', (code) => (code === 0 ? resolveOut(text) : reject(new Error(`testenv child exited ${code}`))));
        });
        if (i > 0) runs.push(JSON.parse(out) as (typeof runs)[number]);
      }
      const floor = runs.map((r) => r.floorMs);
      emit('testenv_first_start_to_readyz', runs.map((r) => r.firstStartMs), floor, 'well under 1000 ms', { importMs: spread(runs.map((r) => r.importMs)) });
      emit('testenv_second_start_to_readyz', runs.map((r) => r.secondStartMs), floor, 'well under 1000 ms');
    }
  } finally {
    for (const dir of [work, ...Object.values(projects)]) rmSync(dir, { recursive: true, force: true });
  }
}
