// The emulator's own surface: wire-level shapes and errors, the /_sim API, instance
// lifecycle events and `--state` persistence (in-process and through the CLI).
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHash, createHmac } from 'node:crypto';
import http from 'node:http';
import { startCloudSim, type CloudSim, type InstanceEvent } from './index.js';
import { rpcSign, percentEncode } from './rpc.js';
import { slsStringToSign } from './sls.js';
import { createAlibabaCloud, alibabaCloudOptionsFromEnv } from '../cloud/index.js';

/**
 * The `kubeloop` command as installed (package.json's bin, the bundle): it loads this package's
 * extension, whose `kubeloop` import means the bundle in a child process.
 */
function kubeloopBin(): string {
  const pkg = import.meta.resolve('kubeloop/package.json');
  return fileURLToPath(new URL((JSON.parse(readFileSync(new URL(pkg), 'utf8')) as { bin: { kubeloop: string } }).bin.kubeloop, pkg));
}

/** A hand-signed RPC GET, independent of the SDK, to check the emulator's verification. */
async function rpc(sim: CloudSim, version: string, action: string, params: Record<string, string>, secret = sim.accessKeySecret, method = 'GET') {
  const all: Record<string, string> = {
    Action: action, Version: version, Format: 'JSON', AccessKeyId: sim.accessKeyId, SignatureMethod: 'HMAC-SHA1',
    SignatureVersion: '1.0', SignatureNonce: Math.random().toString(36).slice(2), Timestamp: new Date().toISOString().replace(/\.\d+Z$/, 'Z'), ...params,
  };
  all.Signature = rpcSign(method, all, secret);
  const q = Object.entries(all).map(([k, v]) => `${percentEncode(k)}=${percentEncode(v)}`).join('&');
  const r = method === 'GET'
    ? await fetch(`${sim.url}/?${q}`)
    : await fetch(`${sim.url}/`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: q });
  return { status: r.status, body: await r.json() as Record<string, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any
}

