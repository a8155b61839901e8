/**
 * Request generation for the cloud emulator: signed and unsigned RPC calls of the VPC, ESS,
 * ECS and Container Registry APIs the controllers use (known actions with random parameters,
 * unknown actions and versions, broken signatures and timestamps), SLS-style calls by Host,
 * the registry's /v2 and token endpoints, the /_sim inspection API with mutated documents,
 * and hostile request targets. Fault rules that inject errors are never sent (their 5xx
 * answers are the point of them), only malformed ones.
 */
import { mutate, randomString, randomValue } from '../mutate.js';
import type { Rng } from '../rng.js';
import type { FuzzRequest } from '../target.js';
import { signedQuery } from './sign.js';

/** The emulator's credentials and the state document read at setup (to mutate). */
export interface CloudFuzzContext {
  accessKeyId: string;
  accessKeySecret: string;
  regionId: string;
  slsSuffix: string;
  state: unknown;
}

const APIS: Record<string, { version: string; actions: string[] }> = {
  vpc: { version: '2016-04-28', actions: ['DescribeVpcs', 'DescribeVSwitches', 'DescribeRouteTableList', 'DescribeRouteEntryList', 'CreateRouteEntry', 'DeleteRouteEntry'] },
  ess: { version: '2014-08-28', actions: ['DescribeScalingGroups', 'DescribeScalingInstances', 'DescribeScalingConfigurations', 'ModifyScalingGroup', 'RemoveInstances', 'ExecuteScalingRule', 'SetDesiredCapacity',
    'SetGroupDesiredCapacity', 'ScaleWithAdjustment', 'CreateScalingRule', 'DeleteScalingRule', 'DescribeScalingActivities'] },
  ecs: { version: '2014-05-26', actions: ['DescribeInstanceTypes', 'DescribeInstances'] },
  cr: { version: '2018-12-01', actions: ['GetAuthorizationToken', 'ListInstance', 'ListInstanceEndpoint'] },
};
const PARAMS = ['RouteTableId', 'VpcId', 'DestinationCidrBlock', 'NextHopId', 'NextHopType', 'RouteEntryId', 'ScalingGroupId', 'ScalingGroupId.1', 'InstanceId.1', 'InstanceIds',
  'MinSize', 'MaxSize', 'DesiredCapacity', 'PageNumber', 'PageSize', 'NextToken', 'MaxResults', 'InstanceTypes', 'InstanceId', 'RemovePolicy', 'DecreaseDesiredCapacity', 'Tag.1.Key', 'Tag.1.Value',
  'AdjustmentType', 'AdjustmentValue', 'ScalingRuleAri', 'ScalingRuleId', 'ScalingRuleName', 'ScalingRuleType', 'MinAdjustmentMagnitude', 'Cooldown', 'ScalingActivityId.1', 'StatusCode'];

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
  const api = rng.pick(Object.values(APIS));
  const action = rng.chance(0.9) ? rng.pick(api.actions) : `${rng.pick(['Describe', 'Delete', 'Create'])}${word(rng)}`;
  const params: Record<string, string> = {
    Action: action, Version: rng.chance(0.95) ? api.version : rng.pick(['2000-01-01', '', 'x']), Format: 'JSON', AccessKeyId: ctx.accessKeyId,
    SignatureMethod: 'HMAC-SHA1', SignatureVersion: '1.0', SignatureNonce: `${rng.u32()}-${rng.u32()}`,
    Timestamp: rng.chance(0.95) ? new Date().toISOString().replace(/\.\d{3}Z$/, 'Z') : rng.pick(['', '1970-01-01T00:00:00Z', 'yesterday']),
    RegionId: rng.chance(0.9) ? ctx.regionId : word(rng),
  };
  for (let i = rng.int(5); i > 0; i--) params[rng.pick(PARAMS)] = paramValue(rng, ctx);
  if (rng.chance(0.05)) delete params[rng.pick(Object.keys(params))];
  const method = rng.chance(0.8) ? 'GET' : 'POST';
  const secret = rng.chance(0.9) ? ctx.accessKeySecret : word(rng);
  const query = signedQuery(method, params, secret);
  const label = `rpc ${action}${secret === ctx.accessKeySecret ? '' : ' (bad signature)'}`;
  if (method === 'POST' && rng.chance(0.5)) {
    return { method, path: '/', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: Buffer.from(query), label };
  }
  return { method, path: `/?${query}`, headers: {}, label };
}

function sls(rng: Rng, ctx: CloudFuzzContext): FuzzRequest {
  const project = rng.chance(0.7) ? rng.pick(['k8s-log-fuzz', 'missing', word(rng)]) : '';
  const host = project ? `${project}.${ctx.slsSuffix}` : ctx.slsSuffix;
  const path = rng.pick(['/', '/logstores', `/logstores/${word(rng)}`, `/logstores/${word(rng)}/index`, '/configs', `/configs/${word(rng)}`, '/machinegroups', `/machinegroups/${word(rng)}/configs/${word(rng)}`]);
  const method = rng.pick(['GET', 'POST', 'PUT', 'DELETE']);
  const body = method === 'GET' || method === 'DELETE' ? undefined : Buffer.from(rng.chance(0.8) ? JSON.stringify(mutate(rng, { logstoreName: 'x', ttl: 30, shardCount: 2, configName: 'c', inputType: 'file', inputDetail: {} })) : word(rng));
  return {
    method, path, label: `sls ${method} ${path.split('/')[1] ?? ''}`,
    headers: { Host: host, 'Content-Type': 'application/json', 'x-log-apiversion': '0.6.0', 'x-log-signaturemethod': 'hmac-sha1', Date: new Date().toUTCString(), Authorization: `LOG ${ctx.accessKeyId}:${word(rng)}` },
    body,
  };
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
    [3, () => sls(rng, ctx)],
    [2, () => registry(rng)],
    [3, () => sim(rng, ctx)],
    [1, () => hostile(rng)],
  ])();
}
