// Two managers with leader election against the built-in API server: exactly one reconciles;
// a crashed leader (no release) is replaced after the lease expires; a graceful stop
// releases the Lease at once; /readyz follows the leader when configured so.
import 'reflect-metadata';
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  Controller, Manager, ContainerModule, ConfigMap, Lease, createRegistry, inject,
  type ConfigMapObject, type KubeClient, type LeaseObject, type ReconcileContext, type Reconciler,
} from '../../src/index.js';
import { startServer, clientFor, eventually, sample, proxied, ensure, type ServerHandle } from './harness.js';
import { crashManager } from '../../src/testing/index.js';

let server: ServerHandle;
let client: KubeClient;

before(async () => {
  server = await startServer();
  client = clientFor(server);
  await ensure(client, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'le' } });
});
after(async () => {
  client?.close();
  await server?.stop();
});

const WHO = Symbol('who');
const seen = new Map<string, string[]>(); // manager identity -> keys reconciled

@Controller({ for: ConfigMap, namespace: 'le', name: 'le-cm' })
class Recorder implements Reconciler<ConfigMapObject> {
  constructor(@inject(WHO) private readonly who: string) {}
  reconcile(_cm: ConfigMapObject, ctx: ReconcileContext<ConfigMapObject>) {
    const list = seen.get(this.who) ?? [];
    list.push(ctx.key);
    seen.set(this.who, list);
  }
}

const timing = { leaseDurationMs: 2000, renewDeadlineMs: 1500, retryPeriodMs: 300 };

function manager(identity: string): Manager {
  const m = new Manager({
    kubeconfig: server.kubeconfig,
    leaderElection: { leaseName: 'le-lock', leaseNamespace: 'le', identity, ...timing },
    metricsBindAddress: 0,
    healthProbeBindAddress: 0,
    readyWhen: 'leader',
    registry: createRegistry(),
    handleSignals: false,
  });
  m.register(Recorder, new ContainerModule(({ bind }) => void bind(WHO).toConstantValue(identity)));
  return m;
}

const lease = () => client.get<LeaseObject>(Lease, 'le-lock', { namespace: 'le' });
const status = async (url: string) => (await fetch(url)).status;

test('exactly one of two managers reconciles; crash -> takeover after expiry; graceful stop releases at once', async () => {
  const a = manager('mgr-a');
  const b = manager('mgr-b');
  const c = manager('mgr-c');
  try {
    await a.start();
    await eventually('a leads', () => a.isLeader);
    await b.start();
    await client.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'one', namespace: 'le' } });
    await eventually('leader reconciled', () => (seen.get('mgr-a') ?? []).includes('le/one'));
    assert.equal(b.isLeader, false);
    await eventually('the standby observed the leader', () => b.leaderIdentity === 'mgr-a');
    assert.equal(seen.get('mgr-b'), undefined, 'the standby must not reconcile');
    // probes: both healthy; only the leader ready (readyWhen: 'leader')
    assert.equal(await status(`${a.healthProbeUrl}/readyz`), 200);
    assert.equal(await status(`${b.healthProbeUrl}/readyz`), 500);
    assert.equal(await status(`${b.healthProbeUrl}/healthz`), 200);
    const metricsA = await (await fetch(`${a.metricsUrl}/metrics`)).text();
    const metricsB = await (await fetch(`${b.metricsUrl}/metrics`)).text();
    assert.equal(sample(metricsA, 'leader_election_master_status', { name: 'le-lock' }), 1);
    assert.equal(sample(metricsB, 'leader_election_master_status', { name: 'le-lock' }), 0);
    const l1 = await lease();
    assert.equal(l1.spec?.holderIdentity, 'mgr-a');

    // kill the leader without releasing: b takes over once the lease expires
    await crashManager(a);
    assert.equal((await lease()).spec?.holderIdentity, 'mgr-a', 'a crash does not release the lease');
    await eventually('b leads', () => b.isLeader, timing.leaseDurationMs + timing.retryPeriodMs * 2 + 3000);
    await eventually('b reconciles', () => (seen.get('mgr-b') ?? []).includes('le/one'));
    const l2 = await lease();
    assert.equal(l2.spec?.holderIdentity, 'mgr-b');
    assert.equal(l2.spec?.leaseTransitions, (l1.spec?.leaseTransitions ?? 0) + 1);
    assert.equal(await status(`${b.healthProbeUrl}/readyz`), 200);

    // graceful stop releases the lease at once, and a standby picks it up
    await c.start();
    await b.stop();
    const released = await lease();
    assert.ok(released.spec?.holderIdentity === '' || released.spec?.holderIdentity === 'mgr-c');
    await eventually('c leads right after the release', () => c.isLeader, timing.leaseDurationMs);
    await b.wait();
  } finally {
    await Promise.all([a.stop(), b.stop(), c.stop()]);
  }
});

test('a leader that cannot renew (API server unreachable) stops its controllers and the manager; wait() rejects', async () => {
  const { proxy, kubeconfig } = await proxied(server);
  const m = new Manager({
    kubeconfig,
    leaderElection: { leaseName: 'lost-lock', leaseNamespace: 'le', identity: 'mgr-lost', ...timing },
    metricsBindAddress: false,
    registry: createRegistry(),
    handleSignals: false,
  });
  m.register(Recorder, new ContainerModule(({ bind }) => void bind(WHO).toConstantValue('mgr-lost')));
  try {
    await m.start();
    await eventually('leading', () => m.isLeader);
    proxy.stall(); // the network path dies: requests hang, nothing errors quickly
    await assert.rejects(m.wait(), { name: 'LeaderElectionLostError' });
    assert.equal(m.isLeader, false);
    assert.equal(m.healthy(), false);
  } finally {
    proxy.cutAll();
    await m.stop();
    await proxy.close();
  }
});

test('a leader process killed with SIGKILL is replaced once its lease expires', async () => {
  const { spawn } = await import('node:child_process');
  const { fileURLToPath } = await import('node:url');
  const childPath = fileURLToPath(new URL('./_leader-child.js', import.meta.url));
  const child = spawn(process.execPath, [childPath, server.kubeconfigPath, 'kill-lock', 'mgr-child', String(timing.leaseDurationMs), String(timing.renewDeadlineMs), String(timing.retryPeriodMs)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise((r) => child.once('exit', r));
  const survivor = new Manager({
    kubeconfig: server.kubeconfig,
    leaderElection: { leaseName: 'kill-lock', leaseNamespace: 'le', identity: 'mgr-survivor', ...timing },
    metricsBindAddress: false,
    registry: createRegistry(),
    handleSignals: false,
  });
  survivor.register(Recorder, new ContainerModule(({ bind }) => void bind(WHO).toConstantValue('mgr-survivor')));
  try {
    await new Promise<void>((resolve, reject) => {
      child.stdout!.on('data', (d: Buffer) => d.toString().includes('"leading":true') && resolve());
      child.once('exit', (code) => reject(new Error(`child exited early (${code})`)));
    });
    await survivor.start();
    await eventually('the survivor tried and found the child holding the lease', () => survivor.leaderIdentity === 'mgr-child');
    assert.equal(survivor.isLeader, false, 'the child still leads');
    child.kill('SIGKILL');
    await exited;
    assert.equal((await client.get<LeaseObject>(Lease, 'kill-lock', { namespace: 'le' })).spec?.holderIdentity, 'mgr-child');
    await eventually('the survivor leads', () => survivor.isLeader, timing.leaseDurationMs + timing.retryPeriodMs * 2 + 3000);
  } finally {
    child.kill('SIGKILL');
    await survivor.stop();
  }
});
