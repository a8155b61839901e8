// The log-config controller end to end against the built-in API server and the SLS emulator:
// kubectl apply -> project, logstore, index, config and binding; printer columns; schema
// validation refusing bad specs; drift of the remote config undone; spec edits pushed;
// deletion removes the remote config (finalizer).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  GROUP, PROJECT, alc, apply, eventually, eventsFor, fileSpec, getAlc, patchState, ready, simState, slsConfig, slsProject,
  type LogEnv,
  withLogController,
} from './harness.js';

let env: LogEnv;
withLogController((e) => { env = e; });

test('kubectl apply of a valid object creates project, logstore, index, config and binding; kubectl get alc shows it ready', async () => {
  const r = await apply(env, alc('web', fileSpec('web-logs', { project: 'k8s-log-web', lifeCycle: 30, logstoreMode: 'query' })));
  assert.equal(r.code, 0, r.stderr);
  const obj = await eventually('web ready', async () => { const o = await getAlc(env, 'web'); return ready(o) && o; });
  assert.equal(obj.status.status, 'OK');
  assert.equal(obj.status.project, 'k8s-log-web');
  assert.deepEqual(obj.status.machineGroups, [GROUP]);
  assert.ok(obj.metadata.finalizers?.includes('log.alibabacloud.com/sls'));
  // the CRD's defaults were applied by the server
  assert.equal(obj.spec.shardCount, 2);
  assert.equal(obj.spec.logtailConfig.outputType, 'LogService');

  const state = await simState(env);
  const project = state.slsProjects.find((p: any) => p.projectName === 'k8s-log-web');
  assert.ok(project, 'project created');
  const store = project.logstores.find((l: any) => l.logstoreName === 'web-logs-store');
  assert.equal(store.ttl, 30);
  assert.equal(store.shardCount, 2);
  assert.equal(store.autoSplit, true);
  assert.equal(store.mode, 'query');
  assert.ok(store.index?.line?.token?.length, 'default index');
  const cfg = project.configs.find((c: any) => c.configName === 'web-logs');
  assert.equal(cfg.inputType, 'file');
  assert.equal(cfg.outputType, 'LogService');
  assert.equal(cfg.outputDetail.logstoreName, 'web-logs-store');
  assert.equal(cfg.inputDetail.logPath, '/var/log/app');
  const group = project.machineGroups.find((g: any) => g.groupName === GROUP);
  assert.deepEqual(group.configs, ['web-logs']);
  assert.ok(state.slsTags.some((t: any) => t.resourceId === 'k8s-log-web' && t.key === 'log.alibabacloud.com/managed-by'));

  const get = await env.kubectl(['get', 'alc', 'web']);
  assert.equal(get.code, 0, get.stderr);
  const [header, row] = get.stdout.trim().split('\n');
  assert.match(header, /^NAME\s+LOGSTORE\s+CONFIG\s+STATUS\s+AGE$/);
  assert.match(row, /^web\s+web-logs-store\s+web-logs\s+OK\s+\S+$/);
  const wide = await env.kubectl(['get', 'aliyunlogconfigs', 'web', '-o', 'wide']);
  assert.match(wide.stdout, /CODE\s+PROJECT/);
  assert.match(wide.stdout, /200\s+k8s-log-web/);

  const events = await eventsFor(env, 'web');
  const reasons = new Set(events.map((e) => e.reason));
  for (const r of ['CreateProject', 'CreateLogstore', 'CreateIndex', 'CreateConfig', 'CreateMachineGroup', 'ApplyConfig']) {
    assert.ok(reasons.has(`SLS.LogController.${r}.Success`), `event ${r} in ${[...reasons].join(', ')}`);
  }
});

test('invalid objects are refused by kubectl apply, naming the field', async () => {
  const cases: Array<[string, Record<string, unknown>, RegExp]> = [
    ['too-many-shards', fileSpec('bad-a', { shardCount: 50 }), /spec\.shardCount/],
    ['no-logstore', { logtailConfig: { configName: 'bad-b' } }, /spec\.logstore/],
    ['bad-input', { logstore: 'bad-c-store', logtailConfig: { configName: 'bad-c', inputType: 'syslog' } }, /spec\.logtailConfig\.inputType/],
    ['no-config-name', { logstore: 'bad-d-store', logtailConfig: { inputType: 'file' } }, /spec\.logtailConfig\.configName/],
    ['long-life', fileSpec('bad-e', { lifeCycle: 5000 }), /spec\.lifeCycle/],
    ['bad-mode', fileSpec('bad-f', { logstoreMode: 'fast' }), /spec\.logstoreMode/],
    ['bad-output', { logstore: 'bad-g-store', logtailConfig: { configName: 'bad-g', outputType: 'Kafka' } }, /spec\.logtailConfig\.outputType/],
    // SLS logstore names are 3-63 characters (config and machine group names may be 128): refused here, not by SLS forever
    ['long-logstore', { logstore: `bad-h-${'s'.repeat(58)}`, logtailConfig: { configName: 'bad-h' } }, /spec\.logstore/],
  ];
  for (const [name, spec, field] of cases) {
    const r = await apply(env, alc(name, spec));
    assert.notEqual(r.code, 0, `${name} was accepted: ${r.stdout}`);
    assert.match(r.stderr, field, `${name}: ${r.stderr}`);
    assert.equal(await getAlc(env, name), undefined);
  }
  // nothing reached SLS
  assert.ok(!(await simState(env)).slsProjects.some((p: any) => p.configs.some((c: any) => c.configName.startsWith('bad-'))));
});