describe('wire protocol', () => {
  let sim: CloudSim;
  before(async () => { sim = await startCloudSim(); });
  after(() => sim.stop());

  test('RPC responses and errors have the cloud shapes', async () => {
    const tables = await rpc(sim, '2016-04-28', 'DescribeRouteTableList', { RegionId: 'cn-hangzhou' });
    assert.equal(tables.status, 200);
    const tableId = tables.body.RouterTableList.RouterTableListType[0].RouteTableId;
    const entries = await rpc(sim, '2016-04-28', 'DescribeRouteEntryList', { RegionId: 'cn-hangzhou', RouteTableId: tableId }, undefined, 'POST');
    assert.equal(entries.status, 200);
    assert.ok(entries.body.RequestId);
    assert.ok(Array.isArray(entries.body.RouteEntrys.RouteEntry));
    assert.equal(entries.body.NextToken, '');

    const bad = await rpc(sim, '2016-04-28', 'DescribeVpcs', { RegionId: 'cn-hangzhou' }, 'wrong');
    assert.equal(bad.status, 400);
    assert.equal(bad.body.Code, 'SignatureDoesNotMatch');
    assert.ok(bad.body.Message && bad.body.RequestId);
    const unknown = await rpc(sim, '2016-04-28', 'NoSuchAction', {});
    assert.deepEqual([unknown.status, unknown.body.Code], [404, 'InvalidAction.NotFound']);
    const paging = await rpc(sim, '2014-08-28', 'DescribeScalingInstances', { RegionId: 'cn-hangzhou', PageSize: '51' });
    assert.deepEqual([paging.status, paging.body.Code], [400, 'InvalidParameter']);
    const missing = await rpc(sim, '2016-04-28', 'CreateRouteEntry', { RegionId: 'cn-hangzhou', RouteTableId: tableId });
    assert.deepEqual([missing.status, missing.body.Code], [400, 'MissingParameter']);
  });

  test('DeleteRouteEntry: RouteEntryId alone, or table + destination; never both (VPC API error list)', async () => {
    const tables = await rpc(sim, '2016-04-28', 'DescribeRouteTableList', { RegionId: 'cn-hangzhou' });
    const tableId = tables.body.RouterTableList.RouterTableListType[0].RouteTableId;
    const settle = () => { for (const t of sim.state.routeTables) for (const e of t.entries) if (e.status === 'Pending') e.settlesAt = 0; };
    const created = await rpc(sim, '2016-04-28', 'CreateRouteEntry', { RegionId: 'cn-hangzhou', RouteTableId: tableId, DestinationCidrBlock: '10.66.0.0/24', NextHopId: 'i-a' });
    assert.equal(created.status, 200);
    const id = created.body.RouteEntryId;
    settle();
    const both = await rpc(sim, '2016-04-28', 'DeleteRouteEntry', { RegionId: 'cn-hangzhou', RouteTableId: tableId, RouteEntryId: id });
    assert.deepEqual([both.status, both.body.Code], [400, 'ParamExclusive.RouteEntryIdAndRouteTableIdOrDestCidrBlock']);
    const bad = await rpc(sim, '2016-04-28', 'CreateRouteEntry', { RegionId: 'cn-hangzhou', RouteTableId: tableId, DestinationCidrBlock: '10.66.1.1/24', NextHopId: 'i-a' });
    assert.deepEqual([bad.status, bad.body.Code], [400, 'InvalidCidrBlock.Malformed']);
    const system = await rpc(sim, '2016-04-28', 'DeleteRouteEntry', { RegionId: 'cn-hangzhou', RouteTableId: tableId, DestinationCidrBlock: '192.168.0.0/16' });
    assert.deepEqual([system.status, system.body.Code], [400, 'OperationDenied']);
    const alone = await rpc(sim, '2016-04-28', 'DeleteRouteEntry', { RegionId: 'cn-hangzhou', RouteEntryId: id });
    assert.equal(alone.status, 200);
    // the deletion is in flight: the VPC's next route write is refused until it settles
    const busy = await rpc(sim, '2016-04-28', 'CreateRouteEntry', { RegionId: 'cn-hangzhou', RouteTableId: tableId, DestinationCidrBlock: '10.66.2.0/24', NextHopId: 'i-b' });
    assert.deepEqual([busy.status, busy.body.Code], [400, 'IncorrectRouteEntryStatus']);
    for (const t of sim.state.routeTables) for (const e of t.entries) if (e.status === 'Deleting') e.settlesAt = 0;
    const gone = await rpc(sim, '2016-04-28', 'DeleteRouteEntry', { RegionId: 'cn-hangzhou', RouteTableId: tableId, DestinationCidrBlock: '10.66.0.0/24', NextHopId: 'i-a' });
    assert.deepEqual([gone.status, gone.body.Code], [400, 'InvalidRouteEntry.NotFound']);
    const unknownId = await rpc(sim, '2016-04-28', 'DeleteRouteEntry', { RegionId: 'cn-hangzhou', RouteEntryId: 'rte-nope' });
    assert.deepEqual([unknownId.status, unknownId.body.Code], [400, 'InvalidRouteEntryId.NotFound']);
  });

  test('a replayed signature nonce is refused', async () => {
    const all: Record<string, string> = {
      Action: 'DescribeVpcs', Version: '2016-04-28', Format: 'JSON', AccessKeyId: sim.accessKeyId, SignatureMethod: 'HMAC-SHA1', RegionId: 'cn-hangzhou',
      SignatureVersion: '1.0', SignatureNonce: 'fixed-nonce', Timestamp: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    };
    all.Signature = rpcSign('GET', all, sim.accessKeySecret);
    const url = `${sim.url}/?${new URLSearchParams(all)}`;
    assert.equal((await fetch(url)).status, 200);
    const again = await fetch(url);
    assert.equal(again.status, 400);
    assert.equal(((await again.json()) as { Code: string }).Code, 'SignatureNonceUsed');
  });

  test('SLS verifies the LOG signature and answers with errorCode/errorMessage', async () => {
    // (fetch() cannot set Host, which carries the project; node:http can)
    const date = new Date().toUTCString();
    const headers: Record<string, string> = { date, 'x-log-apiversion': '0.6.0', 'x-log-signaturemethod': 'hmac-sha256', 'x-log-bodyrawsize': '0' };
    const sign = (secret: string) => createHmac('sha256', secret).update(slsStringToSign('GET', '/logstores', { offset: '0', size: '10' }, headers)).digest('base64');
    const send = (sig: string) => new Promise<{ status: number; body: any }>((resolve, reject) => { // eslint-disable-line @typescript-eslint/no-explicit-any
      const req = http.request({ host: '127.0.0.1', port: sim.port, path: '/logstores?offset=0&size=10', headers: { ...headers, host: `k8s-log-kubeloop.${sim.slsEndpoint}`, authorization: `LOG ${sim.accessKeyId}:${sig}` } }, (res) => {
        let b = '';
        res.on('data', (c) => { b += c; });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(b) }));
      });
      req.on('error', reject);
      req.end();
    });
    const ok = await send(sign(sim.accessKeySecret));
    assert.equal(ok.status, 200);
    assert.deepEqual(ok.body, { count: 0, total: 0, logstores: [] });
    const bad = await send(sign('wrong'));
    assert.equal(bad.status, 401);
    assert.equal(bad.body.errorCode, 'SignatureNotMatch');
  });
});

