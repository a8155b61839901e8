/**
 * Simple Log Service (API 0.6.0, SDK sls20201230): projects are addressed by the Host
 * (`<project>.<endpoint>`), resources by path; JSON bodies; errors are
 * `{errorCode, errorMessage}` with `x-log-requestid`. Requests are authenticated with
 * the v1 signature the SDK sends:
 *   Authorization: LOG <AccessKeyId>:base64(HMAC-SHA256(secret,
 *     VERB \n Content-MD5 \n Content-Type \n Date \n
 *     sorted `x-log-*`/`x-acs-*` headers as `name:value\n` + path[?sorted k=v&...]))
 * with `x-log-signaturemethod: hmac-sha256` (or HMAC-SHA1 with `hmac-sha1`, as SLS' reference
 * signs) and Content-MD5 the upper-case hex MD5 of the body.
 * Signature v4 (`SLS4-HMAC-SHA256`) is verified too.
 */
import { createHash, createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { SimError, type Cloud } from './cloud.js';
import type { Authenticator, Caller } from './auth.js';
import { accessDeniedDetail, arn, authorize, checkRam, principalOf, ramDenied } from './ram.js';
import type { Faults } from './faults.js';
import type { CloudState, LogStore, LogtailConfigState, MachineGroupState, SlsProject } from './state.js';
import { storedInputDetail, storedOutputDetail } from './sls-config.js';
import { jsonDepth, MAX_JSON_DEPTH } from './simhttp.js';

export function slsStringToSign(method: string, path: string, query: Record<string, string>, headers: Record<string, string>): string {
  const resource = path + Object.keys(query).sort().map((k, i) => `${i === 0 ? '?' : '&'}${k}=${query[k]}`).join('');
  const signed = Object.keys(headers).filter((h) => h.includes('x-log-') || h.includes('x-acs-')).sort()
    .map((h) => `${h}:${headers[h]}\n`).join('');
  return `${method}\n${headers['content-md5'] ?? ''}\n${headers['content-type'] ?? ''}\n${headers['date'] ?? ''}\n${signed}${resource}`;
}

const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const v4Encode = (v: string) => encodeURIComponent(v).replace('+', '%20').replace('*', '%2A').replace('%7E', '~');
const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data).digest();

/**
 * Signature v4 (`SLS4-HMAC-SHA256`), which the SDK uses when configured with
 * `signatureVersion: 'v4'`: a canonical request over method, path, sorted query,
 * the signed headers (x-log-*, x-acs-*, host, content-type) and the body's SHA-256,
 * signed with a key derived from secret, date, region and service.
 */
export function slsV4Signature(method: string, path: string, query: Record<string, string>, headers: Record<string, string>, signedHeaders: string, secret: string, date: string, region: string): string {
  const canonicalQuery = Object.keys(query).sort().map((k) => (query[k] ? `${k}=${v4Encode(query[k])}` : k)).join('&');
  const names = signedHeaders.split(';');
  const canonicalHeaders = names.map((h) => `${h}:${(headers[h] ?? '').trim()}\n`).join('');
  const canonical = `${method}\n${path || '/'}\n${canonicalQuery}\n${canonicalHeaders}\n${signedHeaders}\n${headers['x-log-content-sha256'] ?? EMPTY_SHA256}`;
  const day = date.slice(0, 8);
  const scope = `${day}/${region}/sls/aliyun_v4_request`;
  const toSign = `SLS4-HMAC-SHA256\n${date}\n${scope}\n${createHash('sha256').update(canonical).digest('hex')}`;
  const key = hmac(hmac(hmac(hmac(`aliyun_v4${secret}`, day), region), 'sls'), 'aliyun_v4_request');
  return createHmac('sha256', key).update(toSign).digest('hex');
}

/**
 * The v1 signature: the HMAC `x-log-signaturemethod` names over {@link slsStringToSign}. SLS'
 * "Request signatures" reference signs with `hmac-sha1`; the SDK the controllers use
 * (@alicloud/gateway-sls getSignature) sends `hmac-sha256`, and the emulator takes a request
 * without the header as that. Any other method is refused as SLS' common error table has it:
 * 400 `InvalidSignatureMethod` "signature method {method} is unsupported".
 */
export function slsSign(method: string, path: string, query: Record<string, string>, headers: Record<string, string>, secret: string): string {
  const signatureMethod = headers['x-log-signaturemethod'] ?? 'hmac-sha256';
  if (signatureMethod !== 'hmac-sha1' && signatureMethod !== 'hmac-sha256') {
    throw new SimError('InvalidSignatureMethod', `signature method ${signatureMethod} is unsupported`, 400);
  }
  return createHmac(signatureMethod === 'hmac-sha1' ? 'sha1' : 'sha256', secret).update(slsStringToSign(method, path, query, headers)).digest('base64');
}

/**
 * The decoded segments of a request path. A segment that is not valid percent-encoding
 * (`%zz`, `%ff`) names no resource: 400 `ParameterInvalid`, SLS' common error for a request
 * parameter it cannot accept (SLS "Error codes", common error codes table), not a crash.
 */
