#!/usr/bin/env node
// Writes src/apiserver/openapi/kubernetes-v1.32/derived/: the smaller files derived from the
// Kubernetes OpenAPI documents that a server's start reads (src/apiserver/schema/openapi-derived.ts
// says which and why). Run after `npm run build` whenever the documents change
// (scripts/update-k8s-openapi.mjs); src/apiserver/schema/openapi-derived.test.ts fails until then.
//
//   npm run build && node scripts/derive-openapi.mjs
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const { deriveOpenAPIFiles, derivedDir } = await import('../dist/src/apiserver/schema/openapi-derived.js');
delete process.env.KUBELOOP_OPENAPI_DIR; // the package's own documents
const dir = derivedDir();
mkdirSync(dir, { recursive: true });
for (const [name, text] of Object.entries(deriveOpenAPIFiles())) {
  writeFileSync(join(dir, name), text);
  process.stdout.write(`wrote ${join(dir, name)} (${text.length} bytes)\n`);
}
