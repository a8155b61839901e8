// Route table discovery in a region with several VPCs and no --vpc-id / --route-table-ids:
// the route table is the one of the VPC the nodes' ECS instances are in (DescribeInstances
// VpcAttributes.VpcId); upstream reads the same VPC from the instance metadata of its node.
import { after, it } from 'node:test';
import assert from 'node:assert/strict';
import { describeInProcess } from '../support/index.js';
import { customEntries, eventually, networkCondition, nodes, startRouteController, startRouteEnv, type RouteEnv, type RunningController } from './harness.js';

describeInProcess('route table discovery', 'needs an emulator of its own with a second VPC, and a controller discovering the table', () => {
  let env: RouteEnv;
  let ctl: RunningController | undefined;
  after(async () => {
    await ctl?.stop();
    await env?.stop();
  });

  it('finds the route table of the nodes\' VPC in a region with another VPC', async () => {
    env = await startRouteEnv({
      cloudNodes: true,
      cloud: {
        cloud: { groupMinSize: 1, groupMaxSize: 2 }, timings: { bootDelayMs: 50 },
        // another team's VPC in the same region, listed first
        customize: (s) => {
          s.vpcs.unshift({ vpcId: 'vpc-other', vpcName: 'other', cidrBlock: '10.0.0.0/8', vRouterId: 'vrt-other', regionId: s.regionId, status: 'Available' });
          s.routeTables.unshift({ routeTableId: 'vtb-other', routeTableName: '', vpcId: 'vpc-other', vRouterId: 'vrt-other', routeTableType: 'System', entries: [] });
        },
      },
    });
    const ours = env.cloud.state.routeTables.find((t) => t.routeTableId !== 'vtb-other')!.routeTableId;
    await eventually('a node', async () => (await nodes(env)).some((n) => n.spec?.providerID));
    ctl = await startRouteController(env, { routeTableIds: undefined });
    await eventually('the node routed in its VPC\'s table', async () => (await nodes(env)).every((n) => networkCondition(n)?.reason === 'RouteCreated'));
    assert.equal(customEntries(env, ours).length, 1);
    assert.equal(customEntries(env, 'vtb-other').length, 0);
  });
});
