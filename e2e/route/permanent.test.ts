// Errors no retry fixes: a used-up route entry quota (VPC: 400 QuotaExceeded.VpcRouteEntryNum,
// "up to 200 custom route entries" per table) and a RAM policy that denies the controller
// (403 Forbidden.RAM). Both must be visible on the nodes (NetworkUnavailable=True with the
// reason, a Warning Event) instead of being retried quietly like throttling; and a controller
// that cannot complete a full sync must stop reporting ready.
import { after, it } from 'node:test';
import assert from 'node:assert/strict';
import { describeInProcess } from '../support/index.js';
import {
  createNode, customEntries, eventually, eventsFor, networkCondition, setRamPolicy, startRouteController, startRouteEnv,
  NodeKind, type Obj, type RouteEnv, type RunningController,
} from './harness.js';

/** The route controller's RAM permissions as docs/cloud.md lists them. */
const ROUTE_CONTROLLER_ALLOW = {
  Effect: 'Allow', Resource: '*',
  Action: ['vpc:DescribeVpcs', 'vpc:DescribeRouteTableList', 'vpc:DescribeRouteEntryList', 'vpc:CreateRouteEntry', 'vpc:DeleteRouteEntry', 'ecs:DescribeInstances'],
};

const condition = async (env: RouteEnv, name: string) => networkCondition(await env.client.get<Obj>(NodeKind, name));

describeInProcess('route controller and permanent cloud errors', 'needs a route quota, a RAM deny and a readiness probe of a controller of its own', () => {
  const envs: RouteEnv[] = [];
  const ctls: RunningController[] = [];
  after(async () => {
    for (const c of ctls) await c.stop();
    for (const e of envs) await e.stop();
  });

  it('a full route table (QuotaExceeded.VpcRouteEntryNum) is shown on the node that got no route, not retried as throttling', async () => {
    const env = await startRouteEnv({ cloud: { routeEntryQuota: 2 }, components: { nodeLifecycle: false, ipam: false } });
    envs.push(env);
    for (const n of ['q1', 'q2', 'q3']) await createNode(env, n, `172.16.${n.slice(1)}.0/24`);
    const ctl = await startRouteController(env);
    ctls.push(ctl);
    const c = await eventually('q3 NetworkUnavailable=True', async () => {
      const x = await condition(env, 'q3');
      return x?.status === 'True' ? x : undefined;
    }, 15_000);
    assert.equal(c.reason, 'NoRouteCreated');
    assert.match(c.message, /QuotaExceeded\.VpcRouteEntryNum/);
    const ev = await eventually('a Warning Event on q3', async () => (await eventsFor(env, 'q3')).find((e) => e.reason === 'CreateRouteFailed'));
    assert.equal(ev.type, 'Warning');
    assert.match(ev.message, /quota of vpc route entry num is exceeded/);
    assert.equal(customEntries(env).length, 2);
    const metrics = await ctl.registry.metrics();
    assert.match(metrics, /route_controller_route_operations_total\{verb="create",result="error"\} [1-9]/);
    assert.doesNotMatch(metrics, /route_controller_route_operations_total\{verb="create",result="throttled"\} [1-9]/);
  });

  it('a RAM policy denying the controller (Forbidden.RAM) sets NetworkUnavailable=True on the waiting nodes, fails readiness once the last full sync is too old, and heals when lifted', async () => {
    const env = await startRouteEnv({ components: { nodeLifecycle: false, ipam: false } });
    envs.push(env);
    // The controller's credential (the emulator's AccessKey, RAM user `kubeloop`) carries the
    // documented route-controller policy (docs/cloud.md) with an `Effect: Deny` statement added on
    // the route entry actions: the table itself can still be described at start-up.
    await setRamPolicy(env, 'kubeloop', 'route-controller', [ROUTE_CONTROLLER_ALLOW, { Effect: 'Deny', Action: ['vpc:DescribeRouteEntryList', 'vpc:CreateRouteEntry'], Resource: '*' }]);
    await createNode(env, 'd1', '172.16.21.0/24');
    const ctl = await startRouteController(env, { routeSyncMaxAge: '2s' }, env.api.vpc, { probes: true });
    ctls.push(ctl);
    const c = await eventually('d1 NetworkUnavailable=True', async () => {
      const x = await condition(env, 'd1');
      return x?.status === 'True' ? x : undefined;
    }, 15_000);
    assert.match(c.message, /Forbidden\.RAM/);
    const ev = await eventually('a Warning Event on d1', async () => (await eventsFor(env, 'd1')).find((e) => e.type === 'Warning'));
    assert.match(ev.message, /Forbidden\.RAM/);
    const readyz = async () => (await fetch(`${ctl.manager.healthProbeUrl}/readyz`)).status;
    await eventually('readyz fails: no full sync yet', async () => (await readyz()) === 500);
    assert.match(await ctl.registry.metrics(), /route_controller_last_full_sync_timestamp_seconds\{route_table="[^"]+"\} 0/);
    // the policy is `Allow` again
    await setRamPolicy(env, 'kubeloop', 'route-controller', [ROUTE_CONTROLLER_ALLOW]);
    await eventually('d1 routed once the policy is lifted', async () => (await condition(env, 'd1'))?.reason === 'RouteCreated', 30_000);
    await eventually('readyz passes again', async () => (await readyz()) === 200);
    const m = /route_controller_last_full_sync_timestamp_seconds\{route_table="[^"]+"\} ([0-9.e+]+)/.exec(await ctl.registry.metrics());
    assert.ok(m && Math.abs(Number(m[1]) - Date.now() / 1000) < 30, `a recent sync time: ${m?.[1]}`);
  });
});
