// Every adapter operation against the emulator, through the official SDK clients
// (pop-core for VPC/ESS/ECS/CR, @alicloud/sls20201230 for SLS), failure paths included.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { eventually } from 'kubeloop/testing';
import { startCloudSim, type CloudSim } from '../cloudsim/index.js';
import {
  createAlibabaCloud, isAlreadyExists, isConflict, isForbidden, isInvalidParameter, isNotFound, isThrottled,
  isTimeout, isUnavailable, pullManifest, ImagePullError, CloudError, type AlibabaCloud, type RetryPolicy,
} from './index.js';
import { emulatorCloud } from './emulator-testkit.js';

const fastRetry: Partial<RetryPolicy> = { maxAttempts: 4, baseDelayMs: 2, maxDelayMs: 10, budgetMs: 10_000, timeoutMs: 5_000 };

const cloudFor = (sim: CloudSim, over: Partial<Parameters<typeof createAlibabaCloud>[0]> = {}): AlibabaCloud => emulatorCloud(sim, fastRetry, over);

async function calls(sim: CloudSim): Promise<Record<string, number>> {
  const r = await fetch(`${sim.url}/_sim/calls`);
  return ((await r.json()) as { calls: Record<string, number> }).calls;
}

async function expectKind(p: Promise<unknown>, pred: (e: unknown) => boolean, code?: string): Promise<CloudError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof CloudError, `expected CloudError, got ${String(err)}`);
    assert.ok(pred(err), `unexpected kind ${err.kind} (${err.code}: ${err.message})`);
    if (code) assert.equal(err.code, code);
    return err;
  }
  assert.fail('expected the call to fail');
}

