/**
 * Where a server started without a kubeconfig path or a data dir writes its kubeconfig: a
 * fresh private directory `<tmpdir>/kubeloop-apiserver-XXXXXX` holding `kubeconfig` and `pid`
 * (the process that owns it). `stop()` removes it, but a server killed with SIGKILL cannot,
 * and such directories piled up over a day of test runs. So the first server of a process to
 * make one first removes the directories of owners that are gone:
 *
 * - only entries named `kubeloop-apiserver-*`, that are directories themselves (a symlink is
 *   never followed nor removed), owned by this user;
 * - only when their `pid` file (a regular file) names a process that no longer exists
 *   (`process.kill(pid, 0)` fails with ESRCH; EPERM means it exists, as another user's);
 * - a directory without a `pid` file (one being made this instant, or one from a version
 *   before this file) is left alone: its owner cannot be checked.
 *
 * A reused pid keeps a dead owner's directory until that process ends too: the sweep errs
 * on the side of keeping.
 */
import { lstatSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const KUBECONFIG_DIR_PREFIX = 'kubeloop-apiserver-';
const PID_FILE = 'pid';

/** The roots this process has swept (once each: what others leave behind while it runs is for the next process to sweep). */
const swept = new Set<string>();

/** A new kubeconfig directory under `root`, with this process's pid recorded in it (stale ones removed first, once per process). */
export function makeKubeconfigDir(root = tmpdir()): string {
  if (!swept.has(root)) {
    swept.add(root);
    removeStaleKubeconfigDirs(root);
  }
  const dir = mkdtempSync(join(root, KUBECONFIG_DIR_PREFIX));
  writeFileSync(join(dir, PID_FILE), `${process.pid}\n`, { mode: 0o600 });
  return dir;
}

/** Whether process `pid` exists (signal 0 checks without sending anything). */
function alive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // ESRCH: no such process. EPERM: it exists but is not ours to signal. Anything else: keep.
    return (e as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

/** The owner recorded in a kubeconfig directory, or undefined when there is no readable regular `pid` file holding a pid. */
function ownerOf(dir: string): number | undefined {
  const file = join(dir, PID_FILE);
  try {
    if (!lstatSync(file).isFile()) return undefined;
    const text = readFileSync(file, 'utf8').trim();
    const pid = /^\d{1,10}$/.test(text) ? Number(text) : NaN;
    return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Removes the kubeconfig directories under `root` whose owning process is gone; returns their paths. Never throws. */
export function removeStaleKubeconfigDirs(root = tmpdir()): string[] {
  const removed: string[] = [];
  let names: string[];
  try {
    names = readdirSync(root);
  } catch {
    return removed;
  }
  const uid = process.getuid?.();
  for (const name of names) {
    if (!name.startsWith(KUBECONFIG_DIR_PREFIX)) continue;
    const dir = join(root, name);
    try {
      const st = lstatSync(dir);
      if (!st.isDirectory() || (uid !== undefined && st.uid !== uid)) continue;
      const pid = ownerOf(dir);
      if (pid === undefined || alive(pid)) continue;
      // rmSync removes links inside the directory, never what they point to
      rmSync(dir, { recursive: true, force: true });
      removed.push(dir);
    } catch {
      // gone meanwhile, or not ours to read: leave it
    }
  }
  return removed;
}