describe('SLS bodies', () => {
  let sim: CloudSim;
  before(async () => { sim = await startCloudSim(); });
  after(() => sim.stop());

  /** A signed SLS call with a JSON body (the LOG signature over Content-MD5 and the x-log headers). */
  const slsPost = (path: string, body: string) => new Promise<{ status: number; body: string }>((resolve, reject) => {
    const headers: Record<string, string> = {
      date: new Date().toUTCString(), 'content-type': 'application/json', 'content-md5': createHash('md5').update(body).digest('hex').toUpperCase(),
      'x-log-apiversion': '0.6.0', 'x-log-signaturemethod': 'hmac-sha256', 'x-log-bodyrawsize': String(Buffer.byteLength(body)),
    };
    const sig = createHmac('sha256', sim.accessKeySecret).update(slsStringToSign('POST', path, {}, headers)).digest('base64');
    const req = http.request({ method: 'POST', host: '127.0.0.1', port: sim.port, path, headers: { ...headers, host: `k8s-log-kubeloop.${sim.slsEndpoint}`, authorization: `LOG ${sim.accessKeyId}:${sig}` } }, (res) => {
      let b = '';
      res.on('data', (c) => { b += c; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: b }));
    });
    req.on('error', reject);
    req.end(body);
  });

  test('a body nested thousands of levels deep is a 400 PostBodyInvalid, not a stack overflow', async () => {
    // an index whose keys nest deeply overflowed the stack when copied: 500 InternalServerError
    assert.equal((await slsPost('/logstores', '{"logstoreName":"deep","ttl":30,"shardCount":2}')).status, 200);
    const deep = '['.repeat(20000) + ']'.repeat(20000);
    const r = await slsPost('/logstores/deep/index', `{"line":{"token":[","]},"keys":{"a":${deep}}}`);
    assert.equal(r.status, 400, r.body);
    assert.equal((JSON.parse(r.body) as { errorCode: string }).errorCode, 'PostBodyInvalid');
    assert.equal((await slsPost('/logstores/deep/index', '{"line":{"token":[","]}}')).status, 200, 'a plain index still goes in');
  });

  /** A signed SLS call with any method, path, query and signature method (v1; `body` JSON when given). */
  const slsCall = (method: string, path: string, query: Record<string, string>, opts: { body?: string; signatureMethod?: string; host?: string } = {}) => new Promise<{ status: number; body: string }>((resolve, reject) => {
    const body = opts.body;
    const headers: Record<string, string> = {
      date: new Date().toUTCString(), 'x-log-apiversion': '0.6.0', 'x-log-signaturemethod': opts.signatureMethod ?? 'hmac-sha256', 'x-log-bodyrawsize': String(body ? Buffer.byteLength(body) : 0),
      ...(body ? { 'content-type': 'application/json', 'content-md5': createHash('md5').update(body).digest('hex').toUpperCase() } : {}),
    };
    const algorithm = opts.signatureMethod === 'hmac-sha1' ? 'sha1' : 'sha256';
    const sig = createHmac(algorithm, sim.accessKeySecret).update(slsStringToSign(method, path, query, headers)).digest('base64');
    const qs = new URLSearchParams(query).toString();
    const req = http.request({ method, host: '127.0.0.1', port: sim.port, path: qs ? `${path}?${qs}` : path, headers: { ...headers, host: opts.host ?? `k8s-log-kubeloop.${sim.slsEndpoint}`, authorization: `LOG ${sim.accessKeyId}:${sig}` } }, (res) => {
      let b = '';
      res.on('data', (c) => { b += c; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: b }));
    });
    req.on('error', reject);
    req.end(body);
  });
  const errorCode = (r: { body: string }) => (JSON.parse(r.body) as { errorCode: string }).errorCode;

  test('v1 signs with the HMAC x-log-signaturemethod names: hmac-sha1 (the API reference) and hmac-sha256 (the SDK)', async () => {
    assert.equal((await slsCall('GET', '/logstores', {}, { signatureMethod: 'hmac-sha1' })).status, 200);
    assert.equal((await slsCall('GET', '/logstores', {}, { signatureMethod: 'hmac-sha256' })).status, 200);
    const other = await slsCall('GET', '/logstores', {}, { signatureMethod: 'hmac-md5' });
    assert.deepEqual([other.status, errorCode(other)], [400, 'InvalidSignatureMethod']);
  });

  test('malformed paths, queries and body fields found by the fuzz are 400 ParameterInvalid, not 500', async () => {
    // `%zz` made decodeURIComponent throw ("URI malformed")
    const path = await slsCall('GET', '/logstores/%zz', {});
    assert.deepEqual([path.status, errorCode(path)], [400, 'ParameterInvalid'], path.body);
    // ListTagResources' tags as a JSON number reached `.some`
    const tags = await slsCall('GET', '/tags', { resourceType: 'project', tags: '500' }, { host: sim.slsEndpoint });
    assert.deepEqual([tags.status, errorCode(tags)], [400, 'ParameterInvalid'], tags.body);
    // a string field holding an object whose `toString` is not a function made String() throw
    const store = await slsCall('POST', '/logstores', {}, { body: '{"logstoreName":"fuzzed","ttl":30,"shardCount":2,"telemetryType":{"toString":[0]}}' });
    assert.deepEqual([store.status, errorCode(store)], [400, 'ParameterInvalid'], store.body);
    const untag = await slsCall('POST', '/untag', {}, { host: sim.slsEndpoint, body: '{"resourceType":{"toString":59},"resourceId":["k8s-log-kubeloop"],"tags":["k"]}' });
    assert.deepEqual([untag.status, errorCode(untag)], [400, 'ParameterInvalid'], untag.body);
    assert.equal((await slsCall('GET', '/tags', { resourceType: 'project', tags: '[{"key":"k"}]' }, { host: sim.slsEndpoint })).status, 200, 'a well-formed filter still answers');
  });
});

