// The driver against a scripted fake list/watch transport (the state machine's effects,
// request parameters, emitted events, cleanup). Behaviour against a real server is
// covered by the integration suites.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newExpired, newInvalid, type KubeObject, type WatchEvent } from '../api/index.js';
import type { KubeClient, ListOptions, WatchOptions } from '../client/index.js';
import { listWatch, type ListWatchEvent } from './listwatch.js';

const cm = (name: string, rv: string): KubeObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { namespace: 'ns', name, resourceVersion: rv } });

interface WatchCall {
  opts: WatchOptions;
  send: (ev: WatchEvent) => void;
  end: () => void;
  fail: (err: unknown) => void;
}

/** A fake client whose list pages and watch streams are scripted by the test. */
class Script {
  lists: ListOptions[] = [];
  watches: WatchCall[] = [];
  pages: (() => { items: KubeObject[]; metadata: { resourceVersion?: string; continue?: string } })[] = [];
  private waiters: (() => void)[] = [];

  readonly client = {
    list: async (_kind: unknown, opts: ListOptions) => {
      this.lists.push(opts);
      this.wake();
      const next = this.pages.shift();
      if (!next) throw new Error('no page scripted');
      return next();
    },
    watch: (_kind: unknown, opts: WatchOptions, onEvent: (ev: WatchEvent) => void) =>
      new Promise<void>((resolve, reject) => {
        opts.signal?.addEventListener('abort', () => reject(opts.signal?.reason));
        this.watches.push({ opts, send: onEvent, end: resolve, fail: reject });
        this.wake();
      }),
  } as unknown as KubeClient;

