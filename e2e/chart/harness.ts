/**
 * Renders charts/kubeloop without the helm binary and checks what comes out.
 *
 * Rendering: e2e/chart/render/main.go is built once (Go's text/template + sprig, the two
 * libraries Helm's engine is made of, from Debian's golang-go and
 * golang-github-masterminds-sprig-dev, offline in GOPATH mode) and run per variant. Values are
 * coalesced here the way Helm does (overrides over values.yaml, `null` deletes a default) and
 * validated against values.schema.json with ajv (draft-07), as `helm install` does.
 *
 * Checking objects: `builtinValidator()` compiles the official Kubernetes 1.32 swagger
 * definitions (the copy in src/apiserver/openapi/kubernetes-v1.32) into ajv schemas, closed (unknown fields are errors, as
 * with kubectl's strict field validation), with int-or-string and quantity types fixed up.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ValidateFunction } from 'ajv';
import { parseAllDocuments, parse as parseYaml } from 'yaml';
import { loadBuiltinSwagger, builtinDefinitionName } from '../../src/apiserver/schema/index.js';

export const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const chartDir = join(root, 'charts/kubeloop');
const rendererSource = join(root, 'e2e/chart/render');

export type Values = Record<string, unknown>;

export interface RenderedObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [k: string]: unknown;
}

export interface Rendered {
  /** The manifest stream, as `helm template` prints it. */
  text: string;
  /** Every object, with the template it came from. */
  objects: Array<RenderedObject & { source: string }>;
  /** The coalesced values the templates saw. */
  values: Values;
  find(kind: string, name?: string): RenderedObject & { source: string };
  all(kind: string): Array<RenderedObject & { source: string }>;
}

export interface RenderOptions {
  chart?: string;
  values?: Values;
  name?: string;
  namespace?: string;
  /** Extra API versions the cluster serves (`helm template --api-versions`). */
  apiVersions?: string[];
}

let rendererPath: string | undefined;

/** Builds the Go renderer (cached by source hash under dist/); a clear error when Go is missing. */
export function renderer(): string {
  if (rendererPath) return rendererPath;
  const source = readFileSync(join(rendererSource, 'main.go'));
  const hash = createHash('sha256').update(source).digest('hex').slice(0, 12);
  const out = join(root, 'dist/e2e/chart/bin', `render-${hash}`);
  if (!existsSync(out)) {
    const go = spawnSync('go', ['version'], { encoding: 'utf8' });
    if (go.error || go.status !== 0) {
      throw new Error('go not found: the chart tests render templates with Go text/template + sprig. Install them with '
        + '`apt-get install -y golang-go golang-github-masterminds-sprig-dev golang-github-ghodss-yaml-dev` (.ci/run does this in CI)');
    }
    mkdirSync(dirname(out), { recursive: true });
    const tmp = `${out}.${process.pid}.tmp`;
    const r = spawnSync('go', ['build', '-o', tmp, '.'], {
      cwd: rendererSource,
      encoding: 'utf8',
      env: {
        ...process.env,
        GO111MODULE: 'off',
        GOPATH: process.env.KUBELOOP_GOPATH ?? '/usr/share/gocode',
        GOFLAGS: '',
        GOENV: 'off',
        GOCACHE: process.env.GOCACHE ?? join(tmpdir(), 'kubeloop-go-build-cache'),
      },
    });
    if (r.status !== 0) {
      throw new Error(`building the chart renderer failed (needs golang-github-masterminds-sprig-dev and golang-github-ghodss-yaml-dev):\n${r.stderr}`);
    }
    renameSync(tmp, out); // atomic: parallel test files may build at once
  }
  rendererPath = out;
  return out;
}