function pathSegments(pathname: string): string[] {
  return pathname.split('/').filter(Boolean).map((s) => {
    try {
      return decodeURIComponent(s);
    } catch {
      throw new SimError('ParameterInvalid', `the request path segment ${JSON.stringify(s)} is not valid percent-encoding`, 400);
    }
  });
}

interface Route { action: string; run: (ctx: SlsCtx) => unknown }
interface SlsCtx { cloud: Cloud; project?: SlsProject; projectName?: string; parts: string[]; query: Record<string, string>; body: Record<string, unknown>; now: number }

const secs = (ms: number) => Math.floor(ms / 1000);
/** Machine group names: 3-128 of a-z 0-9 _ - , starting and ending with a letter or digit (SLS "Machine groups"). */
const nameRe = /^[a-z0-9][a-z0-9_-]{1,126}[a-z0-9]$/;
/** Logtail config names: the same characters, 2-128 long (SLS "Logtail configurations (Legacy)"; LogtailConfig struct, API 2020-12-30). */
const configNameRe = /^[a-z0-9][a-z0-9_-]{0,126}[a-z0-9]$/;
/** Logstore names: the same characters, but 3-63 long (SLS "Logstores" naming rules; ROS ALIYUN::SLS::Logstore). */
const logstoreNameRe = /^[a-z0-9][a-z0-9_-]{1,61}[a-z0-9]$/;

function bad(msg: string): SimError { return new SimError('ParameterInvalid', msg, 400); }

/**
 * A string field of a request body: a string as sent, a number or boolean in its text form,
 * `def` when absent; any other JSON value is a 400 ParameterInvalid (converting an object to a
 * string runs whatever `toString` the body put there, and answered a 500).
 */
function text(v: unknown, name: string, def: string): string {
  if (v === undefined || v === null) return def;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  throw bad(`${name} must be a string`);
}

// ProjectNotExist 404 "The Project does not exist: <name>" and Unauthorized 401 "AccessKeyId not found: <id>" are what the
// real service answers (aliyun-log-go-sdk logstore_e2e_test.go, run against SLS)
function needProject(ctx: SlsCtx): SlsProject {
  if (!ctx.project) throw new SimError('ProjectNotExist', `The Project does not exist: ${ctx.projectName ?? ''}`, 404);
  return ctx.project;
}
function logstore(ctx: SlsCtx, name: string): LogStore {
  const ls = needProject(ctx).logstores.find((l) => l.logstoreName === name);
  if (!ls) throw new SimError('LogStoreNotExist', `logstore ${name} does not exist`, 404);
  return ls;
}
function config(ctx: SlsCtx, name: string): LogtailConfigState {
  const c = needProject(ctx).configs.find((x) => x.configName === name);
  if (!c) throw new SimError('ConfigNotExist', `config ${name} does not exist`, 404);
  return c;
}
function machineGroup(ctx: SlsCtx, name: string): MachineGroupState {
  const g = needProject(ctx).machineGroups.find((x) => x.groupName === name);
  if (!g) throw new SimError('MachineGroupNotExist', `machine group ${name} does not exist`, 404);
  return g;
}
function window<T>(items: T[], q: Record<string, string>): T[] {
  const offset = Number(q.offset ?? 0);
  const size = Number(q.size ?? 500);
  if (!Number.isInteger(offset) || offset < 0 || !Number.isInteger(size) || size < 1 || size > 500) throw bad('offset must be >= 0 and size between 1 and 500');
  return items.slice(offset, offset + size);
}
function int(v: unknown, name: string, min: number, max: number, def: number): number {
  if (v === undefined || v === null) return def;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw bad(`${name} must be an integer in [${min}, ${max}]`);
  return v;
}

function logstoreView(l: LogStore): Record<string, unknown> {
  return {
    logstoreName: l.logstoreName, ttl: l.ttl, shardCount: l.shardCount, autoSplit: l.autoSplit, maxSplitShard: l.maxSplitShard,
    mode: l.mode, appendMeta: l.appendMeta, enable_tracking: l.enableTracking, telemetryType: l.telemetryType,
    ...(l.hotTtl !== undefined ? { hot_ttl: l.hotTtl } : {}), createTime: l.createTime, lastModifyTime: l.lastModifyTime, productType: '',
  };
}

function applyLogstoreFields(l: LogStore, b: Record<string, unknown>): void {
  l.ttl = int(b.ttl, 'ttl', 1, 3650, l.ttl);
  if (b.autoSplit !== undefined) l.autoSplit = Boolean(b.autoSplit);
  // maxSplitShard: 1-64, and required when autoSplit is on (SLS "Logstores" resource description)
  l.maxSplitShard = int(b.maxSplitShard, 'maxSplitShard', 1, 64, l.maxSplitShard);
  if (b.mode !== undefined) {
    if (b.mode !== 'standard' && b.mode !== 'query') throw bad('mode must be "standard" or "query"');
    l.mode = b.mode;
  }
  if (b.appendMeta !== undefined) l.appendMeta = Boolean(b.appendMeta);
  if (b.enable_tracking !== undefined) l.enableTracking = Boolean(b.enable_tracking);
  if (b.hot_ttl !== undefined) l.hotTtl = int(b.hot_ttl, 'hot_ttl', 1, 3650, 0);
}

