/**
 * Provider interfaces, shaped by what the controllers need: camelCase, ids explicit,
 * pagination hidden (list calls return everything). Failures are `CloudError`s.
 */

// ---------------- VPC routes (route controller) ----------------

export interface Vpc {
  vpcId: string;
  vpcName: string;
  cidrBlock: string;
  vRouterId: string;
  routeTableIds: string[];
}

export interface RouteTable {
  routeTableId: string;
  routeTableName: string;
  /** `System` (the VPC's default table) or `Custom` */
  routeTableType: string;
  vpcId: string;
  vRouterId: string;
}

export interface RouteEntry {
  routeEntryId: string;
  routeTableId: string;
  destinationCidrBlock: string;
  /** `Instance` for ECS next hops; empty for system routes */
  nextHopType: string;
  nextHopId: string;
  /** free text a controller can use to mark ownership */
  routeEntryName: string;
  description: string;
  /** `Custom`, `System`, ... */
  type: string;
  /** `Pending`, `Available`, `Modifying` */
  status: string;
}

export interface CreateRouteEntryInput {
  routeTableId: string;
  destinationCidrBlock: string;
  nextHopId: string;
  /** default `Instance` */
  nextHopType?: string;
  routeEntryName?: string;
  description?: string;
}

export interface DeleteRouteEntryInput {
  routeTableId: string;
  /**
   * the id, or the destination (+ next hop); with both, the destination is what is sent: the API
   * refuses RouteEntryId together with RouteTableId or DestinationCidrBlock (see AlibabaVpcRoutes.deleteRouteEntry)
   */
  routeEntryId?: string;
  destinationCidrBlock?: string;
  nextHopId?: string;
}

export interface RouteWriteOptions {
  /** wait until the entry is Available (create) or gone (delete); default true */
  wait?: boolean;
}

export interface VpcRouteApi {
  describeVpcs(vpcId?: string): Promise<Vpc[]>;
  listRouteTables(filter?: { vpcId?: string; routeTableId?: string }): Promise<RouteTable[]>;
  listRouteEntries(routeTableId: string, filter?: { destinationCidrBlock?: string; type?: string; nextHopId?: string; routeEntryId?: string }): Promise<RouteEntry[]>;
  /**
   * Creates a route entry and returns it. Writes to one table are serialized (in this
   * process, and retried on the cloud's conflict errors). An existing entry for the same
   * destination surfaces as AlreadyExists.
   */
  createRouteEntry(input: CreateRouteEntryInput, opts?: RouteWriteOptions): Promise<RouteEntry>;
  /** Deletes a route entry; NotFound when there is none. */
  deleteRouteEntry(input: DeleteRouteEntryInput, opts?: RouteWriteOptions): Promise<void>;
}

// ---------------- ESS / ECS (cluster autoscaler) ----------------

export interface Taint { key: string; value?: string; effect: string }

export interface ScalingGroup {
  scalingGroupId: string;
  scalingGroupName: string;
  regionId: string;
  minSize: number;
  maxSize: number;
  /**
   * The expected number of instances; undefined for a group created without that feature
   * (DescribeScalingGroups EnableDesiredCapacity false), which ESS cannot enable later: such a
   * group is sized with {@link ScalingApi.scaleToTotalCapacity}, and its size is its instances.
   */
  desiredCapacity?: number;
  activeCapacity: number;
  pendingCapacity: number;
  totalCapacity: number;
  activeScalingConfigurationId: string;
  vpcId: string;
  vSwitchIds: string[];
  /** zone of each vSwitch (same order; from vpc:DescribeVSwitches) */
  zoneIds: string[];
  lifecycleState: string;
  tags: Record<string, string>;
}

export interface ScalingConfiguration {
  scalingConfigurationId: string;
  scalingConfigurationName: string;
  scalingGroupId: string;
  instanceType: string;
  instanceTypes: string[];
  imageId: string;
  lifecycleState: string;
  /** decoded user data (the bootstrap script) */
  userData: string;
  /** `--node-labels` of the bootstrap script */
  nodeLabels: Record<string, string>;
  /** `--register-with-taints` of the bootstrap script */
  nodeTaints: Taint[];
  tags: Record<string, string>;
}

export interface ScalingInstance {
  instanceId: string;
  scalingGroupId: string;
  scalingConfigurationId: string;
  /** `Pending`, `InService`, `Removing`, ... */
  lifecycleState: string;
  healthStatus: string;
  creationType: string;
  creationTime: string;
  zoneId: string;
}

