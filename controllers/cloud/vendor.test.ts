// The one-file bundles scripts/bundle-deps.mjs writes (npm run build): there, and the installed
// packages' modules (the same exports; pop-core's client signs as the package's does).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { requireVendored, vendoredPath } from './vendor.js';

const require = createRequire(import.meta.url);

for (const [file, entry] of [['yaml.cjs', 'yaml'], ['pop-core-rpc.cjs', '@alicloud/pop-core/lib/rpc.js']]) {
  test(`${file} is the installed ${entry}`, () => {
    assert.ok(existsSync(vendoredPath(file)), `${vendoredPath(file)} is missing: npm run build writes it (scripts/bundle-deps.mjs)`);
    const vendored = requireVendored<Record<string, unknown>>(file)!;
    const pkg = require(entry) as Record<string, unknown>;
    assert.equal(typeof vendored, typeof pkg);
    assert.deepEqual(Object.keys(vendored).sort(), Object.keys(pkg).sort());
    if (typeof pkg === 'function') assert.deepEqual(Object.getOwnPropertyNames((pkg as { prototype: object }).prototype).sort(), Object.getOwnPropertyNames((vendored as unknown as { prototype: object }).prototype).sort());
  });
}

test('the vendored RPC client signs a request as the package does', () => {
  type Client = new (c: object) => { _buildParams(): Record<string, string> };
  const config = { accessKeyId: 'ak', accessKeySecret: 'secret', endpoint: 'https://ecs.example.com', apiVersion: '2014-05-26' };
  const a = new (requireVendored<Client>('pop-core-rpc.cjs')!)(config)._buildParams();
  const b = new (require('@alicloud/pop-core/lib/rpc.js') as Client)(config)._buildParams();
  for (const k of ['Signature', 'SignatureNonce', 'Timestamp']) { delete a[k]; delete b[k]; }
  assert.deepEqual(a, b);
});
