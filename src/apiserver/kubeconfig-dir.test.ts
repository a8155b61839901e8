// The kubeconfig temp directories of killed servers are removed by the next one; nothing else is.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { KUBECONFIG_DIR_PREFIX, makeKubeconfigDir, removeStaleKubeconfigDirs } from './kubeconfig-dir.js';

/** The pid of a process that has exited (a child run to completion). */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

function planted(root: string, name: string, pid?: number | string): string {
  const dir = join(root, `${KUBECONFIG_DIR_PREFIX}${name}`);
  mkdirSync(dir);
  writeFileSync(join(dir, 'kubeconfig'), 'x');
  if (pid !== undefined) writeFileSync(join(dir, 'pid'), `${pid}\n`);
  return dir;
}

test('a directory whose owner is gone is removed; a live owner\'s, one without a pid, another prefix and a symlink are kept', () => {
  const root = mkdtempSync(join(tmpdir(), 'kubeloop-kcdir-test-'));
  try {
    const dead = planted(root, 'dead', deadPid());
    const live = planted(root, 'live', process.pid);
    const parent = planted(root, 'parent', process.ppid);
    const legacy = planted(root, 'legacy');
    const garbage = planted(root, 'garbage', 'not-a-pid');
    const other = join(root, 'kubeloop-other-x');
    mkdirSync(other);
    writeFileSync(join(other, 'pid'), `${deadPid()}\n`);
    // a symlink with our prefix pointing at a dead owner's directory elsewhere: neither followed nor removed
    const elsewhere = mkdtempSync(join(tmpdir(), 'kubeloop-kcdir-target-'));
    writeFileSync(join(elsewhere, 'pid'), `${deadPid()}\n`);
    const link = join(root, `${KUBECONFIG_DIR_PREFIX}link`);
    symlinkSync(elsewhere, link);
    // a pid file that is a symlink is not read
    const linkedPid = planted(root, 'linkedpid');
    symlinkSync(join(elsewhere, 'pid'), join(linkedPid, 'pid'));
    try {
      assert.deepEqual(removeStaleKubeconfigDirs(root), [dead]);
      assert.equal(existsSync(dead), false);
      for (const kept of [live, parent, legacy, garbage, other, link, linkedPid, join(elsewhere, 'pid')]) assert.ok(existsSync(kept), `${kept} kept`);
    } finally {
      rmSync(elsewhere, { recursive: true, force: true });
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('a new directory records its owner, and making one sweeps the dead first', () => {
  const root = mkdtempSync(join(tmpdir(), 'kubeloop-kcdir-test-'));
  try {
    const dead = planted(root, 'dead', deadPid());
    const dir = makeKubeconfigDir(root);
    assert.equal(readFileSync(join(dir, 'pid'), 'utf8').trim(), String(process.pid));
    assert.equal(existsSync(dead), false);
    assert.deepEqual(removeStaleKubeconfigDirs(root), [], 'its own directory is kept');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