function configFromBody(b: Record<string, unknown>, ctx: SlsCtx, existing?: LogtailConfigState): LogtailConfigState {
  const configName = text(b.configName, 'configName', existing?.configName ?? '');
  if (!configNameRe.test(configName)) throw bad(`invalid configName "${configName}"`);
  const inputType = text(b.inputType, 'inputType', '');
  if (!['file', 'plugin', 'syslog', 'streamlog'].includes(inputType)) throw bad(`inputType must be one of file, plugin, syslog, streamlog (got "${inputType}")`);
  const outputType = text(b.outputType, 'outputType', '');
  if (outputType !== 'LogService') throw bad('outputType must be "LogService"');
  const outputDetail = (b.outputDetail ?? {}) as LogtailConfigState['outputDetail'];
  if (!outputDetail || typeof outputDetail !== 'object' || !outputDetail.logstoreName) throw bad('outputDetail.logstoreName is required');
  if (typeof outputDetail.logstoreName !== 'string') throw bad('outputDetail.logstoreName must be a string');
  logstore(ctx, outputDetail.logstoreName);
  const inputDetail = b.inputDetail;
  if (!inputDetail || typeof inputDetail !== 'object' || Array.isArray(inputDetail)) throw bad('inputDetail must be an object');
  return {
    configName, inputType, outputType,
    inputDetail: storedInputDetail(inputType, inputDetail as Record<string, unknown>),
    outputDetail: storedOutputDetail(needProject(ctx).region, { logstoreName: outputDetail.logstoreName }),
    ...(typeof b.logSample === 'string' ? { logSample: b.logSample } : {}),
    createTime: existing?.createTime ?? secs(ctx.now), lastModifyTime: secs(ctx.now),
  };
}

function groupFromBody(b: Record<string, unknown>, ctx: SlsCtx, existing?: MachineGroupState): MachineGroupState {
  const groupName = text(b.groupName, 'groupName', existing?.groupName ?? '');
  if (!nameRe.test(groupName)) throw bad(`invalid groupName "${groupName}"`);
  const machineIdentifyType = text(b.machineIdentifyType, 'machineIdentifyType', 'ip');
  if (machineIdentifyType !== 'ip' && machineIdentifyType !== 'userdefined') throw bad('machineIdentifyType must be "ip" or "userdefined"');
  const machineList = b.machineList ?? [];
  if (!Array.isArray(machineList) || machineList.some((x) => typeof x !== 'string')) throw bad('machineList must be a list of strings');
  return {
    groupName, groupType: text(b.groupType, 'groupType', ''), machineIdentifyType, machineList: machineList as string[],
    groupAttribute: (b.groupAttribute ?? {}) as MachineGroupState['groupAttribute'],
    createTime: existing?.createTime ?? secs(ctx.now), lastModifyTime: secs(ctx.now), configs: existing?.configs ?? [],
  };
}

function configView(c: LogtailConfigState): Record<string, unknown> {
  return { configName: c.configName, inputType: c.inputType, inputDetail: c.inputDetail, outputType: c.outputType, outputDetail: c.outputDetail, logSample: c.logSample ?? '', createTime: c.createTime, lastModifyTime: c.lastModifyTime };
}
function groupView(g: MachineGroupState): Record<string, unknown> {
  return { groupName: g.groupName, groupType: g.groupType, machineIdentifyType: g.machineIdentifyType, machineList: g.machineList, groupAttribute: g.groupAttribute, createTime: g.createTime, lastModifyTime: g.lastModifyTime };
}

