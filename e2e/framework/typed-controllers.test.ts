// @Controller is tied to the class it decorates: a class whose reconcile does not take the
// `for` kind's object type, or that has no reconcile, does not compile; so are @Webhook (its
// default/validate* methods take the `for` kind's objects) and @Conversion (toHub/fromHub
// between the spoke and hub types). Proven by compiling small files with tsc against the
// built kubeloop declarations.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { root } from '../support/index.js';

let dir: string;
const header = `import { Controller, ConfigMap, Pod, defineCustomResource, type ConfigMapObject, type KubeObject, type ObjectOf, type PodObject, type Reconciler } from 'kubeloop';\n`;
const webhookHeader = `import { Conversion, Webhook, ConfigMap, defineCustomResource, type ConfigMapObject, type ObjectOf, type PodObject } from 'kubeloop';
const V1 = defineCustomResource({ group: 'a.example.com', version: 'v1', kind: 'Tea', plural: 'teas', storage: false, schema: { type: 'object', properties: { spec: { type: 'object', properties: { sugar: { type: 'integer' } } } } } });
const V2 = defineCustomResource({ group: 'a.example.com', version: 'v2', kind: 'Tea', plural: 'teas', schema: { type: 'object', properties: { spec: { type: 'object', properties: { sugar: { type: 'object', properties: { lumps: { type: 'integer' } } } } } } } });
type V1 = ObjectOf<typeof V1>;
type V2 = ObjectOf<typeof V2>;
`;
const files: Record<string, string> = {
  'ok.ts': `${header}
@Controller({ for: ConfigMap }) export class Typed implements Reconciler<ConfigMapObject> { reconcile(cm: ConfigMapObject) { return cm.data ? {} : undefined; } }
@Controller({ for: Pod, name: 'wide' }) export class Wide { reconcile(obj: KubeObject) { void obj; } }
@Controller({ for: Pod, name: 'ignores' }) export class Ignores { reconcile() {} }
export const Thing = defineCustomResource({ group: 'a.example.com', version: 'v1', kind: 'Thing', plural: 'things', schema: { type: 'object' } });
@Controller({ for: Thing }) export class ThingController { reconcile(t: ObjectOf<typeof Thing>) { void t; } }
`,
  'wrong-kind.ts': `${header}
@Controller({ for: ConfigMap }) export class WrongKind implements Reconciler<PodObject> { reconcile(pod: PodObject) { void pod; } }
`,
  'no-reconcile.ts': `${header}
@Controller({ for: ConfigMap }) export class NoReconcile { handle(cm: ConfigMapObject) { void cm; } }
`,
  'wrong-custom-kind.ts': `${header}
const A = defineCustomResource({ group: 'a.example.com', version: 'v1', kind: 'Apple', plural: 'apples', schema: { type: 'object' } });
const B = defineCustomResource({ group: 'a.example.com', version: 'v1', kind: 'Banana', plural: 'bananas', schema: { type: 'object' } });
@Controller({ for: A }) export class Mixed { reconcile(b: ObjectOf<typeof B>) { void b; } }
`,
  'webhook-ok.ts': `${webhookHeader}
@Webhook({ for: ConfigMap }) export class Cm { default(cm: ConfigMapObject) { cm.data ??= {}; } validateDelete(cm: ConfigMapObject) { return cm.data ? ['has data'] : []; } }
@Webhook({ for: V2 }) export class Tea { async validateUpdate(old: V2, tea: V2) { if (old.spec?.sugar?.lumps !== tea.spec?.sugar?.lumps) throw new Error('no'); } }
@Conversion({ hub: V2, spoke: V1 }) export class TeaV1 {
  toHub(t: V1): V2 { return { ...t, spec: { sugar: { lumps: t.spec?.sugar } } }; }
  async fromHub(t: V2): Promise<V1> { return { ...t, spec: { sugar: t.spec?.sugar?.lumps } }; }
}
`,
  'webhook-wrong-kind.ts': `${webhookHeader}
@Webhook({ for: ConfigMap }) export class WrongKind { validateCreate(pod: PodObject) { void pod; } }
`,
  'webhook-wrong-warnings.ts': `${webhookHeader}
@Webhook({ for: ConfigMap }) export class WrongWarnings { validateCreate() { return 'not a list'; } }
`,
  'conversion-wrong-type.ts': `${webhookHeader}
@Conversion({ hub: V2, spoke: V1 }) export class Lossy { toHub(t: V1): V1 { return t; } fromHub(t: V2): V1 { return { metadata: t.metadata }; } }
`,
};

before(() => {
  // inside the repository, so `kubeloop` resolves to this package (node_modules/kubeloop)
  mkdirSync(join(root, '.kubeloop'), { recursive: true });
  dir = mkdtempSync(join(root, '.kubeloop', 'typed-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({
    compilerOptions: { target: 'ES2022', module: 'nodenext', moduleResolution: 'nodenext', strict: true, experimentalDecorators: true, emitDecoratorMetadata: true, noEmit: true, skipLibCheck: true, types: [] },
    include: ['*.ts'],
  }));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module' }));
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('tsc accepts reconcilers, webhooks and conversions of their kinds and refuses the wrong kind, a missing reconcile or wrong types', () => {
  const r = spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', dir], { encoding: 'utf8' });
  const errors = (r.stdout + r.stderr).split('\n').filter((l) => /error TS\d+/.test(l));
  const byFile = (f: string) => errors.filter((l) => l.startsWith(f) || l.includes(`/${f}(`));
  assert.deepEqual(byFile('ok.ts'), [], 'the well-typed controllers compile');
  assert.deepEqual(byFile('webhook-ok.ts'), [], 'the well-typed webhooks and conversions compile');
  for (const bad of ['wrong-kind.ts', 'no-reconcile.ts', 'wrong-custom-kind.ts', 'webhook-wrong-kind.ts', 'webhook-wrong-warnings.ts', 'conversion-wrong-type.ts']) {
    assert.ok(byFile(bad).some((l) => /TS1238|TS1270|TS2345/.test(l)), `${bad} must not compile; tsc said:\n${errors.join('\n')}`);
  }
});