/** An ESS scaling activity (DescribeScalingActivities 2014-08-28). */
export interface ScalingActivity {
  scalingActivityId: string;
  scalingGroupId: string;
  /** `Add "2" ECS instance(s)` */
  description: string;
  cause: string;
  /** `InProgress`, `Successful`, `Warning`, `Failed`, `Rejected` */
  statusCode: string;
  statusMessage: string;
  /** 0-100 */
  progress: number;
  /** ESS's `2020-09-10T09:54Z`; endTime '' while in progress */
  startTime: string;
  endTime: string;
  /** instances in the group after the activity */
  totalCapacity: number;
  /** instances created (scale-out) or removed (scale-in) */
  scalingInstanceNumber: number;
  createdInstances: string[];
  destroyedInstances: string[];
}

export interface InstanceType {
  instanceTypeId: string;
  instanceTypeFamily: string;
  cpuCoreCount: number;
  memoryGiB: number;
  gpuAmount: number;
  gpuSpec: string;
}

export interface Instance {
  instanceId: string;
  instanceName: string;
  hostName: string;
  instanceType: string;
  regionId: string;
  zoneId: string;
  /** `Pending`, `Starting`, `Running`, `Stopped`, ... */
  status: string;
  privateIpAddress: string;
  vpcId: string;
  vSwitchId: string;
  tags: Record<string, string>;
}

export interface ScalingApi {
  /** All groups, optionally only those with the given ids, name or tags (tag value '' matches any value). */
  listScalingGroups(filter?: { scalingGroupIds?: string[]; scalingGroupName?: string; tags?: Record<string, string> }): Promise<ScalingGroup[]>;
  /** NotFound when the group does not exist. */
  getScalingGroup(scalingGroupId: string): Promise<ScalingGroup>;
  listScalingConfigurations(scalingGroupId: string): Promise<ScalingConfiguration[]>;
  listScalingInstances(scalingGroupId: string, filter?: { lifecycleState?: string }): Promise<ScalingInstance[]>;
  /** ModifyScalingGroup(DesiredCapacity); InvalidParameter outside [min, max] and on a group without a desired capacity. */
  setDesiredCapacity(scalingGroupId: string, desiredCapacity: number): Promise<void>;
  /**
   * Brings a group without a desired capacity to `total` instances as upstream's alicloud
   * cluster-autoscaler did: a temporary scaling rule (CreateScalingRule TotalCapacity),
   * ExecuteScalingRule, DeleteScalingRule. ESS refuses the execution while a scaling activity
   * is in progress (ScalingActivityInProgress): retried with backoff within a budget, then that
   * error surfaces (kind Conflict). Returns the scaling activity id ('' when none).
   */
  scaleToTotalCapacity(scalingGroupId: string, total: number): Promise<string>;
  modifyScalingGroup(scalingGroupId: string, change: { minSize?: number; maxSize?: number; desiredCapacity?: number }): Promise<void>;
  /**
   * Removes (and releases) instances, in batches of 20; decreases desired capacity by default.
   * A batch refused with ScalingActivityInProgress (a group without a desired capacity runs one
   * scaling activity at a time) is retried with backoff within a budget.
   * Returns the scaling activity id of each batch.
   */
  removeInstances(scalingGroupId: string, instanceIds: string[], opts?: { decreaseDesiredCapacity?: boolean }): Promise<string[]>;
  /** The group's scaling activities of the last 30 days, newest first (optionally only those ids, at most 20, or that status). */
  listScalingActivities(scalingGroupId: string, filter?: { scalingActivityIds?: string[]; statusCode?: string }): Promise<ScalingActivity[]>;
  describeInstanceTypes(instanceTypeIds?: string[]): Promise<InstanceType[]>;
  describeInstances(filter?: { instanceIds?: string[]; vpcId?: string }): Promise<Instance[]>;
}

// ---------------- Container Registry (ACR credential helper) ----------------

export interface RegistryInstance {
  instanceId: string;
  instanceName: string;
  regionId: string;
  instanceStatus: string;
  instanceSpecification: string;
}

export interface RegistryEndpoint {
  /** `internet`, `intranet`, ... */
  endpointType: string;
  enabled: boolean;
  domains: string[];
}

export interface AuthorizationToken {
  /** `cr_temp_user` */
  tempUsername: string;
  authorizationToken: string;
  /** epoch ms, as the API reports it */
  expireTime: number;
}

export interface RegistryApi {
  listInstances(): Promise<RegistryInstance[]>;
  listInstanceEndpoints(instanceId: string): Promise<RegistryEndpoint[]>;
  /** Domains of enabled endpoints of a type (default `internet`). */
  registryDomains(instanceId: string, endpointType?: string): Promise<string[]>;
  /** Temporary login for the registry; lives until `expireTime` (shorter when obtained with STS). */
  getAuthorizationToken(instanceId: string): Promise<AuthorizationToken>;
  /**
   * Temporary login for the region's Personal Edition registry (`registry[-vpc].<region>.aliyuncs.com`):
   * CR 2016-06-07 `GetAuthorizationToken`, `GET /tokens` (the Personal Edition has no instance id).
   */
  getPersonalAuthorizationToken(): Promise<AuthorizationToken>;
}