/** Maps (method, project?, path) to an SDK action name and its implementation. */
function route(method: string, hasProject: boolean, parts: string[]): Route | undefined {
  const [a, b, c, d] = parts;
  const n = parts.length;
  if (!hasProject) {
    if (n === 0 && method === 'POST') return { action: 'CreateProject', run: createProject };
    if (n === 0 && method === 'GET') return { action: 'ListProject', run: listProjects };
    if (n === 1 && a === 'tag' && method === 'POST') return { action: 'TagResources', run: tagResources };
    if (n === 1 && a === 'untag' && method === 'POST') return { action: 'UntagResources', run: untagResources };
    if (n === 1 && a === 'tags' && method === 'GET') return { action: 'ListTagResources', run: listTags };
    return undefined;
  }
  if (n === 0) {
    if (method === 'GET') return { action: 'GetProject', run: (x) => projectView(needProject(x)) };
    if (method === 'PUT') return { action: 'UpdateProject', run: (x) => { const p = needProject(x); if (typeof x.body.description === 'string') p.description = x.body.description; p.lastModifyTime = secs(x.now); x.cloud.changed(); } };
    if (method === 'DELETE') return { action: 'DeleteProject', run: deleteProject };
  }
  if (a === 'logstores') {
    if (n === 1 && method === 'POST') return { action: 'CreateLogStore', run: createLogstore };
    if (n === 1 && method === 'GET') return { action: 'ListLogStores', run: (x) => { const all = needProject(x).logstores.filter((l) => !x.query.logstoreName || l.logstoreName.includes(x.query.logstoreName)).map((l) => l.logstoreName); const page = window(all, x.query); return { count: page.length, total: all.length, logstores: page }; } };
    if (n === 2 && method === 'GET') return { action: 'GetLogStore', run: (x) => logstoreView(logstore(x, b)) };
    // UpdateLogStore: logstoreName, ttl and shardCount are required; shardCount does not change the shards (SplitShard
    // and MergeShards do); maxSplitShard is required with autoSplit (UpdateLogStore API reference)
    if (n === 2 && method === 'PUT') {
      return {
        action: 'UpdateLogStore',
        run: (x) => {
          const l = logstore(x, b);
          for (const k of ['logstoreName', 'ttl', 'shardCount']) if (x.body[k] === undefined) throw bad(`${k} is required`);
          if (x.body.logstoreName !== b) throw bad('logstoreName in the body must match the path');
          if (x.body.autoSplit === true && x.body.maxSplitShard === undefined) throw bad('maxSplitShard is required when autoSplit is true');
          applyLogstoreFields(l, x.body);
          l.lastModifyTime = secs(x.now);
          x.cloud.changed();
        },
      };
    }
    if (n === 2 && method === 'DELETE') return { action: 'DeleteLogStore', run: (x) => { logstore(x, b); const p = needProject(x); p.logstores = p.logstores.filter((l) => l.logstoreName !== b); x.cloud.changed(); } };
    if (n === 3 && c === 'index') {
      if (method === 'POST') return { action: 'CreateIndex', run: (x) => { const l = logstore(x, b); if (l.index) throw new SimError('IndexAlreadyExist', `log store index ${b} already exists`, 400); l.index = checkIndex(x.body); x.cloud.changed(); } };
      if (method === 'PUT') return { action: 'UpdateIndex', run: (x) => { const l = logstore(x, b); if (!l.index) throw new SimError('IndexConfigNotExist', `index config of ${b} does not exist`, 404); l.index = checkIndex(x.body); x.cloud.changed(); } };
      if (method === 'GET') return { action: 'GetIndex', run: (x) => { const l = logstore(x, b); if (!l.index) throw new SimError('IndexConfigNotExist', `index config of ${b} does not exist`, 404); return { ...l.index, index_mode: 'v2', lastModifyTime: l.lastModifyTime, storage: 'pg' }; } };
      if (method === 'DELETE') return { action: 'DeleteIndex', run: (x) => { const l = logstore(x, b); if (!l.index) throw new SimError('IndexConfigNotExist', `index config of ${b} does not exist`, 404); delete l.index; x.cloud.changed(); } };
    }
  }
  if (a === 'configs') {
    if (n === 1 && method === 'POST') return { action: 'CreateConfig', run: (x) => { const p = needProject(x); const cfg = configFromBody(x.body, x); if (p.configs.some((q) => q.configName === cfg.configName)) throw new SimError('ConfigAlreadyExist', `config ${cfg.configName} already exists`, 400); p.configs.push(cfg); x.cloud.changed(); } };
    if (n === 1 && method === 'GET') return { action: 'ListConfig', run: (x) => { const all = needProject(x).configs.filter((q) => (!x.query.configName || q.configName.includes(x.query.configName)) && (!x.query.logstoreName || q.outputDetail.logstoreName === x.query.logstoreName)).map((q) => q.configName); const page = window(all, x.query); return { count: page.length, total: all.length, configs: page }; } };
    if (n === 2 && method === 'GET') return { action: 'GetConfig', run: (x) => configView(config(x, b)) };
    if (n === 2 && method === 'PUT') return { action: 'UpdateConfig', run: (x) => { const old = config(x, b); if (x.body.configName !== undefined && x.body.configName !== b) throw bad('configName in the body must match the path'); const next = configFromBody({ ...x.body, configName: b }, x, old); Object.assign(old, next); x.cloud.changed(); } };
    if (n === 2 && method === 'DELETE') return { action: 'DeleteConfig', run: (x) => { config(x, b); const p = needProject(x); p.configs = p.configs.filter((q) => q.configName !== b); for (const g of p.machineGroups) g.configs = g.configs.filter((q) => q !== b); x.cloud.changed(); } };
    if (n === 3 && c === 'machinegroups' && method === 'GET') return { action: 'GetAppliedMachineGroups', run: (x) => { config(x, b); const gs = needProject(x).machineGroups.filter((g) => g.configs.includes(b)).map((g) => g.groupName); return { count: gs.length, machinegroups: gs }; } };
  }
  if (a === 'machinegroups') {
    if (n === 1 && method === 'POST') return { action: 'CreateMachineGroup', run: (x) => { const p = needProject(x); const g = groupFromBody(x.body, x); if (p.machineGroups.some((q) => q.groupName === g.groupName)) throw new SimError('MachineGroupAlreadyExist', `machine group ${g.groupName} already exists`, 400); p.machineGroups.push(g); x.cloud.changed(); } };
    if (n === 1 && method === 'GET') return { action: 'ListMachineGroup', run: (x) => { const all = needProject(x).machineGroups.filter((g) => !x.query.groupName || g.groupName.includes(x.query.groupName)).map((g) => g.groupName); const page = window(all, x.query); return { count: page.length, total: all.length, machinegroups: page }; } };
    if (n === 2 && method === 'GET') return { action: 'GetMachineGroup', run: (x) => groupView(machineGroup(x, b)) };
    if (n === 2 && method === 'PUT') return { action: 'UpdateMachineGroup', run: (x) => { const old = machineGroup(x, b); Object.assign(old, groupFromBody({ ...x.body, groupName: b }, x, old)); x.cloud.changed(); } };
    if (n === 2 && method === 'DELETE') return { action: 'DeleteMachineGroup', run: (x) => { machineGroup(x, b); const p = needProject(x); p.machineGroups = p.machineGroups.filter((g) => g.groupName !== b); x.cloud.changed(); } };
    if (n === 3 && c === 'configs' && method === 'GET') return { action: 'GetAppliedConfigs', run: (x) => { const g = machineGroup(x, b); return { count: g.configs.length, configs: [...g.configs] }; } };
    if (n === 4 && c === 'configs' && method === 'PUT') return { action: 'ApplyConfigToMachineGroup', run: (x) => { const g = machineGroup(x, b); config(x, d); if (!g.configs.includes(d)) g.configs.push(d); x.cloud.changed(); } };
    if (n === 4 && c === 'configs' && method === 'DELETE') return { action: 'RemoveConfigFromMachineGroup', run: (x) => { const g = machineGroup(x, b); config(x, d); g.configs = g.configs.filter((q) => q !== d); x.cloud.changed(); } };
  }
  return undefined;
}

