/**
 * The emulated cloud's engine: owns the state, advances time-driven transitions
 * (instances booting, route entries settling), publishes instance lifecycle events and
 * tells the persister when something changed. Protocol handlers mutate the state
 * through it.
 */
import { EventEmitter } from 'node:events';
import {
  decodeUserData, isoNow, newId, type CloudState, type Instance, type ScalingGroup,
} from './state.js';

/** Thrown by handlers; rendered in each protocol's own error shape. */
export class SimError extends Error {
  constructor(readonly code: string, message: string, readonly status = 400) {
    super(message);
    this.name = 'SimError';
  }
}

export type InstanceEventType = 'Pending' | 'Active' | 'Removing' | 'Removed';

/** What the simulated cluster needs to turn an instance into a Node. */
export interface InstanceEvent {
  type: InstanceEventType;
  /** epoch ms */
  at: number;
  instanceId: string;
  /** `<region>.<instanceId>`, the form ACK nodes carry in `spec.providerID` */
  providerId: string;
  hostName: string;
  instanceType: string;
  cpuCoreCount: number;
  memoryGiB: number;
  gpuAmount: number;
  regionId: string;
  zoneId: string;
  privateIpAddress: string;
  scalingGroupId?: string;
  nodeLabels: Record<string, string>;
  nodeTaints: Array<{ key: string; value?: string; effect: string }>;
}

export interface CloudTimings {
  /** how long a new instance stays Pending before it is InService/Running (default 500 ms) */
  bootDelayMs: number;
  /** how long a written route entry stays Pending (default 50 ms); writes to the table conflict meanwhile */
  routeSettleMs: number;
  /** lifetime of ACR temporary credentials (default 1 h) */
  registryTokenLifetimeMs: number;
  /** lifetime of registry bearer tokens (default 5 min, never beyond the credentials) */
  registryBearerLifetimeMs: number;
}

export class Cloud {
  readonly events = new EventEmitter();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(public state: CloudState, readonly timings: CloudTimings) {
    this.events.setMaxListeners(0);
  }

  /** Notes a state change (persistence listens to 'changed'). */
  changed(): void {
    this.events.emit('changed');
  }

  /** Applies every transition that is due and arms a timer for the next one. */
  tick(now = Date.now()): void {
    let dirty = false;
    for (const table of this.state.routeTables) {
      const before = table.entries.length;
      table.entries = table.entries.filter((e) => !(e.status === 'Deleting' && (e.settlesAt ?? 0) <= now));
      if (table.entries.length !== before) dirty = true;
      for (const e of table.entries) {
        if (e.status === 'Pending' && (e.settlesAt ?? 0) <= now) {
          e.status = 'Available';
          delete e.settlesAt;
          dirty = true;
        }
      }
    }
    for (const inst of this.state.instances) {
      if (inst.status === 'Pending' && inst.bootsAt !== undefined && inst.bootsAt <= now) {
        inst.status = 'Running';
        delete inst.bootsAt;
        if (inst.lifecycleState === 'Pending') inst.lifecycleState = 'InService';
        dirty = true;
        this.emitInstance('Active', inst, now);
      }
    }
    if (dirty) this.changed();
    this.arm(now);
  }

