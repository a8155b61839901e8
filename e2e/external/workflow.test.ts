// The kind workflow (.github/workflows/e2e-kind.yaml) cannot run here (no docker or kind), so
// what it relies on is checked instead: every step runs a Makefile target or script that
// exists, its steps are `make e2e-kind`'s sequence in the same order, and the chart values
// the e2e install uses are accepted by values.schema.json and render. Also the pieces of
// `npm run e2e:external` that need no cluster: the chart's per-controller arguments and RBAC.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { chartDefaults, coalesce, render, root, validateValues } from '../chart/harness.js';
import { CONTROLLERS, EXTERNAL_SUITES, renderForDev, runArgs } from './main.js';

const WORKFLOW = join(root, '.github/workflows/e2e-kind.yaml');
const makefile = readFileSync(join(root, 'Makefile'), 'utf8');

/** Makefile targets (`name: ...` at the start of a line, variables excluded). */
const targets = new Set([...makefile.matchAll(/^([a-z0-9][a-z0-9-]*):(?!=)/gm)].map((m) => m[1]));

/** The recipe lines of `target`. */
function recipe(target: string): string[] {
  const lines = makefile.split('\n');
  const i = lines.findIndex((l) => l.startsWith(`${target}:`));
  assert.ok(i >= 0, `no target ${target}`);
  const out: string[] = [];
  for (const l of lines.slice(i + 1)) {
    if (!l.startsWith('\t')) break;
    out.push(l.slice(1));
  }
  return out;
}

/** `?=` default of a Makefile variable. */
const variable = (name: string): string => new RegExp(`^${name} \\?= (.*)$`, 'm').exec(makefile)?.[1].trim() ?? assert.fail(`no ${name} ?= in the Makefile`);

interface Step { name?: string; run?: string; uses?: string; if?: string }
const workflow = parseYaml(readFileSync(WORKFLOW, 'utf8')) as { jobs: Record<string, { steps: Step[] }> };
const steps = Object.values(workflow.jobs).flatMap((j) => j.steps);

/** The make targets of a `run:` command line, or the script it runs; anything else is an error. */
function parseCommand(line: string): { make?: string[]; script?: string; npm?: string } {
  const words = line.trim().split(/\s+/);
  if (words[0] === 'make') return { make: words.slice(1).filter((w) => !w.includes('=') && !w.startsWith('-')) };
  if ((words[0] === 'bash' || words[0] === 'node') && words[1]?.startsWith('scripts/')) return { script: words[1] };
  if (words[0] === 'npm' && words[1] === 'run') return { npm: words[2] };
  if (words[0] === 'npm' && words[1] === 'ci') return {};
  throw new Error(`workflow step runs "${line}": only Makefile targets, npm scripts and scripts/ may be called`);
}

