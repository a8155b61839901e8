import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backoffDelay, defaultBackoff, entryEffect, initialState, transition, type Input, type MachineConfig, type State } from './machine.js';

const cfg = (streaming: MachineConfig['streaming'] = 'never'): MachineConfig => ({ backoff: defaultBackoff, streaming, minWatchMs: 1000 });
const env = (now = 0, r = 0.5) => ({ now, random: () => r });

function run(c: MachineConfig, inputs: [Input, number?][]): { state: State; effects: string[] } {
  let state = initialState(c);
  const effects: string[] = [];
  for (const [input, now] of inputs) {
    const step = transition(state, input, c, env(now ?? 0));
    state = step.state;
    const e = step.effect;
    effects.push(e.kind === 'list' ? `list:${e.mode}` : e.kind === 'watch' ? `watch:${e.resourceVersion}` : e.kind === 'sleep' ? `sleep:${e.ms}` : 'none');
  }
  return { state, effects };
}

test('paged list, then watch from the list resourceVersion, resume from the last RV after a dropped stream', () => {
  const c = cfg('never');
  assert.deepEqual(entryEffect(initialState(c)), { kind: 'list', mode: 'paged' });
  const r = run(c, [
    [{ type: 'ListDone', resourceVersion: '10' }],
    [{ type: 'Event', resourceVersion: '11' }],
    [{ type: 'Event', resourceVersion: '12' }],
    [{ type: 'StreamEnded', events: 2, durationMs: 5000 }],
    [{ type: 'Event', resourceVersion: '13' }],
  ]);
  assert.deepEqual(r.effects, ['watch:10', 'none', 'none', 'watch:12', 'none']);
  assert.equal(r.state.phase, 'Watching');
  assert.equal(r.state.resourceVersion, '13');
});

test('410 on the watch (HTTP or ERROR event) relists at once; other errors back off and resume without relisting', () => {
  const c = cfg('never');
  const r = run(c, [
    [{ type: 'ListDone', resourceVersion: '10' }],
    [{ type: 'Failed', code: 500, reason: 'InternalError' }, 1000],
    [{ type: 'TimerFired' }, 1500],
    [{ type: 'Failed', code: 410, reason: 'Expired' }, 2000],
    [{ type: 'ListDone', resourceVersion: '50' }, 2100],
    [{ type: 'Failed', reason: 'Gone' }, 2200],
  ]);
  assert.deepEqual(r.effects, ['watch:10', 'sleep:400', 'watch:10', 'list:paged', 'watch:50', 'list:paged']);
});

test('backoff grows with full jitter up to the cap, and resets after two healthy minutes', () => {
  assert.equal(backoffDelay(defaultBackoff, 0, () => 0.999999), 799);
  assert.equal(backoffDelay(defaultBackoff, 3, () => 0.5), 3200);
  assert.equal(backoffDelay(defaultBackoff, 20, () => 0.5), 15000);
  assert.equal(backoffDelay(defaultBackoff, 5, () => 0), 0);
  const c = cfg('never');
  let s = initialState(c);
  const caps: number[] = [];
  for (let i = 0; i < 8; i++) {
    const step = transition(s, { type: 'Failed', code: 503 }, c, { now: i * 10, random: () => 0.999999 });
    caps.push(step.effect.kind === 'sleep' ? step.effect.ms : -1);
    s = transition(step.state, { type: 'TimerFired' }, c, env(i * 10)).state;
  }
  assert.deepEqual(caps, [799, 1599, 3199, 6399, 12799, 25599, 29999, 29999]);
  // After more than resetAfter without failure, the next failure starts from the initial cap again.
  const later = transition(s, { type: 'Failed', code: 503 }, c, { now: 70 + 120_001, random: () => 0.999999 });
  assert.deepEqual(later.effect, { kind: 'sleep', ms: 799 });
});

test('a list failure backs off then lists again; an empty instant watch end counts as a failure', () => {
  const c = cfg('never');
  const r = run(c, [
    [{ type: 'Failed', message: 'ECONNREFUSED' }],
    [{ type: 'TimerFired' }],
    [{ type: 'ListDone', resourceVersion: '5' }],
    [{ type: 'StreamEnded', events: 0, durationMs: 10 }],
    [{ type: 'TimerFired' }],
    [{ type: 'StreamEnded', events: 0, durationMs: 60_000 }],
  ]);
  assert.deepEqual(r.effects, ['sleep:400', 'list:paged', 'watch:5', 'sleep:800', 'watch:5', 'watch:5']);
});

test('streaming list: the connection becomes the watch; auto falls back to paged lists on 422/400, always does not', () => {
  const auto = cfg('auto');
  assert.deepEqual(entryEffect(initialState(auto)), { kind: 'list', mode: 'streaming' });
  const ok = run(auto, [
    [{ type: 'Event', resourceVersion: '3' }],
    [{ type: 'ListDone', resourceVersion: '9' }],
    [{ type: 'StreamEnded', events: 40, durationMs: 300_000 }],
  ]);
  assert.deepEqual(ok.effects, ['none', 'none', 'watch:9']);

  const fallback = run(auto, [
    [{ type: 'Failed', code: 422, reason: 'Invalid' }],
    [{ type: 'ListDone', resourceVersion: '9' }],
    [{ type: 'Failed', code: 410 }],
  ]);
  assert.deepEqual(fallback.effects, ['list:paged', 'watch:9', 'list:paged']);

  const always = run(cfg('always'), [[{ type: 'Failed', code: 422 }], [{ type: 'TimerFired' }]]);
  assert.deepEqual(always.effects, ['sleep:400', 'list:streaming']);

  // Ended before the initial-events-end bookmark: retry the streaming list after a backoff.
  const cut = run(auto, [[{ type: 'StreamEnded', events: 7, durationMs: 20 }], [{ type: 'TimerFired' }]]);
  assert.deepEqual(cut.effects, ['sleep:400', 'list:streaming']);
});

test('stale inputs from cancelled operations are ignored', () => {
  const c = cfg('never');
  const r = run(c, [
    [{ type: 'Failed', code: 500 }],
    [{ type: 'Event', resourceVersion: '99' }],
    [{ type: 'StreamEnded', events: 1, durationMs: 1 }],
    [{ type: 'TimerFired' }],
    [{ type: 'TimerFired' }],
  ]);
  assert.deepEqual(r.effects, ['sleep:400', 'none', 'none', 'list:paged', 'none']);
});
