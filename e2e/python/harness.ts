/**
 * The official Python client (kubernetes-client/python, Debian's python3-kubernetes 22.6.0) against
 * `kubeloop dev`: the dev process started as a user starts it, Python found and checked, pytest run
 * with the dev kubeconfig as KUBECONFIG (what the client's e2e base reads:
 * kube_config.KUBE_CONFIG_DEFAULT_LOCATION is $KUBECONFIG, else ~/.kube/config).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeClient, loadKubeConfig } from '../../src/client/index.js';
import { eventually } from '../../src/testing/index.js';
import { KUBELOOP_BIN } from '../support/bin.js';

/** Debian's interpreter: the python3-kubernetes and python3-pytest packages install for it. */
export const PYTHON = '/usr/bin/python3';
/** The client release the suites are written for (Debian bookworm's python3-kubernetes). */
export const CLIENT_VERSION = '22.6.0';
const INSTALL_HINT = 'install them with: apt-get install python3-kubernetes python3-pytest (Debian bookworm ships the client 22.6.0)';

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function run(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<RunResult> {
  return new Promise((res) => {
    execFile(cmd, args, { cwd: opts.cwd, env: opts.env, timeout: opts.timeoutMs ?? 30_000, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      res({ code, stdout, stderr: err && code === 1 && !stderr ? err.message : stderr });
    });
  });
}

/**
 * Throws, naming the packages to install, unless Debian's Python has the client at
 * CLIENT_VERSION and pytest.
 */
export async function checkPython(): Promise<void> {
  if (!existsSync(PYTHON)) throw new Error(`${PYTHON} is missing: the Python client e2e suites need Debian's python3; ${INSTALL_HINT}`);
  const r = await run(PYTHON, ['-c', 'import kubernetes, pytest; print(kubernetes.__version__)']);
  if (r.code !== 0) throw new Error(`${PYTHON} cannot import kubernetes and pytest (${r.stderr.trim().split('\n').pop()}); ${INSTALL_HINT}`);
  const version = r.stdout.trim();
  if (version !== CLIENT_VERSION) throw new Error(`${PYTHON} has the kubernetes client ${version}; these suites are for ${CLIENT_VERSION}; ${INSTALL_HINT}`);
}

export interface Dev {
  dir: string;
  kubeconfig: string;
  /** The environment for Python: KUBECONFIG, a private HOME, no bytecode written beside the tests. */
  env: NodeJS.ProcessEnv;
  output(): string;
  stop(): Promise<void>;
}

/**
 * `kubeloop dev` in a child process with its state in a fresh folder, once its nodes are Ready
 * and the default namespace's ServiceAccount exists (the client's pod tests wait for it).
 */
export async function startDev(): Promise<Dev> {
  const dir = mkdtempSync(join(tmpdir(), 'kubeloop-pyclient-'));
  const child: ChildProcess = spawn(process.execPath, [KUBELOOP_BIN, 'dev', '--state-dir', dir], {
    stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LOG_LEVEL: 'silent' },
  });
  let out = '';
  child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (out += b.toString()));
  const exited = new Promise<void>((res) => child.on('exit', () => res()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGINT');
      const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(killer);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await new Promise<void>((res, rej) => {
      const check = () => out.includes('Ctrl-C stops everything') && res();
      child.stdout!.on('data', check);
      child.on('exit', (code) => rej(new Error(`kubeloop dev exited early (${code}):\n${out}`)));
    });
    const kubeconfig = join(dir, 'kubeconfig');
    const client = new KubeClient(loadKubeConfig({ path: kubeconfig }));
    await eventually('kubeloop dev: 3 Ready nodes and the default ServiceAccount', async () => {
      const nodes = await client.list<{ status?: { conditions?: { type: string; status: string }[] } }>({ apiVersion: 'v1', kind: 'Node' });
      const ready = nodes.items.filter((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
      return ready.length >= 3 && (await client.get({ apiVersion: 'v1', kind: 'ServiceAccount' }, 'default', { namespace: 'default' }));
    }, 60_000, 200).finally(() => client.close());
    return {
      dir,
      kubeconfig,
      env: { ...process.env, KUBECONFIG: kubeconfig, HOME: dir, PYTHONDONTWRITEBYTECODE: '1' },
      output: () => out,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

export interface PytestSummary {
  passed: number;
  failed: number;
  skipped: number;
  deselected: number;
  errors: number;
}

/** The counts of pytest's closing line ("25 passed, 1 skipped, 3 deselected in 9.8s"). */
export function pytestSummary(output: string): PytestSummary {
  const line = output.trim().split('\n').reverse().find((l) => /\b(passed|failed|error|errors|skipped|deselected)\b.* in [\d.]+s/.test(l)) ?? '';
  const count = (word: string) => Number(new RegExp(`(\\d+) ${word}`).exec(line)?.[1] ?? 0);
  return { passed: count('passed'), failed: count('failed'), skipped: count('skipped'), deselected: count('deselected'), errors: count('errors?') };
}
