import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Subject } from 'rxjs';
import { parseLabelSelector, type KubeObject } from '../api/index.js';
import { Reflector, dropManagedFields, type StoreEvent } from './reflector.js';
import { Store } from './store.js';
import type { ListWatchEvent } from './listwatch.js';

const cm = (ns: string, name: string, rv: string, uid = `${ns}-${name}`, labels?: Record<string, string>): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { namespace: ns, name, resourceVersion: rv, uid, labels },
});

const fmt = (e: StoreEvent) =>
  `${e.type}:${e.obj.metadata.namespace}/${e.obj.metadata.name}@${e.obj.metadata.resourceVersion}` +
  (e.type === 'update' ? `<-${e.oldObj.metadata.resourceVersion}` : '') +
  (e.type === 'delete' && e.finalStateUnknown ? '(unknown)' : '');

test('store: keys, namespace index, custom indexers, label filtering, O(1) replace keeps indexes right', () => {
  const s = new Store<KubeObject>({ byApp: (o) => (o.metadata.labels?.app ? [o.metadata.labels.app] : []) });
  s.set(cm('a', 'x', '1', 'u1', { app: 'web' }));
  s.set(cm('a', 'y', '1', 'u2', { app: 'db' }));
  s.set(cm('b', 'x', '1', 'u3', { app: 'web' }));
  s.set({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'a', resourceVersion: '1' } });
  assert.equal(s.size, 4);
  assert.equal(s.get('a/x')?.metadata.uid, 'u1');
  assert.equal(s.get('a', 'y')?.metadata.uid, 'u2');
  assert.equal(s.get(undefined, 'a')?.kind, 'Namespace');
  assert.deepEqual(s.byIndex('namespace', 'a').map((o) => o.metadata.name).sort(), ['x', 'y']);
  assert.deepEqual(s.byIndex('byApp', 'web').map((o) => o.metadata.uid).sort(), ['u1', 'u3']);
  assert.deepEqual(s.list({ namespace: 'a', labelSelector: parseLabelSelector('app=web') }).map((o) => o.metadata.uid), ['u1']);
  assert.equal(s.list({ labelSelector: 'app in (web,db)' }).length, 3);
  // Relabel: the index follows.
  s.set(cm('a', 'x', '2', 'u1', { app: 'db' }));
  assert.deepEqual(s.byIndex('byApp', 'web').map((o) => o.metadata.uid), ['u3']);
  assert.deepEqual(s.indexKeys('byApp', 'db').sort(), ['a/x', 'a/y']);
  s.delete('a/y');
  assert.deepEqual(s.indexKeys('byApp', 'db'), ['a/x']);
  assert.equal(s.delete('nope'), undefined);
  assert.throws(() => s.byIndex('missing', 'v'), /does not exist/);
  // An indexer added later indexes what is already there.
  s.addIndexer('byName', (o) => [o.metadata.name ?? '']);
  assert.deepEqual(s.indexKeys('byName', 'x').sort(), ['a/x', 'b/x']);
});

test('reflector: first list = adds and synced; watch events; duplicates of the cached version are dropped', async () => {
  const src = new Subject<ListWatchEvent>();
  const r = new Reflector();
  const events: string[] = [];
  r.events$.subscribe((e) => events.push(fmt(e)));
  r.run(src);
  assert.equal(r.hasSynced, false);
  const synced = r.synced();
  src.next({ type: 'LIST', items: [cm('a', 'x', '1'), cm('a', 'y', '2')], resourceVersion: '2' });
  await synced;
  assert.equal(r.hasSynced, true);
  src.next({ type: 'MODIFIED', object: cm('a', 'x', '3') });
  src.next({ type: 'MODIFIED', object: cm('a', 'x', '3') }); // replayed: no second update
  src.next({ type: 'ADDED', object: cm('a', 'z', '4') });
  src.next({ type: 'DELETED', object: cm('a', 'y', '5') });
  src.next({ type: 'DELETED', object: cm('a', 'never', '6') }); // unknown: nothing to say
  src.next({ type: 'BOOKMARK', resourceVersion: '7' });
  assert.deepEqual(events, ['add:a/x@1', 'add:a/y@2', 'update:a/x@3<-1', 'add:a/z@4', 'delete:a/y@5']);
  assert.equal(r.lastResourceVersion, '7');
  assert.deepEqual(r.store.keys().sort(), ['a/x', 'a/z']);
  r.dispose();
});