function isMap(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Helm's coalescing: maps merge recursively, anything else is replaced, `null` removes the default. */
export function coalesce(defaults: Values, overrides: Values): Values {
  const out: Values = structuredClone(defaults);
  for (const [k, v] of Object.entries(overrides)) {
    if (v === null) delete out[k];
    else if (isMap(v) && isMap(out[k])) out[k] = coalesce(out[k] as Values, v);
    else out[k] = structuredClone(v);
  }
  return out;
}

export function chartDefaults(chart = chartDir): Values {
  return parseYaml(readFileSync(join(chart, 'values.yaml'), 'utf8')) as Values;
}

let valuesValidator: { chart: string; fn: ValidateFunction } | undefined;

/** Validates values against the chart's values.schema.json; returns Helm-like messages. */
export function validateValues(values: Values, chart = chartDir): string[] {
  if (!valuesValidator || valuesValidator.chart !== chart) {
    const schema = JSON.parse(readFileSync(join(chart, 'values.schema.json'), 'utf8'));
    const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
    valuesValidator = { chart, fn: ajv.compile(schema) };
  }
  const fn = valuesValidator.fn;
  if (fn(values)) return [];
  return (fn.errors ?? []).map((e) => `${e.instancePath || '(root)'}: ${e.message}${e.params && 'additionalProperty' in e.params ? ` (${String(e.params.additionalProperty)})` : ''}`);
}

function run(opts: RenderOptions, extra: string[]): { text: string; values: Values } {
  const chart = opts.chart ?? chartDir;
  const values = coalesce(chartDefaults(chart), opts.values ?? {});
  const problems = validateValues(values, chart);
  if (problems.length) throw new Error(`values don't meet the specifications of the schema(s):\n${problems.join('\n')}`);
  const dir = mkdtempSync(join(tmpdir(), 'kubeloop-chart-'));
  try {
    const file = join(dir, 'values.json');
    writeFileSync(file, JSON.stringify(values));
    const text = execFileSync(renderer(), [
      '-chart', chart, '-values', file,
      '-name', opts.name ?? 'kubeloop', '-namespace', opts.namespace ?? 'kubeloop-system',
      '-api-versions', (opts.apiVersions ?? []).join(','), ...extra,
    ], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return { text, values };
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr;
    throw new Error(stderr ? stderr.trim() : String(err));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The rendered templates/NOTES.txt, as `helm install` prints it. */
export function renderNotes(opts: RenderOptions = {}): string {
  return run(opts, ['-notes']).text;
}

/** `helm template`: coalesce, validate against the schema, render, parse. Throws on any failure. */
export function render(opts: RenderOptions = {}): Rendered {
  const { text, values } = run(opts, []);
  const objects: Rendered['objects'] = [];
  let source = '';
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length) throw new Error(`rendered YAML does not parse: ${doc.errors[0].message}\n${text}`);
    const m = /# Source: (\S+)/.exec(doc.commentBefore ?? '');
    if (m) source = m[1];
    const obj = doc.toJS() as RenderedObject | null;
    if (obj === null) continue;
    objects.push({ ...obj, source });
  }
  const all = (kind: string) => objects.filter((o) => o.kind === kind);
  return {
    text,
    objects,
    values,
    all,
    find(kind, name) {
      const found = all(kind).filter((o) => name === undefined || o.metadata?.name === name);
      if (found.length !== 1) throw new Error(`expected one ${kind}${name ? ` ${name}` : ''}, found ${found.length}`);
      return found[0];
    },
  };
}

// ---- validation of rendered objects against the Kubernetes 1.32 definitions ----

type Json = Record<string, unknown>;

/** Swagger 2 schema -> JSON Schema ajv accepts, closed against unknown fields. */
function toJsonSchema(s: unknown): unknown {
  if (Array.isArray(s)) return s.map(toJsonSchema);
  if (!isMap(s)) return s;
  const out: Json = {};
  for (const [k, v] of Object.entries(s)) {
    if (k.startsWith('x-kubernetes-') || k === 'description' || k === 'format') continue;
    if (k === '$ref' && typeof v === 'string') out.$ref = v;
    else if (k === 'properties' && isMap(v)) out.properties = Object.fromEntries(Object.entries(v).map(([p, ps]) => [p, toJsonSchema(ps)]));
    else out[k] = toJsonSchema(v);
  }
  if (isMap(out.properties) && !('additionalProperties' in out)) out.additionalProperties = false;
  return out;
}

export interface BuiltinValidator {
  /** Problems of one object (empty when valid; a `source` property is ignored); unknown kinds are a problem too. */
  validate(obj: RenderedObject): string[];
}

let builtin: BuiltinValidator | undefined;

export function builtinValidator(): BuiltinValidator {
  if (builtin) return builtin;
  const swagger = loadBuiltinSwagger() as unknown as { definitions: Record<string, unknown> };
  const definitions: Json = {};
  for (const [name, def] of Object.entries(swagger.definitions)) definitions[name] = toJsonSchema(def);
  // Types whose wire form is wider than their swagger type.
  definitions['io.k8s.apimachinery.pkg.util.intstr.IntOrString'] = { type: ['integer', 'string'] };
  definitions['io.k8s.apimachinery.pkg.api.resource.Quantity'] = {
    anyOf: [{ type: 'number' }, { type: 'string', pattern: '^[+-]?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)(([KMGTPE]i)|[numkMGTPE]|[eE][+-]?[0-9]+)?$' }],
  };
  definitions['io.k8s.apimachinery.pkg.apis.meta.v1.Time'] = { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}T' };
  const ajv = new Ajv({ allErrors: true, strict: false, validateFormats: false });
  ajv.addSchema({ $id: 'k8s', definitions });
  const cache = new Map<string, ValidateFunction>();
  builtin = {
    validate(withSource) {
      const { source: _source, ...obj } = withSource as RenderedObject & { source?: string };
      const [group, version] = obj.apiVersion.includes('/') ? obj.apiVersion.split('/') : ['', obj.apiVersion];
      const def = builtinDefinitionName({ group, version, kind: obj.kind });
      if (!def) return [`${obj.apiVersion} ${obj.kind} is not a Kubernetes 1.32 built-in kind`];
      let fn = cache.get(def);
      if (!fn) {
        fn = ajv.compile({ $ref: `k8s#/definitions/${def}` });
        cache.set(def, fn);
      }
      if (fn(obj as unknown)) return [];
      return (fn.errors ?? []).map((e) => `${obj.kind} ${obj.metadata?.name}: ${e.instancePath || '(root)'} ${e.message}`
        + `${e.params && 'additionalProperty' in e.params ? ` (${String(e.params.additionalProperty)})` : ''}`);
    },
  };
  return builtin;
}
