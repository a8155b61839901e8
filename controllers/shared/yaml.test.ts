// The controllers' lazily loaded YAML parser: the vendored one-file bundle (scripts/bundle-deps.mjs)
// is there after a build, is the installed `yaml` (same version), and parses and fails as it does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { parse } from 'yaml';
import { parseYaml, vendoredYamlPath } from './yaml.js';

test('the vendored bundle is the installed yaml package', () => {
  assert.ok(existsSync(vendoredYamlPath()), `${vendoredYamlPath()} is missing: npm run build writes it (scripts/bundle-deps.mjs)`);
  const require = createRequire(import.meta.url);
  const vendored = require(vendoredYamlPath()) as typeof import('yaml');
  assert.deepEqual(Object.keys(vendored).sort(), Object.keys(require('yaml') as object).sort());
});

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
