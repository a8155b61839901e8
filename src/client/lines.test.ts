import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LineSplitter } from './lines.js';
import { statusErrorFromResponse, toStatusError } from './errors.js';
import { isConflict, isNotFound, isResourceExpired, StatusError } from '../api/index.js';

test('line splitter: lines across chunks, multi-byte UTF-8 split mid-character, CRLF, blank lines, last line without newline', () => {
  const lines: string[] = [];
  const s = new LineSplitter((l) => lines.push(l));
  const text = '{"a":"héllo"}\n\n{"b":1}\r\n{"c":"日本"}\n{"d":2}';
  const bytes = Buffer.from(text, 'utf8');
  for (let i = 0; i < bytes.length; i += 3) s.push(bytes.subarray(i, i + 3));
  s.end();
  assert.deepEqual(lines, ['{"a":"héllo"}', '{"b":1}', '{"c":"日本"}', '{"d":2}']);
});

test('errors: server Status kept, non-Status bodies synthesised, client-node ApiException normalised', () => {
  const st = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', reason: 'Conflict', code: 409, message: 'modified' };
  const e1 = statusErrorFromResponse(409, JSON.stringify(st));
  assert.ok(isConflict(e1));
  assert.equal(e1.message, 'modified');
  const e2 = statusErrorFromResponse(404, '404 page not found', 'GET /x');
  assert.ok(isNotFound(e2));
  assert.match(e2.message, /GET \/x: 404 page not found/);
  assert.ok(isResourceExpired(statusErrorFromResponse(410, '')));
  // client-node 1.x ApiException: { code, body: string, headers }
  const apiEx = Object.assign(new Error('HTTP-Code: 404'), { code: 404, body: JSON.stringify({ ...st, reason: 'NotFound', code: 404 }) });
  const n = toStatusError(apiEx);
  assert.ok(n instanceof StatusError && isNotFound(n));
  const net = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
  assert.equal(toStatusError(net), net);
});

test('continue token read from the head of a list body', async () => {
  const { continueFromHead } = await import('./client.js');
  assert.deepEqual(continueFromHead('{"kind":"ConfigMapList","apiVersion":"v1","metadata":{"resourceVersion":"5","continue":"abc=="},"items":[{"met'), { done: true, token: 'abc==' });
  assert.deepEqual(continueFromHead('{"kind":"ConfigMapList","metadata":{"resourceVersion":"5"},"items":['), { done: true, token: undefined });
  assert.deepEqual(continueFromHead('{"kind":"ConfigMapList","metadata":{"resourceV'), { done: false });
  const late = continueFromHead('{"items":[],"metadata":{"continue":"x"}}');
  assert.equal(late.done, true);
  assert.equal(late.token, undefined, 'metadata after items: no early token');
});
