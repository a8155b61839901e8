// ESS capacity semantics as ESS documents them: which instances go when the desired capacity
// is lowered (removal policies, default OldestScalingConfiguration then OldestInstance), and
// RemoveInstances by id with or without decreasing the desired capacity.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Cloud } from './cloud.js';
import { essService } from './ess.js';
import type { RpcContext } from './rpc.js';
import { defaultCloud, isoNow, type RemovalPolicy } from './state.js';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const timings = { bootDelayMs: 0, routeSettleMs: 0, registryTokenLifetimeMs: 3_600_000, registryBearerLifetimeMs: 300_000 };

/** A cloud whose group got one instance per minute, `n` of them, all booted. */
function grown(n: number, policies?: RemovalPolicy[]) {
  const cloud = new Cloud(defaultCloud({ groupMinSize: 0, groupMaxSize: 10 }), timings);
  cloud.stop();
  const g = cloud.state.scalingGroups[0];
  if (policies) g.removalPolicies = policies;
  for (let i = 1; i <= n; i++) { g.desiredCapacity = i; cloud.reconcileGroup(g, T0 + i * 60_000); }
  cloud.tick(T0 + (n + 1) * 60_000);
  cloud.stop();
  const ids = cloud.groupInstances(g.scalingGroupId).map((x) => x.instanceId);
  return { cloud, g, ids };
}

const members = (cloud: Cloud, id: string) => cloud.groupInstances(id).map((x) => x.instanceId);

describe('emulator: ESS removal policies and RemoveInstances', () => {
  it('lowering the desired capacity removes the oldest instances by default (OldestScalingConfiguration, OldestInstance)', () => {
    const { cloud, g, ids } = grown(3);
    g.desiredCapacity = 1;
    cloud.reconcileGroup(g, T0 + 10 * 60_000);
    assert.deepEqual(members(cloud, g.scalingGroupId), [ids[2]], 'the newest stays');
  });

  it('NewestInstance removes the newest; OldestScalingConfiguration first takes the oldest configuration', () => {
    const newest = grown(3, ['NewestInstance']);
    newest.g.desiredCapacity = 1;
    newest.cloud.reconcileGroup(newest.g, T0 + 10 * 60_000);
    assert.deepEqual(members(newest.cloud, newest.g.scalingGroupId), [newest.ids[0]]);

    const { cloud, g, ids } = grown(2, ['OldestScalingConfiguration', 'NewestInstance']);
    // a newer configuration becomes active; the next instance is made from it
    const old = cloud.state.scalingConfigurations[0];
    old.creationTime = isoNow(T0);
    cloud.state.scalingConfigurations.push({ ...old, scalingConfigurationId: 'asc-new', creationTime: isoNow(T0 + 5 * 60_000) });
    g.activeScalingConfigurationId = 'asc-new';
    g.desiredCapacity = 3;
    cloud.reconcileGroup(g, T0 + 6 * 60_000);
    const fresh = members(cloud, g.scalingGroupId).find((x) => !ids.includes(x))!;
    g.desiredCapacity = 1;
    cloud.reconcileGroup(g, T0 + 10 * 60_000);
    assert.deepEqual(members(cloud, g.scalingGroupId), [fresh], 'both instances of the old configuration went first, though NewestInstance alone would take the new one');
  });

  it('RemoveInstances removes exactly the named instances, decreasing the desired capacity unless told not to', () => {
    const { cloud, g, ids } = grown(3);
    const ctx = { cloud, now: T0 + 20 * 60_000 } as RpcContext;
    essService.handlers.RemoveInstances({ ScalingGroupId: g.scalingGroupId, 'InstanceId.1': ids[2] }, ctx);
    assert.deepEqual(members(cloud, g.scalingGroupId), [ids[0], ids[1]]);
    assert.equal(g.desiredCapacity, 2);
    essService.handlers.RemoveInstances({ ScalingGroupId: g.scalingGroupId, 'InstanceId.1': ids[0], DecreaseDesiredCapacity: 'false' }, ctx);
    const after = members(cloud, g.scalingGroupId);
    assert.equal(g.desiredCapacity, 2, 'kept');
    assert.equal(after.length, 2, 'ESS launched a replacement');
    assert.ok(after.includes(ids[1]) && !after.includes(ids[0]));
    g.minSize = 2;
    assert.throws(() => essService.handlers.RemoveInstances({ ScalingGroupId: g.scalingGroupId, 'InstanceId.1': ids[1] }, ctx), /MinSize/);
  });

  it('reports the policies; ModifyScalingGroup sets them', () => {
    const { cloud, g } = grown(1);
    const ctx = { cloud, now: T0 } as RpcContext;
    const view = () => (essService.handlers.DescribeScalingGroups({ RegionId: cloud.state.regionId }, ctx) as any).ScalingGroups.ScalingGroup[0].RemovalPolicies.RemovalPolicy;
    assert.deepEqual(view(), ['OldestScalingConfiguration', 'OldestInstance']);
    essService.handlers.ModifyScalingGroup({ ScalingGroupId: g.scalingGroupId, 'RemovalPolicy.1': 'NewestInstance' }, ctx);
    assert.deepEqual(view(), ['NewestInstance']);
    assert.throws(() => essService.handlers.ModifyScalingGroup({ ScalingGroupId: g.scalingGroupId, 'RemovalPolicy.1': 'Whatever' }, ctx), /not valid/);
  });
});