test('a remote edit of the config is undone; an inputDetail edit of the object reaches SLS; defaults from the ConfigMap apply', async () => {
  assert.equal((await apply(env, alc('api', fileSpec('api-logs')))).code, 0);
  await eventually('api ready', async () => ready(await getAlc(env, 'api')));
  assert.equal((await getAlc(env, 'api'))!.status.project, PROJECT, 'project from log-project');
  assert.ok((await slsConfig(env, 'api-logs')));

  // someone edits the config in the console
  const res = await fetch(`${env.emulator.url}/_sim/sls/${PROJECT}/configs/api-logs`, {
    method: 'PATCH', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ inputDetail: { logPath: '/tmp/elsewhere', filterKey: ['level'], filterRegex: ['^ERROR$'] } }),
  });
  assert.equal(res.status, 200);
  assert.equal((await slsConfig(env, 'api-logs'))!.inputDetail.logPath, '/tmp/elsewhere');
  await eventually('remote drift repaired', async () => {
    const c = (await slsConfig(env, 'api-logs'))!;
    // SLS stores the default (no filter) as an empty list
    return c.inputDetail.logPath === '/var/log/app' && JSON.stringify(c.inputDetail.filterKey) === '[]';
  });
  // the Event is recorded after the call returns, so it may trail the change seen in SLS
  await eventually('UpdateConfig event', async () =>
    (await eventsFor(env, 'api')).some((e) => e.reason === 'SLS.LogController.UpdateConfig.Success' && /inputDetail\.logPath/.test(e.message)));

  // a binding removed behind the controller's back comes back
  await patchState(env, async (st) => {
    const pi = st.slsProjects.findIndex((p: any) => p.projectName === PROJECT);
    const gi = st.slsProjects[pi].machineGroups.findIndex((g: any) => g.groupName === GROUP);
    const configs = st.slsProjects[pi].machineGroups[gi].configs.filter((c: string) => c !== 'api-logs');
    return [{ op: 'replace', path: `/slsProjects/${pi}/machineGroups/${gi}/configs`, value: configs }];
  });
  await eventually('binding restored', async () => (await slsProject(env))!.machineGroups.find((g) => g.groupName === GROUP)!.configs.includes('api-logs'));

  // the user edits the object
  const edited = fileSpec('api-logs');
  (edited.logtailConfig as any).inputDetail.logPath = '/var/log/api';
  (edited.logtailConfig as any).inputDetail.filePattern = 'access.log';
  assert.equal((await apply(env, alc('api', edited))).code, 0);
  await eventually('object edit pushed', async () => {
    const c = (await slsConfig(env, 'api-logs'))!;
    return c.inputDetail.logPath === '/var/log/api' && c.inputDetail.filePattern === 'access.log';
  });
  await eventually('api ready again', async () => ready(await getAlc(env, 'api')));

  // the retention: a spec change and a console change both end at the spec's value
  const store = async () => (await slsProject(env))!.logstores.find((l) => l.logstoreName === 'api-logs-store')!;
  assert.equal((await store()).ttl, 90);
  assert.equal((await apply(env, alc('api', { ...edited, lifeCycle: 14 }))).code, 0);
  await eventually('ttl from the spec', async () => (await store()).ttl === 14);
  // a console change of the logstore, through the emulator's state API (JSON Patch)
  await patchState(env, async (st) => {
    const pi = st.slsProjects.findIndex((p: any) => p.projectName === PROJECT);
    const li = st.slsProjects[pi].logstores.findIndex((l: any) => l.logstoreName === 'api-logs-store');
    return [
      { op: 'replace', path: `/slsProjects/${pi}/logstores/${li}/ttl`, value: 3650 },
      { op: 'replace', path: `/slsProjects/${pi}/logstores/${li}/autoSplit`, value: false },
    ];
  });
  await eventually('ttl and auto split restored', async () => { const st = await store(); return st.ttl === 14 && st.autoSplit === true; });
  assert.ok((await eventsFor(env, 'api')).some((e) => e.reason === 'SLS.LogController.UpdateLogstore.Success'));
});

