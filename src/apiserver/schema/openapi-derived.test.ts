// The files derived from the built-in OpenAPI documents (./openapi-derived.ts) are what the
// documents give now, a server reads them in place of the documents, and one whose documents
// changed is not used.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deriveOpenAPIFiles, derivedDir } from './openapi-derived.js';
import { kindDefinitions } from './openapi-files.js';
import { builtinDefinitionName, builtinPathOperations, crdToOpenAPIv3, loadBuiltinDefinitions, loadBuiltinOpenAPIv3, loadBuiltinSwagger, openAPIDir, pathOperations, type CustomResourceDefinition } from './index.js';
import { aliyunLogConfigCrd } from './testdata.js';

test('the derived files are what the documents give now (npm run build && node scripts/derive-openapi.mjs rewrites them)', () => {
  const want = deriveOpenAPIFiles();
  assert.deepEqual(readdirSync(derivedDir()).sort(), Object.keys(want).sort(), 'derived/ holds exactly these files');
  for (const [name, text] of Object.entries(want)) {
    assert.ok(readFileSync(join(derivedDir(), name), 'utf8') === text, `derived/${name} differs from what the documents give: run npm run build && node scripts/derive-openapi.mjs`);
  }
});

test('the definitions and path operations a server reads are the derived ones, equal to the full document\'s', () => {
  const full = loadBuiltinSwagger();
  const defs = loadBuiltinDefinitions();
  assert.notEqual(defs, full, 'read from derived/swagger-definitions.json');
  assert.equal(defs.paths, undefined);
  const { paths, ...rest } = full;
  assert.deepEqual({ ...defs, definitions: Object.fromEntries(Object.entries(defs.definitions)) }, rest);
  assert.deepEqual(Object.keys(defs.definitions), Object.keys(full.definitions), 'in the same order');
  assert.equal(loadBuiltinDefinitions(), defs, 'read once');
  const meta = 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta';
  assert.equal(defs.definitions[meta], defs.definitions[meta], 'a definition is parsed once');
  assert.ok(meta in defs.definitions && !('nope' in defs.definitions));
  assert.equal(defs.definitions.nope, undefined);
  assert.equal(Object.hasOwn(defs.definitions, 'toString'), Object.hasOwn(full.definitions, 'toString'));
  assert.equal('toString' in defs.definitions, 'toString' in full.definitions, 'a plain object\'s prototype, as the full document\'s');
  assert.throws(() => { (defs.definitions as Record<string, unknown>).x = {}; }, TypeError, 'read-only');
  for (const [kind, name] of kindDefinitions(full)) {
    const [group, version, k] = kind.split('/');
    assert.equal(builtinDefinitionName({ group, version, kind: k }), name, kind);
  }
  assert.equal(builtinDefinitionName({ group: '', version: 'v1', kind: 'DeleteOptions' }), undefined);
  assert.deepEqual(builtinPathOperations(), pathOperations(paths ?? {}));
  const ops = builtinPathOperations()['/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale'];
  assert.deepEqual(ops.patch, { 'x-kubernetes-action': 'patch', 'x-kubernetes-group-version-kind': { group: 'autoscaling', kind: 'Scale', version: 'v1' } });
});

