/**
 * The emulated cloud's state: plain JSON so it can be served by `GET /_sim/state`,
 * edited by `PATCH /_sim/state` and written to the `--state` file as is.
 * Field names follow the cloud's own vocabulary (camelCased) so a reader who knows
 * the console recognises them.
 */
import { randomBytes } from 'node:crypto';
import type { PolicyDocument } from './ram-policy.js';

export interface Tag { key: string; value: string }

export interface Vpc {
  vpcId: string;
  vpcName: string;
  cidrBlock: string;
  vRouterId: string;
  regionId: string;
  status: 'Available';
}

export interface RouteEntry {
  routeEntryId: string;
  routeTableId: string;
  destinationCidrBlock: string;
  /** `Instance` for ECS next hops (what the route controller uses). */
  nextHopType: string;
  nextHopId: string;
  routeEntryName: string;
  description: string;
  /** `System` entries (the VPC's own CIDRs) cannot be deleted. */
  type: 'Custom' | 'System';
  status: 'Pending' | 'Available' | 'Deleting';
  /** epoch ms when a Pending entry becomes Available (or a Deleting one disappears). */
  settlesAt?: number;
  creationTime: string;
}

export interface RouteTable {
  routeTableId: string;
  routeTableName: string;
  vpcId: string;
  vRouterId: string;
  routeTableType: 'System' | 'Custom';
  entries: RouteEntry[];
}

export interface InstanceType {
  instanceTypeId: string;
  instanceTypeFamily: string;
  cpuCoreCount: number;
  /** GiB, as the ECS API reports it. */
  memorySize: number;
  gpuAmount: number;
  gpuSpec: string;
}

export interface ScalingGroup {
  scalingGroupId: string;
  scalingGroupName: string;
  regionId: string;
  minSize: number;
  maxSize: number;
  /**
   * The "Expected number of instances". Absent: a group created without that feature, which
   * ESS cannot turn on later ("You can enable the Expected Number of Instances feature only
   * when you create a scaling group",
   * https://www.alibabacloud.com/help/en/auto-scaling/latest/expected-number-of-instances).
   * Such a group is sized by scaling rules (ExecuteScalingRule) or ScaleWithAdjustment, keeps
   * its instances within MinSize..MaxSize only, and refuses a new scaling activity while one is
   * in progress (ScalingActivityInProgress) instead of running them in parallel.
   */
  desiredCapacity?: number;
  activeScalingConfigurationId: string;
  vpcId: string;
  vSwitchIds: string[];
  /** zone of each vSwitch, in the same order (instances are spread round-robin). */
  zoneIds: string[];
  tags: Tag[];
  lifecycleState: 'Active' | 'Inactive';
  creationTime: string;
  /** overrides the emulator's boot delay for this group; a negative value: instances never boot
   * (to exercise an autoscaler's max-node-provision-time) */
  bootDelayMs?: number;
  /**
   * ESS removal policies, applied in order when ESS itself picks instances to remove (desired
   * capacity lowered): `OldestScalingConfiguration`, `OldestInstance`, `NewestInstance`.
   * Absent: ESS's default, OldestScalingConfiguration then OldestInstance
   * (https://www.alibabacloud.com/help/ja/doc-detail/25910.htm,
   * https://help.aliyun.com/en/auto-scaling/user-guide/scale-in-policy).
   */
  removalPolicies?: RemovalPolicy[];
  /**
   * The group's instances boot (ECS Running, ESS InService) but their node bootstrap fails, so
   * no Node ever registers: the long-unregistered case an autoscaler's
   * --max-node-provision-time is for.
   */
  bootstrapFails?: boolean;
}

export type RemovalPolicy = 'OldestScalingConfiguration' | 'OldestInstance' | 'NewestInstance';
export const REMOVAL_POLICIES: readonly RemovalPolicy[] = ['OldestScalingConfiguration', 'OldestInstance', 'NewestInstance'];
/** ESS's default removal policy (see {@link ScalingGroup.removalPolicies}). */
export const DEFAULT_REMOVAL_POLICIES: readonly RemovalPolicy[] = ['OldestScalingConfiguration', 'OldestInstance'];

