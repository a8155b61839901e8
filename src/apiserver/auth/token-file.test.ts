import assert from 'node:assert/strict';
import { it } from 'node:test';
import { parseTokenFile } from './token-file.js';

it('parses --token-auth-file lines (quoted group lists, comments) and names bad lines', () => {
  assert.deepEqual(parseTokenFile('# admins\nt1,alice,1,"devs,ops"\n\nt2,bob,\n'), [
    { token: 't1', user: 'alice', uid: '1', groups: ['devs', 'ops'] },
    { token: 't2', user: 'bob', groups: [] },
  ]);
  assert.throws(() => parseTokenFile('t1,alice\n', 'f.csv'), /f\.csv:1: expected token,user,uid/);
  assert.throws(() => parseTokenFile('t1,a,1\nt1,b,2', 'f.csv'), /f\.csv:2: duplicate token/);
  assert.throws(() => parseTokenFile('t1,a,1,"x', 'f.csv'), /f\.csv:1: unterminated quote/);
});