describe('VPC routes', () => {
  let sim: CloudSim;
  let cloud: AlibabaCloud;
  before(async () => {
    sim = await startCloudSim({ cloud: { routeTables: 2 }, timings: { routeSettleMs: 20 } });
    cloud = cloudFor(sim);
  });
  after(() => sim.stop());

  test('describes the VPC and its route tables', async () => {
    const [vpc] = await cloud.vpc.describeVpcs();
    assert.equal(vpc.cidrBlock, '192.168.0.0/16');
    assert.equal(vpc.routeTableIds.length, 2);
    const tables = await cloud.vpc.listRouteTables({ vpcId: vpc.vpcId });
    assert.deepEqual(tables.map((t) => t.routeTableId).sort(), [...vpc.routeTableIds].sort());
    assert.deepEqual(tables.map((t) => t.routeTableType).sort(), ['Custom', 'System']);
  });

  test('creates, lists and deletes route entries; concurrent writes to one table are serialized', async () => {
    const [table] = await cloud.vpc.listRouteTables();
    const created = await Promise.all([1, 2, 3].map((n) => cloud.vpc.createRouteEntry({
      routeTableId: table.routeTableId, destinationCidrBlock: `10.10.${n}.0/24`, nextHopId: `i-node${n}`,
      routeEntryName: 'kubeloop-cluster-a', description: `node-${n}`,
    })));
    for (const e of created) assert.equal(e.status, 'Available');
    const entries = await cloud.vpc.listRouteEntries(table.routeTableId, { type: 'Custom' });
    assert.deepEqual(entries.map((e) => e.destinationCidrBlock).sort(), ['10.10.1.0/24', '10.10.2.0/24', '10.10.3.0/24']);
    const e2 = entries.find((e) => e.destinationCidrBlock === '10.10.2.0/24')!;
    assert.equal(e2.nextHopId, 'i-node2');
    assert.equal(e2.nextHopType, 'Instance');
    assert.equal(e2.routeEntryName, 'kubeloop-cluster-a');
    assert.equal(e2.description, 'node-2');

    await cloud.vpc.deleteRouteEntry({ routeTableId: table.routeTableId, routeEntryId: e2.routeEntryId });
    await cloud.vpc.deleteRouteEntry({ routeTableId: table.routeTableId, destinationCidrBlock: '10.10.3.0/24', nextHopId: 'i-node3' });
    const left = await cloud.vpc.listRouteEntries(table.routeTableId, { type: 'Custom' });
    assert.deepEqual(left.map((e) => e.destinationCidrBlock), ['10.10.1.0/24']);
  });

  test('writes to two route tables of one VPC wait for each other in the adapter instead of colliding in the cloud', async () => {
    const tables = await cloud.vpc.listRouteTables();
    assert.equal(new Set(tables.map((t) => t.vpcId)).size, 1, 'both tables are in one VPC');
    const before = (await calls(sim)).CreateRouteEntry ?? 0;
    const created = await Promise.all(tables.flatMap((t, i) => [1, 2, 3].map((n) => cloud.vpc.createRouteEntry({
      routeTableId: t.routeTableId, destinationCidrBlock: `10.40.${i * 10 + n}.0/24`, nextHopId: `i-vpc${i}${n}`,
    }))));
    assert.ok(created.every((e) => e.status === 'Available'));
    // one CreateRouteEntry per entry: none was refused with IncorrectRouteEntryStatus and retried
    assert.equal((await calls(sim)).CreateRouteEntry - before, 6);
    for (const [i, t] of tables.entries()) {
      await Promise.all([1, 2, 3].map((n) => cloud.vpc.deleteRouteEntry({ routeTableId: t.routeTableId, destinationCidrBlock: `10.40.${i * 10 + n}.0/24`, nextHopId: `i-vpc${i}${n}` })));
    }
  });

  test('the cloud refuses a second write while one is pending; the adapter waits it out', async () => {
    const [table] = await cloud.vpc.listRouteTables();
    // another writer (e.g. a second process) has a write in flight on this table
    const t = sim.state.routeTables.find((x) => x.routeTableId === table.routeTableId)!;
    const inflight = {
      routeEntryId: 'rte-inflight', routeTableId: t.routeTableId, destinationCidrBlock: '10.20.0.0/24', nextHopType: 'Instance', nextHopId: 'i-x',
      routeEntryName: '', description: '', type: 'Custom' as const, status: 'Pending' as const, settlesAt: Date.now() + 3_600_000, creationTime: '',
    };
    t.entries.push(inflight);
    const noRetry = createAlibabaCloud({ regionId: sim.regionId, emulator: sim.url, retry: { ...fastRetry, maxAttempts: 1 }, credentials: { accessKeyId: sim.accessKeyId, accessKeySecret: sim.accessKeySecret } });
    await expectKind(noRetry.vpc.createRouteEntry({ routeTableId: table.routeTableId, destinationCidrBlock: '10.20.1.0/24', nextHopId: 'i-y' }), isConflict, 'IncorrectRouteEntryStatus');
    // the lock is the VPC's: another route table of the same VPC is busy too (VPC API reference)
    const other = (await cloud.vpc.listRouteTables()).find((x) => x.routeTableId !== table.routeTableId)!;
    await expectKind(noRetry.vpc.createRouteEntry({ routeTableId: other.routeTableId, destinationCidrBlock: '10.20.3.0/24', nextHopId: 'i-y' }), isConflict, 'IncorrectRouteEntryStatus');
    await expectKind(noRetry.vpc.deleteRouteEntry({ routeTableId: table.routeTableId, routeEntryId: 'rte-inflight' }), isConflict, 'IncorrectRouteEntryStatus');
    // the other write settles shortly; the retrying adapter gets through
    inflight.settlesAt = Date.now() + 100;
    const ok = await cloud.vpc.createRouteEntry({ routeTableId: table.routeTableId, destinationCidrBlock: '10.20.2.0/24', nextHopId: 'i-z' });
    assert.equal(ok.status, 'Available');
  });

  test('duplicate destination -> AlreadyExists; unknown entry and table -> NotFound; bad CIDR -> InvalidParameter', async () => {
    const [table] = await cloud.vpc.listRouteTables();
    await cloud.vpc.createRouteEntry({ routeTableId: table.routeTableId, destinationCidrBlock: '10.30.0.0/24', nextHopId: 'i-a' });
    await expectKind(cloud.vpc.createRouteEntry({ routeTableId: table.routeTableId, destinationCidrBlock: '10.30.0.0/24', nextHopId: 'i-b' }), isAlreadyExists, 'InvalidCIDRBlock.Duplicate');
    await expectKind(cloud.vpc.deleteRouteEntry({ routeTableId: table.routeTableId, destinationCidrBlock: '10.99.0.0/24' }), isNotFound);
    await expectKind(cloud.vpc.listRouteEntries('vtb-doesnotexist'), isNotFound, 'InvalidRouteTableId.NotFound');
    await expectKind(cloud.vpc.createRouteEntry({ routeTableId: table.routeTableId, destinationCidrBlock: '10.30.0.1/24', nextHopId: 'i-b' }), isInvalidParameter);
  });

  test('lists more than 100 entries across pages', async () => {
    const tables = await cloud.vpc.listRouteTables();
    const custom = tables.find((t) => t.routeTableType === 'Custom')!;
    const t = sim.state.routeTables.find((x) => x.routeTableId === custom.routeTableId)!;
    for (let i = 0; i < 230; i++) {
      t.entries.push({
        routeEntryId: `rte-bulk${i}`, routeTableId: t.routeTableId, destinationCidrBlock: `172.16.${i}.0/24`, nextHopType: 'Instance',
        nextHopId: `i-${i}`, routeEntryName: '', description: '', type: 'Custom', status: 'Available', creationTime: new Date().toISOString(),
      });
    }
    const before = (await calls(sim)).DescribeRouteEntryList ?? 0;
    const entries = await cloud.vpc.listRouteEntries(custom.routeTableId);
    assert.equal(entries.filter((e) => e.type === 'Custom').length, 230);
    assert.equal(new Set(entries.map((e) => e.routeEntryId)).size, entries.length);
    assert.ok((await calls(sim)).DescribeRouteEntryList - before >= 3, 'paged with NextToken');
  });
});

