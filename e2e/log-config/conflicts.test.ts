// Two objects claiming one logtail config, the cluster-defaults ConfigMap, and a renamed
// config: the first claimant keeps working, the second shows Conflict and takes over when
// the first goes; ConfigMap changes re-reconcile the objects that use its defaults.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import {
  GROUP, PROJECT, alc, apply, eventually, eventsFor, fileSpec, getAlc, ready, slsConfig, slsProject,
  type LogEnv,
  withLogController,
} from './harness.js';
import { describeInProcess } from '../support/index.js';

describeInProcess('log-config conflicts and defaults', 'starts from a defaults ConfigMap without a project, which the cluster\'s controller shares', () => {
  let env: LogEnv;
  // no default project yet
  withLogController((e) => { env = e; }, { envOptions: { configMap: { 'log-machine-group': GROUP } } });

  it('without a project anywhere the object says what to set; adding log-project to the ConfigMap fixes it', async () => {
    assert.equal((await apply(env, alc('early', fileSpec('early-logs')))).code, 0);
    const o = await eventually('early fails', async () => { const x = await getAlc(env, 'early'); return x?.status?.statusCode === 'ProjectNotConfigured' && x; });
    assert.match(o.status.status, /log-project of ConfigMap kube-system\/alibaba-log-configuration/);
    assert.equal(o.status.conditions.find((c: any) => c.type === 'Ready').status, 'False');
    const r = await env.kubectl(['-n', 'kube-system', 'patch', 'configmap', 'alibaba-log-configuration', '--type=merge', '-p', JSON.stringify({ data: { 'log-project': PROJECT } })]);
    assert.equal(r.code, 0, r.stderr);
    await eventually('early ready', async () => ready(await getAlc(env, 'early')));
    assert.ok((await slsConfig(env, 'early-logs')));
  });

  it('a second object claiming the same config name gets Conflict; the first keeps working; the second takes over when the first goes', async () => {
    assert.equal((await apply(env, alc('first', fileSpec('shared-logs')))).code, 0);
    await eventually('first ready', async () => ready(await getAlc(env, 'first')));
    const spec2 = fileSpec('shared-logs');
    (spec2.logtailConfig as any).inputDetail.logPath = '/var/log/second';
    assert.equal((await env.kubectl(['create', 'namespace', 'other'])).code, 0);
    assert.equal((await apply(env, alc('second', spec2, 'other'))).code, 0);

    const second = await eventually('second conflicts', async () => { const x = await getAlc(env, 'second', 'other'); return x?.status?.statusCode === 'Conflict' && x; });
    assert.match(second.status.status, /managed by AliyunLogConfig default\/first/);
    assert.equal(second.status.conditions.find((c: any) => c.type === 'Ready').reason, 'Conflict');
    assert.ok((await eventsFor(env, 'second', 'other')).some((e) => e.reason === 'SLS.LogController.ClaimConfig.Fail'));
    const get = await env.kubectl(['get', 'alc', '-A']);
    assert.match(get.stdout, /other\s+second\s+shared-logs-store\s+shared-logs\s+logtail config shared-logs in project/);

    // the first keeps its config: the second never overwrote it, and the first still repairs drift
    assert.equal((await slsConfig(env, 'shared-logs'))!.inputDetail.logPath, '/var/log/app');
    const first = (await getAlc(env, 'first'))!;
    assert.ok(ready(first));
    const res = await fetch(`${env.emulator.url}/_sim/sls/${PROJECT}/configs/shared-logs`, {
      method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ inputDetail: { filePattern: 'x.log' } }),
    });
    assert.equal(res.status, 200);
    await eventually('first repairs its config', async () => (await slsConfig(env, 'shared-logs'))!.inputDetail.filePattern === '*.log');
    assert.equal((await slsConfig(env, 'shared-logs'))!.inputDetail.logPath, '/var/log/app');

    // the loser's deletion leaves the winner's config alone
    const third = fileSpec('shared-logs');
    assert.equal((await apply(env, alc('third', third))).code, 0);
    await eventually('third conflicts', async () => (await getAlc(env, 'third'))?.status?.statusCode === 'Conflict');
    assert.equal((await env.kubectl(['delete', 'alc', 'third', '--timeout=20s'])).code, 0);
    await eventually('third gone', async () => (await getAlc(env, 'third')) === undefined);
    assert.ok((await slsConfig(env, 'shared-logs')), 'the loser deleted the winner\'s config');
    assert.ok(ready(await getAlc(env, 'first')));

    // the winner goes: its config is removed, and the second one takes over with its own spec
    assert.equal((await env.kubectl(['delete', 'alc', 'first', '--timeout=20s'])).code, 0);
    await eventually('second takes over', async () => ready(await getAlc(env, 'second', 'other')), 20_000);
    assert.equal((await slsConfig(env, 'shared-logs'))!.inputDetail.logPath, '/var/log/second');
  });

  it('renaming the config moves it: the old config is deleted, the new one applied', async () => {
    assert.equal((await apply(env, alc('mover', fileSpec('old-name')))).code, 0);
    await eventually('mover ready', async () => ready(await getAlc(env, 'mover')));
    assert.ok((await slsConfig(env, 'old-name')));
    const spec = fileSpec('new-name');
    spec.logstore = 'old-name-store';
    assert.equal((await apply(env, alc('mover', spec))).code, 0);
    await eventually('renamed', async () => { const o = await getAlc(env, 'mover'); return ready(o) && o!.status.configName === 'new-name'; });
    assert.equal((await slsConfig(env, 'old-name')), undefined);
    assert.ok((await slsProject(env))!.machineGroups.find((g) => g.groupName === GROUP)!.configs.includes('new-name'));
  });
});