test('a config that only differs by service defaults and key order is left alone', async () => {
  assert.equal((await apply(env, alc('quiet', fileSpec('quiet-logs')))).code, 0);
  await eventually('quiet ready', async () => ready(await getAlc(env, 'quiet')));
  // the service fills in defaults and returns keys in its own order
  const cfg = (await slsConfig(env, 'quiet-logs'))!;
  const inputDetail = { tailExisted: false, maxDepth: 10, ...Object.fromEntries(Object.entries(cfg.inputDetail).reverse()), topicFormat: 'none', localStorage: true };
  const res = await fetch(`${env.emulator.url}/_sim/sls/${PROJECT}/configs/quiet-logs`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ inputDetail }) });
  assert.ok(res.ok, `PUT /_sim/sls: ${res.status}`);
  const stamp = ((await res.json()) as { lastModifyTime: number }).lastModifyTime;
  // two drift checks (period 1s) read the config and leave it alone
  const before = (await eventsFor(env, 'quiet')).filter((e) => e.reason === 'SLS.LogController.UpdateConfig.Success').length;
  const calls = async () => ((await (await fetch(`${env.emulator.url}/_sim/calls`)).json()) as { calls: Record<string, number> }).calls;
  const reads = (await calls()).GetConfig ?? 0;
  await eventually('two drift checks', async () => ((await calls()).GetConfig ?? 0) >= reads + 2 + 4 /* other objects' checks */);
  assert.equal((await slsConfig(env, 'quiet-logs'))!.lastModifyTime, stamp, 'config was rewritten');
  assert.equal((await eventsFor(env, 'quiet')).filter((e) => e.reason === 'SLS.LogController.UpdateConfig.Success').length, before);
});

test('deleting the object removes the remote config and its binding, then the object is gone', async () => {
  assert.equal((await apply(env, alc('gone', fileSpec('gone-logs')))).code, 0);
  await eventually('gone ready', async () => ready(await getAlc(env, 'gone')));
  assert.ok((await slsConfig(env, 'gone-logs')));
  const r = await env.kubectl(['delete', 'alc', 'gone', '--wait=true', '--timeout=20s']);
  assert.equal(r.code, 0, r.stderr);
  await eventually('object gone', async () => (await getAlc(env, 'gone')) === undefined);
  assert.equal((await slsConfig(env, 'gone-logs')), undefined);
  assert.ok(!(await slsProject(env))!.machineGroups.some((g) => g.configs.includes('gone-logs')));
  // the logstore (the data) stays
  assert.ok((await slsProject(env))!.logstores.some((l) => l.logstoreName === 'gone-logs-store'));
  // other objects keep their configs
  assert.ok((await slsConfig(env, 'api-logs')));
});

test('a plugin (stdout) config reaches SLS as written, processors in order', async () => {
  const spec = {
    logstore: 'stdout-store', machineGroups: ['stdout-group-a', 'stdout-group-b'],
    logtailConfig: {
      configName: 'stdout-logs', inputType: 'plugin',
      inputDetail: {
        plugin: {
          inputs: [{ type: 'service_docker_stdout', detail: { Stdout: true, Stderr: false, IncludeLabel: { app: 'web' } } }],
          processors: [{ type: 'processor_regex', detail: { SourceKey: 'content', Regex: '(\\S+) (.*)', Keys: ['level', 'msg'] } }, { type: 'processor_drop', detail: { DropKeys: ['msg'] } }],
        },
      },
    },
  };
  assert.equal((await apply(env, alc('stdout', spec))).code, 0);
  await eventually('stdout ready', async () => ready(await getAlc(env, 'stdout')));
  const c = (await slsConfig(env, 'stdout-logs'))!;
  assert.equal(c.inputType, 'plugin');
  assert.deepEqual(c.inputDetail, spec.logtailConfig.inputDetail);
  for (const g of ['stdout-group-a', 'stdout-group-b']) {
    assert.deepEqual((await slsProject(env))!.machineGroups.find((x) => x.groupName === g)?.configs, ['stdout-logs'], g);
  }
  // swapping the processors in the console is drift (they run in order)
  const procs = (c.inputDetail as any).plugin.processors;
  const res = await fetch(`${env.emulator.url}/_sim/sls/${PROJECT}/configs/stdout-logs`, {
    method: 'PATCH', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ inputDetail: { plugin: { ...(c.inputDetail as any).plugin, processors: [procs[1], procs[0]] } } }),
  });
  assert.ok(res.ok, `PATCH /_sim/sls: ${res.status}`);
  await eventually('processor order restored', async () => ((await slsConfig(env, 'stdout-logs'))!.inputDetail as any).plugin.processors[0].type === 'processor_regex');
});