test('a CRD\'s v3 document takes the built-in schemas and template paths as the full documents have them', () => {
  const lib: Record<string, unknown> = {};
  for (const [g, v] of [['', 'v1'], ['autoscaling', 'v1'], ['apiextensions.k8s.io', 'v1']]) Object.assign(lib, loadBuiltinOpenAPIv3(g, v)!.components.schemas);
  const cluster: CustomResourceDefinition = {
    apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'widgets.example.com' },
    spec: {
      group: 'example.com', scope: 'Cluster', names: { plural: 'widgets', kind: 'Widget', singular: 'widget', listKind: 'WidgetList' },
      versions: [{ name: 'v1', served: true, storage: true, subresources: { status: {}, scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas' } }, schema: { openAPIV3Schema: { type: 'object' } } }],
    },
  } as CustomResourceDefinition;
  for (const [crd, tpl, prefix] of [[aliyunLogConfigCrd(), loadBuiltinOpenAPIv3('apps', 'v1')!, '/apis/apps/v1/namespaces/{namespace}/deployments'], [cluster, loadBuiltinOpenAPIv3('apiextensions.k8s.io', 'v1')!, '/apis/apiextensions.k8s.io/v1/customresourcedefinitions']] as const) {
    const version = crd.spec.versions[0].name;
    const doc = crdToOpenAPIv3(crd as CustomResourceDefinition, version);
    const own = new Set([`${crd.spec.group.split('.').reverse().join('.')}.${version}.${crd.spec.names.kind}`, `${crd.spec.group.split('.').reverse().join('.')}.${version}.${crd.spec.names.listKind ?? crd.spec.names.kind + 'List'}`]);
    for (const [name, schema] of Object.entries(doc.components.schemas)) {
      if (!own.has(name)) assert.deepEqual(schema, lib[name], name);
    }
    const json = JSON.stringify(doc);
    for (const m of json.matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)) assert.ok(doc.components.schemas[m[1]], `${m[1]} is in the document`);
    // the template's item path, rewritten: same operations, parameters and responses
    const item = Object.entries(doc.paths).find(([p]) => p.endsWith('/{name}'))![1] as Record<string, { parameters?: unknown }>;
    const tplItem = tpl.paths[`${prefix}/{name}`] as Record<string, { parameters?: unknown }>;
    assert.deepEqual(Object.keys(item), Object.keys(tplItem));
    assert.deepEqual(item.get.parameters, tplItem.get.parameters);
  }
});

test('a derived file whose documents changed is not used: the full documents are read', () => {
  const src = openAPIDir();
  const dir = mkdtempSync(join(tmpdir(), 'kubeloop-openapi-'));
  try {
    symlinkSync(join(src, 'swagger.json.gz'), join(dir, 'swagger.json.gz'));
    cpSync(derivedDir(), join(dir, 'derived'), { recursive: true });
    const manifest = readFileSync(join(src, 'MANIFEST.json'), 'utf8');
    writeFileSync(join(dir, 'MANIFEST.json'), manifest);
    assert.notEqual(loadBuiltinDefinitions(dir), loadBuiltinSwagger(dir), 'current: derived');
    const stale = mkdtempSync(join(tmpdir(), 'kubeloop-openapi-'));
    try {
      symlinkSync(join(src, 'swagger.json.gz'), join(stale, 'swagger.json.gz'));
      cpSync(derivedDir(), join(stale, 'derived'), { recursive: true });
      const m = JSON.parse(manifest) as { files: Array<{ file: string; jsonSha256: string }> };
      m.files.find((f) => f.file === 'swagger.json.gz')!.jsonSha256 = '0'.repeat(64);
      writeFileSync(join(stale, 'MANIFEST.json'), JSON.stringify(m));
      assert.equal(loadBuiltinDefinitions(stale), loadBuiltinSwagger(stale), 'stale: the full document');
      // a damaged line of a current file: that definition from the full document
      const file = join(dir, 'derived', 'swagger-definitions.ndjson');
      const meta = 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta';
      writeFileSync(file, readFileSync(file, 'utf8').replace(`["${meta}",{`, `["${meta}",{{`));
      const damaged = mkdtempSync(join(tmpdir(), 'kubeloop-openapi-'));
      try {
        symlinkSync(join(src, 'swagger.json.gz'), join(damaged, 'swagger.json.gz'));
        cpSync(join(dir, 'derived'), join(damaged, 'derived'), { recursive: true });
        writeFileSync(join(damaged, 'MANIFEST.json'), manifest);
        const defs = loadBuiltinDefinitions(damaged);
        assert.notEqual(defs, loadBuiltinSwagger(damaged));
        assert.deepEqual(defs.definitions[meta], loadBuiltinSwagger(damaged).definitions[meta]);
      } finally {
        rmSync(damaged, { recursive: true, force: true });
      }
      assert.deepEqual(builtinPathOperations(stale), pathOperations(loadBuiltinSwagger(stale).paths ?? {}));
    } finally {
      rmSync(stale, { recursive: true, force: true });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
