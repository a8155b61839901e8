// kubeloop as a new user meets it: `npm pack` at the repository root is the framework package,
// whose package.json names only files the tarball holds (publint finds nothing); installed into an empty project it brings no @alicloud/* package and little beyond what the
// framework's four core libraries bring; `kubeloop apiserver` runs from it (its OpenAPI
// documents inside); `kubeloop init` scaffolds a project whose tests pass as generated and
// whose `npm run build` + `npx kubeloop generate crds` writes its CRD. Needs the npm registry
// (CI has it) and kubectl.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, lstatSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { root, kubectlFor } from '../support/index.js';
import { eventually } from '../../src/testing/index.js';

const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { name: string; version: string; bin: Record<string, string>; exports: Record<string, unknown> };
let work: string;
let tarball: string;

/** The environment without the npm_* variables of an enclosing `npm test` (they would steer the inner npm), nor the test runner's NODE_TEST_CONTEXT (the scaffold's own `node --test` would report to us instead of printing). */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^npm_/i.test(k) && k !== 'INIT_CWD' && k !== 'NODE_TEST_CONTEXT') env[k] = v;
  return { ...env, npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' };
}

function run(cmd: string, args: string[], cwd: string): SpawnSyncReturns<string> {
  const r = spawnSync(cmd, args, { cwd, env: cleanEnv(), encoding: 'utf8', timeout: 240_000 });
  assert.equal(r.status, 0, `${cmd} ${args.join(' ')} in ${cwd} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  return r;
}

/** npm install in the background (two installs share the machine's time). */
function npmInstallAsync(cwd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('npm', ['install', '--no-audit', '--no-fund', ...args], { cwd, env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`npm install ${args.join(' ')} in ${cwd}: exit ${code}\n${out}`))));
  });
}

/** Sum of file sizes under `dir` (symlinks not followed): the same number on any file system. */
function bytesUnder(dir: string): number {
  let total = 0;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const st = lstatSync(p);
    if (st.isDirectory()) total += bytesUnder(p);
    else if (st.isFile()) total += st.size;
  }
  return total;
}

function emptyProject(name: string): string {
  const dir = join(work, name);
  mkdirSync(dir);
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, version: '1.0.0', private: true, type: 'module' }, null, 2));
  return dir;
}

/**
 * `npm pack` of the built checkout, done on a copy of what npm would pack (`npm pack --dry-run`'s
 * file list) with the package.json that prepack's last step writes (scripts/pack-manifest.mjs
 * strip): a real `npm pack` at the root rewrites the root package.json for the moment it packs,
 * and test files running meanwhile resolve `kubeloop` through it.
 */
function packStaged(dest: string): string {
  const listed = JSON.parse(run('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], root).stdout) as { files: { path: string }[] }[];
  const stage = join(dest, 'stage');
  for (const { path } of listed[0].files) {
    mkdirSync(dirname(join(stage, path)), { recursive: true });
    copyFileSync(join(root, path), join(stage, path));
  }
  run(process.execPath, [join(root, 'scripts/pack-manifest.mjs'), 'strip'], stage);
  const r = run('npm', ['pack', '--ignore-scripts', '--pack-destination', dest], stage);
  return join(dest, r.stdout.trim().split('\n').pop()!);
}

before(() => {
  work = mkdtempSync(join(tmpdir(), 'kubeloop-package-'));
  tarball = packStaged(work);
  assert.ok(existsSync(tarball), `npm pack wrote ${tarball}`);
});
after(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

test('the tarball holds the framework, its OpenAPI documents and templates, and no tests, suites, benchmarks or ACK code', () => {
  const files = run('tar', ['tzf', tarball], work).stdout.trim().split('\n').map((f) => f.replace(/^package\//, ''));
  const offending = files.filter((f) => /\.test\.(js|d\.ts)$/.test(f) || /^(e2e|bench|controllers|dist\/e2e|dist\/bench|docs|charts|scripts)\//.test(f) || /alicloud|cloudsim/i.test(f));
  assert.deepEqual(offending, []);
  assert.ok(files.includes('src/apiserver/openapi/kubernetes-v1.32/swagger.json.gz'));
  assert.ok(files.includes('LICENSE'), 'the Apache-2.0 licence text ships with the package');
  assert.ok(files.some((f) => f.startsWith('src/cli/init/templates/')));
  for (const [entry, target] of Object.entries(pkg.exports)) {
    const file = typeof target === 'string' ? target : (target as { default: string }).default;
    assert.ok(files.includes(file.replace(/^\.\//, '')), `export ${entry} -> ${file} is in the tarball`);
  }
  // only the framework's bundle (scripts/bundle-packages.mjs), tsc's declarations and the data:
  // every path is one of these (tsc's per-file modules stay home: the bin and every export are the bundle)
  const stray = files.filter((f) => !/^(dist\/bundle\/.+\.c?js|dist\/src\/.+\.d\.ts|dist\/console\/.+|src\/apiserver\/openapi\/kubernetes-v1\.32\/.+|src\/cli\/init\/templates\/.+|package\.json|README\.md|LICENSE)$/.test(f));
  assert.deepEqual(stray, [], 'files outside the framework build, its data and templates');
  assert.ok(files.includes(pkg.bin.kubeloop), `the bin ${pkg.bin.kubeloop} is in the tarball`);
  // the API server thread's script (package.json kubeloop.scripts, run with V8's code cache)
  for (const script of (pkg as { kubeloop?: { scripts?: string[] } }).kubeloop?.scripts ?? []) assert.ok(files.includes(script), `${script} is in the tarball`);
});

test('the packed package.json names only what the tarball holds: no kubeloop-unbundled condition (publint finds nothing)', { timeout: 300_000 }, () => {
  const files = new Set(run('tar', ['tzf', tarball], work).stdout.trim().split('\n').map((f) => f.replace(/^package\//, '')));
  const packed = JSON.parse(run('tar', ['xzf', tarball, '-O', 'package/package.json'], work).stdout) as { exports: unknown };
  const targets: string[] = [];
  const walk = (v: unknown, path: string): void => {
    if (typeof v === 'string') targets.push(v);
    else if (v && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        assert.notEqual(k, 'kubeloop-unbundled', `exports${path} keeps the tests' condition`);
        walk(x, `${path}[${k}]`);
      }
    }
  };
  walk(packed.exports, '');
  for (const t of targets) assert.ok(files.has(t.replace(/^\.\//, '')), `export target ${t} is in the tarball`);
  // the repository's own package.json keeps it (the tests' --conditions), and prepack/postpack strip and restore it
  assert.match(JSON.stringify(pkg.exports), /kubeloop-unbundled/);
  const scripts = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
  assert.match(scripts.prepack, /&& node scripts\/pack-manifest\.mjs strip$/);
  assert.equal(scripts.postpack, 'node scripts/pack-manifest.mjs restore');
  // publint (from the npm registry, as the rest of this suite's installs) on the tarball
  const lint = run('npx', ['--yes', 'publint@0.3.25', 'run', tarball, '--strict'], work);
  assert.match(lint.stdout, /All good!/, lint.stdout);
});

test('pack-manifest: strip keeps the file as it was and restore puts it back, also after a pack that stopped half-way', () => {
  const dir = mkdtempSync(join(work, 'manifest-'));
  const original = `${JSON.stringify({ name: 'x', exports: { '.': { types: './a.d.ts', 'kubeloop-unbundled': './src/a.js', default: './b/a.js' }, './p': './p.js' } }, null, 2)}\n`;
  writeFileSync(join(dir, 'package.json'), original);
  const script = join(root, 'scripts/pack-manifest.mjs');
  run(process.execPath, [script, 'strip'], dir);
  const stripped = readFileSync(join(dir, 'package.json'), 'utf8');
  assert.deepEqual(JSON.parse(stripped).exports, { '.': { types: './a.d.ts', default: './b/a.js' }, './p': './p.js' });
  run(process.execPath, [script, 'strip'], dir); // no postpack ran: the kept original is restored first
  assert.equal(readFileSync(join(dir, 'package.json'), 'utf8'), stripped);
  run(process.execPath, [script, 'restore'], dir);
  assert.equal(readFileSync(join(dir, 'package.json'), 'utf8'), original);
  assert.ok(!existsSync(join(dir, '.package.json.unpacked')));
});

test('installed into an empty project: no @alicloud/*, node_modules at most 1.2x the framework\'s four core libraries, `kubeloop apiserver` serves its OpenAPI', { timeout: 300_000 }, async () => {
  const base = emptyProject('baseline');
  const app = emptyProject('app');
  await Promise.all([
    npmInstallAsync(base, ['@kubernetes/client-node@~1.4.0', 'rxjs', 'inversify', 'reflect-metadata']),
    npmInstallAsync(app, [tarball]),
  ]);
  const modules = readdirSync(join(app, 'node_modules'));
  assert.ok(!modules.includes('@alicloud'), 'no @alicloud/* package');
  const ratio = bytesUnder(join(app, 'node_modules')) / bytesUnder(join(base, 'node_modules'));
  assert.ok(ratio <= 1.2, `node_modules ${ratio.toFixed(3)}x the baseline`);
  process.stdout.write(`# node_modules: ${ratio.toFixed(3)}x the baseline (@kubernetes/client-node 1.4, rxjs, inversify, reflect-metadata)\n`);

  const imports = run(process.execPath, ['--input-type=module', '-e', "const k = await import('kubeloop'); const t = await import('kubeloop/testing'); console.log(typeof k.Manager, typeof t.startTestEnv)"], app);
  assert.equal(imports.stdout.trim(), 'function function');

  const kubeconfig = join(work, 'installed.kubeconfig');
  const server = spawn(join(app, 'node_modules/.bin/kubeloop'), ['apiserver', '--port', '0', '--kubeconfig', kubeconfig], { cwd: app, env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  server.stdout.on('data', (d) => (out += d));
  server.stderr.on('data', (d) => (out += d));
  try {
    await eventually('kubeloop apiserver listening', () => out.includes('listening on'), 60_000);
    const kubectl = kubectlFor(kubeconfig, work);
    const r = await kubectl(['get', '--raw', '/openapi/v3/apis/apps/v1']);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(JSON.parse(r.stdout).components.schemas['io.k8s.api.apps.v1.Deployment'], 'the built-in schemas come from the installed package');
  } finally {
    server.kill('SIGTERM');
  }
});

test('kubeloop init scaffolds a project whose tests pass as generated and whose CRD generates', { timeout: 300_000 }, async () => {
  const app = join(work, 'app');
  if (!existsSync(join(app, 'node_modules/.bin/kubeloop'))) await npmInstallAsync(emptyProject('app'), [tarball]);
  run(join(app, 'node_modules/.bin/kubeloop'), ['init', 'guestbook-operator', '--kubeloop-version', `file:${tarball}`], work);
  const proj = join(work, 'guestbook-operator');
  for (const f of ['package.json', 'tsconfig.json', 'src/guestbook.ts', 'src/controller.ts', 'test/controller.test.ts', 'Dockerfile', 'Makefile', 'chart/guestbook-operator/Chart.yaml', '.gitignore']) {
    assert.ok(existsSync(join(proj, f)), `${f} scaffolded`);
  }
  const refused = spawnSync(join(app, 'node_modules/.bin/kubeloop'), ['init', 'guestbook-operator'], { cwd: work, env: cleanEnv(), encoding: 'utf8' });
  assert.notEqual(refused.status, 0);
  assert.match(refused.stderr, /exists and is not an empty directory/);
  await npmInstallAsync(proj, []);
  const t = run('npm', ['test'], proj);
  assert.match(t.stdout, /# pass 2\b/);
  assert.match(t.stdout, /# fail 0\b/);
  run('npm', ['run', 'build'], proj);
  run(join(proj, 'node_modules/.bin/kubeloop'), ['generate', 'crds'], proj);
  const crd = readFileSync(join(proj, 'crds/example.com_guestbooks.yaml'), 'utf8');
  assert.match(crd, /name: guestbooks\.example\.com/);
  // a TypeScript source of the project maps to its compiled output through its tsconfig
  run(join(proj, 'node_modules/.bin/kubeloop'), ['generate', 'crds', '--module', 'src/index.ts', '--check'], proj);
  run('npm', ['run', 'generate'], proj);
  assert.ok(statSync(join(proj, 'chart/guestbook-operator/files/rbac/clusterrole.yaml')).size > 0, 'the chart gets its generated ClusterRole');
  assert.ok(existsSync(join(proj, 'chart/guestbook-operator/crds/example.com_guestbooks.yaml')), 'and its CRD');
});
