// A LimitRange and a ResourceQuota in front of the simulated cluster's workload controllers:
// the ReplicaSet's pods get the LimitRange's defaults, the replica the quota refuses shows as
// upstream's FailedCreate event and ReplicaFailure condition, and raising the quota lets the
// controller's retry create it (src/apiserver/limitranger, src/apiserver/quota).
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { describeNeeds } from '../support/index.js';
import { deployment, eventsFor, eventually, pods, startEnv, type Env, type Obj } from './harness.js';

const RS = { apiVersion: 'apps/v1', kind: 'ReplicaSet' };
const QUOTA = { apiVersion: 'v1', kind: 'ResourceQuota' };

describeNeeds('simulated cluster: LimitRange and ResourceQuota', { simulatedNodes: true }, () => {
  let env: Env;
  before(async () => {
    env = await startEnv({ nodes: 2 });
  });
  after(async () => { await env?.stop(); });

  it('a Deployment past its quota: defaults, FailedCreate/ReplicaFailure with the quota text, then the retry after the quota grows', async () => {
    const { client, ns } = env;
    await client.create({ apiVersion: 'v1', kind: 'LimitRange', metadata: { name: 'capped-defaults', namespace: ns }, spec: { limits: [{ type: 'Container', default: { cpu: '200m', memory: '128Mi' } }] } });
    await client.create({ ...QUOTA, metadata: { name: 'capped', namespace: ns }, spec: { hard: { 'count/pods': '2', 'limits.cpu': '1' } } });
    await eventually('quota status', async () => (await client.get<Obj>(QUOTA, 'capped', { namespace: ns })).status?.used);
    await client.create(deployment('capped', 3, { namespace: ns }));
    const running = await eventually('2 capped pods', async () => {
      const ps = await pods(client, 'app=capped', ns);
      return ps.length === 2 ? ps : undefined;
    });
    for (const p of running) {
      assert.deepEqual(p.spec.containers[0].resources, { limits: { cpu: '200m', memory: '128Mi' }, requests: { cpu: '100m', memory: '64Mi' } });
      assert.equal(p.metadata.annotations?.['kubernetes.io/limit-ranger'], 'LimitRanger plugin set: cpu, memory limit for container app');
      assert.equal(p.status.qosClass, 'Burstable');
    }
    const rs = await eventually('ReplicaFailure', async () => {
      const list = (await client.list<Obj>(RS, { namespace: ns, labelSelector: 'app=capped' })).items as Obj[];
      return list.find((r) => r.status?.conditions?.some((c: Obj) => c.type === 'ReplicaFailure'));
    });
    const failure = rs.status.conditions.find((c: Obj) => c.type === 'ReplicaFailure');
    assert.equal(failure.reason, 'FailedCreate');
    assert.match(failure.message, new RegExp(`^pods "${rs.metadata.name}-[a-z0-9]{5}" is forbidden: exceeded quota: capped, requested: count/pods=1, used: count/pods=2, limited: count/pods=2$`));
    await eventually('FailedCreate event', async () => (await eventsFor(client, rs.metadata.name!, ns)).find((e) => e.reason === 'FailedCreate'
      && /^Error creating: pods "capped-[a-z0-9]+-[a-z0-9]{5}" is forbidden: exceeded quota: capped, requested: count\/pods=1, used: count\/pods=2, limited: count\/pods=2$/.test(e.message)));
    const used = (await client.get<Obj>(QUOTA, 'capped', { namespace: ns })).status.used;
    assert.deepEqual(used, { 'count/pods': '2', 'limits.cpu': '400m' });
    // the quota grows: the ReplicaSet's retry creates the third replica and clears the condition
    await client.patch(QUOTA, 'capped', { spec: { hard: { 'count/pods': '3', 'limits.cpu': '1' } } }, { namespace: ns });
    await eventually('3 capped pods, condition cleared', async () => {
      const ps = await pods(client, 'app=capped', ns);
      const r = await client.get<Obj>(RS, rs.metadata.name!, { namespace: ns });
      return ps.length === 3 && !r.status?.conditions?.some((c: Obj) => c.type === 'ReplicaFailure') ? true : undefined;
    }, 30_000);
    assert.deepEqual((await client.get<Obj>(QUOTA, 'capped', { namespace: ns })).status.used, { 'count/pods': '3', 'limits.cpu': '600m' });
  });
});
