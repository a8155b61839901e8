// The Kubernetes OpenAPI documents shipped in src/apiserver/openapi/kubernetes-v1.32 are what
// MANIFEST.json says they are (scripts/update-k8s-openapi.mjs writes both), and the loader
// reads them from the package itself, never from a folder beside the repository.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { builtinOpenAPIv3GroupVersions, openAPIDir } from './index.js';

interface ManifestEntry { upstream: string; file: string; upstreamSha256: string; jsonSha256: string }

test('every shipped OpenAPI document matches MANIFEST.json', () => {
  const dir = openAPIDir();
  const manifest = JSON.parse(readFileSync(join(dir, 'MANIFEST.json'), 'utf8')) as { ref: string; files: ManifestEntry[] };
  assert.equal(manifest.ref, 'v1.32.0');
  const listed = new Set(manifest.files.map((f) => f.file));
  const present = ['swagger.json.gz', ...readdirSync(join(dir, 'v3')).map((n) => `v3/${n}`)];
  assert.deepEqual(present.filter((f) => !listed.has(f)), [], 'files not in MANIFEST.json');
  for (const f of manifest.files) {
    const text = gunzipSync(readFileSync(join(dir, f.file))).toString('utf8');
    assert.equal(createHash('sha256').update(text).digest('hex'), f.jsonSha256, f.file);
    assert.equal(typeof JSON.parse(text), 'object');
  }
  assert.equal(builtinOpenAPIv3GroupVersions().length, manifest.files.length - 1, 'every v3 document is served');
});