describe('/_sim API', () => {
  let sim: CloudSim;
  before(async () => { sim = await startCloudSim({ timings: { bootDelayMs: 20 } }); });
  after(() => sim.stop());

  test('state, JSON patch, route deletion behind the controller, call counts', async () => {
    const state = await (await fetch(`${sim.url}/_sim/state`)).json() as { routeTables: Array<{ entries: Array<{ routeEntryId: string; type: string }> }> };
    assert.equal(state.routeTables.length, 1);
    const patch = [{ op: 'add', path: '/routeTables/0/entries/-', value: { routeEntryId: 'rte-manual', routeTableId: sim.state.routeTables[0].routeTableId, destinationCidrBlock: '10.1.0.0/24', nextHopType: 'Instance', nextHopId: 'i-1', routeEntryName: '', description: '', type: 'Custom', status: 'Available', creationTime: '' } }];
    const r = await fetch(`${sim.url}/_sim/state`, { method: 'PATCH', body: JSON.stringify(patch) });
    assert.equal(r.status, 200);
    const listed = await rpc(sim, '2016-04-28', 'DescribeRouteEntryList', { RegionId: 'cn-hangzhou', RouteTableId: sim.state.routeTables[0].routeTableId, RouteEntryType: 'Custom' });
    assert.deepEqual(listed.body.RouteEntrys.RouteEntry.map((e: { RouteEntryId: string }) => e.RouteEntryId), ['rte-manual']);
    assert.equal((await fetch(`${sim.url}/_sim/route-entries/rte-manual`, { method: 'DELETE' })).status, 200);
    assert.equal(sim.state.routeTables[0].entries.length, 1);
    const badPatch = await fetch(`${sim.url}/_sim/state`, { method: 'PATCH', body: JSON.stringify([{ op: 'remove', path: '/nope/7' }]) });
    assert.equal(badPatch.status, 422);
    const counts = await (await fetch(`${sim.url}/_sim/calls`)).json() as { calls: Record<string, number> };
    assert.equal(counts.calls.DescribeRouteEntryList, 1);
    assert.equal(counts.calls['vpc:*'], 1);
  });

  test('fault rules are validated', async () => {
    assert.equal((await fetch(`${sim.url}/_sim/faults`, { method: 'POST', body: JSON.stringify({ errorRate: 0.5 }) })).status, 400);
    assert.equal((await fetch(`${sim.url}/_sim/faults`, { method: 'POST', body: JSON.stringify({ service: 'vpc', errorRate: 2 }) })).status, 400);
    assert.equal((await fetch(`${sim.url}/_sim/faults`, { method: 'POST', body: JSON.stringify({ service: 'vpc', errorCount: 1 }) })).status, 200);
    const failed = await rpc(sim, '2016-04-28', 'DescribeVpcs', { RegionId: 'cn-hangzhou' });
    assert.deepEqual([failed.status, failed.body.Code], [500, 'InternalError']);
    assert.equal((await rpc(sim, '2016-04-28', 'DescribeVpcs', { RegionId: 'cn-hangzhou' })).status, 200);
    await fetch(`${sim.url}/_sim/faults`, { method: 'DELETE' });
  });

  test('hostile request targets are 4xx and the emulator stays up (//, //a:b@, /\\, absolute form)', async () => {
    const { port } = new URL(sim.url);
    const raw = (target: string) => new Promise<number>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port, path: target, method: 'GET' }, (res) => { res.resume(); resolve(res.statusCode ?? 0); });
      req.on('error', reject);
      req.end();
    });
    for (const target of ['//', '//a:b@', '/\\', '//x/..//_sim/state', 'http://evil.example/_sim/state']) {
      const code = await raw(target);
      assert.ok(code >= 400 && code < 500, `${target} -> ${code}`);
    }
    assert.equal((await fetch(`${sim.url}/_sim/healthz`)).status, 200, 'still serving');
  });

  test('fault rules with unknown fields or wrong types are refused', async () => {
    for (const rule of [{ service: 'vpc', errorCount: 'x' }, { service: 'vpc', latencyMs: -1 }, { service: 'vpc', errorRat: 0.5 }, { action: 7 }, [1], { service: 'vpc', outageUntil: 'soon' }]) {
      const r = await fetch(`${sim.url}/_sim/faults`, { method: 'POST', body: JSON.stringify(rule) });
      assert.equal(r.status, 400, JSON.stringify(rule));
    }
    assert.deepEqual(((await (await fetch(`${sim.url}/_sim/faults`)).json()) as { faults: unknown[] }).faults, [], 'nothing half-applied');
  });

  test('a partial state document is refused and the emulator keeps serving the API', async () => {
    const r = await fetch(`${sim.url}/_sim/state`, { method: 'PUT', body: JSON.stringify({ routeTables: [], instances: [] }) });
    assert.equal(r.status, 400);
    assert.match(((await r.json()) as { Message: string }).Message, /"vpcs" is missing/);
    const broken = await fetch(`${sim.url}/_sim/state`, { method: 'PATCH', body: JSON.stringify([{ op: 'replace', path: '/scalingGroups', value: 'x' }]) });
    assert.equal(broken.status, 422);
    assert.equal((await rpc(sim, '2016-04-28', 'DescribeVpcs', { RegionId: 'cn-hangzhou' })).status, 200);
    assert.equal((await rpc(sim, '2014-08-28', 'DescribeScalingGroups', { RegionId: 'cn-hangzhou' })).status, 200);
  });

  test('state documents of another shape deep inside are refused too (found by the emulator fuzz target)', async () => {
    for (const op of [
      { op: 'replace', path: '/registries/0/vpcDomains', value: 'x' },
      { op: 'replace', path: '/vpcs/0/vSwitchIds', value: 7 },
      { op: 'remove', path: '/scalingGroups/0/vSwitchIds' },
    ]) {
      const r = await fetch(`${sim.url}/_sim/state`, { method: 'PATCH', body: JSON.stringify([op]) });
      assert.equal(r.status, 422, `${JSON.stringify(op)} -> ${r.status}`);
    }
    // an STS credential's session policy is evaluated on each of its calls: a malformed one would fail them all with 500s
    const sts = { accessKeyId: 'STS.handmade', accessKeySecret: 'secret', securityToken: 'token', expiresAt: Date.now() + 3_600_000, roleName: 'r', policy: { Statement: 'x' } };
    const badPolicy = await fetch(`${sim.url}/_sim/state`, { method: 'PATCH', body: JSON.stringify([{ op: 'add', path: '/stsCredentials/-', value: sts }]) });
    assert.equal(badPolicy.status, 422);
    assert.match(((await badPolicy.json()) as { Message: string }).Message, /stsCredentials\[\d+\]\.policy: .*"Version" must be "1"/);
    assert.equal((await fetch(`${sim.url}/v2/`)).status, 401, 'the registry still answers');
    assert.equal((await rpc(sim, '2016-04-28', 'DescribeVSwitches', { RegionId: 'cn-hangzhou' })).status, 200);
  });

  test('a /_sim body nested thousands of levels deep is a 400, not a stack overflow (found by the emulator fuzz target)', async () => {
    // a state document with a deep value inside an instance passed the shape checks and then
    // overflowed the stack when copied (structuredClone): a 500 on PUT, and on every PATCH after
    const st = await (await fetch(`${sim.url}/_sim/state`)).text();
    const deep = '['.repeat(5000) + ']'.repeat(5000);
    const r = await fetch(`${sim.url}/_sim/state`, { method: 'PUT', body: st.replace('"instanceId":', `"extra":${deep},"instanceId":`) });
    assert.equal(r.status, 400);
    assert.match(((await r.json()) as { Message: string }).Message, /nested more than 100 levels deep/);
    const patch = await fetch(`${sim.url}/_sim/state`, { method: 'PATCH', body: `[{"op":"add","path":"/instances/0/extra","value":${deep}}]` });
    assert.equal(patch.status, 400);
    assert.equal((await fetch(`${sim.url}/_sim/state`)).status, 200);
  });

  test('instance lifecycle: in-process events and the NDJSON stream', async () => {
    const seen: InstanceEvent[] = [];
    sim.events.on('instance', (e: InstanceEvent) => seen.push(e));
    const ac = new AbortController();
    const stream = await fetch(`${sim.url}/_sim/events?initial=false`, { signal: ac.signal });
    const reader = stream.body!.getReader();
    const group = sim.state.scalingGroups[0];
    const set = await rpc(sim, '2014-08-28', 'ModifyScalingGroup', { RegionId: 'cn-hangzhou', ScalingGroupId: group.scalingGroupId, DesiredCapacity: '2' });
    assert.equal(set.status, 200);
    let text = '';
    const decoder = new TextDecoder();
    while (!text.includes('"type":"Active"')) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value);
    }
    ac.abort();
    const events = text.trim().split('\n').map((l) => JSON.parse(l) as InstanceEvent);
    const active = events.find((e) => e.type === 'Active')!;
    assert.ok(active.instanceId.startsWith('i-'));
    assert.equal(active.providerId, `cn-hangzhou.${active.instanceId}`);
    assert.equal(active.cpuCoreCount, 4);
    assert.equal(active.memoryGiB, 16);
    assert.equal(active.nodeLabels.workload, 'general');
    assert.match(active.nodeLabels['alibabacloud.com/nodepool-id'], /^np-/, 'ACK\'s node pool label');
    assert.ok(seen.some((e) => e.type === 'Pending' && e.instanceId === active.instanceId));

    // an instance that dies is replaced to keep the desired capacity
    const victim = sim.state.instances[0].instanceId;
    assert.equal((await fetch(`${sim.url}/_sim/instances/${victim}`, { method: 'DELETE' })).status, 200);
    assert.ok(seen.some((e) => e.type === 'Removed' && e.instanceId === victim));
    assert.equal(sim.state.instances.filter((i) => i.scalingGroupId === group.scalingGroupId).length, 2);
    assert.ok(!sim.state.instances.some((i) => i.instanceId === victim));
  });
});

