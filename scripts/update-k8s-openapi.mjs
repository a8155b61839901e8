#!/usr/bin/env node
// Regenerates src/apiserver/openapi/kubernetes-v1.32/ — the official Kubernetes OpenAPI
// documents the built-in API server serves and validates against — from upstream files.
//
//   node scripts/update-k8s-openapi.mjs                      # download kubernetes/kubernetes@v1.32.0 api/openapi-spec
//   node scripts/update-k8s-openapi.mjs --ref v1.32.3        # another tag (checksums then differ: MANIFEST is rewritten)
//   node scripts/update-k8s-openapi.mjs --from DIR           # a local copy: DIR/swagger.json and DIR/v3/*_openapi.json
//
// Each upstream file is checked against the sha256 in MANIFEST.json when the ref is the pinned
// one (a mismatch stops the script), re-serialized without whitespace (key order kept: upstream
// writes them sorted) and gzipped: 13 MB of JSON become 1.1 MB in the repository and the package.
// MANIFEST.json records, per file, the upstream sha256 and the sha256 of the minified JSON,
// which src/apiserver/schema/openapi-data.test.ts verifies on every test run.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const out = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'apiserver', 'openapi', 'kubernetes-v1.32');
const manifestPath = join(out, 'MANIFEST.json');
const args = process.argv.slice(2);
const opt = (name) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : undefined; };
const from = opt('--from');
const previous = existsSync(manifestPath) ? JSON.parse(readFileSync(manifestPath, 'utf8')) : undefined;
const ref = opt('--ref') ?? previous?.ref ?? 'v1.32.0';
const pinned = previous && previous.ref === ref && !args.includes('--ref');

const sha256 = (buf) => createHash('sha256').update(buf).digest('hex');

/** The upstream file names: swagger.json and the v3 per-group-version documents (not the discovery-only ones). */
function isGroupVersionDoc(name) {
  return /^(api__v[^_]+|apis__.+__[^_]+)_openapi\.json$/.test(name);
}

async function upstreamFiles() {
  if (from) {
    const v3 = readdirSync(join(from, 'v3')).filter(isGroupVersionDoc).sort();
    return [['swagger.json', readFileSync(join(from, 'swagger.json'))], ...v3.map((n) => [`v3/${n}`, readFileSync(join(from, 'v3', n))])];
  }
  const base = `https://raw.githubusercontent.com/kubernetes/kubernetes/${ref}/api/openapi-spec`;
  const names = previous && pinned ? previous.files.map((f) => f.upstream) : undefined;
  if (!names) throw new Error('downloading needs the file list of MANIFEST.json; for another ref, pass --from a checkout of api/openapi-spec');
  const files = [];
  for (const name of names) {
    const res = await fetch(`${base}/${name}`);
    if (!res.ok) throw new Error(`${base}/${name}: HTTP ${res.status}`);
    files.push([name, Buffer.from(await res.arrayBuffer())]);
  }
  return files;
}

const files = await upstreamFiles();
const expected = new Map((previous?.files ?? []).map((f) => [f.upstream, f.upstreamSha256]));
const entries = [];
for (const [name, raw] of files) {
  const digest = sha256(raw);
  if (pinned && expected.has(name) && expected.get(name) !== digest) {
    throw new Error(`${name}: sha256 ${digest} differs from MANIFEST.json (${expected.get(name)}) for ${ref}`);
  }
  const minified = JSON.stringify(JSON.parse(raw.toString('utf8')));
  entries.push({ upstream: name, file: `${name}.gz`, upstreamSha256: digest, upstreamBytes: raw.length, jsonSha256: sha256(minified), gz: gzipSync(minified, { level: 9 }) });
}
rmSync(join(out, 'v3'), { recursive: true, force: true });
mkdirSync(join(out, 'v3'), { recursive: true });
for (const e of entries) writeFileSync(join(out, e.file), e.gz);
const manifest = {
  source: 'kubernetes/kubernetes api/openapi-spec',
  ref,
  files: entries.map(({ gz, ...rest }) => rest),
};
writeFileSync(manifestPath, JSON.stringify(manifest, null, 2) + '\n');
process.stdout.write(`wrote ${entries.length} documents (${entries.reduce((n, e) => n + e.gz.length, 0)} bytes gzipped) to ${out}\n`);
process.stdout.write('now rewrite the files derived from them: npm run build && node scripts/derive-openapi.mjs\n');
