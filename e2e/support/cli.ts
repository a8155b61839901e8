/** The `kubeloop` program as a child process, the way an operator runs it. */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CloudSim } from '@kubeloop/ack/cloudsim';
import { credentialEnv } from './emulator.js';
import { KUBELOOP_BIN, root } from './bin.js';

export { root };
/** The built CLI entry point: the package's bin (./bin.ts). */
export const MAIN = KUBELOOP_BIN;

export interface KubeloopProcess {
  child: ChildProcess;
  /** stdout and stderr so far, interleaved as they arrived */
  output(): string;
  /** the exit code (null when killed by a signal) */
  exited: Promise<number | null>;
}

/** Runs `node <the package's bin> <args>` with `env` added to this process's environment. */
export function runKubeloop(args: string[], env: Record<string, string> = {}): KubeloopProcess {
  const child = spawn(process.execPath, [MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let out = '';
  child.stdout!.on('data', (b: Buffer) => { out += b.toString(); });
  child.stderr!.on('data', (b: Buffer) => { out += b.toString(); });
  const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
  return { child, output: () => out, exited };
}

export interface DevProcess extends KubeloopProcess {
  /** `<state-dir>/dev.json` as written once the banner printed: apiServer, kubeconfig, console, cloud… */
  info: { apiServer: string; kubeconfig: string; console: string | null; cloud?: { url: string }; [field: string]: unknown };
}

/**
 * `kubeloop dev --state-dir <stateDir> <args>` from the repository root (so the ACK extension
 * joins), resolved once its banner is printed; rejects with its output if it exits first.
 */
export async function runDev(stateDir: string, args: string[] = [], env: Record<string, string> = {}): Promise<DevProcess> {
  const p = runKubeloop(['dev', '--state-dir', stateDir, ...args], { LOG_LEVEL: 'silent', ...env });
  await new Promise<void>((res, rej) => {
    const check = () => { if (p.output().includes('Ctrl-C stops everything')) res(); };
    p.child.stdout!.on('data', check);
    p.child.on('exit', (code) => rej(new Error(`kubeloop dev exited early (${code}):\n${p.output()}`)));
  });
  return { ...p, info: JSON.parse(readFileSync(join(stateDir, 'dev.json'), 'utf8')) };
}

export interface KubectlResult { code: number; stdout: string; stderr: string }

/**
 * kubectl bound to one test's server: `--kubeconfig <kubeconfigPath> --cache-dir <dir>/cache`
 * and HOME=<dir>, so tests share no discovery cache or config; each call times out after 60 s.
 */
export function kubectlFor(kubeconfigPath: string, dir: string): (args: string[], stdin?: string) => Promise<KubectlResult> {
  return (args, stdin) => new Promise<KubectlResult>((res) => {
    const child = execFile('kubectl', ['--kubeconfig', kubeconfigPath, '--cache-dir', join(dir, 'cache'), ...args],
      { env: { ...process.env, HOME: dir }, timeout: 60_000 },
      (err, stdout, stderr) => res({ code: err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0, stdout, stderr }));
    if (stdin !== undefined) child.stdin!.end(stdin);
  });
}

export interface RunControllerOptions {
  /** the API server's kubeconfig, passed as `--kubeconfig` */
  kubeconfigPath: string;
  /** the emulator: its credentials (and, unless `emulatorEnv` is false, its URL as KUBELOOP_CLOUD_EMULATOR) go into the environment */
  cloud?: CloudSim;
  /** default true; false when the test passes `--cloud-emulator` itself */
  emulatorEnv?: boolean;
  /** KUBELOOP_LOG_LEVEL (the suites differ: what their assertions read from the output) */
  logLevel: string;
}

/** `kubeloop run <controller> --kubeconfig <path> <args>` with the emulator's credentials in the environment. */
export function runController(controller: string, args: string[], o: RunControllerOptions): KubeloopProcess {
  const env: Record<string, string> = {};
  if (o.cloud && o.emulatorEnv !== false) env.KUBELOOP_CLOUD_EMULATOR = o.cloud.url;
  if (o.cloud) Object.assign(env, credentialEnv(o.cloud));
  env.KUBELOOP_LOG_LEVEL = o.logLevel;
  return runKubeloop(['run', controller, '--kubeconfig', o.kubeconfigPath, ...args], env);
}