test('a group can be made to never boot its instances (provision-timeout scenarios)', async () => {
  const sim = await startCloudSim({ timings: { bootDelayMs: 0 }, customize: (s) => { s.scalingGroups[0].bootDelayMs = -1; } });
  try {
    const g = sim.state.scalingGroups[0];
    const r = await rpc(sim, '2014-08-28', 'ModifyScalingGroup', { RegionId: 'cn-hangzhou', ScalingGroupId: g.scalingGroupId, DesiredCapacity: '3' });
    assert.equal(r.status, 200);
    const members = await rpc(sim, '2014-08-28', 'DescribeScalingInstances', { RegionId: 'cn-hangzhou', ScalingGroupId: g.scalingGroupId });
    assert.equal(members.body.TotalCount, 3);
    assert.ok(members.body.ScalingInstances.ScalingInstance.every((i: { LifecycleState: string }) => i.LifecycleState === 'Pending'));
    // and they never will boot: no boot time is scheduled for any of them
    const launched = sim.state.instances.filter((i) => i.scalingGroupId === g.scalingGroupId);
    assert.equal(launched.length, 3);
    assert.ok(launched.every((i) => i.status === 'Pending' && i.bootsAt === undefined), JSON.stringify(launched.map((i) => [i.status, i.bootsAt])));
  } finally {
    await sim.stop();
  }
});

