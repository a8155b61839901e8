// Sources beyond Kubernetes kinds: a request controller (no `for` kind) fed by watches of a
// kind, by any RxJS Observable (the test's own rxjs), by a timer on the manager's clock and by
// requests given once (ctx.once); one controller enqueues
// into another through a typed queue handle injected by name.
import 'reflect-metadata';
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Subject, map, throwError } from 'rxjs';
import {
  ConfigMap, Controller, inject, queueOf, rbacRules, watch,
  type ConfigMapObject, type ControllerQueue, type ReconcileContext, type Reconciler, type Request, type RequestContext,
  type RequestReconciler, type RequestSource, type SourceContext,
} from '../../src/index.js';
import { FakeClock, eventually, startTestEnv, type TestEnv } from '../../src/testing/index.js';
import { EXTERNAL, inProcessOnly } from '../support/index.js';

let env: TestEnv;
// the timer source runs on a FakeClock handed to kubeloop/testing's in-process test env
before(async () => {
  if (EXTERNAL) return;
  env = await startTestEnv({ crds: [] });
  await env.client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'src' } });
});
after(async () => {
  await env?.stop();
});

const pushed = new Subject<Request>();
const seen: string[] = [];
const contexts: Array<Pick<RequestContext, 'key' | 'controller'>> = [];

/** Reconciles "tables": names that are not Kubernetes objects. */
@Controller({ name: 'tables', watches: [watch(ConfigMap, (cm) => (cm.metadata.labels?.table ? { name: cm.metadata.labels.table } : undefined), { namespace: 'src' })] })
class Tables implements RequestReconciler {
  sources(ctx: SourceContext): RequestSource[] {
    return [
      pushed,
      throwError(() => new Error('this source is broken')),
      ctx.every(60_000).pipe(map((n) => ({ name: `tick-${n}` }))),
      ctx.once([{ name: 'once-a' }, { name: 'once-b' }]),
    ];
  }
  reconcile(request: Request, ctx: RequestContext) {
    seen.push(request.name);
    contexts.push({ key: ctx.key, controller: ctx.controller });
  }
}

/** An object controller that asks the tables controller for work through its queue handle. */
@Controller({ for: ConfigMap, name: 'asker', namespace: 'src' })
class Asker implements Reconciler<ConfigMapObject> {
  constructor(@inject(queueOf('tables')) private readonly tables: ControllerQueue) {
    tables.enqueue({ name: 'from-constructor' }); // before the tables runner exists: kept, then added
  }
  reconcile(cm: ConfigMapObject, ctx: ReconcileContext<ConfigMapObject>) {
    if (cm.data?.ask) this.tables.enqueue({ name: cm.data.ask });
    assert.equal(ctx.object?.metadata.name, cm.metadata.name);
  }
}

inProcessOnly('a request controller gets requests from watches, Observables, a timer, ctx.once and other controllers; a failing source is logged, the others go on', 'drives a timer source with a FakeClock in kubeloop/testing\'s in-process test env', async () => {
  const clock = new FakeClock();
  const errors: unknown[] = [];
  const log = { child: () => log, trace() {}, debug() {}, info() {}, warn() {}, error: (o: unknown) => void errors.push(o) };
  const m = env.manager({ clock, logger: log });
  m.register(Tables).register(Asker);
  await m.start();
  await eventually('the constructor request', () => seen.includes('from-constructor'));
  await eventually('the requests of ctx.once, when the workers start', () => seen.includes('once-a') && seen.includes('once-b'));
  pushed.next({ name: 'pushed-1' });
  await env.client.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a', namespace: 'src', labels: { table: 'vtb-1' } }, data: { ask: 'asked-by-a' } });
  await eventually('watch, Observable and handle requests', () => ['pushed-1', 'vtb-1', 'asked-by-a'].every((n) => seen.includes(n)));
  assert.ok(!seen.some((n) => n.startsWith('tick-')), 'the timer waits for the fake clock');
  clock.step(60_000);
  await eventually('first tick', () => seen.includes('tick-0'));
  clock.step(60_000);
  await eventually('second tick', () => seen.includes('tick-1'));
  assert.ok(errors.some((e) => /this source is broken/.test(JSON.stringify(e))), 'the failing source is logged');
  assert.deepEqual(contexts.find((c) => c.key === 'vtb-1'), { key: 'vtb-1', controller: 'tables' });
  await m.stop();
  pushed.next({ name: 'after-stop' });
  assert.ok(!seen.includes('after-stop'), 'sources are unsubscribed on stop');
});

test('a request controller\'s RBAC has its watches and nothing for a kind of its own', () => {
  const rules = rbacRules([Tables], { leaderElection: false });
  const resources = rules.flatMap((r) => r.resources ?? []);
  assert.ok(resources.includes('configmaps'));
  assert.deepEqual(resources.filter((r) => r !== 'configmaps' && r !== 'events'), []);
});

test('a request controller needs a name, and takes no options that need a for kind', () => {
  assert.throws(() => Controller({ name: '' })(class { reconcile() {} }), /needs a name/);
  assert.throws(() => Controller({ name: 'x', finalizer: 'a.io/b' } as never)(class { reconcile() {} }), /"finalizer" needs a "for" kind/);
});