/** A simple scaling rule (ESS 2014-08-28 CreateScalingRule, ScalingRuleType SimpleScalingRule). */
export interface ScalingRule {
  scalingRuleId: string;
  /** `ari:acs:ess:{region}:{account}:scalingrule/{id}`: what ExecuteScalingRule names it by */
  scalingRuleAri: string;
  scalingRuleName: string;
  scalingGroupId: string;
  adjustmentType: 'QuantityChangeInCapacity' | 'PercentChangeInCapacity' | 'TotalCapacity';
  adjustmentValue: number;
  minAdjustmentMagnitude?: number;
  /** seconds; absent: the group's default cool-down */
  cooldown?: number;
}

export interface ScalingConfiguration {
  scalingConfigurationId: string;
  scalingConfigurationName: string;
  scalingGroupId: string;
  instanceType: string;
  imageId: string;
  /** base64, as ESS stores it; see docs/cloud.md for the node label/taint encoding. */
  userData: string;
  tags: Tag[];
  lifecycleState: 'Active' | 'Inactive';
  creationTime: string;
}

export interface Instance {
  instanceId: string;
  instanceName: string;
  hostName: string;
  instanceType: string;
  regionId: string;
  zoneId: string;
  vpcId: string;
  vSwitchId: string;
  privateIpAddress: string;
  /** ECS status. */
  status: 'Pending' | 'Starting' | 'Running' | 'Stopping' | 'Stopped';
  creationTime: string;
  tags: Tag[];
  /** epoch ms at which a Pending instance finishes booting. */
  bootsAt?: number;
  /** epoch ms at which a Removing instance leaves its group (released; an attached one is only detached). */
  removesAt?: number;
  // ESS membership (absent for instances outside any group)
  scalingGroupId?: string;
  scalingConfigurationId?: string;
  /** ESS lifecycle state. */
  lifecycleState?: 'Pending' | 'InService' | 'Removing';
  creationType?: 'AutoCreated' | 'Attached';
  /**
   * A worker outside any scaling group (the simulated cluster's static nodes: ACK's "add
   * existing node"): the key it was created under, and the node labels/taints and the
   * capacity (when no instance type describes it) its node registers with.
   */
  staticNode?: {
    key: string;
    nodeLabels: Record<string, string>;
    nodeTaints: Array<{ key: string; value?: string; effect: string }>;
    cpuCoreCount?: number;
    memoryGiB?: number;
    gpuAmount?: number;
  };
}

/** The status of an ESS scaling activity (DescribeScalingActivities `StatusCode`). */
export type ScalingActivityStatus = 'InProgress' | 'Successful' | 'Warning' | 'Failed' | 'Rejected';
export const SCALING_ACTIVITY_STATUSES: readonly ScalingActivityStatus[] = ['InProgress', 'Successful', 'Warning', 'Failed', 'Rejected'];

/**
 * One ESS scaling activity: a capacity change of a scaling group as ESS records it (see
 * activities.ts; fields as DescribeScalingActivities 2014-08-28 names them,
 * https://www.alibabacloud.com/help/en/auto-scaling/developer-reference/api-ess-2014-08-28-describescalingactivities).
 */