test('checking a state document has no side effects: an instance due to boot in it boots once, when it is installed', async () => {
  const sim = await startCloudSim({ timings: { bootDelayMs: 3_600_000 } });
  try {
    const g = sim.state.scalingGroups[0];
    const desired = sim.state.instances.filter((i) => i.scalingGroupId === g.scalingGroupId).length + 1;
    assert.equal((await rpc(sim, '2014-08-28', 'ModifyScalingGroup', { RegionId: 'cn-hangzhou', ScalingGroupId: g.scalingGroupId, DesiredCapacity: String(desired) })).status, 200);
    const doc = await (await fetch(`${sim.url}/_sim/state`)).json() as { instances: Array<{ instanceId: string; status: string; bootsAt?: number }> };
    const pending = doc.instances.find((i) => i.status === 'Pending' && i.bootsAt !== undefined)!;
    pending.bootsAt = Date.now() - 1;
    const active: string[] = [];
    sim.events.on('instance', (e: InstanceEvent) => { if (e.type === 'Active') active.push(e.instanceId); });
    const r = await fetch(`${sim.url}/_sim/state`, { method: 'PUT', body: JSON.stringify(doc) });
    assert.equal(r.status, 200);
    assert.deepEqual(active, [pending.instanceId], 'one Active event, from the installed state, none from the check of the candidate');
    assert.equal(sim.state.instances.find((i) => i.instanceId === pending.instanceId)?.status, 'Running');
  } finally {
    await sim.stop();
  }
});

