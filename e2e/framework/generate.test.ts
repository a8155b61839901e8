// Generated files must match what is committed: CRDs and RBAC of the example operator, via
// the library and via the `kubeloop generate` command (as CI would run it).
import 'reflect-metadata';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateCrdFiles, generateRbacYaml, staleFiles } from '../../src/index.js';
import { Greeting, GreetingController } from './example.js';

import { runGenerate } from './harness.js';
import { KUBELOOP_BIN } from '../support/bin.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const generated = join(root, 'e2e/framework/generated');
const cli = KUBELOOP_BIN;

test('committed CRDs and ClusterRole of the example are up to date', () => {
  const crds = generateCrdFiles([Greeting]);
  assert.deepEqual([...crds.keys()], ['demo.kubeloop.io_greetings.yaml']);
  assert.deepEqual(staleFiles(join(generated, 'crds'), crds), [], 'run: node dist/bundle/cli/main.js generate crds --module e2e/framework/example.ts --out e2e/framework/generated/crds');
  const rbac = generateRbacYaml([GreetingController], 'kubeloop-example');
  assert.equal(rbac, readFileSync(join(generated, 'clusterrole.yaml'), 'utf8'));
});

test('kubeloop generate writes the same files and --check detects stale ones', async () => {
  const out = mkdtempSync(join(tmpdir(), 'kubeloop-gen-'));
  try {
    // once through the real binary ...
    const r = spawnSync(process.execPath, [cli, 'generate', 'crds', '--module', 'e2e/framework/example.ts', '--out', join(out, 'crds')], { cwd: root, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(readFileSync(join(out, 'crds/demo.kubeloop.io_greetings.yaml'), 'utf8'), readFileSync(join(generated, 'crds/demo.kubeloop.io_greetings.yaml'), 'utf8'));
    // ... the other cases in-process, on the same command module
    const run = (...args: string[]) => runGenerate(root, ...args);
    await run('rbac', '--module', 'e2e/framework/example.ts', '--name', 'kubeloop-example', '--out', join(out, 'role.yaml'));
    assert.equal(readFileSync(join(out, 'role.yaml'), 'utf8'), readFileSync(join(generated, 'clusterrole.yaml'), 'utf8'));
    await run('rbac', '--module', 'e2e/framework/example.ts', '--name', 'kubeloop-example', '--out', join(out, 'role.yaml'), '--check');
    await assert.rejects(run('rbac', '--module', 'e2e/framework/example.ts', '--name', 'other-name', '--out', join(out, 'role.yaml'), '--check'), /out of date/);
    await assert.rejects(run('crds', '--module', 'e2e/framework/does-not-exist.ts', '--out', out), /module not found/);
    await assert.rejects(run('rbac', '--module', 'e2e/framework/harness.ts', '--out', join(out, 'x.yaml')), /export no @Controller classes/);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('the generated CRD passes the API server\'s CRD validation and its schema rejects bad objects field by field', async () => {
  const { parse } = await import('yaml');
  const schema = await import('../../src/apiserver/schema/index.js');
  const crd = parse(readFileSync(join(generated, 'crds/demo.kubeloop.io_greetings.yaml'), 'utf8'));
  assert.deepEqual(schema.validateCrd(crd), []);
  const openAPIV3Schema = crd.spec.versions[0].schema.openAPIV3Schema;
  const good = { apiVersion: 'demo.kubeloop.io/v1', kind: 'Greeting', metadata: { name: 'g' }, spec: { message: 'hi', shout: true } };
  assert.deepEqual(schema.validate(openAPIV3Schema, good), []);
  const errs = schema.validate(openAPIV3Schema, { ...good, spec: { message: '', shout: 'loud' } });
  const fields = errs.map((e: { field: string }) => e.field).sort();
  assert.deepEqual(fields, ['spec.message', 'spec.shout']);
  const missing = schema.validate(openAPIV3Schema, { ...good, spec: {} });
  assert.deepEqual(missing.map((e: { field: string; type: string }) => [e.field, e.type]), [['spec.message', 'FieldValueRequired']]);
});
