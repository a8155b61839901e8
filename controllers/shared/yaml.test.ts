// The controllers' lazily loaded YAML parser (its vendored bundle: ../cloud/vendor.test.ts) parses
// and fails as the installed `yaml` does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'yaml';
import { parseYaml } from './yaml.js';

test('parseYaml parses and fails as yaml.parse does', () => {
  const docs = [
    '- instanceId: cri-abc\n  regionId: cn-hangzhou\n  domains: [a.example.com, b.example.com]\n',
    '10:\n  - .*large.*\n50:\n  - .*\n', '', '~', 'enable: true\ntimeout-seconds: 10\n', 'a: 1\na: 2\n', '- [unclosed\n', 'key: "x\n', '0x1f: 0o17\n',
  ];
  for (const d of docs) {
    let want: unknown;
    let wantErr: string | undefined;
    try { want = parse(d); } catch (err) { wantErr = (err as Error).message; }
    if (wantErr !== undefined) assert.throws(() => parseYaml(d), (err: Error) => err.message === wantErr, d);
    else assert.deepEqual(parseYaml(d), want, d);
  }
});