describe('auth, throttling, outages, timeouts', () => {
  let sim: CloudSim;
  before(async () => { sim = await startCloudSim(); });
  after(() => sim.stop());

  test('a wrong secret is Forbidden (SignatureDoesNotMatch), an unknown key too (InvalidAccessKeyId.NotFound)', async () => {
    const wrong = cloudFor(sim, { credentials: { accessKeyId: sim.accessKeyId, accessKeySecret: 'not-the-secret' } });
    const e = await expectKind(wrong.vpc.describeVpcs(), isForbidden, 'SignatureDoesNotMatch');
    assert.equal(e.httpStatus, 400);
    const unknown = cloudFor(sim, { credentials: { accessKeyId: 'LTAInobody', accessKeySecret: 'x' } });
    const u = await expectKind(unknown.scaling.listScalingGroups(), isForbidden, 'InvalidAccessKeyId.NotFound');
    assert.equal(u.httpStatus, 404);
    await expectKind(wrong.sls.listProjects(), isForbidden, 'SignatureNotMatch');
    await expectKind(wrong.registry.listInstances(), isForbidden);
  });

  test('throttling is retried and succeeds within the budget', async () => {
    await fetch(`${sim.url}/_sim/calls`, { method: 'DELETE' });
    await fetch(`${sim.url}/_sim/faults`, { method: 'POST', body: JSON.stringify([{ action: 'DescribeVpcs', throttleCount: 2 }, { action: 'GetProject', throttleCount: 2 }]) });
    const events: Array<{ service: string; action: string; attempts: number; error?: string }> = [];
    const cloud = cloudFor(sim, { onCall: (e) => events.push(e) });
    assert.equal((await cloud.vpc.describeVpcs()).length, 1);
    assert.equal((await cloud.sls.getProject('k8s-log-kubeloop')).projectName, 'k8s-log-kubeloop');
    const c = await calls(sim);
    assert.equal(c.DescribeVpcs, 3);
    assert.equal(c.GetProject, 3);
    assert.deepEqual(events.map((e) => [e.service, e.action, e.attempts, e.error]), [['vpc', 'DescribeVpcs', 3, undefined], ['sls', 'GetProject', 3, undefined]]);
    await fetch(`${sim.url}/_sim/faults`, { method: 'DELETE' });
  });

  test('throttling that outlasts the budget surfaces as Throttled', async () => {
    await fetch(`${sim.url}/_sim/calls`, { method: 'DELETE' });
    await fetch(`${sim.url}/_sim/faults`, { method: 'POST', body: JSON.stringify([{ service: 'ess', throttleRate: 1 }, { service: 'sls', throttleRate: 1 }]) });
    const events: Array<{ action: string; attempts: number; error?: string; code?: string }> = [];
    const cloud = cloudFor(sim, { onCall: (e) => events.push(e) });
    await expectKind(cloud.scaling.listScalingGroups(), isThrottled, 'Throttling.User');
    assert.deepEqual(events.map((e) => [e.action, e.attempts, e.error, e.code]), [['DescribeScalingGroups', fastRetry.maxAttempts, 'Throttled', 'Throttling.User']]);
    // SLS throttles with 403 `ReadQuotaExceed` / `WriteQuotaExceed` (not 429, and not a RAM refusal): retried like any throttle
    const read = await expectKind(cloud.sls.listLogStores('k8s-log-kubeloop'), isThrottled, 'ReadQuotaExceed');
    assert.equal(read.httpStatus, 403);
    await expectKind(cloud.sls.tagProject('k8s-log-kubeloop', { a: 'b' }), isThrottled, 'WriteQuotaExceed');
    const c = await calls(sim);
    assert.equal(c.DescribeScalingGroups, fastRetry.maxAttempts);
    assert.equal(c.ListLogStores, fastRetry.maxAttempts);
    assert.equal(c.TagResources, fastRetry.maxAttempts);
    await fetch(`${sim.url}/_sim/faults`, { method: 'DELETE' });
  });

  test('an outage surfaces as Unavailable; a slow answer as Timeout', async () => {
    await fetch(`${sim.url}/_sim/faults`, { method: 'POST', body: JSON.stringify({ service: 'cr', outageUntil: Date.now() + 60_000 }) });
    await expectKind(cloudFor(sim).registry.listInstances(), isUnavailable, 'ServiceUnavailable');
    await fetch(`${sim.url}/_sim/faults`, { method: 'POST', body: JSON.stringify({ action: 'DescribeInstanceTypes', latencyMs: 400 }) });
    const slow = cloudFor(sim, { retry: { ...fastRetry, maxAttempts: 2, timeoutMs: 100 } });
    await expectKind(slow.scaling.describeInstanceTypes(), isTimeout);
    await fetch(`${sim.url}/_sim/faults`, { method: 'DELETE' });
  });

  test('STS credentials work until they expire, then the cloud refuses them', async () => {
    const sts = sim.issueStsToken(60_000);
    const cloud = cloudFor(sim, { credentials: sts });
    assert.equal((await cloud.vpc.describeVpcs()).length, 1);
    assert.ok((await cloud.sls.listProjects()).length >= 1);
    const expired = sim.issueStsToken(0); // expires the moment it is issued (the emulator refuses at expiresAt <= now)
    await expectKind(cloudFor(sim, { credentials: expired }).vpc.describeVpcs(), isForbidden, 'InvalidSecurityToken.Expired');
    await expectKind(cloudFor(sim, { credentials: { ...sts, securityToken: 'forged' } }).vpc.describeVpcs(), isForbidden);
    // SLS answers every credential problem with 401 Unauthorized and says which in the message
    const slsExpired = await expectKind(cloudFor(sim, { credentials: expired }).sls.listProjects(), isForbidden, 'Unauthorized');
    assert.match(slsExpired.message, /The security token you provided has expired/);
    assert.equal(slsExpired.httpStatus, 401);
    const slsForged = await expectKind(cloudFor(sim, { credentials: { ...sts, securityToken: 'forged' } }).sls.listProjects(), isForbidden, 'Unauthorized');
    assert.match(slsForged.message, /The security token you provided is invalid/);
  });
});

