/**
 * The emulated cloud's engine: owns the state, advances time-driven transitions
 * (instances booting, route entries settling), publishes instance lifecycle events and
 * tells the persister when something changed. Protocol handlers mutate the state
 * through it.
 */
import { EventEmitter } from 'node:events';
import { ACK_NODE_MAX_PODS, ackAllocatable, ackNodeName, ackProviderId } from './ack-node.js';
import { recordScaleIn, recordScaleOut, settleActivities, type ActivityTrigger } from './activities.js';
import {
  DEFAULT_REMOVAL_POLICIES, decodeUserData, isoNow, newId, type CloudState, type Instance, type RemovalPolicy, type ScalingActivity, type ScalingGroup,
} from './state.js';

/** Thrown by handlers; rendered in each protocol's own error shape. */
export class SimError extends Error {
  /** `extra`: more fields of the error body (e.g. RAM's `AccessDeniedDetail`) */
  constructor(readonly code: string, message: string, readonly status = 400, readonly extra?: Record<string, unknown>) {
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
  /** the Node name ACK gives the instance: `<region>.<private-ip>` (a static node's own name if it has one) */
  nodeName: string;
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
  /** what ACK's kubelet configuration leaves allocatable (see ack-node.ts) */
  allocatable: { cpuMillis: number; memoryBytes: number };
  /** the node's max pods, which ACK's memory reservation counts with (see ack-node.ts) */
  maxPods: number;
  /** false when the node bootstrap fails: the instance runs but no Node registers */
  registers: boolean;
}

/** What `POST /_sim/instances` takes: a worker outside any scaling group (a static node). */
export interface StaticInstanceRequest {
  /** idempotency key: the same key returns the instance created before */
  key: string;
  /** Node name; default `<region>.<private-ip>` */
  nodeName?: string;
  /** a known instance type; default: one of the known types with this cpu/memory, else a custom size */
  instanceType?: string;
  cpuCoreCount?: number;
  memoryGiB?: number;
  gpuAmount?: number;
  zoneId?: string;
  nodeLabels?: Record<string, string>;
  nodeTaints?: Array<{ key: string; value?: string; effect: string }>;
}

export interface CloudTimings {
  /** how long a new instance stays Pending before it is InService/Running (default 500 ms) */
  bootDelayMs: number;
  /** how long a written route entry stays Pending (default 50 ms); writes to the table conflict meanwhile */
  routeSettleMs: number;
  /**
   * how long an instance ESS removes (RemoveInstances, a lowered desired capacity) stays
   * `Removing` before it leaves the group (default 200 ms; 0: at once). RemoveInstances is
   * asynchronous: "A successful call only indicates that Auto Scaling has accepted the request"
   * (https://www.alibabacloud.com/help/en/auto-scaling/developer-reference/api-ess-2014-08-28-removeinstances)
   */
  removeDelayMs?: number;
  /** lifetime of ACR temporary credentials (default 1 h) */
  registryTokenLifetimeMs: number;
  /** lifetime of registry bearer tokens (default 5 min, never beyond the credentials) */
  registryBearerLifetimeMs: number;
}

export class Cloud {
  readonly events = new EventEmitter();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  /** Set during {@link dryRun}: nothing leaves the Cloud (no events, no 'changed', no timer). */
  private quiet = false;

  constructor(public state: CloudState, readonly timings: CloudTimings) {
    this.events.setMaxListeners(0);
  }

  /**
   * Runs `fn` against `state` in place of the live state, with no effect outside it (no
   * instance events, no 'changed', the live state's timer left alone), then puts the live
   * state back: how a candidate state document is tried before it is installed.
   */
  dryRun<T>(state: CloudState, fn: () => T): T {
    const live = this.state;
    const wasQuiet = this.quiet;
    this.state = state;
    this.quiet = true;
    try {
      return fn();
    } finally {
      this.state = live;
      this.quiet = wasQuiet;
    }
  }

