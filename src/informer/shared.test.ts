// SharedInformer reference counting, linger and cache-sync waits, over a scripted transport.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject, WatchEvent } from '../api/index.js';
import type { KubeClient, ListOptions, WatchOptions } from '../client/index.js';
import { CacheSyncTimeoutError, SharedInformerFactory } from './shared.js';
import { FakeClock, clockScheduler } from '../queue/index.js';

const CM = { apiVersion: 'v1', kind: 'ConfigMap' };
const cm = (name: string, rv: string): KubeObject => ({ ...CM, metadata: { namespace: 'ns', name, resourceVersion: rv } });

function fakeClient(opts: { listHangs?: boolean } = {}) {
  const calls = { lists: 0, watches: 0, aborted: 0 };
  const client = {
    list: (_k: unknown, o: ListOptions) => {
      calls.lists++;
      if (opts.listHangs) return new Promise((_r, reject) => o.signal?.addEventListener('abort', () => reject(o.signal?.reason)));
      return Promise.resolve({ items: [cm('a', '1'), cm('b', '2')], metadata: { resourceVersion: '2' } });
    },
    watch: (_k: unknown, o: WatchOptions, _on: (e: WatchEvent) => void) => {
      calls.watches++;
      return new Promise<void>((_r, reject) =>
        o.signal?.addEventListener('abort', () => {
          calls.aborted++;
          reject(o.signal?.reason);
        }),
      );
    },
  } as unknown as KubeClient;
  return { client, calls };
}

test('reference counted: runs while held, lingers after the last release, restarts cleanly', async () => {
  const { client, calls } = fakeClient();
  const clock = new FakeClock(); // the linger's time
  const factory = new SharedInformerFactory(client, { streamingList: 'never', lingerMs: 30, scheduler: clockScheduler(clock) });
  const inf = factory.informerFor(CM, { namespace: 'ns' });
  const r1 = inf.acquire();
  const r2 = inf.acquire();
  await inf.waitForCacheSync(undefined, 1000);
  assert.equal(inf.reader.size, 2);
  assert.equal(calls.lists, 1);
  r1();
  r1(); // idempotent
  assert.equal(inf.refCount, 1);
  r2();
  clock.step(29);
  assert.equal(inf.running, true, 'lingers');
  const r3 = inf.acquire(); // back within the linger period: no new list
  clock.step(30);
  assert.equal(inf.running, true, 'held again: the linger was cancelled');
  assert.equal(calls.lists, 1);
  r3();
  clock.step(30);
  assert.equal(inf.running, false);
  assert.equal(inf.reader.size, 0, 'a stopped informer forgets its cache');
  assert.equal(inf.hasSynced, false);
  assert.ok(calls.aborted >= 1, 'the watch was aborted');
  const r4 = inf.acquire();
  await inf.waitForCacheSync(undefined, 1000);
  assert.equal(calls.lists, 2);
  r4();
  clock.step(30);
  assert.equal(inf.running, false);
  factory.shutdown();
});

test('the linger follows an injected scheduler: ten minutes pass when a FakeClock is stepped', async () => {
  const { client } = fakeClient();
  const clock = new FakeClock();
  const factory = new SharedInformerFactory(client, { streamingList: 'never', lingerMs: 10 * 60_000, scheduler: clockScheduler(clock) });
  const inf = factory.informerFor(CM, { namespace: 'ns' });
  const release = inf.acquire();
  await inf.waitForCacheSync(undefined, 1000);
  release();
  clock.step(10 * 60_000 - 1);
  assert.equal(inf.running, true, 'still lingering a millisecond before the end');
  clock.step(1);
  assert.equal(inf.running, false, 'stopped when the linger ended on the injected clock');
  factory.shutdown();
});

test('waitForCacheSync: timeout and abort reject with a clear error; the factory waits only for running informers', async () => {
  const { client } = fakeClient({ listHangs: true });
  const factory = new SharedInformerFactory(client, { streamingList: 'never' });
  factory.informerFor(CM, { namespace: 'idle' }); // never acquired: not waited for
  const inf = factory.informerFor(CM, { namespace: 'ns', labelSelector: 'a=b' });
  const release = inf.acquire();
  await assert.rejects(factory.waitForCacheSync(undefined, 30), (e) => e instanceof CacheSyncTimeoutError && /ConfigMap namespace=ns labels=a=b/.test(e.message));
  const ac = new AbortController();
  const p = inf.waitForCacheSync(ac.signal);
  ac.abort(new Error('shutting down'));
  await assert.rejects(p, /shutting down/);
  release();
  factory.shutdown();
});

test('same scope -> same informer; different selectors -> different informers', () => {
  const { client } = fakeClient();
  const factory = new SharedInformerFactory(client);
  const a = factory.informerFor(CM, { namespace: 'ns' });
  assert.equal(factory.informerFor({ group: '', version: 'v1', kind: 'ConfigMap' }, { namespace: 'ns', labelSelector: '' }), a);
  assert.notEqual(factory.informerFor(CM, { namespace: 'ns', labelSelector: 'x=y' }), a);
  assert.notEqual(factory.informerFor(CM), a);
  assert.equal(factory.list().length, 3);
  factory.shutdown();
});
