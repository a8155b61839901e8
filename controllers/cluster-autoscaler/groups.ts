/**
 * Node groups on ESS: which scaling groups (`--nodes` or tag auto-discovery), their size
 * limits, members, and template node (instance type from the active scaling configuration,
 * zones of the group's vSwitches, labels from the configuration's tags and user data, taints
 * from its user data).
 * Every group is read on its own: one that fails is reported unhealthy and the others go on.
 */
import type { InstanceType, ScalingApi, ScalingGroup, ScalingInstance } from '../cloud/index.js';
import type { AutoscalerConfig } from './config.js';
import { templateNode, type GroupInfo } from './model.js';

export interface GroupState {
  info: GroupInfo;
  /** the ESS group as read (undefined when it could not be read) */
  group?: ScalingGroup;
  instances: ScalingInstance[];
  /** min/max from --nodes, else from the group */
  source: 'static' | 'auto-discovered';
}

const errText = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** Reads scaling groups and keeps instance types (they do not change) between loops. */
export class NodeGroupSource {
  private readonly types = new Map<string, Promise<InstanceType>>();
  /** last good template per group, so a failing configuration read does not lose it */
  private readonly lastTemplate = new Map<string, GroupInfo['template']>();

  constructor(private readonly ess: ScalingApi, private readonly config: Pick<AutoscalerConfig, 'nodes' | 'autoDiscovery'>, private readonly region: string) {}

  private instanceType(id: string): Promise<InstanceType> {
    // the promise is cached, so groups read in parallel share one DescribeInstanceTypes call
    let t = this.types.get(id);
    if (!t) {
      t = this.ess.describeInstanceTypes([id]).then((found) => {
        const x = found.find((y) => y.instanceTypeId === id);
        if (!x) throw new Error(`instance type ${id} is unknown in this region`);
        return x;
      });
      t.catch(() => this.types.delete(id));
      this.types.set(id, t);
    }
    return t;
  }

  /** Every group, each either read completely or marked unhealthy with the error. */
  async load(): Promise<{ groups: GroupState[]; errors: string[] }> {
    const errors: string[] = [];
    const wanted = new Map<string, { min?: number; max?: number; group?: ScalingGroup; source: GroupState['source'] }>();
    for (const n of this.config.nodes) wanted.set(n.id, { min: n.min, max: n.max, source: 'static' });
    for (const tags of this.config.autoDiscovery) {
      try {
        for (const g of await this.ess.listScalingGroups({ tags })) {
          if (!wanted.has(g.scalingGroupId)) wanted.set(g.scalingGroupId, { group: g, source: 'auto-discovered' });
        }
      } catch (err) {
        errors.push(`auto-discovery by tags ${JSON.stringify(tags)}: ${errText(err)}`);
      }
    }
    // the static groups in one DescribeScalingGroups call; when that fails each is read on
    // its own below, so one broken group cannot hide the others
    const unread = [...wanted].filter(([, w]) => !w.group).map(([id]) => id);
    if (unread.length > 1) {
      try {
        const found = new Map((await this.ess.listScalingGroups({ scalingGroupIds: unread })).map((g) => [g.scalingGroupId, g]));
        for (const id of unread) {
          const g = found.get(id);
          if (g) wanted.get(id)!.group = g;
        }
      } catch { /* read one by one */ }
    }
    const groups = await Promise.all([...wanted].map(([id, w]) => this.loadOne(id, w)));
    for (const g of groups) if (g.info.unhealthy) errors.push(`node group ${g.info.id}: ${g.info.unhealthy}`);
    return { groups, errors };
  }

  private async loadOne(id: string, w: { min?: number; max?: number; group?: ScalingGroup; source: GroupState['source'] }): Promise<GroupState> {
    const fallback = this.lastTemplate.get(id) ?? templateNode({ groupId: id, instanceType: 'unknown', cpuCores: 0, memoryGiB: 0, gpus: 0, region: this.region, zones: [], labels: {}, taints: [] });
    try {
      const group = w.group ?? await this.ess.getScalingGroup(id);
      const [configs, instances] = await Promise.all([this.ess.listScalingConfigurations(id), this.ess.listScalingInstances(id)]);
      const sc = configs.find((c) => c.scalingConfigurationId === group.activeScalingConfigurationId) ?? configs[0];
      if (!sc) throw new Error('the scaling group has no scaling configuration');
      const type = await this.instanceType(sc.instanceType || sc.instanceTypes[0]);
      const template = templateNode({
        groupId: id, instanceType: type.instanceTypeId, cpuCores: type.cpuCoreCount, memoryGiB: type.memoryGiB, gpus: type.gpuAmount,
        // node labels: the configuration's tags, as upstream's alicloud provider reads them
        // (cloudprovider/alicloud alicloud_manager.go buildGenericLabels appends the active
        // configuration's Tags), and the kubelet's --node-labels from its user data, which is
        // what the nodes really register with; taints: the user data's --register-with-taints
        region: group.regionId || this.region, zones: group.zoneIds, labels: { ...sc.tags, ...sc.nodeLabels }, taints: sc.nodeTaints ?? [],
      });
      this.lastTemplate.set(id, template);
      // --nodes limits, kept inside what ESS itself accepts for the desired capacity
      const min = Math.max(w.min ?? group.minSize, group.minSize);
      const max = Math.min(w.max ?? group.maxSize, group.maxSize);
      const live = instances.filter((i) => !/^(Removing|Removed)$/.test(i.lifecycleState));
      return {
        info: { id, min, max, target: group.desiredCapacity ?? live.length, template },
        group, instances, source: w.source,
      };
    } catch (err) {
      return {
        info: { id, min: w.min ?? 0, max: w.max ?? 0, target: 0, template: fallback, unhealthy: errText(err) },
        instances: [], source: w.source,
      };
    }
  }
}
