// 500 nodes converge, with cloud calls near one write per route plus a few listings
// (the emulator's /_sim/calls counts every API call, including the adapter's retries).
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { describeInProcess } from '../support/index.js';
import {
  cloudCalls, customEntries, eventually, networkCondition, nodes, startRouteController, startRouteEnv,
  type Obj, type RouteEnv, type RunningController,
} from './harness.js';

const N = 500;

describeInProcess('route controller at scale', 'routes hundreds of nodes with batch sizes and a quota of its own', () => {
  let env: RouteEnv;
  let ctl: RunningController;
  before(async () => {
    // 500 routes need a raised route entry quota (the default is 200 custom entries per table)
    env = await startRouteEnv({ cloud: { timings: { routeSettleMs: 0 }, routeEntryQuota: N }, components: { nodeLifecycle: false, ipam: false, nodes: false } });
  });
  after(async () => {
    await ctl?.stop();
    await env?.stop();
  });

  it(`routes ${N} nodes with about one cloud write per route`, async () => {
    const created: Promise<unknown>[] = [];
    for (let i = 0; i < N; i++) {
      created.push(env.client.create({
        apiVersion: 'v1', kind: 'Node', metadata: { name: `s${i}` },
        spec: { podCIDR: `172.16.${i >> 2}.${(i & 3) * 64}/26`, providerID: `cn-hangzhou.i-s${i}` },
      } as Obj));
      if (created.length >= 32) await Promise.all(created.splice(0));
    }
    await Promise.all(created);
    await cloudCalls(env, true);
    const t0 = Date.now();
    ctl = await startRouteController(env, { routeReconcileBatchSize: String(N), routeReconciliationPeriod: '1m' });
    await eventually(`${N} routes and conditions`, async () => {
      if (customEntries(env).length < N) return false;
      const ns = await nodes(env);
      return ns.length === N && ns.every((n) => networkCondition(n)?.reason === 'RouteCreated');
    }, 50_000);
    const ms = Date.now() - t0;
    const calls = await cloudCalls(env);
    console.log(`# ${N} nodes converged in ${ms} ms; cloud calls: ${JSON.stringify(calls)}`);
    assert.equal(calls.CreateRouteEntry, N, 'exactly one write per route');
    assert.equal(calls.DeleteRouteEntry ?? 0, 0);
    // each listing of a 500-entry table is 5-6 pages of 100; a handful of passes at most
    assert.ok((calls.DescribeRouteEntryList ?? 0) <= 30, `listings: ${calls.DescribeRouteEntryList}`);
    assert.equal(customEntries(env).length, N);
  });
});