describe('ESS and ECS', () => {
  let sim: CloudSim;
  let cloud: AlibabaCloud;
  before(async () => {
    sim = await startCloudSim({
      timings: { bootDelayMs: 30 },
      cloud: { groupMaxSize: 300, groupInstanceType: 'ecs.gn7i-c8g1.2xlarge', groupNodeLabels: { workload: 'gpu', 'team': 'ml' }, groupNodeTaints: [{ key: 'nvidia.com/gpu', value: 'true', effect: 'NoSchedule' }] },
    });
    cloud = cloudFor(sim);
  });
  after(() => sim.stop());

  test('groups by id and by tag; NotFound for unknown groups', async () => {
    const all = await cloud.scaling.listScalingGroups();
    assert.equal(all.length, 1);
    const g = all[0];
    assert.equal(g.minSize, 1);
    assert.equal(g.maxSize, 300);
    assert.equal(g.vSwitchIds.length, 1);
    assert.deepEqual(g.zoneIds, ['cn-hangzhou-k'], 'zones come from the vSwitches');
    assert.deepEqual((await cloud.scaling.listScalingGroups({ tags: { 'k8s.io/cluster-autoscaler/enabled': '' } })).map((x) => x.scalingGroupId), [g.scalingGroupId]);
    assert.deepEqual((await cloud.scaling.listScalingGroups({ tags: { 'k8s.io/cluster-autoscaler/enabled': 'true' } })).map((x) => x.tags), [{ 'k8s.io/cluster-autoscaler/enabled': 'true' }]);
    assert.equal((await cloud.scaling.listScalingGroups({ tags: { other: 'tag' } })).length, 0);
    assert.equal((await cloud.scaling.getScalingGroup(g.scalingGroupId)).scalingGroupName, 'kubeloop-workers');
    await expectKind(cloud.scaling.getScalingGroup('asg-nope'), isNotFound);
    await expectKind(cloud.scaling.listScalingInstances('asg-nope'), isNotFound, 'InvalidScalingGroupId.NotFound');
  });

  test('scaling configuration carries instance type, labels and taints', async () => {
    const [g] = await cloud.scaling.listScalingGroups();
    const [cfg] = await cloud.scaling.listScalingConfigurations(g.scalingGroupId);
    assert.equal(cfg.scalingConfigurationId, g.activeScalingConfigurationId);
    assert.equal(cfg.instanceType, 'ecs.gn7i-c8g1.2xlarge');
    const { 'alibabacloud.com/nodepool-id': pool, ...labels } = cfg.nodeLabels;
    assert.deepEqual(labels, { workload: 'gpu', team: 'ml' });
    assert.match(pool, /^np-/, 'ACK\'s node pool label');
    assert.deepEqual(cfg.tags, cfg.nodeLabels, 'an ACK node pool also tags its configuration with its labels');
    assert.deepEqual(cfg.nodeTaints, [{ key: 'nvidia.com/gpu', value: 'true', effect: 'NoSchedule' }]);
    const [t] = await cloud.scaling.describeInstanceTypes([cfg.instanceType]);
    assert.deepEqual([t.cpuCoreCount, t.memoryGiB, t.gpuAmount], [8, 30, 1]);
    assert.ok((await cloud.scaling.describeInstanceTypes()).length >= 6);
  });

  test('desired capacity boots instances asynchronously; >100 instances are listed in full; removal decreases capacity', async () => {
    const [g] = await cloud.scaling.listScalingGroups();
    const active = new Set<string>();
    const onEvent = (e: { type: string; instanceId: string }) => { if (e.type === 'Active') active.add(e.instanceId); };
    sim.events.on('instance', onEvent);
    // an instance an earlier test left booting would turn InService between two pages of the
    // Pending listing below and shift it (offset paging over a changing set, as ESS's): boot them now
    for (const i of sim.state.instances) if (i.bootsAt) i.bootsAt = Date.now();
    await fetch(`${sim.url}/_sim/state`); // any request advances the emulator's clock-driven transitions
    // hold the boots so the Pending phase is observable, then let them finish
    sim.state.scalingGroups[0].bootDelayMs = 3_600_000;
    const existing = new Set(sim.state.instances.map((i) => i.instanceId));
    await cloud.scaling.setDesiredCapacity(g.scalingGroupId, 120);
    const pending = new Set((await cloud.scaling.listScalingInstances(g.scalingGroupId, { lifecycleState: 'Pending' })).map((i) => i.instanceId));
    // this group's new instances (another group's replacement, booting in 30 ms, is not this test's)
    const added = sim.state.instances.filter((i) => i.scalingGroupId === g.scalingGroupId).map((i) => i.instanceId).filter((id) => !existing.has(id));
    assert.equal(added.length, 120 - existing.size);
    const notPending = added.filter((id) => !pending.has(id)).map((id) => { const i = sim.state.instances.find((x) => x.instanceId === id)!; return `${id} ${i.status}/${i.lifecycleState} bootsAt=${i.bootsAt}`; });
    assert.deepEqual(notPending, [], `new instances start Pending (listed Pending: ${pending.size} of ${added.length})`);
    delete sim.state.scalingGroups[0].bootDelayMs;
    for (const i of sim.state.instances) if (i.bootsAt) i.bootsAt = Date.now();
    await fetch(`${sim.url}/_sim/state`); // any request advances the emulator's clock-driven transitions
    assert.ok(added.every((id) => active.has(id)), 'and turn Active once booted');
    sim.events.off('instance', onEvent);
    const members = await cloud.scaling.listScalingInstances(g.scalingGroupId);
    assert.equal(members.length, 120);
    assert.equal(new Set(members.map((m) => m.instanceId)).size, 120);
    assert.ok(members.every((m) => m.lifecycleState === 'InService'));
    const instances = await cloud.scaling.describeInstances({ instanceIds: members.map((m) => m.instanceId) });
    assert.equal(instances.length, 120);
    assert.ok(instances.every((i) => i.status === 'Running' && /^192\.168\./.test(i.privateIpAddress) && i.zoneId));
    assert.equal((await cloud.scaling.describeInstances()).length, 120);

    const victims = members.slice(0, 25).map((m) => m.instanceId);
    await cloud.scaling.removeInstances(g.scalingGroupId, victims);
    const after = await cloud.scaling.getScalingGroup(g.scalingGroupId);
    assert.equal(after.desiredCapacity, 95);
    // ESS removes asynchronously: the victims are Removing for a while, then gone
    const removing = new Set((await cloud.scaling.listScalingInstances(g.scalingGroupId, { lifecycleState: 'Removing' })).map((m) => m.instanceId));
    assert.ok(victims.every((v) => removing.has(v)), 'the named instances are Removing');
    await eventually('the removed instances leave the group', async () => (await cloud.scaling.getScalingGroup(g.scalingGroupId)).totalCapacity === 95);
    const remaining = new Set((await cloud.scaling.listScalingInstances(g.scalingGroupId)).map((m) => m.instanceId));
    assert.ok(victims.every((v) => !remaining.has(v)));
    assert.equal((await cloud.scaling.describeInstances({ instanceIds: victims })).length, 0, 'removed AutoCreated instances are released');
    assert.ok((await calls(sim)).RemoveInstances >= 2, 'removed in batches of 20');
  });

  test('capacity outside [min, max] is InvalidParameter; removing an unknown instance is NotFound', async () => {
    const [g] = await cloud.scaling.listScalingGroups();
    await expectKind(cloud.scaling.setDesiredCapacity(g.scalingGroupId, 301), isInvalidParameter);
    await expectKind(cloud.scaling.setDesiredCapacity(g.scalingGroupId, -1), isInvalidParameter);
    await expectKind(cloud.scaling.removeInstances(g.scalingGroupId, ['i-unknown']), isNotFound);
    await cloud.scaling.modifyScalingGroup(g.scalingGroupId, { minSize: 2, maxSize: 50, desiredCapacity: 2 });
    const after = await eventually('the scale-in ends', async () => {
      const x = await cloud.scaling.getScalingGroup(g.scalingGroupId);
      return x.totalCapacity === 2 && x;
    });
    assert.deepEqual([after.minSize, after.maxSize, after.desiredCapacity, after.totalCapacity], [2, 50, 2, 2]);
  });
});

