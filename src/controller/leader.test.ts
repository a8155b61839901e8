import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newNotFound, newAlreadyExists, newConflict, type KubeObject } from '../api/index.js';
import type { KubeClient } from '../client/index.js';
import { createRegistry } from '../observability/index.js';
import { LeaderElector } from './leader.js';
import { FakeClock } from '../queue/index.js';
import type { Logger } from './context.js';

const silent: Logger = { child: () => silent, trace() {}, debug() {}, info() {}, warn() {}, error() {} };

/** An in-memory Lease store with resourceVersion preconditions, like the API server. */
function fakeLeaseClient() {
  const leases = new Map<string, KubeObject>();
  let rv = 0;
  let failing = false;
  const gr = { group: 'coordination.k8s.io', resource: 'leases' };
  const client = {
    async get(_k: unknown, name: string, o: { namespace?: string }) {
      if (failing) throw new Error('connection refused');
      const l = leases.get(`${o.namespace}/${name}`);
      if (!l) throw newNotFound(gr, name);
      return structuredClone(l);
    },
    async create(obj: KubeObject) {
      if (failing) throw new Error('connection refused');
      const key = `${obj.metadata.namespace}/${obj.metadata.name}`;
      if (leases.has(key)) throw newAlreadyExists(gr, obj.metadata.name!);
      const stored = { ...structuredClone(obj), metadata: { ...obj.metadata, resourceVersion: String(++rv) } };
      leases.set(key, stored);
      return structuredClone(stored);
    },
    async update(obj: KubeObject) {
      if (failing) throw new Error('connection refused');
      const key = `${obj.metadata.namespace}/${obj.metadata.name}`;
      const cur = leases.get(key);
      if (!cur) throw newNotFound(gr, obj.metadata.name!);
      if (cur.metadata.resourceVersion !== obj.metadata.resourceVersion) throw newConflict(gr, obj.metadata.name!, 'the object has been modified');
      const stored = { ...structuredClone(obj), metadata: { ...obj.metadata, resourceVersion: String(++rv) } };
      leases.set(key, stored);
      return structuredClone(stored);
    },
  };
  return { client: client as unknown as KubeClient, leases, setFailing: (f: boolean) => (failing = f) };
}

function until(cond: () => boolean, what: string, ms = 8000): Promise<void> {
  const deadline = Date.now() + ms;
  return new Promise((resolve, reject) => {
    const tick = () => {
      if (cond()) return resolve();
      if (Date.now() > deadline) return reject(new Error(`timed out waiting for ${what}`));
      setTimeout(tick, 5);
    };
    tick();
  });
}

const timing = { leaseDurationMs: 2000, renewDeadlineMs: 1500, retryPeriodMs: 100 };

function elector(client: KubeClient, identity: string, events: string[], clock: FakeClock, registry = createRegistry()) {
  return new LeaderElector(
    client,
    { leaseName: 'test-lock', leaseNamespace: 'kube-system', identity, ...timing, clock },
    { onStartedLeading: () => events.push(`${identity}:start`), onStoppedLeading: () => events.push(`${identity}:stop`) },
    silent,
    registry,
  );
}

/**
 * Moves the electors' shared FakeClock by `ms` and waits until the attempts that became due
 * have finished: every running elector has its next attempt scheduled again (`running` timers).
 */
async function advance(clock: FakeClock, ms: number, running: number): Promise<void> {
  clock.step(ms);
  await until(() => clock.pendingTimers() === running, `${running} elector(s) waiting for their next attempt`);
}

/** A retry period with the standby's jitter (up to +20%): every elector makes one more attempt. */
const PERIOD = timing.retryPeriodMs * 1.2;

