// Acknowledged writes survive SIGKILL of `kubeloop apiserver --data-dir`; the kubeconfig temp
// directory of an in-memory `kubeloop apiserver` killed with SIGKILL is removed by the next one.
import assert from 'node:assert/strict';
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { startApiServer } from '../../src/apiserver/index.js';
import { KUBELOOP_BIN } from '../support/bin.js';

const cli = KUBELOOP_BIN;

/** Resolves with the ready line of `kubeloop apiserver` (rejects with its stderr if it exits). */
function readyLine(child: ChildProcessWithoutNullStreams | ReturnType<typeof spawn>): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    let out = '';
    let err = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) resolve(out);
    });
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code) => reject(new Error(`apiserver exited with ${code}: ${err}`)));
  });
}

describe('write-ahead log crash survival', () => {
  it('keeps every acknowledged write after SIGKILL', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'kubeloop-crash-'));
    const child = spawn(process.execPath, [cli, 'apiserver', '--port', '0', '--data-dir', dataDir], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const line = (await readyLine(child)).split('\n')[0];
      const m = /(https:\/\/\S+) kubeconfig=(\S+)/.exec(line);
      assert.ok(m, `unexpected ready line: ${line}`);
      const kc = new k8s.KubeConfig();
      kc.loadFromFile(m[2]);
      const core = kc.makeApiClient(k8s.CoreV1Api);
      // Concurrent writes (group commit) and sequential updates; remember what was acknowledged.
      const acked = new Map<string, string>();
      await Promise.all(Array.from({ length: 50 }, async (_, i) => {
        const c = await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: `c${i}` }, data: { v: '1' } } });
        acked.set(c.metadata!.name!, c.metadata!.resourceVersion!);
      }));
      for (let i = 0; i < 10; i++) {
        const c = await core.patchNamespacedConfigMap({ name: `c${i}`, namespace: 'default', body: { data: { v: '2' } } }, k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch));
        acked.set(`c${i}`, c.metadata!.resourceVersion!);
      }
      await core.deleteNamespacedConfigMap({ name: 'c49', namespace: 'default' });
      acked.delete('c49');
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));

      const server = await startApiServer({ port: 0, dataDir });
      try {
        const cms = server.registry.get('', 'v1', 'configmaps')!;
        // kube-root-ca.crt is the root CA publisher's, not one of ours
        const items = server.ops.list(cms, 'default').items.filter((i) => i.obj.metadata.name !== 'kube-root-ca.crt');
        assert.equal(items.length, 49);
        for (const it of items) {
          const name = it.obj.metadata.name!;
          assert.equal(it.obj.metadata.resourceVersion, acked.get(name), `${name} has its last acknowledged version`);
          const n = Number(name.slice(1));
          assert.equal((it.obj as unknown as { data: { v: string } }).data.v, n < 10 ? '2' : '1');
        }
        const maxAcked = Math.max(...[...acked.values()].map(Number));
        assert.ok(server.store.resourceVersion >= maxAcked, 'resourceVersion continues after the last write');
      } finally {
        await server.stop();
      }
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('stops cleanly on SIGTERM (exit 0, lock released, data kept)', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'kubeloop-term-'));
    const child = spawn(process.execPath, [cli, 'apiserver', '--port', '0', '--data-dir', dataDir], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const out = await readyLine(child);
      assert.equal(out.trim().split('\n').length, 1, 'one ready line');
      const kc = new k8s.KubeConfig();
      kc.loadFromFile(/kubeconfig=(\S+)/.exec(out)![1]);
      await kc.makeApiClient(k8s.CoreV1Api).createNamespace({ body: { metadata: { name: 'kept' } } });
      child.kill('SIGTERM');
      const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
      assert.equal(code, 0);
      const { existsSync } = await import('node:fs');
      assert.equal(existsSync(join(dataDir, 'data', 'LOCK')), false);
      const server = await startApiServer({ port: 0, dataDir });
      try {
        assert.ok(server.store.get('/namespaces', 'kept'));
      } finally {
        await server.stop();
      }
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('the next in-memory server removes the kubeconfig directory of one killed with SIGKILL, and keeps a live one\'s', async () => {
    // TMPDIR: the servers make their kubeconfig directories in a root of this test's own
    const root = mkdtempSync(join(tmpdir(), 'kubeloop-kcdirs-'));
    const env = { ...process.env, TMPDIR: root };
    const start = async () => {
      const child = spawn(process.execPath, [cli, 'apiserver', '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'], env });
      const line = (await readyLine(child)).split('\n')[0];
      const kubeconfig = /kubeconfig=(\S+)/.exec(line)?.[1];
      assert.ok(kubeconfig, `unexpected ready line: ${line}`);
      return { child, dir: dirname(kubeconfig) };
    };
    const children: ReturnType<typeof spawn>[] = [];
    try {
      const first = await start();
      children.push(first.child);
      assert.equal(dirname(first.dir), root);
      first.child.kill('SIGKILL');
      await new Promise((r) => first.child.once('exit', r));
      assert.ok(existsSync(first.dir), 'SIGKILL left the directory behind');
      // a directory of a live process (this one)
      const live = join(root, 'kubeloop-apiserver-live');
      mkdirSync(live);
      writeFileSync(join(live, 'pid'), String(process.pid));

      const second = await start();
      children.push(second.child);
      assert.equal(existsSync(first.dir), false, 'the dead server\'s directory is gone');
      assert.ok(existsSync(live), 'the live process\'s directory is kept');
      assert.ok(existsSync(join(second.dir, 'kubeconfig')));
      second.child.kill('SIGTERM');
      assert.deepEqual(await new Promise((r) => second.child.once('exit', (c, sig) => r([c, sig]))), [0, null]);
      assert.equal(existsSync(second.dir), false, 'a server stopped cleanly removes its own');
    } finally {
      for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
      rmSync(root, { recursive: true, force: true });
    }
  });
});