describe('Container Registry', () => {
  let sim: CloudSim;
  before(async () => { sim = await startCloudSim({ timings: { registryTokenLifetimeMs: 3_600_000 } }); });
  after(() => sim.stop());

  test('instances, endpoints and temporary tokens', async () => {
    const cloud = cloudFor(sim);
    const [inst] = await cloud.registry.listInstances();
    assert.equal(inst.instanceStatus, 'RUNNING');
    const eps = await cloud.registry.listInstanceEndpoints(inst.instanceId);
    assert.deepEqual(eps.map((e) => e.endpointType).sort(), ['internet', 'intranet']);
    const domains = await cloud.registry.registryDomains(inst.instanceId);
    assert.deepEqual(domains, [`kubeloop-registry.cr.kubeloop.local:${sim.port}`]);
    const t0 = Date.now();
    const tok = await cloud.registry.getAuthorizationToken(inst.instanceId);
    assert.equal(tok.tempUsername, 'cr_temp_user');
    assert.ok(tok.authorizationToken.length > 20);
    assert.ok(tok.expireTime >= t0 + 3_600_000 - 1000 && tok.expireTime <= Date.now() + 3_600_000, `ExpireTime ${tok.expireTime} is in ms, one hour out`);
    await expectKind(cloud.registry.getAuthorizationToken('cri-unknown'), isNotFound, 'INSTANCE_NOT_EXIST');
  });

  test('a token obtained with STS credentials expires with them, and the registry then refuses it', async () => {
    const sts = sim.issueStsToken(2000); // long enough to use it once on a busy machine
    const cloud = cloudFor(sim, { credentials: sts });
    const [inst] = await cloud.registry.listInstances();
    const domain = (await cloud.registry.registryDomains(inst.instanceId))[0];
    const tok = await cloud.registry.getAuthorizationToken(inst.instanceId);
    assert.equal(tok.expireTime, Date.parse(sts.expiration), 'ExpireTime is bounded by the STS token');
    const auths = { [domain]: { username: tok.tempUsername, password: tok.authorizationToken } };
    const pulled = await pullManifest(`${domain}/kubeloop/app:latest`, auths);
    assert.match(pulled.digest, /^sha256:/);
    await eventually('the STS token (and the registry token with it) expired', () => Date.now() > tok.expireTime, 10_000, 25);
    await assert.rejects(pullManifest(`${domain}/kubeloop/app:latest`, auths), (e: unknown) => e instanceof ImagePullError && e.reason === 'Unauthorized');
  });
});