export interface ScalingActivity {
  /** `asa-...` */
  scalingActivityId: string;
  scalingGroupId: string;
  /** what it does: `Add "2" ECS instance(s)`, `Remove "1" ECS instance(s)` */
  description: string;
  /** why it began: who changed what, `changing the Total Capacity from "1" to "3".` */
  cause: string;
  /** ISO 8601 (the API renders ESS's `yyyy-MM-ddTHH:mmZ`) */
  startTime: string;
  /** when it ended; absent while InProgress */
  endTime?: string;
  /** 0-100 */
  progress: number;
  statusCode: ScalingActivityStatus;
  statusMessage: string;
  /** e.g. `new ECS instances "i-1, i-2" are created.` */
  detail: string;
  /** instances in the group after the activity: all, attached ones, ESS-created ones */
  totalCapacity: number;
  attachedCapacity: number;
  autoCreatedCapacity: number;
  /** instances created (scale-out) or removed (scale-in) */
  scalingInstanceNumber: number;
  createdInstances: string[];
  destroyedInstances: string[];
  /** `Api`: a caller's request (triggerSourceId: the account); `Ess`: ESS's own checks */
  triggerSourceType: 'Api' | 'Ess';
  triggerSourceId: string;
}

export interface RegistryRepository {
  namespace: string;
  name: string;
  /** readable without credentials */
  public?: boolean;
  /** tag -> free-form image config (used to build a deterministic manifest) */
  tags: Record<string, { architecture?: string; os?: string; labels?: Record<string, string> }>;
}

export interface RegistryInstance {
  instanceId: string;
  instanceName: string;
  regionId: string;
  instanceStatus: 'RUNNING';
  instanceSpecification: string;
  /** Registry domains; `{port}` is replaced by the emulator's port when served. */
  domains: string[];
  vpcDomains: string[];
  repositories: RegistryRepository[];
  createTime: number;
}

export interface RegistryCredential {
  instanceId: string;
  username: string;
  password: string;
  expiresAt: number;
}

export interface RegistryBearer {
  token: string;
  instanceId: string;
  /** repository full names (`ns/name`) this token may pull */
  pull: string[];
  expiresAt: number;
}

export interface LogStore {
  logstoreName: string;
  ttl: number;
  shardCount: number;
  autoSplit: boolean;
  maxSplitShard: number;
  mode: string;
  appendMeta: boolean;
  enableTracking: boolean;
  telemetryType: string;
  hotTtl?: number;
  createTime: number;
  lastModifyTime: number;
  /** index config as the API carries it (snake_case keys kept), or absent */
  index?: Record<string, unknown>;
}

export interface LogtailConfigState {
  configName: string;
  inputType: string;
  inputDetail: Record<string, unknown>;
  outputType: string;
  outputDetail: { logstoreName?: string; endpoint?: string; region?: string; telemetryType?: string };
  logSample?: string;
  createTime: number;
  lastModifyTime: number;
}

export interface MachineGroupState {
  groupName: string;
  groupType: string;
  machineIdentifyType: string;
  machineList: string[];
  groupAttribute: { externalName?: string; groupTopic?: string };
  createTime: number;
  lastModifyTime: number;
  /** names of the logtail configs applied to this group */
  configs: string[];
}

export interface SlsProject {
  projectName: string;
  description: string;
  region: string;
  status: 'Normal';
  createTime: number;
  lastModifyTime: number;
  logstores: LogStore[];
  configs: LogtailConfigState[];
  machineGroups: MachineGroupState[];
}

export interface SlsTag { resourceType: string; resourceId: string; key: string; value: string }

export interface StsCredential {
  accessKeyId: string;
  accessKeySecret: string;
  securityToken: string;
  expiresAt: number;
  /** the RAM role these credentials act as (AssumeRole, AssumeRoleWithOIDC, `POST /_sim/sts {roleName}`); none: unrestricted */
  roleName?: string;
  /** the role session name (`RoleSessionName`) */
  sessionName?: string;
  /** the session policy passed to AssumeRole (`Policy`): it can only narrow what the role may do */
  policy?: PolicyDocument;
}

/** A RAM user: the configured AccessKey belongs to user `kubeloop`; others get their own keys (`PUT /_sim/ram/users/{name}`). */
export interface RamUser {
  userName: string;
  accessKeys: Array<{ accessKeyId: string; accessKeySecret: string }>;
}

/** A custom policy (RAM `CreatePolicy`): a name and a policy document. */
export interface RamPolicy {
  policyName: string;
  description: string;
  document: PolicyDocument;
  createDate: string;
  updateDate: string;
}

