/**
 * SLS adapter on the official client `@alicloud/sls20201230` (API 2020-12-30). The
 * client addresses `<project>.<endpoint>`; in emulator mode the endpoint is
 * `sls.kubeloop.local:PORT` and that suffix resolves to the emulator's host (see emulator-dns.ts).
 *
 * The SDK (hundreds of generated model classes) takes a few hundred ms to import, so it is
 * imported on the first call: a process that never reaches SLS — `kubeloop dev` until the
 * log-config controller's first reconcile, every other controller — does not wait for it.
 */
import type * as SlsSdk from '@alicloud/sls20201230';
import { CloudError, classify } from './errors.js';
import type { CredentialsProvider } from './credentials.js';
import { callWithRetry, observed, type CloudCallHook, type RetryPolicy } from './retry.js';
import type { IndexConfig, LogStore, LogtailConfig, MachineGroup, SlsApi, SlsProject } from './types.js';

type SlsClientClass = (typeof SlsSdk)['default']['default'];
type Client = InstanceType<SlsClientClass>;

/** The SDK's request and model classes, set by `loadSdk` before any call builds one. */
let sls: typeof SlsSdk;
let sdkLoaded: Promise<SlsClientClass> | undefined;
function loadSdk(): Promise<SlsClientClass> {
  return (sdkLoaded ??= import('@alicloud/sls20201230').then((m) => {
    sls = m;
    return m.default.default;
  }));
}

export interface SlsClientOptions {
  /** `cn-hangzhou.log.aliyuncs.com` (default from region), or `sls.kubeloop.local:PORT` */
  endpoint: string;
  /** `https` (default) or `http` */
  protocol?: string;
  regionId: string;
  credentials: CredentialsProvider;
  policy: RetryPolicy;
  /** request signature: `v1` (the SDK default) or `v4` (SLS4-HMAC-SHA256, needs regionId) */
  signatureVersion?: 'v1' | 'v4';
  onCall?: CloudCallHook;
}

interface TeaError extends Error {
  code?: string;
  data?: { statusCode?: number; httpCode?: number; requestId?: string };
  statusCode?: number;
}