describe('--state persistence', () => {
  let dir: string;
  before(() => { dir = mkdtempSync(join(tmpdir(), 'cloudsim-')); });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('state survives a restart (in-process)', async () => {
    const file = join(dir, 'inproc.json');
    const a = await startCloudSim({ stateFile: file, persistDebounceMs: 10 });
    const tableId = a.state.routeTables[0].routeTableId;
    const created = await rpc(a, '2016-04-28', 'CreateRouteEntry', { RegionId: 'cn-hangzhou', RouteTableId: tableId, DestinationCidrBlock: '10.9.0.0/24', NextHopId: 'i-keep' });
    assert.equal(created.status, 200);
    const sts = a.issueStsToken(60_000);
    await a.stop();
    assert.deepEqual(readdirSync(dir).filter((f) => f.endsWith('.tmp')), [], 'no temporary file left behind');
    const b = await startCloudSim({ stateFile: file });
    try {
      assert.equal(b.state.routeTables[0].routeTableId, tableId);
      assert.ok(b.state.routeTables[0].entries.some((e) => e.routeEntryId === created.body.RouteEntryId && e.nextHopId === 'i-keep'));
      assert.ok(b.state.stsCredentials.some((c) => c.accessKeyId === sts.accessKeyId));
    } finally {
      await b.stop();
    }
  });

  test('state survives a restart of `kubeloop cloudsim --state`', async () => {
    const file = join(dir, 'cli.json');
    const run = async (): Promise<{ url: string; env: Record<string, string>; stop: () => Promise<void> }> => {
      const child = spawn(process.execPath, [kubeloopBin(), 'cloudsim', '--port', '0', '--state', file, '--access-key-id', 'AK', '--access-key-secret', 'SK'], { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      const url = await new Promise<string>((resolve, reject) => {
        child.stdout.on('data', (c: Buffer) => {
          out += c.toString();
          const m = /KUBELOOP_CLOUD_EMULATOR=(\S+)/.exec(out);
          if (m && /ALIBABA_CLOUD_ACCESS_KEY_SECRET=\S+\n/.test(out)) resolve(m[1]);
        });
        child.on('exit', (code) => reject(new Error(`cloudsim exited early (${code}): ${out}`)));
      });
      const env = Object.fromEntries([...out.matchAll(/^export (\w+)=(\S+)$/gm)].map((x) => [x[1], x[2]]));
      return {
        url,
        env,
        stop: () => new Promise<void>((resolve) => { child.removeAllListeners('exit'); child.on('exit', () => resolve()); child.kill('SIGTERM'); }),
      };
    };
    const first = await run();
    // the printed environment is all a controller needs
    const cloud = createAlibabaCloud(alibabaCloudOptionsFromEnv(first.env));
    assert.equal((await cloud.vpc.describeVpcs()).length, 1);
    assert.ok((await cloud.sls.listProjects()).length >= 1);
    const r = await fetch(`${first.url}/_sim/registries/kubeloop/repositories`, { method: 'POST', body: JSON.stringify({ namespace: 'keep', name: 'me', tags: { v1: {} } }) });
    assert.equal(r.status, 200);
    await first.stop();
    const second = await run();
    try {
      const state = await (await fetch(`${second.url}/_sim/state`)).json() as { registries: Array<{ repositories: Array<{ namespace: string; name: string }> }> };
      assert.ok(state.registries[0].repositories.some((x) => x.namespace === 'keep' && x.name === 'me'));
    } finally {
      await second.stop();
    }
  });
});