/** A policy attached to a user or a role (RAM `AttachPolicyToUser` / `AttachPolicyToRole`). */
export interface RamAttachment {
  policyName: string;
  principalType: 'User' | 'Role';
  principalName: string;
}

/**
 * Identity-based RAM policies (see ram.ts). A principal with no policy attached is
 * unrestricted (the emulator's default, so everything works out of the box); one with
 * policies attached may do only what they allow.
 */
export interface RamState {
  /** the account id in ARNs (`acs:ram::<accountId>:role/...`) and in AccessDeniedDetail */
  accountId: string;
  users: RamUser[];
  policies: RamPolicy[];
  attachments: RamAttachment[];
}

export interface CloudState {
  regionId: string;
  vpcs: Vpc[];
  routeTables: RouteTable[];
  instanceTypes: InstanceType[];
  scalingGroups: ScalingGroup[];
  scalingConfigurations: ScalingConfiguration[];
  instances: Instance[];
  /** ESS scaling activities, oldest first, the last 30 days (bounded; absent in older state files: none) */
  scalingActivities: ScalingActivity[];
  /** ESS scaling rules (CreateScalingRule; absent in older state files: none) */
  scalingRules?: ScalingRule[];
  registries: RegistryInstance[];
  registryCredentials: RegistryCredential[];
  registryBearers: RegistryBearer[];
  slsProjects: SlsProject[];
  slsTags: SlsTag[];
  stsCredentials: StsCredential[];
  /** next host number for private IPs per vSwitch CIDR */
  ipSeq: number;
  /** RAM users, custom policies and their attachments (absent in older state files: no policies) */
  ram: RamState;
}

const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
/** An id shaped like the cloud's (`vtb-bp1...`): a prefix and 20 lowercase alphanumerics. */
export function newId(prefix: string): string {
  const bytes = randomBytes(20);
  let s = '';
  for (const b of bytes) s += alphabet[b % alphabet.length];
  return `${prefix}-${s}`;
}

export function randomToken(bytes = 24): string {
  return randomBytes(bytes).toString('base64url');
}

