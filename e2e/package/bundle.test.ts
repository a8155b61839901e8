// The packages' bundles (scripts/bundle-packages.mjs): each source module is in one file of its
// package's bundle, a process that imports the packages by name (as users do) and the
// `kubeloop` command run only the bundles, and a bundle older than tsc's output is refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { KUBELOOP_BIN, root } from '../support/bin.js';

const BUNDLES = [join(root, 'dist/bundle'), join(root, 'controllers/dist/bundle')];

function filesUnder(dir: string, suffix: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith(suffix)).map((f) => join(dir, f));
}

test('the bundles are current, and each source module is in exactly one file of its package\'s bundle (one copy per process)', () => {
  const check = spawnSync(process.execPath, [join(root, 'scripts/bundle-packages.mjs'), '--check'], { encoding: 'utf8' });
  assert.equal(check.status, 0, check.stderr);
  for (const dir of BUNDLES) {
    const owner = new Map<string, string>();
    for (const map of filesUnder(dir, '.js.map')) {
      const { sources } = JSON.parse(readFileSync(map, 'utf8')) as { sources: string[] };
      for (const s of sources) {
        const source = join(dirname(map), s);
        assert.equal(owner.get(source), undefined, `${relative(root, source)} is in ${owner.get(source)} and in ${relative(root, map)}`);
        owner.set(source, relative(root, map));
      }
    }
    assert.ok(owner.size > 20, `${relative(root, dir)}: ${owner.size} source modules`);
  }
});

test('imported by name without the tests\' condition, and as the `kubeloop` command with the ACK extension, only the bundles load', () => {
  const work = mkdtempSync(join(tmpdir(), 'kubeloop-bundle-'));
  try {
    const log = join(work, 'loaded.txt');
    writeFileSync(join(work, 'hooks.mjs'), `import { appendFileSync } from 'node:fs';\nexport async function load(url, context, next) { appendFileSync(${JSON.stringify(log)}, url + '\\n'); return next(url, context); }\n`);
    writeFileSync(join(work, 'register.mjs'), `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(join(work, 'hooks.mjs')).href)});\n`);
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { exports: Record<string, unknown> };
    const ack = JSON.parse(readFileSync(join(root, 'controllers/package.json'), 'utf8')) as { name: string };
    const names = [...Object.keys(pkg.exports).filter((k) => k !== './package.json').map((k) => k.replace(/^\./, 'kubeloop')), ack.name, `${ack.name}/cli`, `${ack.name}/cloudsim`];
    const runs = [
      [process.execPath, ['--import', join(work, 'register.mjs'), '--input-type=module', '-e', names.map((n) => `await import(${JSON.stringify(n)});`).join(' ')]],
      // `run` loads the extension's controllers (its load()), which import the framework by name
      [process.execPath, ['--import', join(work, 'register.mjs'), KUBELOOP_BIN, 'run', '--help']],
    ] as const;
    for (const [cmd, args] of runs) {
      const r = spawnSync(cmd, args, { cwd: root, encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });
      assert.equal(r.status, 0, r.stderr);
    }
    const ours = [...new Set(readFileSync(log, 'utf8').trim().split('\n'))].filter((u) => u.startsWith(pathToFileURL(root).href + '/') && !u.includes('/node_modules/'));
    const outside = ours.filter((u) => !BUNDLES.some((b) => u.startsWith(pathToFileURL(b).href + '/')));
    assert.deepEqual(outside, [], 'modules loaded from outside the bundles (a second copy of a package)');
    assert.ok(ours.length >= names.length, `${ours.length} bundle modules loaded`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});

test('exported classes and functions keep their names in the bundle (esbuild renames top-level classes)', async () => {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { exports: Record<string, unknown> };
  const ack = JSON.parse(readFileSync(join(root, 'controllers/package.json'), 'utf8')) as { name: string };
  const ackEntries = readdirSync(join(root, 'controllers/dist/bundle'), { withFileTypes: true }).filter((d) => d.isDirectory() && d.name !== 'chunks').map((d) => `${ack.name}/${d.name}`);
  const names = [...Object.keys(pkg.exports).filter((k) => k !== './package.json').map((k) => k.replace(/^\./, 'kubeloop')), ack.name, ...ackEntries];
  // `.name` of every exported function and class, by `<entry>:<export>`
  const script = `const out = {}; for (const n of ${JSON.stringify(names)}) for (const [k, v] of Object.entries(await import(n))) if (typeof v === 'function') out[n + ':' + k] = v.name; console.log(JSON.stringify(out));`;
  const bundled = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: root, encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });
  assert.equal(bundled.status, 0, bundled.stderr);
  // this process runs with the tests' condition: the same names mean tsc's files
  const unbundled = spawnSync(process.execPath, ['--conditions=kubeloop-unbundled', '--input-type=module', '-e', script], { cwd: root, encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });
  assert.equal(unbundled.status, 0, unbundled.stderr);
  const want = JSON.parse(unbundled.stdout) as Record<string, string>;
  assert.ok(Object.keys(want).length > 200, `${Object.keys(want).length} exported functions and classes`);
  assert.deepEqual(JSON.parse(bundled.stdout), want);
});

