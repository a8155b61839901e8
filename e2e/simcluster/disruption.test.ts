// PodDisruptionBudget status from the disruption controller, and draining through the eviction API
// (any cluster: in external mode in a namespace of the suite's own).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isTooManyRequests } from '../../src/api/index.js';
import { KubeClient, loadKubeConfig } from '../../src/client/index.js';
import { deployment, eventually, isReady, pods, startEnv, type Env, type Obj } from './harness.js';

const PDB = { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget' };

describe('simulated cluster: disruption budgets and eviction', () => {
  let env: Env;
  // replacements take 1.5 s from Started to Ready, so an eviction right after another one meets the budget
  before(async () => { env = await startEnv({ nodes: 3, timings: { containerStartMs: 1_500 } }); });
  after(async () => { direct?.close(); await env?.stop(); });

  // no client-side retries of 429 here (the client retries them like client-go does)
  let direct: KubeClient;
  const evict = (name: string) => (direct ??= new KubeClient(loadKubeConfig({ kubeconfig: env.kubeconfig }), { maxRetries: 0 })).transport.requestJSON({
    method: 'POST', path: `/api/v1/namespaces/${env.ns}/pods/${name}/eviction`,
    body: JSON.stringify({ apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name, namespace: env.ns } }),
  });
  const pdb = (name: string) => env.client.get<Obj>(PDB, name, { namespace: env.ns });

  it('computes PDB status for maxUnavailable, minAvailable and percentages', async () => {
    const { client } = env;
    await client.create(deployment('calc', 4, { namespace: env.ns }));
    await eventually('4 ready', async () => (await pods(client, 'app=calc', env.ns)).filter(isReady).length === 4);
    await client.create({ apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'calc-max', namespace: env.ns }, spec: { maxUnavailable: '50%', selector: { matchLabels: { app: 'calc' } } } });
    await client.create({ apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'calc-min', namespace: env.ns }, spec: { minAvailable: 3, selector: { matchLabels: { app: 'calc' } } } });
    await client.create({ apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'calc-pct', namespace: env.ns }, spec: { minAvailable: '30%', selector: { matchLabels: { app: 'calc' } } } });
    const st = async (n: string) => eventually(`${n} status`, async () => { const p = await pdb(n); return p.status?.observedGeneration === p.metadata.generation && p.status?.currentHealthy === 4 ? p.status : undefined; });
    const max = await st('calc-max');
    assert.deepEqual([max.expectedPods, max.desiredHealthy, max.currentHealthy, max.disruptionsAllowed], [4, 2, 4, 2]);
    assert.equal(max.conditions.find((c: any) => c.type === 'DisruptionAllowed').reason, 'SufficientPods');
    const min = await st('calc-min');
    assert.deepEqual([min.expectedPods, min.desiredHealthy, min.disruptionsAllowed], [4, 3, 1]);
    const pct = await st('calc-pct');
    assert.deepEqual([pct.expectedPods, pct.desiredHealthy, pct.disruptionsAllowed], [4, 2, 2]);
    // scaling the deployment changes the expected count
    await client.patch({ apiVersion: 'apps/v1', kind: 'Deployment' }, 'calc', { spec: { replicas: 2 } }, { namespace: env.ns });
    const after = await eventually('calc-max follows the scale', async () => { const p = await pdb('calc-max'); return p.status?.expectedPods === 2 && p.status?.currentHealthy === 2 ? p.status : undefined; });
    assert.deepEqual([after.desiredHealthy, after.disruptionsAllowed], [1, 1]);
  });

  it('drains a 3-replica deployment under maxUnavailable 1: the second eviction waits for the replacement', async () => {
    const { client } = env;
    await client.create(deployment('drain', 3, { namespace: env.ns }));
    await client.create({ apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'drain', namespace: env.ns }, spec: { maxUnavailable: 1, selector: { matchLabels: { app: 'drain' } } } });
    const original = await eventually('3 ready and 1 disruption allowed', async () => {
      const ps = (await pods(client, 'app=drain', env.ns)).filter(isReady);
      const p = await pdb('drain');
      return ps.length === 3 && p.status?.disruptionsAllowed === 1 && p.status?.currentHealthy === 3 ? ps.map((x) => x.metadata.name!) : undefined;
    });
    const evicted = new Set<string>();
    await evict(original[0]);
    evicted.add(original[0]);
    await assert.rejects(evict(original[1]), (err: unknown) => {
      assert.ok(isTooManyRequests(err), `429, got ${String(err)}`);
      assert.match((err as Error).message, /Cannot evict pod as it would violate the pod's disruption budget/);
      return true;
    });
    for (const name of original.slice(1)) {
      // retry like `kubectl drain` until the budget allows it again
      await eventually(`eviction of ${name} admitted`, async () => {
        try { await evict(name); return true; } catch (err) { if (isTooManyRequests(err)) return false; throw err; }
      }, 20_000);
      evicted.add(name);
    }
    const final = await eventually('3 ready replacements', async () => {
      const ps = (await pods(client, 'app=drain', env.ns)).filter((p) => isReady(p) && !p.metadata.deletionTimestamp);
      return ps.length === 3 ? ps : undefined;
    });
    assert.ok(final.every((p) => !evicted.has(p.metadata.name!)), 'all original pods were replaced');
    const s = await eventually('budget back', async () => { const p = await pdb('drain'); return p.status?.disruptionsAllowed === 1 ? p.status : undefined; });
    assert.equal(s.currentHealthy, 3);
  });
});