describe('assumed RAM roles', () => {
  let sim: CloudSim;
  before(async () => { sim = await startCloudSim(); });
  after(() => sim.stop());

  test('AssumeRole credentials drive the other APIs and bound ACR token lifetimes', async () => {
    const cloud = cloudFor(sim, { assumeRole: { roleArn: 'acs:ram::1234567890:role/acr-puller', durationSeconds: 900 } });
    const [inst] = await cloud.registry.listInstances();
    const t0 = Date.now();
    const tok = await cloud.registry.getAuthorizationToken(inst.instanceId);
    assert.ok(tok.expireTime <= t0 + 900_000 + 1000 && tok.expireTime >= t0 + 899_000 - 1000, 'the token lives as long as the role session, not an hour');
    assert.equal((await calls(sim)).AssumeRole, 1);
    await cloud.registry.listInstances();
    assert.equal((await calls(sim)).AssumeRole, 1, 'role credentials are cached');
    await expectKind(cloudFor(sim, { assumeRole: { roleArn: 'not-an-arn' } }).registry.listInstances(), isInvalidParameter);
  });
});

describe('SLS', () => {
  let sim: CloudSim;
  let cloud: AlibabaCloud;
  const project = 'k8s-log-test';
  before(async () => {
    sim = await startCloudSim();
    cloud = cloudFor(sim);
  });
  after(() => sim.stop());

  test('projects: create, get, AlreadyExists, NotFound, tags, delete', async () => {
    await cloud.sls.createProject(project, 'for tests');
    const p = await cloud.sls.getProject(project);
    assert.equal(p.description, 'for tests');
    assert.equal(p.region, 'cn-hangzhou');
    await expectKind(cloud.sls.createProject(project), isAlreadyExists, 'ProjectAlreadyExist');
    // a project's description is at most 64 characters, without < > ' " or backslash
    await expectKind(cloud.sls.createProject('k8s-log-described', 'x'.repeat(65)), isInvalidParameter, 'ParameterInvalid');
    await expectKind(cloud.sls.createProject('k8s-log-described', 'a "quoted" text'), isInvalidParameter, 'ParameterInvalid');
    await expectKind(cloud.sls.getProject('no-such-project'), isNotFound, 'ProjectNotExist');
    assert.ok((await cloud.sls.listProjects()).some((x) => x.projectName === project));
    await cloud.sls.tagProject(project, { 'cluster-id': 'c1', owner: 'kubeloop' });
    assert.deepEqual(await cloud.sls.listProjectTags(project), { 'cluster-id': 'c1', owner: 'kubeloop' });
    await cloud.sls.untagProject(project, ['owner']);
    assert.deepEqual(await cloud.sls.listProjectTags(project), { 'cluster-id': 'c1' });
    await cloud.sls.createProject('k8s-log-doomed');
    await cloud.sls.deleteProject('k8s-log-doomed');
    await expectKind(cloud.sls.getProject('k8s-log-doomed'), isNotFound);
  });

  test('logstores and indexes', async () => {
    await cloud.sls.createLogStore(project, { logstoreName: 'app', ttl: 90, shardCount: 2, autoSplit: true, maxSplitShard: 64, mode: 'standard' });
    await expectKind(cloud.sls.createLogStore(project, { logstoreName: 'app', ttl: 90, shardCount: 2 }), isAlreadyExists, 'LogStoreAlreadyExist');
    await expectKind(cloud.sls.createLogStore(project, { logstoreName: 'bad', ttl: 0, shardCount: 2 }), isInvalidParameter);
    // logstore names are 3-63 characters (config and machine group names may be 128); maxSplitShard 1-64, required with autoSplit
    await expectKind(cloud.sls.createLogStore(project, { logstoreName: 'l'.repeat(64), ttl: 1, shardCount: 1 }), isInvalidParameter, 'ParameterInvalid');
    await cloud.sls.createLogStore(project, { logstoreName: 'l'.repeat(63), ttl: 1, shardCount: 1 });
    await cloud.sls.deleteLogStore(project, 'l'.repeat(63));
    await expectKind(cloud.sls.createLogStore(project, { logstoreName: 'split', ttl: 1, shardCount: 1, autoSplit: true, maxSplitShard: 65 }), isInvalidParameter);
    await expectKind(cloud.sls.createLogStore(project, { logstoreName: 'split', ttl: 1, shardCount: 1, autoSplit: true }), isInvalidParameter);
    const ls = await cloud.sls.getLogStore(project, 'app');
    assert.deepEqual([ls.ttl, ls.shardCount, ls.autoSplit, ls.maxSplitShard, ls.mode], [90, 2, true, 64, 'standard']);
    await cloud.sls.updateLogStore(project, { ...ls, ttl: 30, mode: 'query' });
    const ls2 = await cloud.sls.getLogStore(project, 'app');
    assert.deepEqual([ls2.ttl, ls2.mode], [30, 'query']);
    assert.deepEqual(await cloud.sls.listLogStores(project), ['app']);
    await expectKind(cloud.sls.getLogStore(project, 'nope'), isNotFound, 'LogStoreNotExist');

    await expectKind(cloud.sls.getIndex(project, 'app'), isNotFound, 'IndexConfigNotExist');
    const index = { line: { token: [',', ' ', '\n'], caseSensitive: false, chn: false }, keys: { level: { type: 'text', token: [' '], caseSensitive: false } } };
    await cloud.sls.createIndex(project, 'app', index);
    await expectKind(cloud.sls.createIndex(project, 'app', index), isAlreadyExists, 'IndexAlreadyExist');
    const got = await cloud.sls.getIndex(project, 'app');
    assert.deepEqual(got.line?.token, [',', ' ', '\n']);
    assert.equal(got.keys?.level.type, 'text');
    await cloud.sls.updateIndex(project, 'app', { ...index, keys: { ...index.keys, code: { type: 'long' } } });
    assert.equal((await cloud.sls.getIndex(project, 'app')).keys?.code.type, 'long');
  });

  test('logtail configs and machine groups, applied and removed; drift made in the console is visible', async () => {
    const cfg = {
      configName: 'app-stdout', inputType: 'plugin', outputType: 'LogService', outputDetail: { logstoreName: 'app' },
      inputDetail: { plugin: { inputs: [{ type: 'service_docker_stdout', detail: { Stdout: true, Stderr: true, IncludeLabel: { app: 'web' } } }] } },
    };
    await cloud.sls.createConfig(project, cfg);
    await expectKind(cloud.sls.createConfig(project, cfg), isAlreadyExists, 'ConfigAlreadyExist');
    // config names may be 2 characters (logstores and machine groups need 3)
    await cloud.sls.createConfig(project, { ...cfg, configName: 'c2' });
    await cloud.sls.deleteConfig(project, 'c2');
    await expectKind(cloud.sls.createConfig(project, { ...cfg, configName: 'other', outputDetail: { logstoreName: 'missing' } }), isNotFound, 'LogStoreNotExist');
    const got = await cloud.sls.getConfig(project, 'app-stdout');
    assert.deepEqual(got.inputDetail, cfg.inputDetail);
    assert.equal(got.outputDetail.logstoreName, 'app');

    await cloud.sls.createMachineGroup(project, { groupName: 'k8s-group-c1', machineIdentifyType: 'userdefined', machineList: ['k8s-group-c1'], groupAttribute: { groupTopic: 'c1' } });
    await expectKind(cloud.sls.createMachineGroup(project, { groupName: 'k8s-group-c1', machineIdentifyType: 'userdefined', machineList: [] }), isAlreadyExists, 'MachineGroupAlreadyExist');
    const mg = await cloud.sls.getMachineGroup(project, 'k8s-group-c1');
    assert.deepEqual(mg.machineList, ['k8s-group-c1']);
    assert.equal(mg.groupAttribute?.groupTopic, 'c1');
    await cloud.sls.updateMachineGroup(project, { ...mg, machineList: ['k8s-group-c1', 'extra'] });
    assert.deepEqual((await cloud.sls.getMachineGroup(project, 'k8s-group-c1')).machineList, ['k8s-group-c1', 'extra']);
    assert.deepEqual(await cloud.sls.listMachineGroups(project), ['k8s-group-c1']);

    await cloud.sls.applyConfigToMachineGroup(project, 'k8s-group-c1', 'app-stdout');
    assert.deepEqual(await cloud.sls.getAppliedConfigs(project, 'k8s-group-c1'), ['app-stdout']);
    assert.deepEqual(await cloud.sls.getAppliedMachineGroups(project, 'app-stdout'), ['k8s-group-c1']);
    await expectKind(cloud.sls.applyConfigToMachineGroup(project, 'k8s-group-c1', 'nope'), isNotFound, 'ConfigNotExist');

    // someone edits the config in the console
    const r = await fetch(`${sim.url}/_sim/sls/${project}/configs/app-stdout`, { method: 'PATCH', body: JSON.stringify({ inputDetail: { plugin: { inputs: [] } } }) });
    assert.equal(r.status, 200);
    assert.deepEqual((await cloud.sls.getConfig(project, 'app-stdout')).inputDetail, { plugin: { inputs: [] } });
    await cloud.sls.updateConfig(project, cfg);
    assert.deepEqual((await cloud.sls.getConfig(project, 'app-stdout')).inputDetail, cfg.inputDetail);

    await cloud.sls.removeConfigFromMachineGroup(project, 'k8s-group-c1', 'app-stdout');
    assert.deepEqual(await cloud.sls.getAppliedConfigs(project, 'k8s-group-c1'), []);
    await cloud.sls.deleteConfig(project, 'app-stdout');
    await expectKind(cloud.sls.getConfig(project, 'app-stdout'), isNotFound, 'ConfigNotExist');
    await cloud.sls.deleteMachineGroup(project, 'k8s-group-c1');
    await expectKind(cloud.sls.getMachineGroup(project, 'k8s-group-c1'), isNotFound, 'MachineGroupNotExist');
    await cloud.sls.deleteIndex(project, 'app');
    await cloud.sls.deleteLogStore(project, 'app');
    assert.deepEqual(await cloud.sls.listLogStores(project), []);
  });

  test('signature v4 (SLS4-HMAC-SHA256) works too, and is verified', async () => {
    const v4 = cloudFor(sim, { slsSignatureVersion: 'v4' });
    await v4.sls.createLogStore(project, { logstoreName: 'v4-store', ttl: 3, shardCount: 1 });
    assert.equal((await v4.sls.getLogStore(project, 'v4-store')).ttl, 3);
    await v4.sls.tagProject(project, { signed: 'v4' });
    assert.equal((await v4.sls.listProjectTags(project)).signed, 'v4');
    const wrong = cloudFor(sim, { slsSignatureVersion: 'v4', credentials: { accessKeyId: sim.accessKeyId, accessKeySecret: 'wrong' } });
    await expectKind(wrong.sls.getProject(project), isForbidden, 'SignatureNotMatch');
  });

  test('lists more than one page of configs (size 500)', async () => {
    await cloud.sls.createLogStore(project, { logstoreName: 'bulk', ttl: 7, shardCount: 1 });
    const p = sim.state.slsProjects.find((x) => x.projectName === project)!;
    for (let i = 0; i < 620; i++) {
      p.configs.push({ configName: `cfg-${String(i).padStart(4, '0')}`, inputType: 'file', inputDetail: {}, outputType: 'LogService', outputDetail: { logstoreName: 'bulk' }, createTime: 0, lastModifyTime: 0 });
    }
    const names = await cloud.sls.listConfigs(project);
    assert.equal(names.length, 620);
    assert.equal(new Set(names).size, 620);
    assert.equal((await cloud.sls.listConfigs(project, { logstoreName: 'app' })).length, 0);
  });
});
