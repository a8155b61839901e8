// Deletion never hangs forever. A permanent SLS error (a RAM policy that now denies the
// controller: SLS answers 401 Unauthorized "denied by sts or ram, action: log:...") keeps the
// object with a Warning Event and a condition saying why and how to let it go; the documented
// annotation releases it without cloud cleanup; a namespace being deleted is never held by it;
// a project deleted in SLS is nothing left to clean up.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  alc, apply, denyRam, eventually, eventsFor, fileSpec, getAlc, liftRamDeny, patchState, ready, slsConfig, slsProject,
  type LogEnv, type Obj,
  withLogController,
} from './harness.js';
import { SKIP_CLEANUP_ANNOTATION } from '@kubeloop/ack/log-config';

// a RAM policy on the controller's credential now denies it every SLS action
const deny = (env: LogEnv) => denyRam(env, 'log:*');

describe('log-config deletion with permanent SLS errors', () => {
  let env: LogEnv;
  withLogController((e) => { env = e; });

  it('a RAM deny keeps the object, says why and how to release it; the annotation releases it without cleanup', async () => {
    assert.equal((await apply(env, alc('denied', fileSpec('denied-logs')))).code, 0);
    await eventually('denied ready', async () => ready(await getAlc(env, 'denied')));
    await deny(env);
    assert.equal((await env.kubectl(['delete', 'alc', 'denied', '--wait=false'])).code, 0);
    const o = await eventually('denied terminating, cleanup blocked', async () => {
      const x = await getAlc(env, 'denied');
      const c = x?.status?.conditions?.find((k: any) => k.type === 'Ready');
      return x?.metadata.deletionTimestamp && c?.reason === 'CleanupBlocked' ? x : undefined;
    });
    const c = o.status.conditions.find((k: any) => k.type === 'Ready');
    assert.equal(c.status, 'False');
    assert.match(c.message, /Unauthorized: denied by sts or ram/);
    assert.match(c.message, new RegExp(SKIP_CLEANUP_ANNOTATION.replace(/\./g, '\\.')));
    const ev = await eventually('a Warning Event', async () => (await eventsFor(env, 'denied')).find((e) => e.reason === 'SLS.LogController.Cleanup.Blocked'));
    assert.equal(ev.type, 'Warning');
    assert.equal((await env.kubectl(['annotate', 'alc', 'denied', `${SKIP_CLEANUP_ANNOTATION}=true`])).code, 0);
    await eventually('denied released', async () => (await getAlc(env, 'denied')) === undefined, 10_000);
    assert.ok((await slsConfig(env, 'denied-logs')), 'left in SLS, as the annotation says');
    await liftRamDeny(env);
  });

  it('a namespace holding an AliyunLogConfig is deleted although SLS refuses the cleanup', async () => {
    await env.client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-x' } } as Obj);
    assert.equal((await apply(env, alc('team-logs', fileSpec('team-x-logs'), 'team-x'))).code, 0);
    await eventually('team-logs ready', async () => ready(await getAlc(env, 'team-logs', 'team-x')));
    await deny(env);
    assert.equal((await env.kubectl(['delete', 'namespace', 'team-x', '--wait=false'])).code, 0);
    await eventually('team-x gone', async () => {
      try { await env.client.get({ apiVersion: 'v1', kind: 'Namespace' }, 'team-x'); return false; } catch { return true; }
    }, 30_000);
    await liftRamDeny(env);
  });

  it('a role without the tag actions (like ACK\'s own log roles) still gets its logs collected; the refusal is a Warning', async () => {
    await denyRam(env, 'log:ListTagResources', 'log:TagResources');
    try {
      assert.equal((await apply(env, alc('untagged', fileSpec('untagged-logs', { project: 'k8s-log-untagged' })))).code, 0);
      await eventually('untagged ready although RAM refuses the tag calls', async () => ready(await getAlc(env, 'untagged')));
      assert.ok((await slsConfig(env, 'untagged-logs', 'k8s-log-untagged')), 'the config is in SLS');
      const ev = await eventually('a Warning Event', async () => (await eventsFor(env, 'untagged')).find((e) => e.reason === 'SLS.LogController.ListTagResources.Fail'));
      assert.equal(ev.type, 'Warning');
      assert.match(ev.message, /denied by sts or ram, action: log:ListTagResources/);
    } finally {
      await liftRamDeny(env);
    }
  });

  it('a project deleted in SLS leaves nothing to clean up: the object goes', async () => {
    assert.equal((await apply(env, alc('orphan', fileSpec('orphan-logs', { project: 'k8s-log-gone' })))).code, 0);
    await eventually('orphan ready', async () => ready(await getAlc(env, 'orphan')));
    // the project deleted in the console, through the emulator's state API (JSON Patch)
    await patchState(env, async (st) => [{ op: 'remove', path: `/slsProjects/${st.slsProjects.findIndex((p: any) => p.projectName === 'k8s-log-gone')}` }]);
    assert.equal((await slsProject(env, 'k8s-log-gone')), undefined);
    assert.equal((await env.kubectl(['delete', 'alc', 'orphan', '--wait=false'])).code, 0);
    await eventually('orphan gone', async () => (await getAlc(env, 'orphan')) === undefined, 10_000);
  });
});
