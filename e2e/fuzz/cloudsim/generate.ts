/**
 * Request generation for the cloud emulator: signed and unsigned RPC calls of the VPC, ESS,
 * ECS, Container Registry and STS APIs the controllers use (known actions with random
 * parameters, unknown actions and versions, broken signatures and timestamps), SLS calls by
 * Host signed with v1 or v4 (malformed paths, queries and bodies, a share signed wrongly),
 * Container Registry Personal Edition's ROA token call, the registry's /v2 and token
 * endpoints, the /_sim inspection API with mutated documents, and hostile request targets.
 * Fault rules that inject errors are never sent (their 5xx answers are the point of them),
 * only malformed ones.
 */
import { mutate, randomString, randomValue } from '../mutate.js';
import type { Rng } from '../rng.js';
import type { FuzzRequest } from '../target.js';
import { createHash } from 'node:crypto';
import { percentEncode, roaAuthorization, signedQuery, slsV1Authorization, slsV4Authorization, type SignedHeaders } from './sign.js';

/** The emulator's credentials and the state document read at setup (to mutate). */
export interface CloudFuzzContext {
  accessKeyId: string;
  accessKeySecret: string;
  regionId: string;
  slsSuffix: string;
  state: unknown;
}

const APIS: Record<string, { version: string; actions: string[]; base?: (rng: Rng) => Record<string, string> }> = {
  vpc: { version: '2016-04-28', actions: ['DescribeVpcs', 'DescribeVSwitches', 'DescribeRouteTableList', 'DescribeRouteEntryList', 'CreateRouteEntry', 'DeleteRouteEntry'] },
  ess: { version: '2014-08-28', actions: ['DescribeScalingGroups', 'DescribeScalingInstances', 'DescribeScalingConfigurations', 'ModifyScalingGroup', 'RemoveInstances', 'ExecuteScalingRule', 'SetDesiredCapacity',
    'SetGroupDesiredCapacity', 'ScaleWithAdjustment', 'CreateScalingRule', 'DeleteScalingRule', 'DescribeScalingActivities'] },
  ecs: { version: '2014-05-26', actions: ['DescribeInstanceTypes', 'DescribeInstances'] },
  cr: { version: '2018-12-01', actions: ['GetAuthorizationToken', 'ListInstance', 'ListInstanceEndpoint'] },
  // the parameters AssumeRole and AssumeRoleWithOIDC require, mostly well-formed (STS API reference), so calls get past `required`
  sts: {
    version: '2015-04-01', actions: ['AssumeRole', 'AssumeRoleWithOIDC'],
    base: (rng) => ({
      RoleArn: rng.chance(0.85) ? 'acs:ram::1234567890123456:role/fuzz-role' : rng.pick(['', 'acs:ram::x:role/', 'role/fuzz', 'acs:ram::1:role/' + 'r'.repeat(70)]),
      RoleSessionName: rng.chance(0.85) ? 'fuzz-session' : rng.pick(['', 'x', 'a b', 's'.repeat(65)]),
      OIDCProviderArn: rng.chance(0.85) ? 'acs:ram::1234567890123456:oidc-provider/ack-rrsa-fuzz' : rng.pick(['', 'acs:ram::1:role/x']),
      OIDCToken: rng.chance(0.85) ? jwt(rng.pick([4102444800, 4102444800, 1])) : rng.pick(['', 'a.b', 'a.!!!.c', 'x'.repeat(300)]),
    }),
  },
};
const PARAMS = ['RouteTableId', 'VpcId', 'DestinationCidrBlock', 'NextHopId', 'NextHopType', 'RouteEntryId', 'ScalingGroupId', 'ScalingGroupId.1', 'InstanceId.1', 'InstanceIds',
  'MinSize', 'MaxSize', 'DesiredCapacity', 'PageNumber', 'PageSize', 'NextToken', 'MaxResults', 'InstanceTypes', 'InstanceId', 'RemovePolicy', 'DecreaseDesiredCapacity', 'Tag.1.Key', 'Tag.1.Value',
  'AdjustmentType', 'AdjustmentValue', 'ScalingRuleAri', 'ScalingRuleId', 'ScalingRuleName', 'ScalingRuleType', 'MinAdjustmentMagnitude', 'Cooldown', 'ScalingActivityId.1', 'StatusCode',
  'RoleArn', 'RoleSessionName', 'DurationSeconds', 'Policy', 'OIDCProviderArn', 'OIDCToken'];

