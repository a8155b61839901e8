// The emulator on a worker thread of its own (`kubeloop dev`'s): it serves, the calling thread's
// copy of its routes follows every change, its state file is written when it stops, and it
// says when it fails: at the start with the emulator's own error, later through `failure`.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { Worker } from 'node:worker_threads';
import { routingState } from './routing.js';
import type { CloudState, RouteEntry } from './state.js';
import { CloudSimThread } from './thread.js';

async function until<T>(what: string, fn: () => T | undefined, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('the cloud emulator on a thread of its own', () => {
  it('serves; the copy of its routes follows its changes; its state file is written at the stop', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kubeloop-cloudsim-thread-'));
    const stateFile = join(dir, 'cloud.json');
    const cloud = await CloudSimThread.spawn().start({ port: 0, stateFile });
    try {
      assert.match(cloud.url, /^http:\/\/127\.0\.0\.1:\d+$/);
      const state = await (await fetch(`${cloud.url}/_sim/state`)).json() as CloudState;
      assert.deepEqual(cloud.view.routeTables, routingState(state).routeTables);
      assert.equal(cloud.view.slsProject, state.slsProjects[0]?.projectName);
      assert.equal(cloud.regionId, state.regionId);
      // a route to a new instance's pods: the copy here follows, and forwarding with it
      const inst = state.instances[0];
      assert.ok(inst, 'the default cloud has an instance');
      assert.equal(cloud.podReachable(inst.instanceId, '172.31.9.9'), false);
      const route: RouteEntry = {
        routeEntryId: 'rte-thread', routeTableId: state.routeTables[0].routeTableId, destinationCidrBlock: '172.31.9.0/24',
        nextHopType: 'Instance', nextHopId: inst.instanceId, routeEntryName: '', description: '', type: 'Custom', status: 'Available',
        creationTime: new Date().toISOString(),
      };
      const patched = await fetch(`${cloud.url}/_sim/state`, { method: 'PATCH', headers: { 'Content-Type': 'application/json-patch+json' }, body: JSON.stringify([{ op: 'add', path: '/routeTables/0/entries/-', value: route }]) });
      assert.ok(patched.ok, await patched.text());
      await until('the route in the copy', () => (cloud.podReachable(inst.instanceId, '172.31.9.9') ? true : undefined));
    } finally {
      await cloud.stop();
    }
    try {
      const saved = JSON.parse(readFileSync(stateFile, 'utf8')) as CloudState;
      assert.ok(saved.routeTables[0].entries.some((e) => e.routeEntryId === 'rte-thread'), 'the state file has the change');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a start that fails rejects with the emulator\'s error; a thread that dies later settles failure', async () => {
    const busy = createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
    try {
      const port = (busy.address() as { port: number }).port;
      await assert.rejects(CloudSimThread.spawn().start({ port }), { code: 'EADDRINUSE' });
    } finally {
      busy.close();
    }
    const thread = CloudSimThread.spawn();
    const cloud = await thread.start({ port: 0 });
    await (thread as unknown as { worker: Worker }).worker.terminate(); // as when it crashes
    assert.match((await cloud.failure).message, /the cloud emulator's thread exited/);
    await cloud.stop();
  });
});