test('leader election: one leader; graceful stop releases; a standby takes over', async () => {
  const { client, leases } = fakeLeaseClient();
  const events: string[] = [];
  const clock = new FakeClock();
  const ra = createRegistry();
  const a = elector(client, 'a', events, clock, ra);
  const b = elector(client, 'b', events, clock);
  a.start();
  await advance(clock, 0, 1);
  assert.equal(a.isLeader, true, 'a leads');
  b.start();
  // several attempts of b (and renewals of a), all well within the lease duration
  for (let i = 0; i < 5; i++) await advance(clock, PERIOD, 2);
  assert.equal(b.isLeader, false);
  assert.equal(b.observedLeader, 'a');
  const lease = leases.get('kube-system/test-lock')!;
  const spec = lease.spec as Record<string, unknown>;
  assert.equal(spec.holderIdentity, 'a');
  assert.equal(spec.leaseDurationSeconds, 2);
  assert.match(String(spec.renewTime), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
  assert.equal((await ra.getSingleMetric('leader_election_master_status')!.get()).values[0].value, 1);
  await a.stop();
  const released = leases.get('kube-system/test-lock')!.spec as Record<string, unknown>;
  assert.equal(released.holderIdentity, '');
  assert.equal((await ra.getSingleMetric('leader_election_master_status')!.get()).values[0].value, 0);
  await advance(clock, PERIOD, 1); // b's next attempt, not a lease duration later
  assert.equal(b.isLeader, true, 'b takes over at once after release');
  assert.equal((leases.get('kube-system/test-lock')!.spec as Record<string, unknown>).leaseTransitions, 1);
  await b.stop();
  assert.deepEqual(events, ['a:start', 'b:start']);
});

test('leader election: a crashed leader is replaced after the lease expires, not before', async () => {
  const { client } = fakeLeaseClient();
  const events: string[] = [];
  const clock = new FakeClock();
  const a = elector(client, 'a', events, clock);
  const b = elector(client, 'b', events, clock);
  a.start();
  await advance(clock, 0, 1);
  b.start();
  for (let i = 0; i < 3; i++) await advance(clock, PERIOD, 2);
  assert.equal(b.observedLeader, 'a');
  a.crash();
  const crashedAt = clock.now();
  // a renewed at most one retry period before the crash and b saw it at most one of its
  // periods later: the lease cannot look expired to b before crashedAt + 2000 - 100
  while (clock.now() + PERIOD < crashedAt + timing.leaseDurationMs - timing.retryPeriodMs) {
    await advance(clock, PERIOD, 1);
    assert.equal(b.isLeader, false, `b took over at +${clock.now() - crashedAt} ms, before the lease could expire`);
  }
  while (!b.isLeader) {
    assert.ok(clock.now() - crashedAt < timing.leaseDurationMs + 3 * PERIOD, `b has not taken over at +${clock.now() - crashedAt} ms`);
    await advance(clock, PERIOD, 1);
  }
  await b.stop();
});

test('leader election: a leader that cannot renew for renewDeadline steps down', async () => {
  const { client, setFailing } = fakeLeaseClient();
  const events: string[] = [];
  const clock = new FakeClock();
  const a = elector(client, 'a', events, clock);
  a.start();
  await advance(clock, 0, 1);
  assert.equal(a.isLeader, true);
  setFailing(true);
  const failingSince = clock.now();
  // it keeps trying until the renew deadline has passed on its clock, then steps down
  while (!events.includes('a:stop')) {
    assert.equal(a.isLeader, true, `stepped down early, at +${clock.now() - failingSince} ms`);
    clock.step(timing.retryPeriodMs);
    await until(() => clock.pendingTimers() === 1 || events.includes('a:stop'), 'the attempt finished');
  }
  assert.ok(clock.now() - failingSince >= timing.renewDeadlineMs, `stepped down at +${clock.now() - failingSince} ms`);
  assert.equal(a.isLeader, false);
  await a.stop();
  assert.throws(() => new LeaderElector(client, { leaseName: 'x', leaseNamespace: 'y', leaseDurationMs: 1000, renewDeadlineMs: 2000 }, { onStartedLeading() {}, onStoppedLeading() {} }, silent), /greater than renewDeadlineMs/);
});