test('every workflow step calls a Makefile target or script that exists', () => {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  const runs = steps.filter((s) => s.run).flatMap((s) => s.run!.split('\n').filter((l) => l.trim()));
  assert.ok(runs.length >= 6, runs.join('\n'));
  for (const line of runs) {
    const c = parseCommand(line);
    for (const t of c.make ?? []) assert.ok(targets.has(t), `the workflow runs make ${t}, which the Makefile does not have`);
    if (c.script) assert.ok(existsSync(join(root, c.script)), `the workflow runs ${c.script}, which does not exist`);
    if (c.npm) assert.ok(pkg.scripts[c.npm], `the workflow runs npm run ${c.npm}, which package.json does not have`);
  }
  // the scripts the targets' recipes run exist too
  for (const t of runs.flatMap((l) => parseCommand(l).make ?? [])) {
    for (const m of recipe(t).join('\n').matchAll(/\b(scripts\/[\w./-]+|dist\/[\w./-]+\.js)/g)) {
      const file = m[1].startsWith('dist/') ? m[1].replace(/^dist\//, '').replace(/\.js$/, '.ts') : m[1];
      assert.ok(existsSync(join(root, file)), `make ${t} runs ${m[1]}, whose source ${file} does not exist`);
    }
  }
  // a failing run leaves the logs behind
  const onFailure = steps.filter((s) => s.if === 'failure()');
  assert.ok(onFailure.some((s) => s.run?.trim() === 'make kind-logs'), 'logs are collected on failure');
  assert.ok(onFailure.some((s) => s.uses?.startsWith('actions/upload-artifact@')), 'and uploaded');
});

test('the workflow runs exactly make e2e-kind\'s sequence: cluster, image, load, chart with the emulator, suites', () => {
  const sequence = recipe('e2e-kind').flatMap((l) => {
    const m = /^\$\(MAKE\) --no-print-directory ([a-z0-9-]+)$/.exec(l.trim());
    return m ? [m[1]] : [];
  });
  assert.deepEqual(sequence, ['kind-up', 'image', 'kind-load', 'e2e-kind-install', 'e2e-kind-test']);
  const inWorkflow = steps.filter((s) => s.run && !s.if).flatMap((s) => parseCommand(s.run!).make ?? []).filter((t) => t !== 'install');
  assert.deepEqual(inWorkflow, sequence);
  // the cluster from the project's kind config, the chart with the e2e values
  assert.equal(variable('KIND_CONFIG'), 'e2e/chart/kind-config.yaml');
  assert.match(recipe('kind-up').join('\n'), /kind create cluster .*--config \$\(KIND_CONFIG\)/);
  assert.match(recipe('e2e-kind-install').join('\n'), /helm-install HELM_ARGS="-f \$\(E2E_VALUES\)/);
  assert.match(recipe('helm-install').join('\n'), /helm upgrade --install \$\(HELM_RELEASE\) charts\/kubeloop/);
  assert.match(recipe('e2e-kind-test').join('\n'), /bash scripts\/e2e-kind\.sh/);
});

test('the e2e install\'s chart values are accepted by values.schema.json, run the emulator and render', () => {
  const file = variable('E2E_VALUES');
  const values = parseYaml(readFileSync(join(root, file), 'utf8')) as Record<string, any>;
  // what helm-install adds with --set
  const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
  const withImage = coalesce(values, { image: { repository: 'kubeloop', tag: version } });
  assert.deepEqual(validateValues(coalesce(chartDefaults(), withImage)), []);
  assert.equal(values.cloudsim?.enabled, true, 'the emulator runs in the cluster');
  const r = render({ values: withImage });
  assert.ok(r.find('Deployment', 'kubeloop-cloudsim'));
  assert.ok(r.find('Secret', 'kubeloop-cloudsim-credentials'));
  // scripts/e2e-kind.sh reads these from the release
  const script = readFileSync(join(root, 'scripts/e2e-kind.sh'), 'utf8');
  assert.match(script, /\$release-cloudsim-credentials/);
  assert.match(script, /service\/\$release-cloudsim/);
  // a value the schema refuses is caught by this check
  assert.notDeepEqual(validateValues(coalesce(chartDefaults(), coalesce(withImage, { controllers: { route: { reconciliationPeriod: 'soon' } } }))), []);
});

test('npm run e2e:external runs each controller with the rendered Deployment\'s arguments under the chart\'s ClusterRole', () => {
  const objects = renderForDev('172.16.0.0/16');
  assert.ok(objects.some((o) => o.kind === 'ClusterRole'));
  assert.ok(!objects.some((o) => o.kind === 'Deployment' && o.metadata.name.endsWith('-cloudsim')), 'the emulator is kubeloop dev\'s');
  for (const c of CONTROLLERS) {
    const args = runArgs(objects, c);
    assert.deepEqual(args.slice(0, 2), ['run', c]);
    assert.ok(args.includes('--metrics-bind-address=127.0.0.1:0') && args.includes('--health-probe-bind-address=127.0.0.1:0'), args.join(' '));
  }
  assert.ok(runArgs(objects, 'route').includes('--cluster-cidr=172.16.0.0/16'));
  assert.throws(() => runArgs(objects, 'nope'), /the chart renders no Deployment running nope/);
  for (const s of EXTERNAL_SUITES) assert.ok(existsSync(join(root, s)), s);
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  assert.match(pkg.scripts['e2e:external'], /node (--conditions=kubeloop-unbundled )?dist\/e2e\/external\/main\.js/);
});