function checkIndex(b: Record<string, unknown>): Record<string, unknown> {
  if (!b.line && !b.keys) throw bad('an index needs "line" or "keys"');
  if (b.keys !== undefined && (typeof b.keys !== 'object' || Array.isArray(b.keys))) throw bad('"keys" must be an object');
  return JSON.parse(JSON.stringify(b));
}

function projectView(p: SlsProject): Record<string, unknown> {
  return { projectName: p.projectName, description: p.description, region: p.region, status: p.status, owner: '', createTime: String(p.createTime), lastModifyTime: String(p.lastModifyTime), dataRedundancyType: 'LRS', recycleBinEnabled: false, resourceGroupId: '' };
}

function createProject(x: SlsCtx): void {
  const name = text(x.body.projectName, 'projectName', '');
  if (!/^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/.test(name)) throw new SimError('ProjectNameInvalid', `project name "${name}" is invalid: 3-63 lowercase letters, digits and hyphens`, 400);
  // description is required: at most 64 characters, none of < > ' " \ (CreateProject; SDK for Python "Create a project")
  const description = x.body.description;
  if (typeof description !== 'string') throw bad('description is required');
  if (description.length > 64 || /[<>'"\\]/.test(description)) throw bad('description must be at most 64 characters, without < > \' " or \\');
  if (x.cloud.state.slsProjects.some((p) => p.projectName === name)) throw new SimError('ProjectAlreadyExist', `Project ${name} already exist`, 400);
  x.cloud.state.slsProjects.push({
    projectName: name, description, region: x.cloud.state.regionId, status: 'Normal',
    createTime: secs(x.now), lastModifyTime: secs(x.now), logstores: [], configs: [], machineGroups: [],
  });
  x.cloud.changed();
}

function listProjects(x: SlsCtx): unknown {
  const all = x.cloud.state.slsProjects.filter((p) => !x.query.projectName || p.projectName.includes(x.query.projectName));
  const page = window(all, x.query);
  return { count: page.length, total: all.length, projects: page.map(projectView) };
}

function deleteProject(x: SlsCtx): void {
  const p = needProject(x);
  if (p.logstores.length && x.query.forceDelete !== 'true') throw new SimError('ProjectNotEmpty', `project ${p.projectName} still has logstores`, 400);
  x.cloud.state.slsProjects = x.cloud.state.slsProjects.filter((q) => q !== p);
  x.cloud.state.slsTags = x.cloud.state.slsTags.filter((t) => !(t.resourceType === 'project' && t.resourceId === p.projectName));
  x.cloud.changed();
}

function resourceIds(x: SlsCtx, raw: unknown): string[] {
  if (!Array.isArray(raw) || raw.length === 0 || raw.some((r) => typeof r !== 'string')) throw bad('resourceId must be a non-empty list of strings');
  const type = text(x.body.resourceType, 'resourceType', x.query.resourceType ?? '');
  if (type !== 'project') throw bad(`resourceType "${type}" is not supported by the emulator (only "project")`);
  for (const id of raw as string[]) if (!x.cloud.state.slsProjects.some((p) => p.projectName === id)) throw new SimError('ProjectNotExist', `The Project does not exist: ${id}`, 404);
  return raw as string[];
}

function tagResources(x: SlsCtx): void {
  const ids = resourceIds(x, x.body.resourceId);
  const tags = x.body.tags;
  if (!Array.isArray(tags) || tags.some((t) => !t || typeof t.key !== 'string' || (t.value !== undefined && typeof t.value !== 'string'))) throw bad('tags must be a list of {key, value}');
  for (const id of ids) for (const t of tags as Array<{ key: string; value?: string }>) {
    const st = x.cloud.state;
    st.slsTags = st.slsTags.filter((e) => !(e.resourceType === 'project' && e.resourceId === id && e.key === t.key));
    st.slsTags.push({ resourceType: 'project', resourceId: id, key: t.key, value: t.value ?? '' });
  }
  x.cloud.changed();
}

function untagResources(x: SlsCtx): void {
  const ids = resourceIds(x, x.body.resourceId);
  const keys = Array.isArray(x.body.tags) ? (x.body.tags as string[]) : [];
  const all = x.body.all === true;
  x.cloud.state.slsTags = x.cloud.state.slsTags.filter((e) => !(e.resourceType === 'project' && ids.includes(e.resourceId) && (all || keys.includes(e.key))));
  x.cloud.changed();
}

/** A query parameter carrying JSON (ListTagResources' `resourceId` and `tags`), checked by `ok`; absent: undefined. */
function jsonQuery<T>(x: SlsCtx, name: string, ok: (v: unknown) => v is T, what: string): T | undefined {
  const raw = x.query[name];
  if (!raw) return undefined;
  let v: unknown;
  try { v = JSON.parse(raw); } catch { throw bad(`${name} must be ${what}`); }
  if (!ok(v)) throw bad(`${name} must be ${what}`);
  return v;
}

// ListTagResources (API 2020-12-30): `resourceId` is a list of resource ids, `tags` a list of {key, value} to filter by;
// anything else is a 400 ParameterInvalid (a JSON number or object there used to reach `.some` and answer a 500)
function listTags(x: SlsCtx): unknown {
  const ids = jsonQuery(x, 'resourceId', (v): v is string[] => Array.isArray(v) && v.every((i) => typeof i === 'string'), 'a JSON list of strings');
  const filter = jsonQuery(x, 'tags', (v): v is Array<{ key: string; value?: string }> => Array.isArray(v)
    && v.every((t) => !!t && typeof t === 'object' && typeof t.key === 'string' && (t.value === undefined || typeof t.value === 'string')), 'a JSON list of {"key", "value"}') ?? [];
  const list = x.cloud.state.slsTags.filter((t) => t.resourceType === (x.query.resourceType || 'project')
    && (!ids || ids.includes(t.resourceId))
    && (filter.length === 0 || filter.some((f) => f.key === t.key && (f.value === undefined || f.value === '' || f.value === t.value))));
  return { nextToken: '', tagResources: list.map((t) => ({ resourceId: t.resourceId, resourceType: t.resourceType, tagKey: t.key, tagValue: t.value })) };
}

function createLogstore(x: SlsCtx): void {
  const p = needProject(x);
  const b = x.body;
  const name = text(b.logstoreName, 'logstoreName', '');
  if (!logstoreNameRe.test(name)) throw bad(`logstore name "${name}" is invalid: 3-63 lowercase letters, digits, "_" and "-", starting and ending with a letter or digit`);
  if (p.logstores.some((l) => l.logstoreName === name)) throw new SimError('LogStoreAlreadyExist', `logstore ${name} already exists`, 400);
  const l: LogStore = {
    logstoreName: name, ttl: 30, shardCount: int(b.shardCount, 'shardCount', 1, 100, 2), autoSplit: false, maxSplitShard: 64,
    mode: 'standard', appendMeta: false, enableTracking: false, telemetryType: text(b.telemetryType, 'telemetryType', 'None'),
    createTime: secs(x.now), lastModifyTime: secs(x.now),
  };
  // ttl and shardCount are required (CreateLogStore API 2020-12-30); shards 1-100 (ROS ALIYUN::SLS::Logstore)
  if (b.ttl === undefined) throw bad('ttl is required');
  if (b.shardCount === undefined) throw bad('shardCount is required');
  if (b.autoSplit === true && b.maxSplitShard === undefined) throw bad('maxSplitShard is required when autoSplit is true');
  applyLogstoreFields(l, b);
  p.logstores.push(l);
  x.cloud.changed();
}

// ---- RAM ----

/** SLS's RAM action names where they differ from the API's (docs/cloud.md, log-config permissions). */
const SLS_RAM_ACTIONS: Record<string, string> = {
  ApplyConfigToMachineGroup: 'ApplyConfigToGroup',
  RemoveConfigFromMachineGroup: 'RemoveConfigFromGroup',
};

/**
 * Other RAM names a policy may grant an action by. ACK's own log roles grant the config removal as
 * `log:RemoveConfigFromMachineGroup` (RAM system policies AliyunCSKubernetesAuditRolePolicy,
 * AliyunCCKubernetesAuditRolePolicy), newer ones both names (AliyunAdcpManagedLogRolePolicy), and the
 * API reference names none: either name allows the call (an explicit Deny of either refuses it).
 */
const SLS_RAM_ALIASES: Record<string, string[]> = {
  RemoveConfigFromMachineGroup: ['log:RemoveConfigFromMachineGroup'],
};

function checkSlsRam(state: CloudState, caller: Caller, api: string, resource: string, forceDeny: boolean): void {
  const action = `log:${SLS_RAM_ACTIONS[api] ?? api}`;
  const aliases = SLS_RAM_ALIASES[api] ?? [];
  if (forceDeny || aliases.length === 0) return checkRam(state, caller, 'sls', action, resource, forceDeny);
  const principal = principalOf(caller);
  const verdicts = [action, ...aliases].map((a) => authorize(state.ram, principal, a, resource));
  const denied = verdicts.find((v) => v.decision === 'ExplicitDeny') ?? (verdicts.some((v) => v.decision === 'Allow') ? undefined : verdicts[0]);
  if (denied) throw ramDenied('sls', action, resource, accessDeniedDetail(state.ram, principal, action, denied));
}

/**
 * The ARN a call works on, as SLS names it in its refusals and policies:
 * `acs:log:<region>:<account>:project/<p>`, `.../project/<p>/logstore/<l>`,
 * `.../project/<p>/logtailconfig/<c>`, `.../project/<p>/machinegroup/<g>`.
 */
function slsResource(state: CloudState, projectName: string, parts: string[], body: Record<string, unknown>): string {
  if (!projectName) {
    const named = typeof body.projectName === 'string' && parts.length === 0 ? body.projectName : '*';
    return arn(state, 'log', `project/${named}`);
  }
  const [a, b] = parts;
  const kind = a === 'logstores' ? 'logstore' : a === 'configs' ? 'logtailconfig' : a === 'machinegroups' ? 'machinegroup' : undefined;
  // a create names its resource in the body (POST /logstores {logstoreName}, /configs {configName}, /machinegroups {groupName})
  const created = body[a === 'logstores' ? 'logstoreName' : a === 'configs' ? 'configName' : 'groupName'];
  const id = b ?? (parts.length === 1 && typeof created === 'string' && created ? created : '*');
  return arn(state, 'log', `project/${projectName}${kind ? `/${kind}/${id}` : ''}`);
}

// ---- the protocol ----

function sameString(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export interface SlsDeps { cloud: Cloud; auth: Authenticator; faults: Faults; /** host suffix that marks SLS requests, e.g. `sls.kubeloop.local` */ suffix: string }

/** Returns the project named by a Host, '' for the bare endpoint, or undefined when the Host is not SLS. */
export function slsHostProject(host: string, suffix: string): string | undefined {
  const h = host.toLowerCase().replace(/:\d+$/, '');
  if (h === suffix) return '';
  if (h.endsWith(`.${suffix}`)) return h.slice(0, -(suffix.length + 1));
  return undefined;
}

export function createSlsHandler(deps: SlsDeps): (req: IncomingMessage, res: ServerResponse, url: URL, project: string) => Promise<void> {
  return async (req, res, url, projectName) => {
    const requestId = randomUUID().replace(/-/g, '').slice(0, 24).toUpperCase();
    const send = (status: number, body?: unknown) => {
      const text = body === undefined ? '' : JSON.stringify(body);
      res.writeHead(status, { 'content-type': 'application/json', 'x-log-requestid': requestId, 'content-length': Buffer.byteLength(text) });
      res.end(text);
    };
    try {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const raw = Buffer.concat(chunks);
      const method = (req.method ?? 'GET').toUpperCase();
      const parts = pathSegments(url.pathname);
      const r = route(method, projectName !== '', parts);
      if (!r) throw new SimError('InvalidRequestURI', `${method} ${url.pathname} is not a supported Log Service API`, 404);
      const now = Date.now();
      const fate = await deps.faults.apply('sls', r.action, now);
      if (fate.kind === 'outage') throw new SimError('ServerBusy', 'The server is busy, please try again later.', 503);
      // SLS throttles with 403, not 429: the project's write/read QPS limit is `WriteQuotaExceed` / `ReadQuotaExceed`
      // "Project write quota exceed: qps: ..." (SLS "Limits on data read and write": 403 "Write QPS Exceed";
      // "Handle resource throttling errors"; aliyun-log-go-sdk error_code.go WRITE_QUOTA_EXCEED / READ_QUOTA_EXCEED)
      if (fate.kind === 'throttle') {
        const kind = method === 'GET' ? 'read' : 'write';
        throw new SimError(kind === 'read' ? 'ReadQuotaExceed' : 'WriteQuotaExceed', `Project ${kind} quota exceed: qps: ${projectName || '-'}`, 403);
      }
      if (fate.kind === 'error') throw new SimError('InternalServerError', 'Internal server error.', 500);

      // authentication
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k.toLowerCase()] = v;
      const query: Record<string, string> = {};
      for (const [k, v] of url.searchParams) query[k] = v;
      const authz = headers.authorization ?? '';
      const v1 = /^LOG\s+([^:]+):(.+)$/.exec(authz);
      const v4 = /^SLS4-HMAC-SHA256\s+Credential=([^/]+)\/(\d{8})\/([^/]+)\/sls\/aliyun_v4_request,\s*Signature=([0-9a-f]+)$/.exec(authz);
      let caller: Caller;
      if (v1) {
        caller = deps.auth.resolve(v1[1], headers['x-acs-security-token'], 'sls', now);
        const expected = slsSign(method, url.pathname, query, headers, caller.secret);
        if (!sameString(expected, v1[2])) throw new SimError('SignatureNotMatch', `signature ${v1[2]} not match`, 401);
        const date = Date.parse(headers.date ?? '');
        if (!Number.isFinite(date)) throw new SimError('InvalidDateFormat', `Date ${headers.date ?? ''} must follow RFC822.`, 400);
        if (Math.abs(now - date) > 15 * 60_000) throw new SimError('RequestTimeExpired', 'Request time has expired while server time is ' + new Date(now).toUTCString(), 400);
        if (raw.length && headers['content-md5'] && createHash('md5').update(raw).digest('hex').toUpperCase() !== headers['content-md5']) {
          throw new SimError('InvalidContentMD5', 'The Content-MD5 does not match the body.', 400);
        }
      } else if (v4) {
        caller = deps.auth.resolve(v4[1], headers['x-acs-security-token'], 'sls', now);
        const date = headers['x-log-date'] ?? '';
        const dm = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(date);
        if (!dm) throw new SimError('InvalidDateFormat', `x-log-date ${date} must be yyyyMMddTHHmmssZ.`, 400);
        const at = Date.UTC(+dm[1], +dm[2] - 1, +dm[3], +dm[4], +dm[5], +dm[6]);
        if (Math.abs(now - at) > 15 * 60_000) throw new SimError('RequestTimeExpired', 'Request time has expired while server time is ' + new Date(now).toUTCString(), 400);
        const bodyHash = raw.length ? createHash('sha256').update(raw).digest('hex') : EMPTY_SHA256;
        if ((headers['x-log-content-sha256'] ?? EMPTY_SHA256) !== bodyHash) throw new SimError('InvalidContentSha256', 'x-log-content-sha256 does not match the body.', 400);
        const signed = Object.keys(headers).filter((h) => h.startsWith('x-log-') || h.startsWith('x-acs-') || h === 'host' || h === 'content-type').sort().join(';');
        const expected = slsV4Signature(method, url.pathname, query, headers, signed, caller.secret, date, v4[3]);
        if (!sameString(expected, v4[4])) throw new SimError('SignatureNotMatch', `signature ${v4[4]} not match`, 401);
      } else {
        throw new SimError('Unauthorized', 'The Authorization header is missing or malformed.', 401);
      }
      let body: Record<string, unknown> = {};
      if (raw.length) {
        const text = raw.toString('utf8');
        try { body = JSON.parse(text); } catch { throw new SimError('PostBodyInvalid', 'The body is not valid JSON.', 400); }
        if (jsonDepth(text) > MAX_JSON_DEPTH) throw new SimError('PostBodyInvalid', `The body is nested more than ${MAX_JSON_DEPTH} levels deep.`, 400);
        if (!body || typeof body !== 'object' || Array.isArray(body)) throw new SimError('PostBodyInvalid', 'The body must be a JSON object.', 400);
      }
      // RAM: log:<Action> on the project (or the logstore, config, machine group) the call names;
      // refused as SLS does, 401 Unauthorized "denied by sts or ram, action: ..., resource: ..."
      const state = deps.cloud.state;
      checkSlsRam(state, caller, r.action, slsResource(state, projectName, parts, body), fate.kind === 'deny');
      const project = deps.cloud.state.slsProjects.find((p) => p.projectName === projectName);
      const out = r.run({ cloud: deps.cloud, project, projectName: projectName || undefined, parts, query, body, now });
      send(200, out === undefined ? undefined : out);
    } catch (err) {
      const e = err instanceof SimError ? err : new SimError('InternalServerError', (err as Error).message, 500);
      send(e.status, { errorCode: e.code, errorMessage: e.message });
    }
  };
}