// ---------------- SLS (log-config controller) ----------------

export interface SlsProject {
  projectName: string;
  description: string;
  region: string;
  status: string;
}

export interface LogStore {
  logstoreName: string;
  /** days */
  ttl: number;
  shardCount: number;
  autoSplit?: boolean;
  maxSplitShard?: number;
  /** `standard` or `query` */
  mode?: string;
  appendMeta?: boolean;
  enableTracking?: boolean;
  telemetryType?: string;
}

export interface IndexKey {
  type: string;
  token?: string[];
  caseSensitive?: boolean;
  chn?: boolean;
  alias?: string;
  docValue?: boolean;
}

export interface IndexConfig {
  line?: { token: string[]; caseSensitive?: boolean; chn?: boolean; includeKeys?: string[]; excludeKeys?: string[] };
  keys?: Record<string, IndexKey>;
  logReduce?: boolean;
  maxTextLen?: number;
}

export interface LogtailConfig {
  configName: string;
  /** `file` or `plugin` */
  inputType: string;
  inputDetail: Record<string, unknown>;
  /** always `LogService` */
  outputType: string;
  outputDetail: { logstoreName: string; endpoint?: string; region?: string };
  logSample?: string;
  createTime?: number;
  lastModifyTime?: number;
}

export interface MachineGroup {
  groupName: string;
  /** `ip` or `userdefined` */
  machineIdentifyType: string;
  machineList: string[];
  groupType?: string;
  groupAttribute?: { externalName?: string; groupTopic?: string };
}

export interface SlsApi {
  listProjects(): Promise<SlsProject[]>;
  getProject(project: string): Promise<SlsProject>;
  /** AlreadyExists when the name is taken (`ProjectAlreadyExist`). */
  createProject(project: string, description?: string): Promise<void>;
  deleteProject(project: string): Promise<void>;

  listLogStores(project: string): Promise<string[]>;
  getLogStore(project: string, logstore: string): Promise<LogStore>;
  createLogStore(project: string, logstore: LogStore): Promise<void>;
  updateLogStore(project: string, logstore: LogStore): Promise<void>;
  deleteLogStore(project: string, logstore: string): Promise<void>;

  getIndex(project: string, logstore: string): Promise<IndexConfig>;
  createIndex(project: string, logstore: string, index: IndexConfig): Promise<void>;
  updateIndex(project: string, logstore: string, index: IndexConfig): Promise<void>;
  deleteIndex(project: string, logstore: string): Promise<void>;

  listConfigs(project: string, filter?: { logstoreName?: string }): Promise<string[]>;
  getConfig(project: string, configName: string): Promise<LogtailConfig>;
  createConfig(project: string, config: LogtailConfig): Promise<void>;
  updateConfig(project: string, config: LogtailConfig): Promise<void>;
  deleteConfig(project: string, configName: string): Promise<void>;

  listMachineGroups(project: string): Promise<string[]>;
  getMachineGroup(project: string, groupName: string): Promise<MachineGroup>;
  createMachineGroup(project: string, group: MachineGroup): Promise<void>;
  updateMachineGroup(project: string, group: MachineGroup): Promise<void>;
  deleteMachineGroup(project: string, groupName: string): Promise<void>;
  applyConfigToMachineGroup(project: string, groupName: string, configName: string): Promise<void>;
  removeConfigFromMachineGroup(project: string, groupName: string, configName: string): Promise<void>;
  getAppliedConfigs(project: string, groupName: string): Promise<string[]>;
  getAppliedMachineGroups(project: string, configName: string): Promise<string[]>;

  /** Project tags as a map. */
  listProjectTags(project: string): Promise<Record<string, string>>;
  tagProject(project: string, tags: Record<string, string>): Promise<void>;
  untagProject(project: string, keys: string[]): Promise<void>;
}

/** Injection tokens (interfaces vanish at run time; inversify binds by these). */
export const CloudTokens = {
  VpcRouteApi: Symbol.for('kubeloop.cloud.VpcRouteApi'),
  ScalingApi: Symbol.for('kubeloop.cloud.ScalingApi'),
  RegistryApi: Symbol.for('kubeloop.cloud.RegistryApi'),
  SlsApi: Symbol.for('kubeloop.cloud.SlsApi'),
} as const;