/** An unsigned JWT expiring at `exp` (seconds): STS reads its claims only. */
function jwt(exp: number): string {
  const part = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${part({ alg: 'RS256', kid: 'fuzz' })}.${part({ iss: 'https://oidc-ack.kubeloop.local', sub: 'system:serviceaccount:default:fuzz', aud: 'sts.aliyuncs.com', exp })}.c2ln`;
}

/** A short ASCII word (safe in a header, a Host name and a path). */
function word(rng: Rng): string {
  return rng.string(1 + rng.int(12));
}

function paramValue(rng: Rng, ctx: CloudFuzzContext): string {
  return rng.weighted<() => string>([
    [3, () => String(rng.int(10))],
    [2, () => String(rng.pick([-1, 0, 1e9, 2 ** 53, 1.5, NaN]))],
    [3, () => rng.pick(['vtb-', 'vpc-', 'i-', 'asg-', 'rte-', 'cri-']) + word(rng)],
    [2, () => rng.pick(['10.0.0.0/24', '0.0.0.0/0', '300.1.1.1/33', '', '::/0'])],
    [1, () => JSON.stringify(randomValue(rng))],
    [1, () => randomString(rng)],
    [1, () => 'x'.repeat(rng.int(20_000))],
    [1, () => ctx.regionId],
    [1, () => rng.pick(['900', '43201', 'a.b.c', '{"Version":"1","Statement":[{"Effect":"Allow","Action":"vpc:*","Resource":"*"}]}', '{"Statement":"x"}'])],
    [1, () => rng.pick(['true', 'false', 'Instance', 'RouterInterface', 'QuantityChangeInCapacity', 'PercentChangeInCapacity', 'TotalCapacity', 'SimpleScalingRule', 'InProgress'])],
    // ids of the starting state (a scaling group, its instances), so calls get past the lookups
    [2, () => rng.pick(stateIds(ctx))],
  ])();
}

const idsOf = new WeakMap<object, string[]>();
/** The `asg-`, `i-`, `vtb-`, `vpc-` ids in the starting state document. */
function stateIds(ctx: CloudFuzzContext): string[] {
  const key = ctx as object;
  let ids = idsOf.get(key);
  if (!ids) {
    ids = [...new Set(JSON.stringify(ctx.state ?? {}).match(/"(?:asg|i|vtb|vpc|vsw)-[a-z0-9]+"/g) ?? [])].map((q) => q.slice(1, -1));
    if (!ids.length) ids = ['asg-none'];
    idsOf.set(key, ids);
  }
  return ids;
}

function rpc(rng: Rng, ctx: CloudFuzzContext): FuzzRequest {
  const [service, api] = rng.pick(Object.entries(APIS));
  const action = rng.chance(0.9) ? rng.pick(api.actions) : `${rng.pick(['Describe', 'Delete', 'Create'])}${word(rng)}`;
  const params: Record<string, string> = {
    Action: action, Version: rng.chance(0.95) ? api.version : rng.pick(['2000-01-01', '', 'x']), Format: 'JSON', AccessKeyId: ctx.accessKeyId,
    SignatureMethod: 'HMAC-SHA1', SignatureVersion: '1.0', SignatureNonce: `${rng.u32()}-${rng.u32()}`,
    Timestamp: rng.chance(0.95) ? new Date().toISOString().replace(/\.\d{3}Z$/, 'Z') : rng.pick(['', '1970-01-01T00:00:00Z', 'yesterday']),
    RegionId: rng.chance(0.9) ? ctx.regionId : word(rng),
    ...api.base?.(rng),
  };
  for (let i = rng.int(5); i > 0; i--) params[rng.pick(PARAMS)] = paramValue(rng, ctx);
  if (rng.chance(0.05)) delete params[rng.pick(Object.keys(params))];
  const method = rng.chance(0.8) ? 'GET' : 'POST';
  const secret = rng.chance(0.9) ? ctx.accessKeySecret : word(rng);
  const query = signedQuery(method, params, secret);
  const label = `rpc ${service} ${action}${secret === ctx.accessKeySecret ? '' : ' (bad signature)'}`;
  if (method === 'POST' && rng.chance(0.5)) {
    return { method, path: '/', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: Buffer.from(query), label };
  }
  return { method, path: `/?${query}`, headers: {}, label };
}

/** Names in the starting state's SLS projects (the fuzz target seeds one of each kind). */
interface SlsNames { projects: string[]; logstores: string[]; configs: string[]; groups: string[] }
const slsNamesOf = new WeakMap<object, SlsNames>();
function slsNames(ctx: CloudFuzzContext): SlsNames {
  let names = slsNamesOf.get(ctx);
  if (!names) {
    type P = { projectName: string; logstores: Array<{ logstoreName: string }>; configs: Array<{ configName: string }>; machineGroups: Array<{ groupName: string }> };
    const projects = ((ctx.state as { slsProjects?: P[] }).slsProjects ?? []);
    const or = (xs: string[], d: string) => (xs.length ? xs : [d]);
    names = {
      projects: or(projects.map((p) => p.projectName), 'k8s-log-kubeloop'),
      logstores: or(projects.flatMap((p) => p.logstores.map((l) => l.logstoreName)), 'fuzz-store'),
      configs: or(projects.flatMap((p) => p.configs.map((c) => c.configName)), 'fuzz-config'),
      groups: or(projects.flatMap((p) => p.machineGroups.map((g) => g.groupName)), 'fuzz-group'),
    };
    slsNamesOf.set(ctx, names);
  }
  return names;
}

/**
 * A path segment: mostly a name that exists (so calls get past the lookups), else a new or
 * broken one — percent-escapes that do not decode, an encoded `/`, non-ASCII, very long.
 */
function slsSegment(rng: Rng, known: string[]): string {
  return rng.weighted<() => string>([
    [6, () => rng.pick(known)],
    [3, () => word(rng)],
    [1, () => rng.pick(['%zz', '%', 'a%2Fb', '%E4%B8%AD', '%ff', '%00', '..', 'UPPER', 'a'.repeat(200), '%C0%AF'])],
  ])();
}

/**
 * A method and path: mostly one of the API's routes (SLS API reference, 0.6.0 paths) with
 * its method, so calls reach the handlers; else any method on any path.
 */
function slsRoute(rng: Rng, n: SlsNames, bare: boolean): { method: string; path: string } {
  const ls = () => slsSegment(rng, n.logstores);
  const cfg = () => slsSegment(rng, n.configs);
  const grp = () => slsSegment(rng, n.groups);
  const routes: Array<[string[], () => string]> = bare
    ? [[['GET', 'POST'], () => '/'], [['POST'], () => '/tag'], [['POST'], () => '/untag'], [['GET'], () => '/tags']]
    : [
      [['GET', 'PUT', 'DELETE'], () => '/'], [['GET', 'POST'], () => '/logstores'], [['GET', 'PUT', 'DELETE'], () => `/logstores/${ls()}`],
      [['GET', 'POST', 'PUT', 'DELETE'], () => `/logstores/${ls()}/index`], [['GET', 'POST'], () => '/configs'], [['GET', 'PUT', 'DELETE'], () => `/configs/${cfg()}`],
      [['GET'], () => `/configs/${cfg()}/machinegroups`], [['GET', 'POST'], () => '/machinegroups'], [['GET', 'PUT', 'DELETE'], () => `/machinegroups/${grp()}`],
      [['GET'], () => `/machinegroups/${grp()}/configs`], [['PUT', 'DELETE'], () => `/machinegroups/${grp()}/configs/${cfg()}`],
    ];
  if (rng.chance(0.85)) {
    const [methods, path] = rng.pick(routes);
    // GETs first: a DELETE of a seeded resource leaves later calls naming it only the not-found path
    const method = methods.includes('GET') && rng.chance(0.4) ? 'GET' : rng.pick(methods);
    return { method, path: path() };
  }
  const path = rng.chance(0.7) ? rng.pick(routes)[1]() : rng.pick([`/${word(rng)}`, `/${word(rng)}/${word(rng)}`, '//logstores', '/logstores/a/b/c/d']);
  return { method: rng.pick(['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD']), path };
}

/** A valid body of each SLS resource the emulator models, to mutate. */
function slsBody(rng: Rng, n: SlsNames, path: string): unknown {
  const kind = path.split('/').filter(Boolean);
  const templates: Record<string, unknown> = {
    '': { projectName: `fuzz-${word(rng).replace(/\./g, '-')}-p`, description: 'fuzz project' },
    logstores: { logstoreName: kind[1] ?? `fuzz-${rng.int(1000)}`, ttl: 30, shardCount: 2, autoSplit: rng.chance(0.5), maxSplitShard: 64, mode: 'standard', appendMeta: true, enable_tracking: false, hot_ttl: 7, telemetryType: 'None' },
    index: { line: { token: [',', ' ', ';'], caseSensitive: false, chn: false }, keys: { level: { type: 'text', token: [' '], caseSensitive: false } }, ttl: 30 },
    configs: { configName: kind[1] ?? `fuzz-${rng.int(1000)}`, inputType: rng.pick(['file', 'plugin']), inputDetail: { logType: 'common_reg_log', logPath: '/var/log', filePattern: '*.log', dockerFile: true, maxDepth: '10' }, outputType: 'LogService', outputDetail: { logstoreName: rng.pick(n.logstores) }, logSample: 'x' },
    machinegroups: { groupName: kind[1] ?? `fuzz-${rng.int(1000)}`, groupType: '', machineIdentifyType: 'userdefined', machineList: ['k8s-group-fuzz'], groupAttribute: { externalName: 'x', groupTopic: 'y' } },
    tag: { resourceType: 'project', resourceId: [rng.pick(n.projects)], tags: [{ key: 'k', value: 'v' }] },
    untag: { resourceType: 'project', resourceId: [rng.pick(n.projects)], tags: ['k'], all: rng.chance(0.3) },
  };
  const key = kind[2] === 'index' ? 'index' : kind[0] ?? '';
  const doc = (templates[key] ?? templates['']) as never;
  return rng.chance(0.3) ? doc : mutate(rng, doc);
}

function slsQuery(rng: Rng, n: SlsNames): Record<string, string> {
  const q: Record<string, string> = {};
  for (let i = rng.int(4); i > 0; i--) {
    const k = rng.pick(['offset', 'size', 'logstoreName', 'configName', 'groupName', 'projectName', 'resourceType', 'resourceId', 'tags', 'forceDelete', word(rng)]);
    q[k] = rng.weighted<() => string>([
      [3, () => String(rng.pick([0, 1, 10, 500, 501, -1, 1.5, 1e21]))],
      [2, () => rng.pick([...n.logstores, ...n.configs, ...n.groups, ...n.projects])],
      [2, () => rng.pick(['project', 'true', 'false', '', '["a","b"]', `["${rng.pick(n.projects)}"]`, '[{"key":"k","value":"v"}]', '[{"key":1}]', '[', '{}', 'null'])],
      [1, () => randomString(rng)],
    ])();
  }
  return q;
}

/** The decoded form a server reads of a string sent percent-encoded byte by byte (a lone surrogate arrives as U+FFFD). */
const asDecoded = (s: string) => Buffer.from(s, 'utf8').toString('utf8');

const SLS_DATE_SKEW = 20 * 60_000;

/**
 * An SLS call by Host (`<project>.<suffix>`), signed as the SDKs sign it — v1 with hmac-sha1
 * (the API reference) or hmac-sha256 (@alicloud/gateway-sls), or v4 — so malformed paths,
 * queries and bodies reach the handlers; about one in six is signed wrongly (another secret,
 * an unknown AccessKeyId, a stale Date, a body that does not match its Content-MD5 or hash,
 * no Authorization) and must be refused before any handler runs.
 */
function sls(rng: Rng, ctx: CloudFuzzContext): FuzzRequest {
  const n = slsNames(ctx);
  const project = rng.chance(0.85) ? rng.weighted([[8, rng.pick(n.projects)], [1, 'missing-project'], [1, word(rng)]]) : '';
  const host = project ? `${project}.${ctx.slsSuffix}` : ctx.slsSuffix;
  const { method, path } = slsRoute(rng, n, !project);
  const body = method === 'GET' || method === 'DELETE' || method === 'HEAD' ? undefined : Buffer.from(rng.chance(0.9) ? JSON.stringify(slsBody(rng, n, path)) : rng.pick([word(rng), '[]', 'null', '{"a":', '']));
  const query = slsQuery(rng, n);
  const decoded = Object.fromEntries(Object.entries(query).map(([k, v]) => [asDecoded(k), asDecoded(v)]));
  const wire = Object.keys(query).length ? `${path}?${Object.entries(query).map(([k, v]) => `${percentEncode(k)}=${percentEncode(v)}`).join('&')}` : path;

  let flaw = rng.weighted<string>([[84, ''], [3, 'secret'], [3, 'key'], [3, 'date'], [3, 'digest'], [2, 'tampered'], [1, 'method'], [2, 'none']]);
  const v4 = rng.chance(0.25);
  if (flaw === 'digest' && !body?.length) flaw = ''; // no body: nothing for a digest to disagree with
  if (flaw === 'method' && v4) flaw = ''; // v4 names its algorithm in the Authorization
  const secret = flaw === 'secret' ? word(rng) : ctx.accessKeySecret;
  const keyId = flaw === 'key' ? `LTAI${word(rng)}` : ctx.accessKeyId;
  const at = flaw === 'date' ? Date.now() - SLS_DATE_SKEW : Date.now();
  const headers: SignedHeaders = { host, 'x-log-apiversion': '0.6.0', 'x-log-bodyrawsize': String(body?.length ?? 0) };
  if (body) headers['content-type'] = 'application/json';
  let authorization: string;
  if (v4) {
    headers['x-log-signaturemethod'] = 'hmac-sha256';
    headers['x-log-date'] = new Date(at).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}Z$/, 'Z');
    headers['x-log-content-sha256'] = createHash('sha256').update(flaw === 'digest' ? 'other' : (body ?? '')).digest('hex');
    authorization = slsV4Authorization(method, path, decoded, headers, keyId, secret, ctx.regionId);
  } else {
    headers['x-log-signaturemethod'] = flaw === 'method' ? rng.pick(['hmac-md5', 'HMAC-SHA1', '']) : rng.pick(['hmac-sha1', 'hmac-sha256']);
    headers.date = new Date(at).toUTCString();
    if (body?.length) headers['content-md5'] = createHash('md5').update(flaw === 'digest' ? 'other' : body).digest('hex').toUpperCase();
    authorization = slsV1Authorization(method, path, decoded, headers, keyId, secret);
  }
  if (flaw === 'tampered') headers['x-log-bodyrawsize'] = `${headers['x-log-bodyrawsize']}0`;
  if (flaw !== 'none') headers.authorization = authorization;
  return { method, path: wire, headers, body, label: `sls ${method} ${path.split('/')[1] ?? ''}${flaw ? ` (${flaw === 'digest' ? 'bad body digest' : flaw === 'date' ? 'stale date' : 'bad signature'})` : ''}` };
}

/**
 * Container Registry Personal Edition's `GET /tokens` (ROA, `x-acs-version: 2016-06-07`), signed
 * with the ROA signature; one in five signed wrongly, some with another method.
 */
function crPersonal(rng: Rng, ctx: CloudFuzzContext): FuzzRequest {
  const method = rng.chance(0.85) ? 'GET' : rng.pick(['POST', 'DELETE', 'PUT']);
  const query: Record<string, string> = rng.chance(0.3) ? { [rng.pick(['RegionId', 'instanceId', word(rng)])]: word(rng) } : {};
  const bad = rng.chance(0.2);
  const headers: SignedHeaders = {
    accept: 'application/json', date: new Date().toUTCString(), 'x-acs-version': '2016-06-07', 'x-acs-signature-method': 'HMAC-SHA1',
    'x-acs-signature-version': '1.0', 'x-acs-signature-nonce': `${rng.u32()}`, 'x-acs-region-id': rng.chance(0.9) ? ctx.regionId : word(rng),
  };
  if (rng.chance(0.1)) headers['x-acs-security-token'] = word(rng);
  headers.authorization = roaAuthorization(method, '/tokens', query, headers, ctx.accessKeyId, bad ? word(rng) : ctx.accessKeySecret);
  if (rng.chance(0.05)) delete headers.authorization;
  const q = Object.entries(query).map(([k, v]) => `${k}=${v}`).join('&');
  return { method, path: q ? `/tokens?${q}` : '/tokens', headers, label: `cr personal ${method}${bad ? ' (bad signature)' : ''}` };
}

function registry(rng: Rng): FuzzRequest {
  const path = rng.pick(['/v2/', '/v2', `/v2/${word(rng)}/${word(rng)}/manifests/${rng.pick(['latest', 'sha256:' + word(rng)])}`, `/v2/${word(rng)}/tags/list`, `/token?service=${word(rng)}&scope=repository:${word(rng)}:pull`]);
  const auth = rng.pick(['', `Bearer ${word(rng)}`, `Basic ${Buffer.from(`${word(rng)}:${word(rng)}`).toString('base64')}`, 'Basic !!!', 'Bearer']);
  return { method: rng.pick(['GET', 'GET', 'HEAD', 'POST']), path, headers: auth ? { Authorization: auth } : {}, label: `registry ${path.split('/')[1]}` };
}

function sim(rng: Rng, ctx: CloudFuzzContext): FuzzRequest {
  return rng.weighted<() => FuzzRequest>([
    [3, () => ({ method: 'GET', path: rng.pick(['/_sim/state', '/_sim/calls', '/_sim/faults', '/_sim/healthz', '/_sim/nope']), headers: {}, label: 'sim get' })],
    [2, () => ({ method: 'PATCH', path: '/_sim/state', headers: { 'Content-Type': 'application/json' }, body: Buffer.from(JSON.stringify(rng.chance(0.7) ? [{ op: rng.pick(['add', 'remove', 'replace', 'move', 'copy', 'test']), path: rng.pick(['/routeTables/0/entries/-', '/instances/0', '/scalingGroups/0/desiredCapacity', '/vpcs', `/${word(rng)}`]), value: randomValue(rng) }] : randomValue(rng))), label: 'sim patch' })],
    [1, () => ({ method: 'PUT', path: '/_sim/state', headers: { 'Content-Type': 'application/json' }, body: Buffer.from(JSON.stringify(rng.chance(0.5) ? mutate(rng, ctx.state as never) : randomValue(rng))), label: 'sim put state' })],
    // never a valid injecting rule: the body is mutated away from one, or not JSON at all
    [1, () => ({ method: 'POST', path: '/_sim/faults', headers: { 'Content-Type': 'application/json' }, body: Buffer.from(rng.chance(0.5) ? JSON.stringify({ service: 'vpc', errorRate: rng.pick(['x', -1, 2, null]), [word(rng)]: 1 }) : word(rng)), label: 'sim bad fault' })],
    // RAM edits on principals other than the configured key's user (a policy on it would turn the rest of the run into 403s)
    [1, () => ({
      method: rng.pick(['GET', 'PUT', 'PUT', 'DELETE', 'POST']),
      path: rng.pick(['/_sim/ram', '/_sim/ram/evaluate', `/_sim/ram/policies/${word(rng)}`, `/_sim/ram/users/${word(rng)}`, `/_sim/ram/roles/${word(rng)}/policies/${word(rng)}`, `/_sim/ram/users/${word(rng)}/policies/${word(rng)}`, '/_sim/ram/policies/%zz', `/_sim/ram/${word(rng)}`]),
      headers: { 'Content-Type': 'application/json' },
      body: Buffer.from(JSON.stringify(rng.chance(0.6) ? mutate(rng, { Version: '1', Statement: [{ Effect: 'Deny', Action: ['vpc:Create*'], Resource: 'acs:vpc:*:*:routetable/*' }] } as never) : randomValue(rng))),
      label: 'sim ram',
    })],
    [1, () => ({ method: rng.pick(['DELETE', 'POST']), path: rng.pick([`/_sim/route-entries/${word(rng)}`, `/_sim/instances/${word(rng)}`, '/_sim/sts', `/_sim/registries/${word(rng)}/repositories`, `/_sim/sls/${word(rng)}/configs/${word(rng)}`]), headers: { 'Content-Type': 'application/json' }, body: Buffer.from(JSON.stringify(randomValue(rng))), label: 'sim mutation' })],
  ])();
}

function hostile(rng: Rng): FuzzRequest {
  const path = rng.pick(['//', '//a:b@', '/\\', '/%00', '/..%2f..%2f', `/${'a/'.repeat(rng.int(2000))}`, '/?' + '&'.repeat(5000), '/?Action', '/?Action=&Version=', '/%', '/?%zz=1']);
  return { method: rng.pick(['GET', 'POST', 'OPTIONS', 'TRACE', 'PROPFIND']), path, headers: {}, label: 'hostile target' };
}

export function generateRequest(rng: Rng, ctx: CloudFuzzContext): FuzzRequest {
  return rng.weighted<() => FuzzRequest>([
    [10, () => rpc(rng, ctx)],
    [5, () => sls(rng, ctx)],
    [1, () => crPersonal(rng, ctx)],
    [2, () => registry(rng)],
    [3, () => sim(rng, ctx)],
    [1, () => hostile(rng)],
  ])();
}