  /** Notes a state change (persistence listens to 'changed'). */
  changed(): void {
    if (this.quiet) return;
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
    for (const inst of this.state.instances.filter((i) => i.removesAt !== undefined && i.removesAt <= now)) {
      this.finishRemoval(inst, now);
      dirty = true;
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
    if (settleActivities(this.state, now)) dirty = true;
    if (dirty) this.changed();
    this.arm(now);
  }

  private arm(now: number): void {
    if (this.stopped || this.quiet) return;
    let next = Infinity;
    for (const t of this.state.routeTables) for (const e of t.entries) if (e.settlesAt !== undefined) next = Math.min(next, e.settlesAt);
    for (const i of this.state.instances) if (i.bootsAt !== undefined) next = Math.min(next, i.bootsAt);
    for (const i of this.state.instances) if (i.removesAt !== undefined) next = Math.min(next, i.removesAt);
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
    const ud = sc ? decodeUserData(sc.userData) : { labels: inst.staticNode?.nodeLabels ?? {}, taints: inst.staticNode?.nodeTaints ?? [] };
    const group = this.state.scalingGroups.find((g) => g.scalingGroupId === inst.scalingGroupId);
    const cpuCoreCount = inst.staticNode?.cpuCoreCount ?? it?.cpuCoreCount ?? 0;
    const memoryGiB = inst.staticNode?.memoryGiB ?? it?.memorySize ?? 0;
    return {
      type, at, instanceId: inst.instanceId, providerId: ackProviderId(inst.regionId, inst.instanceId), hostName: inst.hostName,
      nodeName: inst.hostName, instanceType: inst.instanceType, cpuCoreCount, memoryGiB,
      gpuAmount: inst.staticNode?.gpuAmount ?? it?.gpuAmount ?? 0, regionId: inst.regionId, zoneId: inst.zoneId, privateIpAddress: inst.privateIpAddress,
      scalingGroupId: inst.scalingGroupId, nodeLabels: ud.labels, nodeTaints: ud.taints,
      allocatable: ackAllocatable(cpuCoreCount, memoryGiB * 2 ** 30, ACK_NODE_MAX_PODS), maxPods: ACK_NODE_MAX_PODS, registers: !group?.bootstrapFails,
    };
  }

  emitInstance(type: InstanceEventType, inst: Instance, at = Date.now()): void {
    const event = this.instanceEvent(type, inst, at); // computed in a dry run too: a state it fails on is refused
    if (!this.quiet) this.events.emit('instance', event);
  }

  // ---- ESS capacity management, shared by ModifyScalingGroup, RemoveInstances and /_sim ----

  groupInstances(groupId: string): Instance[] {
    return this.state.instances.filter((i) => i.scalingGroupId === groupId);
  }

  /**
   * The members that count toward the desired capacity: all but those being removed (ESS's
   * "Expected number of instances" compares the instances that stay, Pending ones included).
   */
  stayingInstances(groupId: string): Instance[] {
    return this.groupInstances(groupId).filter((i) => i.lifecycleState !== 'Removing');
  }

  /**
   * The number of members ESS brings the group to on its own: the desired capacity, or for a
   * group without one, its members kept within MinSize..MaxSize (ESS's minimum and maximum
   * checks, https://www.alibabacloud.com/help/doc-detail/146231.htm).
   */
  targetOf(group: ScalingGroup): number {
    if (group.desiredCapacity !== undefined) return group.desiredCapacity;
    return Math.min(group.maxSize, Math.max(group.minSize, this.stayingInstances(group.scalingGroupId).length));
  }

  /**
   * Launches or releases instances until the group has `total` members (default
   * {@link targetOf}: its desired capacity), recording the scaling activity (activities.ts)
   * with `trigger` as its cause; returns it, if any.
   */
  reconcileGroup(group: ScalingGroup, now = Date.now(), trigger: ActivityTrigger = { kind: 'expected-capacity' }, total = this.targetOf(group)): ScalingActivity | undefined {
    const members = this.stayingInstances(group.scalingGroupId);
    let activity: ScalingActivity | undefined;
    if (members.length < total) {
      const created: Instance[] = [];
      for (let n = members.length; n < total; n++) created.push(this.launch(group, now));
      activity = recordScaleOut(this.state, group, created, trigger, members.length, now);
    } else if (members.length > total) {
      const victims = this.byRemovalPolicy(group, members).slice(0, members.length - total);
      for (const v of victims) this.release(v, now);
      activity = recordScaleIn(this.state, group, victims, trigger, members.length, now);
    }
    this.changed();
    this.arm(now);
    return activity;
  }

  /**
   * Members in the order ESS removes them when it picks (the group's removal policies, ESS's
   * default OldestScalingConfiguration then OldestInstance). OldestScalingConfiguration first
   * takes instances of the oldest configuration still in use; attached instances, which have
   * no configuration, come last. ESS picks at random among equals; the emulator takes the
   * lower instance id, so runs are reproducible.
   */
  byRemovalPolicy(group: ScalingGroup, members: Instance[]): Instance[] {
    const policies: readonly RemovalPolicy[] = group.removalPolicies?.length ? group.removalPolicies : DEFAULT_REMOVAL_POLICIES;
    const configTime = (i: Instance) => this.state.scalingConfigurations.find((c) => c.scalingConfigurationId === i.scalingConfigurationId)?.creationTime ?? '\uffff';
    const cmp: Record<RemovalPolicy, (a: Instance, b: Instance) => number> = {
      OldestScalingConfiguration: (a, b) => configTime(a).localeCompare(configTime(b)),
      OldestInstance: (a, b) => a.creationTime.localeCompare(b.creationTime),
      NewestInstance: (a, b) => b.creationTime.localeCompare(a.creationTime),
    };
    return [...members].sort((a, b) => {
      for (const p of policies) { const c = cmp[p](a, b); if (c) return c; }
      return a.instanceId.localeCompare(b.instanceId);
    });
  }

  private nextPrivateIp(vpcId: string): string {
    const seq = this.state.ipSeq++;
    const vpc = this.state.vpcs.find((v) => v.vpcId === vpcId) ?? this.state.vpcs[0];
    const base = (vpc?.cidrBlock ?? '192.168.0.0/16').split('/')[0].split('.').map(Number);
    return `${base[0]}.${base[1]}.${Math.floor(seq / 250) % 250}.${(seq % 250) + 2}`;
  }

  /**
   * A running worker outside any scaling group, for a static node of the simulated cluster
   * (on ACK every node is an ECS instance). Idempotent by `key`, so a restart with kept state
   * finds the same instance.
   */
  addStaticInstance(req: StaticInstanceRequest, now = Date.now()): Instance {
    const found = this.state.instances.find((i) => i.staticNode?.key === req.key);
    if (found) return found;
    const known = req.instanceType ? this.state.instanceTypes.find((t) => t.instanceTypeId === req.instanceType)
      : this.state.instanceTypes.find((t) => t.cpuCoreCount === req.cpuCoreCount && t.memorySize === req.memoryGiB && t.gpuAmount === (req.gpuAmount ?? 0));
    const vpc = this.state.vpcs[0];
    const group = this.state.scalingGroups.find((g) => g.vpcId === vpc?.vpcId);
    const ip = this.nextPrivateIp(vpc?.vpcId ?? '');
    const instanceId = newId('i');
    const inst: Instance = {
      instanceId, instanceName: req.nodeName ?? `worker-${instanceId.slice(2, 8)}`, hostName: req.nodeName ?? ackNodeName(this.state.regionId, ip),
      instanceType: known?.instanceTypeId ?? req.instanceType ?? 'ecs.custom', regionId: this.state.regionId,
      zoneId: req.zoneId ?? group?.zoneIds[0] ?? `${this.state.regionId}-k`, vpcId: vpc?.vpcId ?? '', vSwitchId: group?.vSwitchIds[0] ?? '',
      privateIpAddress: ip, status: 'Running', creationTime: isoNow(now), tags: [{ key: 'kubeloop.io/static-node', value: req.key }],
      staticNode: {
        key: req.key, nodeLabels: req.nodeLabels ?? {}, nodeTaints: req.nodeTaints ?? [],
        ...(known ? {} : { cpuCoreCount: req.cpuCoreCount ?? 4, memoryGiB: req.memoryGiB ?? 16, gpuAmount: req.gpuAmount ?? 0 }),
      },
    };
    this.state.instances.push(inst);
    this.emitInstance('Active', inst, now);
    this.changed();
    return inst;
  }

  private launch(group: ScalingGroup, now: number): Instance {
    const sc = this.state.scalingConfigurations.find((c) => c.scalingConfigurationId === group.activeScalingConfigurationId);
    if (!sc) throw new SimError('InvalidScalingConfigurationId.NotFound', 'The active scaling configuration of the group does not exist.', 404);
    const index = this.groupInstances(group.scalingGroupId).length;
    const z = group.vSwitchIds.length ? index % group.vSwitchIds.length : 0;
    const ip = this.nextPrivateIp(group.vpcId);
    const instanceId = newId('i');
    const bootDelay = group.bootDelayMs ?? this.timings.bootDelayMs;
    const inst: Instance = {
      instanceId, instanceName: `${group.scalingGroupName}-${instanceId.slice(2, 8)}`,
      hostName: ackNodeName(this.state.regionId, ip), instanceType: sc.instanceType, regionId: group.regionId,
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

  /**
   * Removes an instance from its group and releases it (AutoCreated instances are deleted by
   * ESS, attached ones only leave the group): `Removing` for `removeDelayMs`, then gone. An
   * instance that already died (`immediate`) leaves at once.
   */
  release(inst: Instance, now = Date.now(), immediate = false): void {
    inst.lifecycleState = 'Removing';
    this.emitInstance('Removing', inst, now);
    const delay = this.timings.removeDelayMs ?? 0;
    if (!immediate && delay > 0) {
      inst.removesAt = now + delay;
      this.changed();
      this.arm(now);
      return;
    }
    this.finishRemoval(inst, now);
  }

  private finishRemoval(inst: Instance, now: number): void {
    delete inst.removesAt;
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