// openapi-core's models are loosely typed; keep the casts in one place.
type AnyBody = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export class AlibabaSls implements SlsApi {
  private client: Client | undefined;

  constructor(private readonly opts: SlsClientOptions) {}

  /** The SDK client, made on the first call (see the module comment). */
  private async sdkClient(): Promise<Client> {
    if (this.client) return this.client;
    const SlsClient = await loadSdk();
    const opts = this.opts;
    // A plain object is enough for the client's config (it only reads fields), which
    // keeps @alicloud/openapi-core an indirect dependency.
    const config = {
      endpoint: opts.endpoint,
      protocol: opts.protocol ?? 'https',
      regionId: opts.regionId,
      signatureVersion: opts.signatureVersion ?? 'v1',
      readTimeout: opts.policy.timeoutMs,
      connectTimeout: Math.min(opts.policy.timeoutMs, 5000),
      // An ICredential-compatible object: asked before every request, so rotating STS
      // credentials are picked up.
      credential: {
        getCredential: async () => {
          const c = await opts.credentials.getCredentials();
          return { accessKeyId: c.accessKeyId, accessKeySecret: c.accessKeySecret, securityToken: c.securityToken ?? '', type: c.securityToken ? 'sts' : 'access_key' };
        },
      },
    };
    this.client ??= new SlsClient(config as unknown as ConstructorParameters<typeof SlsClient>[0]);
    return this.client;
  }

  /** per-request runtime options (timeouts) */
  private runtime(): { readTimeout: number; connectTimeout: number } {
    return { readTimeout: this.opts.policy.timeoutMs, connectTimeout: Math.min(this.opts.policy.timeoutMs, 5000) };
  }

  /** Runs `fn` with the SDK client (`client`) loaded, with the retry policy and error mapping. */
  private async call<T>(action: string, fn: (runtime: never, client: Client) => Promise<T>): Promise<T> {
    const idempotent = /^(Get|List)/.test(action);
    const client = await this.sdkClient();
    return observed(this.opts.onCall, 'sls', action, (onRetry) => callWithRetry(this.opts.policy, async () => {
      try {
        return await fn(this.runtime() as never, client);
      } catch (err) {
        // the credentials provider's own failure (STS AssumeRole refused) keeps its service, code and status
        if (err instanceof CloudError) throw err;
        const e = err as TeaError;
        const status = e.data?.statusCode ?? e.data?.httpCode ?? e.statusCode;
        if (e.name === 'RequestTimeoutError' || /timeout/i.test(e.code ?? '')) {
          throw new CloudError('Timeout', 'Timeout', e.message, 'sls', action, undefined, undefined, { cause: err });
        }
        const code = e.code ?? e.name ?? 'Error';
        let kind = classify(code, status);
        if (kind === 'Unknown' && status === undefined && /^E[A-Z]+$/.test(code)) kind = 'Unavailable';
        throw new CloudError(kind, code, e.message, 'sls', action, status, e.data?.requestId, { cause: err });
      }
    }, () => new CloudError('Timeout', 'Timeout', `no answer within ${this.opts.policy.timeoutMs} ms`, 'sls', action), { idempotent, onRetry }));
  }

  /** offset/size pagination (size 500) of a name list. */
  private async pages(fn: (offset: number, size: number) => Promise<{ items: string[]; total?: number }>): Promise<string[]> {
    const out: string[] = [];
    for (let offset = 0; ; offset += 500) {
      const { items, total } = await fn(offset, 500);
      out.push(...items);
      if (items.length < 500 || (total !== undefined && out.length >= total)) return out;
    }
  }

  // ---- projects ----

  async listProjects(): Promise<SlsProject[]> {
    const out: SlsProject[] = [];
    for (let offset = 0; ; offset += 500) {
      const r = await this.call('ListProject', (rt, client) => client.listProjectWithOptions(new sls.ListProjectRequest({ offset, size: 500 }), {}, rt));
      const items = (r.body?.projects ?? []).map((p: AnyBody) => ({ projectName: p.projectName ?? '', description: p.description ?? '', region: p.region ?? '', status: p.status ?? '' }));
      out.push(...items);
      if (items.length < 500 || out.length >= Number(r.body?.total ?? 0)) return out;
    }
  }

  async getProject(project: string): Promise<SlsProject> {
    const r = await this.call('GetProject', (rt, client) => client.getProjectWithOptions(project, {}, rt));
    const p = (r.body ?? {}) as AnyBody;
    return { projectName: p.projectName ?? project, description: p.description ?? '', region: p.region ?? '', status: p.status ?? '' };
  }

  async createProject(project: string, description = ''): Promise<void> {
    await this.call('CreateProject', (rt, client) => client.createProjectWithOptions(new sls.CreateProjectRequest({ projectName: project, description }), {}, rt));
  }

  async deleteProject(project: string): Promise<void> {
    await this.call('DeleteProject', (rt, client) => client.deleteProjectWithOptions(project, new sls.DeleteProjectRequest({}), {}, rt));
  }

  // ---- logstores ----

  async listLogStores(project: string): Promise<string[]> {
    return this.pages(async (offset, size) => {
      const r = await this.call('ListLogStores', (rt, client) => client.listLogStoresWithOptions(project, new sls.ListLogStoresRequest({ offset, size }), {}, rt));
      return { items: r.body?.logstores ?? [], total: r.body?.total };
    });
  }

  async getLogStore(project: string, logstore: string): Promise<LogStore> {
    const r = await this.call('GetLogStore', (rt, client) => client.getLogStoreWithOptions(project, logstore, {}, rt));
    const l = (r.body ?? {}) as AnyBody;
    return {
      logstoreName: l.logstoreName ?? logstore, ttl: Number(l.ttl ?? 0), shardCount: Number(l.shardCount ?? 0), autoSplit: l.autoSplit,
      maxSplitShard: l.maxSplitShard, mode: l.mode, appendMeta: l.appendMeta, enableTracking: l.enableTracking, telemetryType: l.telemetryType,
    };
  }

  private logstoreFields(l: LogStore) {
    return {
      logstoreName: l.logstoreName, ttl: l.ttl, shardCount: l.shardCount, autoSplit: l.autoSplit, maxSplitShard: l.maxSplitShard,
      mode: l.mode, appendMeta: l.appendMeta, enableTracking: l.enableTracking, telemetryType: l.telemetryType,
    };
  }

  async createLogStore(project: string, logstore: LogStore): Promise<void> {
    await this.call('CreateLogStore', (rt, client) => client.createLogStoreWithOptions(project, new sls.CreateLogStoreRequest(this.logstoreFields(logstore)), {}, rt));
  }

  async updateLogStore(project: string, logstore: LogStore): Promise<void> {
    await this.call('UpdateLogStore', (rt, client) => client.updateLogStoreWithOptions(project, logstore.logstoreName, new sls.UpdateLogStoreRequest(this.logstoreFields(logstore)), {}, rt));
  }

  async deleteLogStore(project: string, logstore: string): Promise<void> {
    await this.call('DeleteLogStore', (rt, client) => client.deleteLogStoreWithOptions(project, logstore, {}, rt));
  }

  // ---- indexes ----

  private indexModel(index: IndexConfig): InstanceType<typeof sls.Index> {
    return new sls.Index({
      line: index.line ? new sls.IndexLine({ ...index.line }) : undefined,
      keys: index.keys ? Object.fromEntries(Object.entries(index.keys).map(([k, v]) => [k, new sls.IndexKey({ ...v })])) : undefined,
      logReduce: index.logReduce,
      maxTextLen: index.maxTextLen,
    });
  }

  async getIndex(project: string, logstore: string): Promise<IndexConfig> {
    const r = await this.call('GetIndex', (rt, client) => client.getIndexWithOptions(project, logstore, {}, rt));
    const b = (r.body ?? {}) as AnyBody;
    const out: IndexConfig = {};
    if (b.line) out.line = { token: b.line.token ?? [], caseSensitive: b.line.caseSensitive, chn: b.line.chn, includeKeys: b.line.includeKeys, excludeKeys: b.line.excludeKeys };
    if (b.keys) {
      out.keys = {};
      for (const [k, v] of Object.entries(b.keys as Record<string, AnyBody>)) {
        out.keys[k] = { type: v.type, token: v.token, caseSensitive: v.caseSensitive, chn: v.chn, alias: v.alias, docValue: v.docValue };
      }
    }
    if (b.logReduce !== undefined) out.logReduce = b.logReduce;
    if (b.maxTextLen !== undefined) out.maxTextLen = b.maxTextLen;
    return out;
  }

  async createIndex(project: string, logstore: string, index: IndexConfig): Promise<void> {
    await this.call('CreateIndex', (rt, client) => client.createIndexWithOptions(project, logstore, new sls.CreateIndexRequest({ body: this.indexModel(index) }), {}, rt));
  }

  async updateIndex(project: string, logstore: string, index: IndexConfig): Promise<void> {
    await this.call('UpdateIndex', (rt, client) => client.updateIndexWithOptions(project, logstore, new sls.UpdateIndexRequest({ body: this.indexModel(index) }), {}, rt));
  }

  async deleteIndex(project: string, logstore: string): Promise<void> {
    await this.call('DeleteIndex', (rt, client) => client.deleteIndexWithOptions(project, logstore, {}, rt));
  }

  // ---- logtail configs ----

  private configModel(c: LogtailConfig): InstanceType<typeof sls.LogtailConfig> {
    return new sls.LogtailConfig({
      configName: c.configName, inputType: c.inputType, inputDetail: c.inputDetail, outputType: c.outputType,
      outputDetail: new sls.LogtailConfigOutputDetail({ ...c.outputDetail }), logSample: c.logSample,
    });
  }

  async listConfigs(project: string, filter: { logstoreName?: string } = {}): Promise<string[]> {
    return this.pages(async (offset, size) => {
      const r = await this.call('ListConfig', (rt, client) => client.listConfigWithOptions(project, new sls.ListConfigRequest({ offset, size, logstoreName: filter.logstoreName }), {}, rt));
      return { items: r.body?.configs ?? [], total: r.body?.total };
    });
  }

  async getConfig(project: string, configName: string): Promise<LogtailConfig> {
    const r = await this.call('GetConfig', (rt, client) => client.getConfigWithOptions(project, configName, {}, rt));
    const b = (r.body ?? {}) as AnyBody;
    return {
      configName: b.configName ?? configName, inputType: b.inputType ?? '', inputDetail: b.inputDetail ?? {}, outputType: b.outputType ?? '',
      outputDetail: { logstoreName: b.outputDetail?.logstoreName ?? '', endpoint: b.outputDetail?.endpoint, region: b.outputDetail?.region },
      logSample: b.logSample, createTime: b.createTime, lastModifyTime: b.lastModifyTime,
    };
  }

  async createConfig(project: string, config: LogtailConfig): Promise<void> {
    await this.call('CreateConfig', (rt, client) => client.createConfigWithOptions(project, new sls.CreateConfigRequest({ body: this.configModel(config) }), {}, rt));
  }

  async updateConfig(project: string, config: LogtailConfig): Promise<void> {
    await this.call('UpdateConfig', (rt, client) => client.updateConfigWithOptions(project, config.configName, new sls.UpdateConfigRequest({ body: this.configModel(config) }), {}, rt));
  }

  async deleteConfig(project: string, configName: string): Promise<void> {
    await this.call('DeleteConfig', (rt, client) => client.deleteConfigWithOptions(project, configName, {}, rt));
  }

  // ---- machine groups ----

  private groupFields(g: MachineGroup) {
    return {
      groupName: g.groupName, machineIdentifyType: g.machineIdentifyType, machineList: g.machineList, groupType: g.groupType ?? '',
      groupAttribute: g.groupAttribute ? new sls.CreateMachineGroupRequestGroupAttribute({ ...g.groupAttribute }) : undefined,
    };
  }

  async listMachineGroups(project: string): Promise<string[]> {
    return this.pages(async (offset, size) => {
      const r = await this.call('ListMachineGroup', (rt, client) => client.listMachineGroupWithOptions(project, new sls.ListMachineGroupRequest({ offset, size }), {}, rt));
      return { items: r.body?.machinegroups ?? [], total: r.body?.total };
    });
  }

  async getMachineGroup(project: string, groupName: string): Promise<MachineGroup> {
    const r = await this.call('GetMachineGroup', (rt, client) => client.getMachineGroupWithOptions(project, groupName, {}, rt));
    const b = (r.body ?? {}) as AnyBody;
    return {
      groupName: b.groupName ?? groupName, machineIdentifyType: b.machineIdentifyType ?? '', machineList: b.machineList ?? [],
      groupType: b.groupType, groupAttribute: b.groupAttribute ? { externalName: b.groupAttribute.externalName, groupTopic: b.groupAttribute.groupTopic } : undefined,
    };
  }

  async createMachineGroup(project: string, group: MachineGroup): Promise<void> {
    await this.call('CreateMachineGroup', (rt, client) => client.createMachineGroupWithOptions(project, new sls.CreateMachineGroupRequest(this.groupFields(group)), {}, rt));
  }

  async updateMachineGroup(project: string, group: MachineGroup): Promise<void> {
    await this.call('UpdateMachineGroup', (rt, client) => {
      const req = new sls.UpdateMachineGroupRequest({ ...this.groupFields(group), groupAttribute: group.groupAttribute ? new sls.UpdateMachineGroupRequestGroupAttribute({ ...group.groupAttribute }) : undefined });
      return client.updateMachineGroupWithOptions(project, group.groupName, req, {}, rt);
    });
  }

  async deleteMachineGroup(project: string, groupName: string): Promise<void> {
    await this.call('DeleteMachineGroup', (rt, client) => client.deleteMachineGroupWithOptions(project, groupName, {}, rt));
  }

  async applyConfigToMachineGroup(project: string, groupName: string, configName: string): Promise<void> {
    await this.call('ApplyConfigToMachineGroup', (rt, client) => client.applyConfigToMachineGroupWithOptions(project, groupName, configName, {}, rt));
  }

  async removeConfigFromMachineGroup(project: string, groupName: string, configName: string): Promise<void> {
    await this.call('RemoveConfigFromMachineGroup', (rt, client) => client.removeConfigFromMachineGroupWithOptions(project, groupName, configName, {}, rt));
  }

  async getAppliedConfigs(project: string, groupName: string): Promise<string[]> {
    const r = await this.call('GetAppliedConfigs', (rt, client) => client.getAppliedConfigsWithOptions(project, groupName, {}, rt));
    return r.body?.configs ?? [];
  }

  async getAppliedMachineGroups(project: string, configName: string): Promise<string[]> {
    const r = await this.call('GetAppliedMachineGroups', (rt, client) => client.getAppliedMachineGroupsWithOptions(project, configName, {}, rt));
    return r.body?.machinegroups ?? [];
  }

  // ---- tags ----

  async listProjectTags(project: string): Promise<Record<string, string>> {
    const out: Record<string, string> = {};
    const r = await this.call('ListTagResources', (rt, client) => client.listTagResourcesWithOptions(new sls.ListTagResourcesRequest({ resourceType: 'project', resourceId: [project] }), {}, rt));
    for (const t of r.body?.tagResources ?? []) if (t.resourceId === project && t.tagKey) out[t.tagKey] = t.tagValue ?? '';
    return out;
  }

  async tagProject(project: string, tags: Record<string, string>): Promise<void> {
    if (Object.keys(tags).length === 0) return;
    await this.call('TagResources', (rt, client) => {
      const list = Object.entries(tags).map(([key, value]) => new sls.TagResourcesRequestTags({ key, value }));
      return client.tagResourcesWithOptions(new sls.TagResourcesRequest({ resourceType: 'project', resourceId: [project], tags: list }), {}, rt);
    });
  }

  async untagProject(project: string, keys: string[]): Promise<void> {
    if (keys.length === 0) return;
    await this.call('UntagResources', (rt, client) => client.untagResourcesWithOptions(new sls.UntagResourcesRequest({ resourceType: 'project', resourceId: [project], tags: keys, all: false }), {}, rt));
  }
}
