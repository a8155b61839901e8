import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseLabelSelector, parseFieldSelector, labelSelectorFromSpec, isBadRequest } from './index.js';

test('label selector grammar: equality, sets, existence', () => {
  const s = parseLabelSelector('app=web, tier in (front,back),!legacy,env!=prod,track');
  assert.equal(s.requirements.length, 5);
  assert.ok(s.matches({ app: 'web', tier: 'front', track: 'x' }));
  assert.ok(!s.matches({ app: 'web', tier: 'front', track: 'x', legacy: '1' }));
  assert.ok(!s.matches({ app: 'web', tier: 'mid', track: 'x' }));
  assert.ok(!s.matches({ app: 'web', tier: 'back', env: 'prod', track: 'x' }));
  assert.ok(!s.matches({ app: 'web', tier: 'back' }));
  assert.ok(parseLabelSelector('a==b').matches({ a: 'b' }));
  assert.ok(parseLabelSelector('x notin (a,b)').matches({}));
  assert.ok(parseLabelSelector('n>3').matches({ n: '4' }));
  assert.ok(!parseLabelSelector('n<3').matches({ n: '4' }));
  assert.ok(parseLabelSelector('').matches({}));
});

test('bad label selectors are 400 BadRequest', () => {
  for (const bad of ['a in b', 'a in ()', '=x', 'a=b=c', 'a b', 'Bad Key=1', 'a=' + 'x'.repeat(64)]) {
    assert.throws(() => parseLabelSelector(bad), (e: unknown) => isBadRequest(e), bad);
  }
});

test('LabelSelector objects: null matches nothing, {} matches everything', () => {
  assert.ok(!labelSelectorFromSpec(null).matches({ a: 'b' }));
  assert.ok(labelSelectorFromSpec({}).matches({ a: 'b' }));
  const s = labelSelectorFromSpec({ matchLabels: { a: 'b' }, matchExpressions: [{ key: 'c', operator: 'Exists' }] });
  assert.ok(s.matches({ a: 'b', c: '' }));
  assert.ok(!s.matches({ a: 'b' }));
});

test('field selectors with escapes', () => {
  const f = parseFieldSelector('metadata.name=a\\,b,status.phase!=Running');
  assert.deepEqual(f.fields(), ['metadata.name', 'status.phase']);
  assert.ok(f.matches({ 'metadata.name': 'a,b', 'status.phase': 'Pending' }));
  assert.ok(!f.matches({ 'metadata.name': 'a,b', 'status.phase': 'Running' }));
  assert.equal(f.requiresExactMatch('metadata.name'), 'a,b');
  assert.throws(() => parseFieldSelector('nonsense'), (e: unknown) => isBadRequest(e));
});
