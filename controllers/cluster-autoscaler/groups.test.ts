import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CloudError, type ScalingApi, type ScalingGroup, type ScalingInstance } from '../cloud/index.js';
import { NodeGroupSource } from './groups.js';

function group(id: string, extra: Partial<ScalingGroup> = {}): ScalingGroup {
  return {
    scalingGroupId: id, scalingGroupName: id, regionId: 'cn-hangzhou', minSize: 0, maxSize: 20, desiredCapacity: 2, activeCapacity: 2, pendingCapacity: 0,
    totalCapacity: 2, activeScalingConfigurationId: `asc-${id}`, vpcId: 'vpc-1', vSwitchIds: ['vsw-1'], zoneIds: ['cn-hangzhou-h'], lifecycleState: 'Active',
    tags: {}, ...extra,
  };
}

function fakeEss(groups: ScalingGroup[], opts: { failConfigsOf?: string; failBatch?: boolean } = {}): ScalingApi & { calls: string[] } {
  const calls: string[] = [];
  const api = {
    calls,
    async listScalingGroups(f: { scalingGroupIds?: string[]; tags?: Record<string, string> } = {}) {
      calls.push(`list:${f.scalingGroupIds?.join(',') ?? JSON.stringify(f.tags)}`);
      if (f.scalingGroupIds && opts.failBatch) throw new CloudError('Unavailable', 'ServiceUnavailable', 'down', 'ess', 'DescribeScalingGroups', 503);
      return groups.filter((g) => (!f.scalingGroupIds || f.scalingGroupIds.includes(g.scalingGroupId))
        && Object.entries(f.tags ?? {}).every(([k, v]) => g.tags[k] === v));
    },
    async getScalingGroup(id: string) {
      calls.push(`get:${id}`);
      const g = groups.find((x) => x.scalingGroupId === id);
      if (!g) throw new CloudError('NotFound', 'InvalidScalingGroupId.NotFound', `scaling group ${id} not found`, 'ess', 'DescribeScalingGroups', 404);
      return g;
    },
    async listScalingConfigurations(id: string) {
      if (id === opts.failConfigsOf) throw new Error('boom');
      return [{
        scalingConfigurationId: `asc-${id}`, scalingConfigurationName: id, scalingGroupId: id, instanceType: 'ecs.g7.xlarge', instanceTypes: [], imageId: 'img',
        lifecycleState: 'Active', userData: '', nodeLabels: { pool: id }, nodeTaints: [{ key: 'k', value: 'v', effect: 'NoSchedule' }], tags: { tier: 'web', pool: 'from-tag' },
      }];
    },
    async listScalingInstances(id: string): Promise<ScalingInstance[]> {
      return Array.from({ length: 12 }, (_, i) => ({ instanceId: `i-${id}-${i}`, scalingGroupId: id, scalingConfigurationId: '', lifecycleState: 'InService', healthStatus: 'Healthy', creationType: 'AutoCreated', creationTime: '', zoneId: '' }));
    },
    async describeInstanceTypes(ids?: string[]) {
      calls.push(`types:${ids?.join(',')}`);
      return [{ instanceTypeId: 'ecs.g7.xlarge', instanceTypeFamily: 'ecs.g7', cpuCoreCount: 4, memoryGiB: 16, gpuAmount: 0, gpuSpec: '' }];
    },
  };
  return api as unknown as ScalingApi & { calls: string[] };
}

describe('node groups from ESS', () => {
  it('builds templates from the active configuration, clamps --nodes limits to the group, caches instance types', async () => {
    const ess = fakeEss([group('asg-a', { minSize: 1, maxSize: 5 }), group('asg-b')]);
    const src = new NodeGroupSource(ess, { nodes: [{ min: 0, max: 10, id: 'asg-a' }, { min: 2, max: 4, id: 'asg-b' }], autoDiscovery: [] }, 'cn-hangzhou');
    const { groups, errors } = await src.load();
    assert.deepEqual(errors, []);
    const a = groups.find((g) => g.info.id === 'asg-a')!;
    assert.deepEqual([a.info.min, a.info.max, a.info.target], [1, 5, 2]);
    assert.equal(a.instances.length, 12, 'all instances, past 10');
    assert.equal(a.info.template.allocatable.cpu, 3920, '4 cores less ACK\'s 80m reservation');
    assert.equal(a.info.template.labels['topology.kubernetes.io/zone'], 'cn-hangzhou-h');
    assert.equal(a.info.template.labels.pool, 'asg-a', 'user data --node-labels win over a tag of the same key');
    assert.equal(a.info.template.labels.tier, 'web', 'the configuration\'s tags are node labels, as upstream alicloud reads them');
    assert.deepEqual(a.info.template.taints, [{ key: 'k', value: 'v', effect: 'NoSchedule' }]);
    const b = groups.find((g) => g.info.id === 'asg-b')!;
    assert.deepEqual([b.info.min, b.info.max], [2, 4]);
    assert.ok(ess.calls.includes('list:asg-a,asg-b'), 'static groups read in one call');
    await src.load();
    assert.equal(ess.calls.filter((c) => c.startsWith('types:')).length, 1);
  });

  it('one failing group is marked unhealthy and the others load; a failed batch read falls back to one by one', async () => {
    const ess = fakeEss([group('asg-a'), group('asg-b')], { failConfigsOf: 'asg-b', failBatch: true });
    const src = new NodeGroupSource(ess, { nodes: [{ min: 0, max: 3, id: 'asg-a' }, { min: 0, max: 3, id: 'asg-b' }, { min: 0, max: 3, id: 'asg-gone' }], autoDiscovery: [] }, 'cn-hangzhou');
    const { groups, errors } = await src.load();
    assert.equal(groups.find((g) => g.info.id === 'asg-a')!.info.unhealthy, undefined);
    assert.equal(groups.find((g) => g.info.id === 'asg-b')!.info.unhealthy, 'boom');
    assert.match(groups.find((g) => g.info.id === 'asg-gone')!.info.unhealthy!, /not found/);
    assert.equal(errors.length, 2);
  });

  it('a group without a desired capacity is as big as its instances (upstream GetAsgSize without EnableDesiredCapacity)', async () => {
    const ess = fakeEss([group('asg-a', { desiredCapacity: undefined })]);
    const src = new NodeGroupSource(ess, { nodes: [{ min: 0, max: 20, id: 'asg-a' }], autoDiscovery: [] }, 'cn-hangzhou');
    const { groups } = await src.load();
    assert.equal(groups[0].info.target, 12);
  });

  it('auto-discovers groups by tag, min/max from the group, static --nodes win', async () => {
    const ess = fakeEss([group('asg-a', { tags: { team: 'x' }, minSize: 1, maxSize: 7 }), group('asg-b', { tags: { team: 'y' } }), group('asg-c', { tags: { team: 'x' } })]);
    const src = new NodeGroupSource(ess, { nodes: [{ min: 0, max: 2, id: 'asg-c' }], autoDiscovery: [{ team: 'x' }] }, 'cn-hangzhou');
    const { groups } = await src.load();
    assert.deepEqual(groups.map((g) => `${g.info.id}:${g.info.min}:${g.info.max}:${g.source}`).sort(), ['asg-a:1:7:auto-discovered', 'asg-c:0:2:static']);
  });
});