test('scripts/bundle-packages.mjs: builds from package.json\'s entries, refuses a stale bundle and a mismatched export', () => {
  const work = mkdtempSync(join(tmpdir(), 'kubeloop-bundle-'));
  const write = (file: string, text: string) => {
    mkdirSync(dirname(join(work, file)), { recursive: true });
    writeFileSync(join(work, file), text);
  };
  try {
    cpSync(join(root, 'scripts/bundle-packages.mjs'), join(work, 'scripts/bundle-packages.mjs'));
    symlinkSync(join(root, 'node_modules'), join(work, 'node_modules'), 'dir'); // esbuild
    const entry = (file: string) => ({ types: `./${file}.d.ts`, 'kubeloop-unbundled': `./dist/src/${file}.js`, default: `./dist/bundle/${file}.js` });
    const framework = { name: 'kubeloop', type: 'module', bin: { kubeloop: 'dist/bundle/cli/main.js' }, exports: { '.': entry('index'), './testing': entry('testing/index') } };
    write('package.json', JSON.stringify(framework));
    write('dist/src/shared.js', 'export const registry = new Map();\n');
    write('dist/src/index.js', "export { registry } from './shared.js';\n");
    write('dist/src/testing/index.js', "import { registry } from '../shared.js';\nexport const size = () => registry.size;\n");
    write('dist/src/cli/main.js', "#!/usr/bin/env node\nimport { registry } from '../shared.js';\nconst { later } = await import('./later.js');\nconsole.log(registry.size, later);\n");
    write('dist/src/cli/later.js', "export const later = 'lazy';\n");
    write('controllers/package.json', JSON.stringify({
      name: '@kubeloop/ack', type: 'module', kubeloop: { cliExtension: './dist/bundle/cli/index.js' },
      exports: { '.': { 'kubeloop-unbundled': './dist/index.js', default: './dist/bundle/index.js' }, './*': { 'kubeloop-unbundled': './dist/*/index.js', default: './dist/bundle/*/index.js' } },
    }));
    write('controllers/dist/index.js', "export { registry } from 'kubeloop';\n");
    write('controllers/dist/cli/index.js', "export { size } from 'kubeloop/testing';\n");
    write('controllers/dist/console/panels.js', 'export {};\n');
    const script = (...args: string[]) => spawnSync(process.execPath, [join(work, 'scripts/bundle-packages.mjs'), ...args], { cwd: work, encoding: 'utf8' });

    assert.match(script('--check').stderr, /kubeloop: dist\/bundle is not built[\s\S]*run `npm run build`/);
    assert.equal(script().status, 0);
    assert.equal(script('--check').status, 0, 'current after a build');
    for (const f of ['dist/bundle/index.js', 'dist/bundle/testing/index.js', 'dist/bundle/cli/main.js', 'controllers/dist/bundle/index.js', 'controllers/dist/bundle/cli/index.js']) {
      assert.ok(readFileSync(join(work, f), 'utf8').length > 0, `${f} built`);
    }
    const framed = filesUnder(join(work, 'dist/bundle'), '.js').filter((f) => readFileSync(f, 'utf8').includes('new Map()'));
    assert.equal(framed.length, 1, 'the shared module is in one chunk');
    assert.ok(filesUnder(join(work, 'dist/bundle'), '.js').some((f) => readFileSync(f, 'utf8').includes("'lazy'") || readFileSync(f, 'utf8').includes('"lazy"')), 'the dynamic import is a chunk of its own');
    assert.doesNotMatch(readFileSync(join(work, 'dist/bundle/cli/main.js'), 'utf8'), /"lazy"/, 'and not in the entry');
    assert.match(readFileSync(join(work, 'controllers/dist/bundle/index.js'), 'utf8'), /from "kubeloop"/, 'the ACK bundle imports the framework by name');
    const run = spawnSync(process.execPath, [join(work, 'dist/bundle/cli/main.js')], { encoding: 'utf8' });
    assert.equal(run.stdout.trim(), '0 lazy', run.stderr);

    // the console panels (built after the bundles) are not bundle input
    const at = (file: string, secondsFromNow: number) => utimesSync(join(work, file), new Date(Date.now() + secondsFromNow * 1000), new Date(Date.now() + secondsFromNow * 1000));
    at('controllers/dist/console/panels.js', 60);
    assert.equal(script('--check').status, 0, 'the ACK console panels are not bundle input');
    // tsc emitted a module after the bundle was built (a plain `tsc -b`): stale until rebuilt
    for (const f of ['scripts/bundle-packages.mjs', ...filesUnder(join(work, 'dist/src'), '.js').map((f) => relative(work, f))]) at(f, -120);
    at('dist/bundle/.bundled', -60);
    at('dist/src/shared.js', -30);
    const stale = script('--check');
    assert.equal(stale.status, 1);
    assert.match(stale.stderr, /kubeloop: dist\/bundle is older than tsc's dist\/src\/shared\.js/);
    assert.match(stale.stderr, /run `npm run build` \(plain `tsc -b` does not bundle\)/);
    assert.equal(script().status, 0, 'rebuilt because stale');
    assert.equal(script('--check').status, 0);

    // an entry added to package.json makes the bundle stale; one whose default is not its twin's bundle is refused
    write('package.json', JSON.stringify({ ...framework, exports: { ...framework.exports, './later': entry('cli/later') } }));
    assert.match(script('--check').stderr, /package\.json \(or this script\) names other entry points than dist\/bundle was built for/);
    // kubeloop.scripts: a module also built as one CommonJS script (the API server thread's), run as such
    write('package.json', JSON.stringify({ ...framework, kubeloop: { scripts: ['dist/bundle/cli/later.cjs'] } }));
    assert.match(script('--check').stderr, /names other entry points/, 'a script added: stale');
    assert.equal(script().status, 0);
    const required = spawnSync(process.execPath, ['-e', `console.log(require(${JSON.stringify(join(work, 'dist/bundle/cli/later.cjs'))}).later)`], { encoding: 'utf8' });
    assert.equal(required.stdout.trim(), 'lazy', required.stderr);
    write('package.json', JSON.stringify({ ...framework, kubeloop: { scripts: ['dist/bundle/cli/later.js'] } }));
    assert.match(script().stderr, /kubeloop\.scripts: dist\/bundle\/cli\/later\.js is not a \.cjs file in dist\/bundle\//);
    write('package.json', JSON.stringify({ ...framework, exports: { ...framework.exports, './later': { ...entry('cli/later'), default: './dist/bundle/cli/other.js' } } }));
    const bad = script();
    assert.notEqual(bad.status, 0);
    assert.match(bad.stderr, /exports\["\.\/later"\]: "default" \.\/dist\/bundle\/cli\/other\.js is not the bundle of "kubeloop-unbundled" \.\/dist\/src\/cli\/later\.js/);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});