test('reflector: a relist emits only real changes — no spurious updates — and deletes with the last known state', () => {
  const src = new Subject<ListWatchEvent>();
  const r = new Reflector();
  const events: string[] = [];
  r.events$.subscribe((e) => events.push(fmt(e)));
  r.run(src);
  src.next({ type: 'LIST', items: [cm('a', 'same', '1'), cm('a', 'changed', '2'), cm('a', 'gone', '3'), cm('a', 'reborn', '4', 'old-uid')], resourceVersion: '4' });
  events.length = 0;
  const sameBefore = r.store.get('a/same');
  src.next({
    type: 'LIST',
    items: [cm('a', 'same', '1'), cm('a', 'changed', '9'), cm('a', 'new', '10'), cm('a', 'reborn', '11', 'new-uid')],
    resourceVersion: '11',
  });
  assert.deepEqual(events, ['update:a/changed@9<-2', 'add:a/new@10', 'delete:a/reborn@4(unknown)', 'add:a/reborn@11', 'delete:a/gone@3(unknown)']);
  assert.equal(r.store.get('a/same'), sameBefore, 'unchanged objects keep their identity');
  assert.deepEqual(r.store.keys().sort(), ['a/changed', 'a/new', 'a/reborn', 'a/same']);
  r.dispose();
});

test('reflector: transform before storing, freeze, resync, stop clears the cache and the synced flag', async () => {
  const src = new Subject<ListWatchEvent>();
  const r = new Reflector({ transform: dropManagedFields, freeze: true, resyncPeriodMs: 5 });
  const events: StoreEvent[] = [];
  r.events$.subscribe((e) => events.push(e));
  r.run(src);
  const withMf = cm('a', 'x', '1');
  withMf.metadata.managedFields = [{ manager: 'kubectl' }];
  src.next({ type: 'LIST', items: [withMf], resourceVersion: '1' });
  const stored = r.store.get('a/x')!;
  assert.equal(stored.metadata.managedFields, undefined);
  assert.deepEqual(Object.keys(stored.metadata), ['namespace', 'name', 'resourceVersion', 'uid', 'labels'], 'the other fields stay, in their order');
  assert.throws(() => {
    (stored.metadata as { name: string }).name = 'mutated';
  }, TypeError);
  // The resync timer is unref'd (it must not keep a process alive): hold the loop open while waiting.
  const keepAlive = setInterval(() => undefined, 1000);
  await new Promise<void>((resolve) => {
    const sub = r.events$.subscribe((e) => {
      if (e.type === 'update' && e.resync) {
        assert.equal(e.obj, e.oldObj);
        sub.unsubscribe();
        resolve();
      }
    });
  });
  clearInterval(keepAlive);
  r.stop();
  assert.equal(r.store.size, 0);
  assert.equal(r.hasSynced, false);
  assert.equal(r.running, false);
  r.dispose();
});

test('events$: many subscribers; unsubscribing during an emission is safe; dispose completes them', () => {
  const r = new Reflector();
  const seen: string[] = [];
  const late: string[] = [];
  let completed = 0;
  const a = r.events$.subscribe({
    next: (e) => {
      seen.push(`a:${fmt(e)}`);
      a.unsubscribe(); // first event only
    },
  });
  r.events$.subscribe({ next: (e) => seen.push(`b:${fmt(e)}`), complete: () => completed++ });
  r.apply({ type: 'LIST', items: [cm('n', 'x', '1'), cm('n', 'y', '1')], resourceVersion: '1' });
  r.events$.subscribe({ next: (e) => late.push(fmt(e)), complete: () => completed++ });
  r.apply({ type: 'MODIFIED', object: cm('n', 'x', '2') });
  assert.deepEqual(seen, ['a:add:n/x@1', 'b:add:n/x@1', 'b:add:n/y@1', 'b:update:n/x@2<-1']);
  assert.deepEqual(late, ['update:n/x@2<-1'], 'hot: a late subscriber gets no history');
  r.dispose();
  assert.equal(completed, 2);
  let afterDispose = false;
  r.events$.subscribe({ complete: () => (afterDispose = true) });
  assert.ok(afterDispose, 'subscribing after dispose completes at once');
});