  private arm(now: number): void {
    if (this.stopped) return;
    let next = Infinity;
    for (const t of this.state.routeTables) for (const e of t.entries) if (e.settlesAt !== undefined) next = Math.min(next, e.settlesAt);
    for (const i of this.state.instances) if (i.bootsAt !== undefined) next = Math.min(next, i.bootsAt);
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (next === Infinity) return;
    this.timer = setTimeout(() => this.tick(), Math.max(0, next - now) + 1);
    this.timer.unref();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  instanceEvent(type: InstanceEventType, inst: Instance, at = Date.now()): InstanceEvent {
    const it = this.state.instanceTypes.find((t) => t.instanceTypeId === inst.instanceType);
    const sc = this.state.scalingConfigurations.find((c) => c.scalingConfigurationId === inst.scalingConfigurationId);
    const ud = sc ? decodeUserData(sc.userData) : { labels: {}, taints: [] };
    return {
      type, at, instanceId: inst.instanceId, providerId: `${inst.regionId}.${inst.instanceId}`, hostName: inst.hostName,
      instanceType: inst.instanceType, cpuCoreCount: it?.cpuCoreCount ?? 0, memoryGiB: it?.memorySize ?? 0,
      gpuAmount: it?.gpuAmount ?? 0, regionId: inst.regionId, zoneId: inst.zoneId, privateIpAddress: inst.privateIpAddress,
      scalingGroupId: inst.scalingGroupId, nodeLabels: ud.labels, nodeTaints: ud.taints,
    };
  }

  emitInstance(type: InstanceEventType, inst: Instance, at = Date.now()): void {
    this.events.emit('instance', this.instanceEvent(type, inst, at));
  }

  // ---- ESS capacity management, shared by ModifyScalingGroup, RemoveInstances and /_sim ----

  groupInstances(groupId: string): Instance[] {
    return this.state.instances.filter((i) => i.scalingGroupId === groupId);
  }

  /** Launches or releases instances until the group has `desiredCapacity` members. */
  reconcileGroup(group: ScalingGroup, now = Date.now()): void {
    const members = this.groupInstances(group.scalingGroupId);
    if (members.length < group.desiredCapacity) {
      for (let n = members.length; n < group.desiredCapacity; n++) this.launch(group, now);
    } else if (members.length > group.desiredCapacity) {
      // newest first, as ESS's default removal policy (after the oldest configuration)
      const victims = [...members].sort((a, b) => b.creationTime.localeCompare(a.creationTime) || b.instanceId.localeCompare(a.instanceId))
        .slice(0, members.length - group.desiredCapacity);
      for (const v of victims) this.release(v, now);
    }
    this.changed();
    this.arm(now);
  }

  private launch(group: ScalingGroup, now: number): Instance {
    const sc = this.state.scalingConfigurations.find((c) => c.scalingConfigurationId === group.activeScalingConfigurationId);
    if (!sc) throw new SimError('InvalidScalingConfigurationId.NotFound', 'The active scaling configuration of the group does not exist.', 404);
    const index = this.groupInstances(group.scalingGroupId).length;
    const z = group.vSwitchIds.length ? index % group.vSwitchIds.length : 0;
    const seq = this.state.ipSeq++;
    const vpc = this.state.vpcs.find((v) => v.vpcId === group.vpcId);
    const base = (vpc?.cidrBlock ?? '192.168.0.0/16').split('/')[0].split('.').map(Number);
    const ip = `${base[0]}.${base[1]}.${Math.floor(seq / 250) % 250}.${(seq % 250) + 2}`;
    const instanceId = newId('i');
    const bootDelay = group.bootDelayMs ?? this.timings.bootDelayMs;
    const inst: Instance = {
      instanceId, instanceName: `${group.scalingGroupName}-${instanceId.slice(2, 8)}`,
      hostName: `${this.state.regionId}.${ip}`, instanceType: sc.instanceType, regionId: group.regionId,
      zoneId: group.zoneIds[z] ?? `${group.regionId}-k`, vpcId: group.vpcId, vSwitchId: group.vSwitchIds[z] ?? '',
      privateIpAddress: ip, status: 'Pending', creationTime: isoNow(now),
      tags: [...sc.tags, { key: 'acs:autoscaling:scalingGroupId', value: group.scalingGroupId }],
      bootsAt: bootDelay < 0 ? undefined : now + bootDelay, scalingGroupId: group.scalingGroupId,
      scalingConfigurationId: sc.scalingConfigurationId, lifecycleState: 'Pending', creationType: 'AutoCreated',
    };
    this.state.instances.push(inst);
    this.emitInstance('Pending', inst, now);
    return inst;
  }

  /** Removes an instance from its group and releases it (AutoCreated instances are deleted by ESS). */
  release(inst: Instance, now = Date.now()): void {
    inst.lifecycleState = 'Removing';
    this.emitInstance('Removing', inst, now);
    if (inst.creationType === 'Attached') {
      delete inst.scalingGroupId;
      delete inst.scalingConfigurationId;
      delete inst.lifecycleState;
      delete inst.creationType;
    } else {
      this.state.instances = this.state.instances.filter((i) => i !== inst);
    }
    this.emitInstance('Removed', inst, now);
    this.changed();
  }
}
