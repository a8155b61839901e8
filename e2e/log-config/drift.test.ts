// Drift against configs as real SLS returns them (the emulator answers GetConfig like the
// service: every default filled in, numbers and booleans typed, keys sorted, outputDetail with
// endpoint and region). An object with no real change causes no UpdateConfig and no Event over
// several check periods; a console edit is still repaired.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  PROJECT, alc, apply, eventually, eventsFor, fileSpec, getAlc, ready, slsConfig,
  type LogEnv,
  withLogController,
} from './harness.js';
import { cloudCalls } from '../support/index.js';

let env: LogEnv;
withLogController((e) => { env = e; }, { flags: { logConfigDriftCheckPeriod: '500ms' } });

const updates = async (name: string) => (await eventsFor(env, name)).filter((e) => e.reason === 'SLS.LogController.UpdateConfig.Success').length;

test('a config SLS returned with its defaults, types and key order is left alone for several check periods; real drift is repaired', async () => {
  const spec = fileSpec('typed-logs');
  // values as users write them in YAML: numbers and booleans quoted
  Object.assign((spec.logtailConfig as any).inputDetail, { maxDepth: '5', tailExisted: 'true' });
  assert.equal((await apply(env, alc('typed', spec))).code, 0);
  await eventually('typed ready', async () => ready(await getAlc(env, 'typed')));
  const stored = (await slsConfig(env, 'typed-logs'))!;
  assert.equal(stored.inputDetail.maxDepth, 5, 'SLS stores numbers as numbers');
  assert.equal(stored.inputDetail.autoExtend, true, 'and fills in its defaults');
  assert.equal(stored.outputDetail.endpoint, `${env.emulator.regionId}-intranet.log.aliyuncs.com`);

  await cloudCalls(env.emulator, true);
  const stamp = stored.lastModifyTime;
  const eventsBefore = await updates('typed');
  await eventually('four drift checks', async () => ((await cloudCalls(env.emulator)).GetConfig ?? 0) >= 4, 15_000);
  assert.equal((await cloudCalls(env.emulator)).UpdateConfig ?? 0, 0, 'no UpdateConfig');
  assert.equal((await slsConfig(env, 'typed-logs'))!.lastModifyTime, stamp);
  assert.equal(await updates('typed'), eventsBefore, 'no Event');

  // a change in the console is drift, and is undone
  const res = await fetch(`${env.emulator.url}/_sim/sls/${PROJECT}/configs/typed-logs`, {
    method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ inputDetail: { logPath: '/var/log/other' } }),
  });
  assert.ok(res.ok);
  await eventually('drift repaired', async () => (await slsConfig(env, 'typed-logs'))!.inputDetail.logPath === '/var/log/app');
  await eventually('the repair\'s Event', async () => (await eventsFor(env, 'typed')).some((e) => e.reason === 'SLS.LogController.UpdateConfig.Success' && /inputDetail\.logPath/.test(e.message)));
});
