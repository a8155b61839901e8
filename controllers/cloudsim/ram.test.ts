// RAM policies in the emulator, end to end: edited through /_sim/ram, evaluated on every call,
// refused with each product's real error — observed through the official SDK clients the
// controllers use (controllers/cloud), and on the wire for the body's shape.
import { test, describe, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCloudSim, type CloudSim } from './index.js';
import { rpcSign, percentEncode } from './rpc.js';
import { createAlibabaCloud, isForbidden, type AlibabaCloud } from '../cloud/index.js';
import { cloudFailure as failure, emulatorCloud, simCall } from '../cloud/emulator-testkit.js';

const fastRetry = { maxAttempts: 2, baseDelayMs: 2, maxDelayMs: 10, budgetMs: 5_000, timeoutMs: 5_000 };

const cloudFor = (sim: CloudSim, over: Partial<Parameters<typeof createAlibabaCloud>[0]> = {}): AlibabaCloud => emulatorCloud(sim, fastRetry, over);

const deny = (...Action: string[]) => ({ Version: '1', Statement: [{ Effect: 'Deny', Action, Resource: '*' }] });
const allow = (Action: string[], Resource: string | string[] = '*') => ({ Version: '1', Statement: [{ Effect: 'Allow', Action, Resource }] });

describe('emulator: RAM policies', () => {
  let sim: CloudSim;
  let cloud: AlibabaCloud;
  before(async () => {
    sim = await startCloudSim({ cloud: { routeTables: 2 }, timings: { routeSettleMs: 5 } });
    cloud = cloudFor(sim);
  });
  after(() => sim.stop());
  beforeEach(async () => {
    for (const p of (await simCall(sim, 'GET', '/_sim/ram/policies')).json.policies) await simCall(sim, 'DELETE', `/_sim/ram/policies/${p.policyName}`);
  });

  test('without policies every credential may do everything (the default)', async () => {
    const ram = (await simCall(sim, 'GET', '/_sim/ram')).json;
    assert.equal(ram.defaultUser.userName, 'kubeloop');
    assert.equal(ram.defaultUser.accessKeyId, sim.accessKeyId);
    assert.deepEqual(ram.attachments, []);
    const [table] = await cloud.vpc.listRouteTables();
    await cloud.vpc.createRouteEntry({ routeTableId: table.routeTableId, destinationCidrBlock: '10.90.0.0/24', nextHopId: 'i-a' });
  });

  test('VPC: a Deny on vpc:CreateRouteEntry is 403 Forbidden.RAM through the SDK, with AccessDeniedDetail on the wire; the rest still works', async () => {
    const [table] = await cloud.vpc.listRouteTables();
    const put = await simCall(sim, 'PUT', '/_sim/ram/users/kubeloop/policies/no-routes', deny('vpc:CreateRouteEntry'));
    assert.equal(put.status, 200, JSON.stringify(put.json));
    const err = await failure(cloud.vpc.createRouteEntry({ routeTableId: table.routeTableId, destinationCidrBlock: '10.91.0.0/24', nextHopId: 'i-b' }));
    assert.ok(isForbidden(err), err.kind);
    assert.equal(err.code, 'Forbidden.RAM');
    assert.equal(err.httpStatus, 403);
    assert.match(err.message, /User not authorized to operate on the specified resource, or this API doesn't support RAM\./);
    assert.ok(sim.state.routeTables.every((t) => t.entries.every((e) => e.destinationCidrBlock !== '10.91.0.0/24')), 'nothing was written');
    const wire = await signed(sim, '2016-04-28', 'CreateRouteEntry', { RegionId: sim.regionId, RouteTableId: table.routeTableId, DestinationCidrBlock: '10.92.0.0/24', NextHopId: 'i-c' });
    assert.equal(wire.status, 403);
    assert.equal(wire.body.Code, 'Forbidden.RAM');
    assert.deepEqual({ ...wire.body.AccessDeniedDetail, EncodedDiagnosticMessage: undefined }, {
      AuthAction: 'vpc:CreateRouteEntry', AuthPrincipalType: 'SubUser', AuthPrincipalDisplayName: 'kubeloop',
      AuthPrincipalOwnerId: '1234567890123456', NoPermissionType: 'ExplicitDeny', PolicyType: 'AccountLevelIdentityBasedPolicy', EncodedDiagnosticMessage: undefined,
    });
    // once a policy is attached, what it does not allow is implicitly denied
    const implicit = await failure(cloud.vpc.describeVpcs());
    assert.equal(implicit.code, 'Forbidden.RAM');
    const eval_ = await simCall(sim, 'POST', '/_sim/ram/evaluate', { user: 'kubeloop', action: 'vpc:DescribeVpcs' });
    assert.equal(eval_.json.decision, 'ImplicitDeny');
    await simCall(sim, 'PUT', '/_sim/ram/users/kubeloop/policies/everything', allow(['*']));
    assert.equal((await cloud.vpc.describeVpcs()).length, 1, 'an Allow grants what the Deny leaves');
    await failure(cloud.vpc.createRouteEntry({ routeTableId: table.routeTableId, destinationCidrBlock: '10.93.0.0/24', nextHopId: 'i-d' }));
    // detaching lifts it
    assert.equal((await simCall(sim, 'DELETE', '/_sim/ram/users/kubeloop/policies/no-routes')).status, 200);
    await cloud.vpc.createRouteEntry({ routeTableId: table.routeTableId, destinationCidrBlock: '10.93.0.0/24', nextHopId: 'i-d' });
  });

  test('resource-level policies: a route table ARN with wildcards', async () => {
    const [table, other] = sim.state.routeTables;
    assert.ok(other, 'the default cloud has two route tables');
    await simCall(sim, 'PUT', '/_sim/ram/users/kubeloop/policies/one-table', {
      Version: '1', Statement: [
        { Effect: 'Allow', Action: 'vpc:*RouteEntr*', Resource: `acs:vpc:*:*:routetable/${table.routeTableId}` },
        { Effect: 'Allow', Action: ['vpc:Describe*', 'ecs:Describe*'], Resource: '*' },
      ],
    });
    await cloud.vpc.createRouteEntry({ routeTableId: table.routeTableId, destinationCidrBlock: '10.94.0.0/24', nextHopId: 'i-e' });
    assert.equal((await failure(cloud.vpc.createRouteEntry({ routeTableId: other.routeTableId, destinationCidrBlock: '10.94.0.0/24', nextHopId: 'i-e' }))).code, 'Forbidden.RAM');
  });

  test('ESS answers 403 Forbidden.Unauthorized; ECS and CR Forbidden.RAM; SLS 401 Unauthorized naming action and resource', async () => {
    await simCall(sim, 'PUT', '/_sim/ram/users/kubeloop/policies/no-writes', {
      Version: '1', Statement: [
        { Effect: 'Allow', Action: '*', Resource: '*' },
        { Effect: 'Deny', Action: ['ess:ModifyScalingGroup', 'ecs:DescribeInstances', 'cr:GetAuthorizationToken', 'log:CreateLogStore', 'log:applyconfigtogroup'], Resource: '*' },
      ],
    });
    const [group] = await cloud.scaling.listScalingGroups();
    const ess = await failure(cloud.scaling.setDesiredCapacity(group.scalingGroupId, group.desiredCapacity! + 1));
    assert.deepEqual([ess.kind, ess.code, ess.httpStatus], ['Forbidden', 'Forbidden.Unauthorized', 403]);
    assert.match(ess.message, /A required authorization for the specified action is not supplied\./);
    const ecs = await failure(cloud.scaling.describeInstances());
    assert.deepEqual([ecs.kind, ecs.code, ecs.httpStatus], ['Forbidden', 'Forbidden.RAM', 403]);
    const [reg] = await cloud.registry.listInstances();
    assert.deepEqual([(await failure(cloud.registry.getAuthorizationToken(reg.instanceId))).code], ['Forbidden.RAM']);
    assert.deepEqual([(await failure(cloud.registry.getPersonalAuthorizationToken())).code], ['Forbidden.RAM']);
    const project = sim.state.slsProjects[0].projectName;
    const sls = await failure(cloud.sls.createLogStore(project, { logstoreName: 'denied', ttl: 7, shardCount: 1 } as never));
    assert.deepEqual([sls.kind, sls.code, sls.httpStatus], ['Forbidden', 'Unauthorized', 401]);
    assert.match(sls.message, new RegExp(`denied by sts or ram, action: log:CreateLogStore, resource: acs:log:${sim.regionId}:1234567890123456:project/${project}/logstore/denied`));
    // SLS's RAM name for ApplyConfigToMachineGroup is log:ApplyConfigToGroup (case does not matter in policies)
    const apply = await failure(cloud.sls.applyConfigToMachineGroup(project, 'g', 'c'));
    assert.match(apply.message, /action: log:ApplyConfigToGroup, resource: .*project\/[^/]+\/machinegroup\/g$/);
    assert.ok((await cloud.sls.listProjects()).length >= 1, 'what is not denied works');
  });

  test('SLS config removal is allowed by either RAM name (ACK\'s log roles grant log:RemoveConfigFromMachineGroup); a Deny of either refuses it', async () => {
    const project = sim.state.slsProjects[0].projectName;
    // past RAM, removing an unknown config from an unknown group is NotFound; refused by RAM, Forbidden
    const remove = () => failure(cloud.sls.removeConfigFromMachineGroup(project, 'g', 'c'));
    await simCall(sim, 'PUT', '/_sim/ram/users/kubeloop/policies/ack-log-role', allow(['log:RemoveConfigFromMachineGroup', 'log:GetProject']));
    assert.equal((await remove()).kind, 'NotFound');
    await simCall(sim, 'PUT', '/_sim/ram/users/kubeloop/policies/ack-log-role', allow(['log:RemoveConfigFromGroup']));
    assert.equal((await remove()).kind, 'NotFound');
    await simCall(sim, 'PUT', '/_sim/ram/users/kubeloop/policies/ack-log-role', allow(['log:GetProject']));
    const refused = await remove();
    assert.deepEqual([refused.kind, refused.code], ['Forbidden', 'Unauthorized']);
    assert.match(refused.message, /action: log:RemoveConfigFromGroup, resource: .*machinegroup\/g$/);
    await simCall(sim, 'PUT', '/_sim/ram/users/kubeloop/policies/ack-log-role', {
      Version: '1', Statement: [{ Effect: 'Allow', Action: ['log:RemoveConfigFromGroup'], Resource: '*' }, { Effect: 'Deny', Action: ['log:RemoveConfigFromMachineGroup'], Resource: '*' }],
    });
    assert.equal((await remove()).kind, 'Forbidden');
  });

  test('a RAM user with its own AccessKey: its policies do not touch the configured key', async () => {
    const created = await simCall(sim, 'PUT', '/_sim/ram/users/ci');
    assert.equal(created.status, 201);
    const [key] = created.json.accessKeys;
    const ci = cloudFor(sim, { credentials: { accessKeyId: key.accessKeyId, accessKeySecret: key.accessKeySecret } });
    assert.equal((await ci.vpc.describeVpcs()).length, 1, 'a new user is unrestricted until a policy is attached');
    await simCall(sim, 'PUT', '/_sim/ram/users/ci/policies/read-vpc', allow(['vpc:Describe*']));
    assert.equal((await ci.vpc.describeVpcs()).length, 1);
    const e = await failure(ci.scaling.listScalingGroups());
    assert.equal(e.code, 'Forbidden.Unauthorized');
    assert.equal((await cloud.scaling.listScalingGroups()).length, 1, 'the configured key is another user');
    const wire = await signed(sim, '2014-08-28', 'DescribeScalingGroups', { RegionId: sim.regionId }, key);
    assert.equal(wire.body.AccessDeniedDetail.AuthPrincipalDisplayName, 'ci');
    assert.equal(wire.body.AccessDeniedDetail.NoPermissionType, 'ImplicitDeny');
    assert.equal((await simCall(sim, 'DELETE', '/_sim/ram/users/ci')).status, 200);
    assert.equal((await failure(ci.vpc.describeVpcs())).code, 'InvalidAccessKeyId.NotFound', 'a deleted user\'s key is gone');
    assert.equal((await simCall(sim, 'DELETE', '/_sim/ram/users/kubeloop')).status, 409);
  });

  test('roles: sts:AssumeRole needs permission (403 NoPermission); the session acts as the role, narrowed by its session policy', async () => {
    const roleArn = 'acs:ram::1234567890123456:role/ack-route';
    await simCall(sim, 'PUT', '/_sim/ram/users/kubeloop/policies/assume-other', allow(['sts:AssumeRole'], 'acs:ram:*:*:role/other'));
    const refused = await failure(cloudFor(sim, { assumeRole: { roleArn } }).vpc.describeVpcs());
    assert.deepEqual([refused.kind, refused.service, refused.action, refused.code, refused.httpStatus], ['Forbidden', 'sts', 'AssumeRole', 'NoPermission', 403]);
    assert.match(refused.message, /You are not authorized to do this action\. You should be authorized by RAM\./);
    await simCall(sim, 'PUT', '/_sim/ram/users/kubeloop/policies/assume-other', allow(['sts:AssumeRole'], 'acs:ram:*:*:role/ack-*'));
    await simCall(sim, 'PUT', '/_sim/ram/roles/ack-route/policies/route-only', allow(['vpc:*']));
    const asRole = cloudFor(sim, { assumeRole: { roleArn } });
    assert.equal((await asRole.vpc.describeVpcs()).length, 1);
    assert.equal((await failure(asRole.scaling.describeInstances())).code, 'Forbidden.RAM', 'the role, not the user, decides');
    // a session policy narrows it
    const narrowed = cloudFor(sim, { assumeRole: { roleArn, roleSessionName: 'narrow', policy: JSON.stringify(allow(['vpc:DescribeRouteTableList'])) } });
    assert.equal((await narrowed.vpc.listRouteTables()).length, 2);
    const s = await failure(narrowed.vpc.describeVpcs());
    assert.equal(s.code, 'Forbidden.RAM');
    const bad = await failure(cloudFor(sim, { assumeRole: { roleArn, roleSessionName: 'bad', policy: '{"Version":"1"}' } }).vpc.describeVpcs());
    assert.equal(bad.code, 'InvalidParameter.PolicyGrammar');
    // RRSA: AssumeRoleWithOIDC is anonymous (no RAM check on the caller); its credentials act as the role
    const jwt = ['{"alg":"RS256"}', JSON.stringify({ sub: 'system:serviceaccount:kube-system:route', exp: Math.floor(Date.now() / 1000) + 600 }), 'sig'].map((x, i) => (i < 2 ? Buffer.from(x).toString('base64url') : x)).join('.');
    const oidc = await fetch(`${sim.url}/?${new URLSearchParams({ Action: 'AssumeRoleWithOIDC', Version: '2015-04-01', Format: 'JSON', RoleArn: roleArn, OIDCProviderArn: 'acs:ram::1234567890123456:oidc-provider/ack-rrsa-c1', OIDCToken: jwt, RoleSessionName: 'rrsa' })}`);
    assert.equal(oidc.status, 200);
    const rrsa = (await oidc.json() as { Credentials: { AccessKeyId: string; AccessKeySecret: string; SecurityToken: string } }).Credentials;
    const asRrsa = cloudFor(sim, { credentials: { accessKeyId: rrsa.AccessKeyId, accessKeySecret: rrsa.AccessKeySecret, securityToken: rrsa.SecurityToken } });
    assert.equal((await asRrsa.vpc.describeVpcs()).length, 1);
    assert.equal((await failure(asRrsa.scaling.listScalingGroups())).code, 'Forbidden.Unauthorized');
    // credentials the metadata service hands an instance RAM role out (POST /_sim/sts {roleName})
    const minted = (await simCall(sim, 'POST', '/_sim/sts', { roleName: 'ack-route', durationSeconds: 900 })).json;
    const instanceRole = cloudFor(sim, { credentials: { accessKeyId: minted.accessKeyId, accessKeySecret: minted.accessKeySecret, securityToken: minted.securityToken } });
    assert.equal((await instanceRole.vpc.describeVpcs()).length, 1);
    assert.equal((await failure(instanceRole.scaling.listScalingGroups())).code, 'Forbidden.Unauthorized');
    const ev = await simCall(sim, 'POST', '/_sim/ram/evaluate', { accessKeyId: minted.accessKeyId, action: 'ess:DescribeScalingGroups' });
    assert.deepEqual([ev.json.principal, ev.json.decision], [{ type: 'Role', name: 'ack-route' }, 'ImplicitDeny']);
  });

  test('the /_sim/ram API refuses bad documents and names with a 400 that says why, unknown things with 404', async () => {
    let r = await simCall(sim, 'PUT', '/_sim/ram/policies/p1', { Version: '1', Statement: [{ Effect: 'Deny', Action: 'CreateRouteEntry', Resource: '*' }] });
    assert.equal(r.status, 400);
    assert.equal(r.json.Code, 'MalformedPolicyDocument');
    assert.match(r.json.Message, /malformed action\(s\) "CreateRouteEntry"/);
    r = await simCall(sim, 'PUT', '/_sim/ram/policies/p1', { Version: '1', Statement: [{ Effect: 'Deny', Action: '*', Resource: '*', Condition: { Bool: { 'acs:MFAPresent': 'true' } } }] });
    assert.match(r.json.Message, /Condition is not modelled/);
    r = await simCall(sim, 'PUT', '/_sim/ram/policies/p1', '{oops');
    assert.deepEqual([r.status, r.json.Code], [400, 'InvalidJSON']);
    r = await simCall(sim, 'PUT', '/_sim/ram/policies/p1');
    assert.equal(r.status, 400);
    r = await simCall(sim, 'PUT', '/_sim/ram/policies/bad%20name', deny('vpc:*'));
    assert.match(r.json.Message, /not a valid policy name/);
    r = await simCall(sim, 'PUT', '/_sim/ram/policies/p1', { document: JSON.stringify(deny('vpc:*')), description: 'as a string, as RAM takes it' });
    assert.equal(r.status, 201);
    assert.equal(r.json.description, 'as a string, as RAM takes it');
    assert.equal((await simCall(sim, 'PUT', '/_sim/ram/users/nobody/policies/p1')).status, 404);
    assert.equal((await simCall(sim, 'PUT', '/_sim/ram/roles/r/policies/missing')).status, 404);
    assert.equal((await simCall(sim, 'DELETE', '/_sim/ram/roles/r/policies/p1')).status, 404);
    assert.equal((await simCall(sim, 'PUT', '/_sim/ram/roles/r/policies/p1')).status, 200);
    assert.deepEqual((await simCall(sim, 'GET', '/_sim/ram/policies/p1')).json.attachedTo, [{ principalType: 'Role', principalName: 'r' }]);
    r = await simCall(sim, 'DELETE', '/_sim/ram/policies/p1');
    assert.deepEqual(r.json.detached.map((x: { principalName: string }) => x.principalName), ['r'], 'deleting a policy detaches it');
    assert.equal((await simCall(sim, 'GET', '/_sim/ram/nope')).status, 404);
    r = await simCall(sim, 'PUT', '/_sim/ram/users/u2', { accessKeys: [{ accessKeyId: sim.accessKeyId, accessKeySecret: 'whatever-secret' }] });
    assert.match(r.json.Message, /already in use/);
    // a state document with a broken policy is refused as a whole
    r = await simCall(sim, 'PATCH', '/_sim/state', [{ op: 'add', path: '/ram/policies/-', value: { policyName: 'x', description: '', createDate: '', updateDate: '', document: { Version: '1', Statement: 'nope' } } }]);
    assert.equal(r.status, 422);
    assert.match(r.json.Message, /ram\.policies\[0\]\.document/);
  });

  test('the deny fault is an explicit Deny for whoever calls, through the same refusal', async () => {
    await fetch(`${sim.url}/_sim/faults`, { method: 'POST', body: JSON.stringify({ action: 'DescribeScalingGroups', deny: true }) });
    try {
      const e = await failure(cloud.scaling.listScalingGroups());
      assert.equal(e.code, 'Forbidden.Unauthorized');
    } finally {
      await fetch(`${sim.url}/_sim/faults`, { method: 'DELETE' });
    }
  });
});

test('emulator: RAM policies persist with --state, and a state file without RAM has none', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cloudsim-ram-'));
  try {
    const stateFile = join(dir, 'cloud.json');
    const a = await startCloudSim({ stateFile, persistDebounceMs: 1 });
    await simCall(a, 'PUT', '/_sim/ram/users/kubeloop/policies/no-vpc', deny('vpc:*'));
    await a.stop();
    const b = await startCloudSim({ stateFile });
    try {
      assert.equal((await failure(cloudFor(b).vpc.describeVpcs())).code, 'Forbidden.RAM');
      const r = await simCall(b, 'PUT', '/_sim/state', { ...b.state, ram: undefined });
      assert.equal(r.status, 200, JSON.stringify(r.json));
      assert.equal((await cloudFor(b).vpc.describeVpcs()).length, 1);
    } finally {
      await b.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** A hand-signed RPC call, to see the error body as the wire carries it. */
async function signed(sim: CloudSim, version: string, action: string, params: Record<string, string>, key = { accessKeyId: sim.accessKeyId, accessKeySecret: sim.accessKeySecret }) {
  const all: Record<string, string> = {
    Action: action, Version: version, Format: 'JSON', AccessKeyId: key.accessKeyId, SignatureMethod: 'HMAC-SHA1',
    SignatureVersion: '1.0', SignatureNonce: Math.random().toString(36).slice(2), Timestamp: new Date().toISOString().replace(/\.\d+Z$/, 'Z'), ...params,
  };
  all.Signature = rpcSign('GET', all, key.accessKeySecret);
  const r = await fetch(`${sim.url}/?${Object.entries(all).map(([k, v]) => `${percentEncode(k)}=${percentEncode(v)}`).join('&')}`);
  return { status: r.status, body: await r.json() as Record<string, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any
}