export function isoNow(now = Date.now()): string {
  return new Date(now).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** The label ACK puts on every node of a node pool (one node pool = one scaling group here). */
export const NODEPOOL_ID_LABEL = 'alibabacloud.com/nodepool-id';

/** Options for the default small cloud; every field is optional. */
export interface DefaultCloudOptions {
  regionId?: string;
  /** VPC CIDR (default 192.168.0.0/16) */
  vpcCidr?: string;
  /** number of route tables in the VPC (default 1) */
  routeTables?: number;
  /** default ESS group bounds (default min 1 / max 10, desired = min) */
  groupMinSize?: number;
  groupMaxSize?: number;
  /** false: the default group is created without a desired capacity (see {@link ScalingGroup.desiredCapacity}) */
  groupDesiredCapacity?: false;
  /** instance type of the default scaling configuration (default ecs.g7.xlarge) */
  groupInstanceType?: string;
  /** node labels and taints written into the default scaling configuration's user data */
  groupNodeLabels?: Record<string, string>;
  groupNodeTaints?: Array<{ key: string; value?: string; effect: string }>;
  /** repositories of the default registry instance (default one private `kubeloop/app:latest`) */
  repositories?: RegistryRepository[];
  /** name of the default SLS project (default `k8s-log-kubeloop`) */
  slsProject?: string;
}

export const defaultInstanceTypes: InstanceType[] = [
  { instanceTypeId: 'ecs.g7.large', instanceTypeFamily: 'ecs.g7', cpuCoreCount: 2, memorySize: 8, gpuAmount: 0, gpuSpec: '' },
  { instanceTypeId: 'ecs.g7.xlarge', instanceTypeFamily: 'ecs.g7', cpuCoreCount: 4, memorySize: 16, gpuAmount: 0, gpuSpec: '' },
  { instanceTypeId: 'ecs.g7.2xlarge', instanceTypeFamily: 'ecs.g7', cpuCoreCount: 8, memorySize: 32, gpuAmount: 0, gpuSpec: '' },
  { instanceTypeId: 'ecs.c7.xlarge', instanceTypeFamily: 'ecs.c7', cpuCoreCount: 4, memorySize: 8, gpuAmount: 0, gpuSpec: '' },
  { instanceTypeId: 'ecs.r7.xlarge', instanceTypeFamily: 'ecs.r7', cpuCoreCount: 4, memorySize: 32, gpuAmount: 0, gpuSpec: '' },
  { instanceTypeId: 'ecs.gn7i-c8g1.2xlarge', instanceTypeFamily: 'ecs.gn7i', cpuCoreCount: 8, memorySize: 30, gpuAmount: 1, gpuSpec: 'NVIDIA A10' },
];

/**
 * Builds an ACK-style bootstrap script carrying the node's labels and taints as kubelet
 * flags, base64-encoded as ESS stores user data.
 */
export function encodeUserData(labels: Record<string, string>, taints: Array<{ key: string; value?: string; effect: string }>): string {
  const flags: string[] = [];
  const l = Object.entries(labels).map(([k, v]) => `${k}=${v}`).join(',');
  if (l) flags.push(`--node-labels=${l}`);
  const t = taints.map((x) => `${x.key}${x.value ? `=${x.value}` : ''}:${x.effect}`).join(',');
  if (t) flags.push(`--register-with-taints=${t}`);
  const script = `#!/bin/bash\n# kubeloop node bootstrap (ACK style): kubelet flags for this scaling group\n/usr/local/bin/kubeloop-join ${flags.join(' ')}\n`;
  return Buffer.from(script, 'utf8').toString('base64');
}

/** Reads `--node-labels` and `--register-with-taints` back out of (base64) user data. */
export function decodeUserData(userData: string): { labels: Record<string, string>; taints: Array<{ key: string; value?: string; effect: string }> } {
  let text = userData;
  if (!text.startsWith('#!')) {
    try { text = Buffer.from(userData, 'base64').toString('utf8'); } catch { text = ''; }
  }
  const labels: Record<string, string> = {};
  const taints: Array<{ key: string; value?: string; effect: string }> = [];
  const flag = (name: string): string | undefined => {
    const m = new RegExp(`--${name}[= ]["']?([^\\s"']+)`).exec(text);
    return m?.[1];
  };
  for (const kv of (flag('node-labels') ?? '').split(',').filter(Boolean)) {
    const i = kv.indexOf('=');
    if (i > 0) labels[kv.slice(0, i)] = kv.slice(i + 1);
    else labels[kv] = '';
  }
  for (const t of (flag('register-with-taints') ?? '').split(',').filter(Boolean)) {
    const c = t.lastIndexOf(':');
    if (c < 0) continue;
    const kv = t.slice(0, c);
    const effect = t.slice(c + 1);
    const e = kv.indexOf('=');
    taints.push(e >= 0 ? { key: kv.slice(0, e), value: kv.slice(e + 1), effect } : { key: kv, effect });
  }
  return { labels, taints };
}

/** The default small cloud: one VPC + route table, one ESS group, instance types, a registry, an SLS project. */
export function defaultCloud(opts: DefaultCloudOptions = {}): CloudState {
  const regionId = opts.regionId ?? 'cn-hangzhou';
  const now = Date.now();
  const vpcId = newId('vpc');
  const vRouterId = newId('vrt');
  const vSwitchId = newId('vsw');
  const cidr = opts.vpcCidr ?? '192.168.0.0/16';
  const routeTables: RouteTable[] = [];
  for (let i = 0; i < (opts.routeTables ?? 1); i++) {
    const routeTableId = newId('vtb');
    routeTables.push({
      routeTableId,
      routeTableName: i === 0 ? '' : `custom-${i}`,
      vpcId,
      vRouterId,
      routeTableType: i === 0 ? 'System' : 'Custom',
      entries: [{
        routeEntryId: newId('rte'), routeTableId, destinationCidrBlock: cidr, nextHopType: 'local', nextHopId: '',
        routeEntryName: '', description: '', type: 'System', status: 'Available', creationTime: isoNow(now),
      }],
    });
  }
  const scalingGroupId = newId('asg');
  const scalingConfigurationId = newId('asc');
  const min = opts.groupMinSize ?? 1;
  // ACK gives every node pool a unique alibabacloud.com/nodepool-id label
  // (https://help.aliyun.com/en/ack/ack-managed-and-ack-dedicated/user-guide/schedule-an-application-pod-to-a-specific-node-pool)
  const nodeLabels = { [NODEPOOL_ID_LABEL]: newId('np'), ...(opts.groupNodeLabels ?? { workload: 'general' }) };
  const zoneId = `${regionId}-k`;
  return {
    regionId,
    vpcs: [{ vpcId, vpcName: 'kubeloop', cidrBlock: cidr, vRouterId, regionId, status: 'Available' }],
    routeTables,
    instanceTypes: defaultInstanceTypes.map((t) => ({ ...t })),
    scalingGroups: [{
      scalingGroupId, scalingGroupName: 'kubeloop-workers', regionId, minSize: min, maxSize: opts.groupMaxSize ?? 10,
      ...(opts.groupDesiredCapacity === false ? {} : { desiredCapacity: min }), activeScalingConfigurationId: scalingConfigurationId, vpcId, vSwitchIds: [vSwitchId],
      zoneIds: [zoneId], tags: [{ key: 'k8s.io/cluster-autoscaler/enabled', value: 'true' }],
      lifecycleState: 'Active', creationTime: isoNow(now),
    }],
    scalingConfigurations: [{
      scalingConfigurationId, scalingConfigurationName: 'kubeloop-workers', scalingGroupId,
      instanceType: opts.groupInstanceType ?? 'ecs.g7.xlarge', imageId: 'aliyun_3_x64_20G_alibase_20240819.vhd',
      userData: encodeUserData(nodeLabels, opts.groupNodeTaints ?? []),
      // an ACK node pool tags its scaling configuration with the pool's node labels (what
      // kubernetes/autoscaler's alicloud provider reads as template labels) and passes them to
      // the kubelet in the user data (what the nodes register with)
      tags: Object.entries(nodeLabels).map(([key, value]) => ({ key, value })), lifecycleState: 'Active', creationTime: isoNow(now),
    }],
    instances: [],
    scalingActivities: [],
    registries: [{
      instanceId: newId('cri'), instanceName: 'kubeloop', regionId, instanceStatus: 'RUNNING',
      instanceSpecification: 'Standard', domains: ['kubeloop-registry.cr.kubeloop.local:{port}'],
      vpcDomains: ['kubeloop-registry-vpc.cr.kubeloop.local:{port}'],
      repositories: opts.repositories ?? [{ namespace: 'kubeloop', name: 'app', tags: { latest: {}, v1: {} } }],
      createTime: now,
    }],
    registryCredentials: [],
    registryBearers: [],
    slsProjects: [{
      projectName: opts.slsProject ?? 'k8s-log-kubeloop', description: 'default project', region: regionId,
      status: 'Normal', createTime: Math.floor(now / 1000), lastModifyTime: Math.floor(now / 1000),
      logstores: [], configs: [], machineGroups: [],
    }],
    slsTags: [],
    stsCredentials: [],
    ipSeq: 10,
    ram: defaultRam(),
  };
}

/** The user the configured AccessKey belongs to. */
export const DEFAULT_RAM_USER = 'kubeloop';

/** No policies: every credential is unrestricted. */
export function defaultRam(): RamState {
  return { accountId: '1234567890123456', users: [{ userName: DEFAULT_RAM_USER, accessKeys: [] }], policies: [], attachments: [] };
}
