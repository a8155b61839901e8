// An SLS outage (emulator fault: every SLS call answers 503 for a while): statuses show the
// failure, Events say which step failed, and every object recovers after the outage with no
// manual action (per-object backoff, short here through the flags).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EXTERNAL, inProcessOnly } from '../support/index.js';
import {
  alc, apply, eventually, eventsFor, fileSpec, getAlc, ready, setFaults, slsConfig,
  type LogEnv, type Obj, type RunningController,
  withLogController,
} from './harness.js';

let env: LogEnv;
let ctl: RunningController;
withLogController((e, c) => { env = e; ctl = c; }, { flags: { logConfigDriftCheckPeriod: '500ms', logConfigBackoffBase: '200ms', logConfigBackoffMax: '1s' } });

const names = ['svc-a', 'svc-b', 'svc-c'];

test('during an SLS outage statuses show the failure; afterwards all objects recover by themselves', async () => {
  assert.equal((await apply(env, ...names.map((n) => alc(n, fileSpec(`${n}-logs`))))).code, 0);
  for (const n of names) await eventually(`${n} ready`, async () => ready(await getAlc(env, n)));

  // an external cluster's controller is another process, reached through kubectl applies on a
  // busy machine: its outage lasts long enough for every object to meet it
  const outageMs = EXTERNAL ? 10_000 : 5_000;
  await setFaults(env, { service: 'sls', outageUntil: Date.now() + outageMs });
  // every object is watched from now on, all at once: a failure is seen while it lasts, however
  // long the applies below take
  const failed = new Map<string, Obj>();
  const mustFail = [...names, 'svc-new'];
  const watching = eventually('every object shows the failure', async () => {
    for (const n of [...names, 'svc-new']) {
      if (failed.has(n)) continue;
      const x = await getAlc(env, n);
      if (x?.status?.statusCode === 'ServerBusy') failed.set(n, x);
    }
    if (!mustFail.every((n) => failed.has(n))) throw new Error(`seen failing: ${[...failed.keys()].join(', ') || 'none'}`);
    return true;
  }, outageMs + 3_000);
  // a new object during the outage, and a spec change that cannot reach SLS yet
  assert.equal((await apply(env, alc('svc-new', fileSpec('svc-new-logs')))).code, 0);
  const changed = fileSpec('svc-a-logs');
  (changed.logtailConfig as any).inputDetail.logPath = '/var/log/after-outage';
  assert.equal((await apply(env, alc('svc-a', changed))).code, 0);
  await watching;

  for (const n of failed.keys()) {
    const o = failed.get(n)!;
    assert.match(o.status.status, /^[A-Za-z]+ failed: ServerBusy: The server is busy/);
    const cond = o.status.conditions.find((c: any) => c.type === 'Ready');
    assert.equal(cond.status, 'False');
    assert.match(cond.reason, /^[A-Za-z]+Failed$/);
  }
  await eventually('a Warning Event about svc-new', async () => (await eventsFor(env, 'svc-new')).some((e) => /^SLS\.LogController\.\w+\.Fail$/.test(e.reason) && e.type === 'Warning'));

  // no manual action: the outage ends and everything converges
  for (const n of [...names, 'svc-new']) await eventually(`${n} recovers`, async () => ready(await getAlc(env, n)), outageMs + 15_000);
  assert.ok((await slsConfig(env, 'svc-new-logs')));
  assert.equal((await slsConfig(env, 'svc-a-logs'))!.inputDetail.logPath, '/var/log/after-outage');
  await setFaults(env, null);
});

test('deleting an object while SLS is down keeps it until its config could be removed', async () => {
  // long enough for kubectl's start and the controller's next attempt on a busy machine
  await setFaults(env, { service: 'sls', outageUntil: Date.now() + 6_000 });
  assert.equal((await env.kubectl(['delete', 'alc', 'svc-b', '--wait=false'])).code, 0);
  const o = await eventually('svc-b terminating with the failure', async () => {
    const x = await getAlc(env, 'svc-b');
    if (x && x.metadata.deletionTimestamp && /DeleteConfig|GetAppliedMachineGroups/.test(x.status?.status ?? '')) return x;
    throw new Error(`svc-b: ${x ? `deletionTimestamp ${x.metadata.deletionTimestamp}, status ${JSON.stringify(x.status?.status)}` : 'gone'}`);
  }, 6_000);
  assert.equal(o.status.statusCode, 'ServerBusy');
  assert.ok((await slsConfig(env, 'svc-b-logs')), 'config still there');
  await eventually('svc-b gone after the outage', async () => (await getAlc(env, 'svc-b')) === undefined, 20_000);
  assert.equal((await slsConfig(env, 'svc-b-logs')), undefined);
  await setFaults(env, null);
});

inProcessOnly('the metrics count the SLS writes and the objects by outcome', 'counts since the controller started: on a shared cluster the other suites\' objects count too', async () => {
  // the drift checks that ran during the second outage put the other objects in error too;
  // the gauge follows them back to ok once their backoff retries succeed
  let text = '';
  await eventually('all three objects ok again', async () => /log_config_objects\{state="ok"\} 3/.test(text = await ctl.registry.metrics()), 20_000);
  assert.match(text, /log_config_objects\{state="ok"\} 3/);
  assert.match(text, /log_config_objects\{state="error"\} 0/);
  assert.match(text, /log_config_sls_operations_total\{action="CreateConfig",result="success"\} 4/);
});
