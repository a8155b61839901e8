import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newNotFound, newAlreadyExists, newConflict, type KubeObject } from '../api/index.js';
import type { KubeClient } from '../client/index.js';
import { createRegistry } from '../observability/index.js';
import { LeaderElector } from './leader.js';
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

function elector(client: KubeClient, identity: string, events: string[], registry = createRegistry()) {
  return new LeaderElector(
    client,
    { leaseName: 'test-lock', leaseNamespace: 'kube-system', identity, ...timing },
    { onStartedLeading: () => events.push(`${identity}:start`), onStoppedLeading: () => events.push(`${identity}:stop`) },
    silent,
    registry,
  );
}

test('leader election: one leader; graceful stop releases; a standby takes over', async () => {
  const { client, leases } = fakeLeaseClient();
  const events: string[] = [];
  const ra = createRegistry();
  const a = elector(client, 'a', events, ra);
  const b = elector(client, 'b', events);
  a.start();
  await until(() => a.isLeader, 'a leads');
  b.start();
  await new Promise((r) => setTimeout(r, 400));
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
  assert.equal(released.holderIdentity === 'b' || released.holderIdentity === '', true);
  assert.equal((await ra.getSingleMetric('leader_election_master_status')!.get()).values[0].value, 0);
  await until(() => b.isLeader, 'b takes over at once after release', 1000);
  assert.equal((leases.get('kube-system/test-lock')!.spec as Record<string, unknown>).leaseTransitions, 1);
  await b.stop();
  assert.deepEqual(events, ['a:start', 'b:start']);
});

test('leader election: a crashed leader is replaced after the lease expires, not before', async () => {
  const { client } = fakeLeaseClient();
  const events: string[] = [];
  const a = elector(client, 'a', events);
  const b = elector(client, 'b', events);
  a.start();
  await until(() => a.isLeader, 'a leads');
  b.start();
  await new Promise((r) => setTimeout(r, 300));
  a.crash();
  const crashedAt = Date.now();
  await until(() => b.isLeader, 'b takes over', timing.leaseDurationMs + 2000);
  assert.ok(Date.now() - crashedAt >= timing.leaseDurationMs - 400, 'not before the lease could expire');
  await b.stop();
});

test('leader election: a leader that cannot renew for renewDeadline steps down', async () => {
  const { client, setFailing } = fakeLeaseClient();
  const events: string[] = [];
  const a = elector(client, 'a', events);
  a.start();
  await until(() => a.isLeader, 'a leads');
  setFailing(true);
  await until(() => events.includes('a:stop'), 'a steps down');
  assert.equal(a.isLeader, false);
  await a.stop();
  assert.throws(() => new LeaderElector(client, { leaseName: 'x', leaseNamespace: 'y', leaseDurationMs: 1000, renewDeadlineMs: 2000 }, { onStartedLeading() {}, onStoppedLeading() {} }, silent), /greater than renewDeadlineMs/);
});