  private wake() {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  async until(cond: () => boolean): Promise<void> {
    while (!cond()) await new Promise<void>((r) => this.waiters.push(r));
  }
}

const fast = { backoff: { initialMs: 1, maxMs: 2 }, env: { random: () => 0.5 } };

test('paged list -> watch from list RV -> resume from last RV after the stream ends -> relist on ERROR 410', async () => {
  const s = new Script();
  s.pages.push(() => ({ items: [cm('a', '1'), cm('b', '2')], metadata: { resourceVersion: '5', continue: 'tok' } }));
  s.pages.push(() => ({ items: [cm('c', '3')], metadata: { resourceVersion: '5' } }));
  const out: ListWatchEvent[] = [];
  const sub = listWatch(s.client, { kind: { apiVersion: 'v1', kind: 'ConfigMap' }, namespace: 'ns', labelSelector: 'a=b', streamingList: 'never', pageSize: 2, ...fast }).subscribe((e) => out.push(e));
  await s.until(() => s.watches.length === 1);
  assert.deepEqual(s.lists.map((l) => [l.limit, l.continue, l.namespace, l.labelSelector]), [[2, undefined, 'ns', 'a=b'], [2, 'tok', 'ns', 'a=b']]);
  assert.equal(out[0].type, 'LIST');
  assert.deepEqual(out[0].type === 'LIST' && out[0].items.map((i) => i.metadata.name), ['a', 'b', 'c']);
  assert.equal(out[0].type === 'LIST' && out[0].resourceVersion, '5');
  const w1 = s.watches[0];
  assert.equal(w1.opts.resourceVersion, '5');
  assert.equal(w1.opts.allowWatchBookmarks, true);
  assert.ok(w1.opts.timeoutSeconds! >= 300 && w1.opts.timeoutSeconds! < 600);
  w1.send({ type: 'MODIFIED', object: cm('a', '6') });
  w1.send({ type: 'BOOKMARK', object: { metadata: { resourceVersion: '8' } } });
  w1.end();
  await s.until(() => s.watches.length === 2);
  assert.equal(s.watches[1].opts.resourceVersion, '8', 'resumes from the bookmark, no relist');
  assert.equal(s.lists.length, 2);
  s.pages.push(() => ({ items: [cm('a', '20')], metadata: { resourceVersion: '20' } }));
  s.watches[1].send({ type: 'ERROR', object: newExpired('too old resource version: 8 (15)').status as unknown as KubeObject });
  await s.until(() => s.watches.length === 3);
  assert.equal(s.lists.length, 3);
  assert.equal(s.watches[2].opts.resourceVersion, '20');
  assert.deepEqual(out.map((e) => e.type), ['LIST', 'MODIFIED', 'BOOKMARK', 'LIST']);
  sub.unsubscribe();
  assert.equal(s.watches[2].opts.signal?.aborted, true, 'unsubscribe aborts the open watch');
});

test('errors back off and retry forever without completing; streaming list buffers initial events into one LIST', async () => {
  const s = new Script();
  const out: ListWatchEvent[] = [];
  let completed = false;
  const sub = listWatch(s.client, { kind: { apiVersion: 'v1', kind: 'ConfigMap' }, ...fast }).subscribe({
    next: (e) => out.push(e),
    error: () => (completed = true),
    complete: () => (completed = true),
  });
  await s.until(() => s.watches.length === 1);
  const w = s.watches[0];
  assert.equal(w.opts.sendInitialEvents, true);
  assert.equal(w.opts.resourceVersionMatch, 'NotOlderThan');
  w.fail(new Error('ECONNRESET'));
  await s.until(() => s.watches.length === 2);
  const w2 = s.watches[1];
  w2.send({ type: 'ADDED', object: cm('a', '1') });
  w2.send({ type: 'ADDED', object: cm('b', '2') });
  w2.send({ type: 'BOOKMARK', object: { metadata: { resourceVersion: '2' } } }); // not the end marker
  assert.equal(out.length, 0);
  w2.send({ type: 'BOOKMARK', object: { metadata: { resourceVersion: '3', annotations: { 'k8s.io/initial-events-end': 'true' } } } });
  w2.send({ type: 'DELETED', object: cm('a', '4') });
  assert.deepEqual(out.map((e) => e.type), ['LIST', 'DELETED']);
  assert.deepEqual(out[0].type === 'LIST' && [out[0].items.length, out[0].resourceVersion], [2, '3']);
  w2.fail(newInvalid('', 'ConfigMap', '', [])); // a later error is an ordinary error: back off, resume
  await s.until(() => s.watches.length === 3);
  assert.equal(s.watches[2].opts.resourceVersion, '4');
  assert.equal(s.watches[2].opts.sendInitialEvents, undefined);
  assert.equal(completed, false);
  sub.unsubscribe();
});

test('auto streaming falls back to paged lists when the server answers 422', async () => {
  const s = new Script();
  s.pages.push(() => ({ items: [cm('a', '1')], metadata: { resourceVersion: '1' } }));
  const out: ListWatchEvent[] = [];
  const sub = listWatch(s.client, { kind: { apiVersion: 'v1', kind: 'ConfigMap' }, ...fast }).subscribe((e) => out.push(e));
  await s.until(() => s.watches.length === 1);
  s.watches[0].fail(newInvalid('', 'ListOptions', '', [{ type: 'FieldValueForbidden', field: 'sendInitialEvents', message: 'not supported' }]));
  await s.until(() => s.watches.length === 2);
  assert.equal(s.lists.length, 1);
  assert.equal(s.watches[1].opts.resourceVersion, '1');
  assert.equal(s.watches[1].opts.sendInitialEvents, undefined);
  assert.deepEqual(out.map((e) => e.type), ['LIST']);
  sub.unsubscribe();
});

test('a 410 on the list itself backs off and lists again', async () => {
  const s = new Script();
  s.pages.push(() => {
    throw newExpired('continue token expired');
  });
  s.pages.push(() => ({ items: [], metadata: { resourceVersion: '9' } }));
  const sub = listWatch(s.client, { kind: { apiVersion: 'v1', kind: 'ConfigMap' }, streamingList: 'never', ...fast }).subscribe();
  await s.until(() => s.watches.length === 1);
  assert.equal(s.lists.length, 2);
  assert.equal(s.watches[0].opts.resourceVersion, '9');
  sub.unsubscribe();
});

test('auto mode pages against servers older than 1.27 (they ignore sendInitialEvents)', async () => {
  const s = new Script();
  (s.client as unknown as { version: () => Promise<unknown> }).version = async () => ({ major: '1', minor: '26', gitVersion: 'v1.26.3' });
  s.pages.push(() => ({ items: [cm('a', '1')], metadata: { resourceVersion: '1' } }));
  const sub = listWatch(s.client, { kind: { apiVersion: 'v1', kind: 'ConfigMap' }, ...fast }).subscribe();
  await s.until(() => s.watches.length === 1);
  assert.equal(s.lists.length, 1);
  assert.equal(s.watches[0].opts.sendInitialEvents, undefined);
  sub.unsubscribe();
});

test('paged lists request the next page as soon as its continue token is known (prefetch), in order, once each', async () => {
  const s = new Script();
  const pages = [
    { items: [cm('a', '1')], metadata: { resourceVersion: '3', continue: 't1' } },
    { items: [cm('b', '2')], metadata: { resourceVersion: '3', continue: 't2' } },
    { items: [cm('c', '3')], metadata: { resourceVersion: '3' } },
  ];
  const started: (string | undefined)[] = [];
  const resolvers: (() => void)[] = [];
  (s.client as unknown as { list: unknown }).list = (_k: unknown, opts: ListOptions) => {
    started.push(opts.continue);
    const i = opts.continue === undefined ? 0 : opts.continue === 't1' ? 1 : 2;
    const page = pages[i];
    // The token is announced early; the body completes only when the test says so.
    if (page.metadata.continue) opts.onContinue?.(page.metadata.continue);
    return new Promise((resolve) => resolvers[i] = () => resolve(page));
  };
  const out: ListWatchEvent[] = [];
  const sub = listWatch(s.client, { kind: { apiVersion: 'v1', kind: 'ConfigMap' }, streamingList: 'never', ...fast }).subscribe((e) => out.push(e));
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(started, [undefined, 't1', 't2'], 'all pages requested before the first completed');
  resolvers[2]();
  resolvers[1]();
  resolvers[0]();
  await s.until(() => s.watches.length === 1);
  assert.deepEqual(out[0].type === 'LIST' && out[0].items.map((o) => o.metadata.name), ['a', 'b', 'c']);
  assert.equal(s.watches[0].opts.resourceVersion, '3');
  sub.unsubscribe();
});
