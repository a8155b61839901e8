// What can be checked of the container image without docker: the Dockerfile agrees with the
// package and the chart, its build context holds what it copies, and the program it runs
// (the bundles of scripts/bundle-packages.mjs: dist/bundle/cli/main.js and the @kubeloop/ack CLI
// extension it loads, controllers/dist/bundle/cli/index.js) needs nothing outside the copied
// folders and each package's production dependencies.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { chartDefaults, root } from './harness.js';

const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const ackPkg = JSON.parse(readFileSync(join(root, 'controllers/package.json'), 'utf8'));

/** Instructions, continuation lines joined, comments dropped. */
function instructions(): Array<[string, string]> {
  return dockerfile.replace(/\\\n/g, ' ').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'))
    .map((l) => { const i = l.indexOf(' '); return [l.slice(0, i).toUpperCase(), l.slice(i + 1).trim()] as [string, string]; });
}

/** .dockerignore as a predicate (Docker's rules: patterns in order, `!` re-includes, `**` any depth). */
function ignored(): (path: string) => boolean {
  const rules = readFileSync(join(root, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'))
    .map((p) => {
      const negate = p.startsWith('!');
      const glob = (negate ? p.slice(1) : p).replace(/^\//, '').replace(/\/$/, '');
      const re = new RegExp(`^${glob.split('**/').map((part) => part.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]')).join('(?:.*/)?')}(?:/.*)?$`);
      return { negate, re };
    });
  return (path) => rules.reduce((out, r) => (r.re.test(path) ? !r.negate : out), false);
}

test('the Dockerfile: multi-stage node:20-slim, npm ci, --omit=dev runtime, uid 65532 as in the chart, the package\'s entry point', () => {
  const ins = instructions();
  const from = ins.filter(([i]) => i === 'FROM').map(([, a]) => a);
  assert.equal(from.length, 3, 'build, deps and runtime stages');
  assert.match(dockerfile, /^ARG NODE_IMAGE=node:20-slim$/m);
  assert.ok(pkg.engines.node.startsWith('>=20'), 'node 20 satisfies the package engines');
  const runs = ins.filter(([i]) => i === 'RUN').map(([, a]) => a);
  assert.ok(runs.some((r) => r.startsWith('npm ci ') && !r.includes('--omit=dev')), 'the build stage installs dev dependencies');
  assert.ok(runs.includes('npm run build:packages'), 'builds both packages (the e2e suites are not in the context)');
  assert.equal(pkg.scripts['build:packages'], 'tsc -b src controllers && node scripts/bundle-deps.mjs && node scripts/bundle-packages.mjs && node scripts/build-console.mjs', 'both packages, the one-module bundles of inversify and rxjs, the packages\' bundles, and the console page with its panels');
  assert.ok(runs.some((r) => r.startsWith('npm ci --omit=dev')), 'the runtime gets production dependencies only');
  const user = ins.filter(([i]) => i === 'USER').map(([, a]) => a);
  const values = chartDefaults() as { podSecurityContext: { runAsUser: number; runAsGroup: number } };
  assert.deepEqual(user, [`${values.podSecurityContext.runAsUser}:${values.podSecurityContext.runAsGroup}`]);
  const entry = JSON.parse(ins.find(([i]) => i === 'ENTRYPOINT')![1]);
  assert.deepEqual(entry, ['node', pkg.bin.kubeloop]);
  assert.deepEqual(JSON.parse(ins.find(([i]) => i === 'CMD')![1]), ['run', 'all']);
});

test('everything the Dockerfile copies from the build context is there and not excluded by .dockerignore', () => {
  const isIgnored = ignored();
  // sanity of the matcher itself
  assert.ok(isIgnored('node_modules/x/index.js') && isIgnored('src/api/gvk.test.ts') && isIgnored('README.md') && !isIgnored('src/api/index.ts'));
  const sources = instructions().filter(([i, a]) => i === 'COPY' && !a.startsWith('--from'))
    .flatMap(([, a]) => a.split(/\s+/).slice(0, -1)).filter((s) => !s.includes('*'));
  assert.deepEqual(sources.sort(), [
    'controllers', 'controllers/package.json', 'controllers/package.json', 'controllers/package.json', 'package-lock.json', 'package.json', 'package.json', 'package.json',
    'package-lock.json', 'src', 'tsconfig.base.json', 'tsconfig.json', 'LICENSE', 'scripts/build-console.mjs', 'scripts/bundle-deps.mjs', 'scripts/bundle-packages.mjs',
  ].sort());
  for (const s of new Set(sources)) {
    assert.ok(existsSync(join(root, s)), `${s} exists`);
    assert.ok(!isIgnored(s), `${s} is in the build context`);
  }
  assert.ok(isIgnored('dist/src/cli/main.js') && isIgnored('controllers/dist/index.js') && isIgnored('e2e/chart/harness.ts') && isIgnored('.git/HEAD'), 'build output, tests and history stay out of the context');
  assert.ok(!isIgnored('src/apiserver/openapi/kubernetes-v1.32/swagger.json.gz'), 'the OpenAPI documents are in the context');
  assert.match(dockerfile, /^COPY --from=build \/src\/src\/apiserver\/openapi\/kubernetes-v1\.32 \.\/src\/apiserver\/openapi\/kubernetes-v1\.32$/m, 'and in the image, where the server looks for them');
  assert.match(dockerfile, /^COPY --from=build \/src\/dist\/console \.\/dist\/console$/m, 'the console page is in the image beside dist/bundle, where its server looks for it');
  assert.match(dockerfile, /^COPY --from=build \/src\/controllers\/dist\/console \.\/controllers\/dist\/console$/m, 'and the ACK extension\'s console panels beside its bundle');
});

test('the program in the image needs only the bundles, dist/bundle and controllers/dist/bundle, and each package\'s production dependencies', () => {
  const entries = [join(root, pkg.bin.kubeloop), join(root, 'controllers', ackPkg.kubeloop.cliExtension)];
  const copied = [join(root, 'dist/bundle'), join(root, 'controllers/dist/bundle')];
  for (const c of copied) assert.match(dockerfile, new RegExp(`^COPY --from=build /src/${relative(root, c)} \\./${relative(root, c)}$`, 'm'), `the image has ${relative(root, c)}`);
  const seen = new Set<string>();
  const bare = { src: new Set<string>(), controllers: new Set<string>() };
  const outside: string[] = [];
  const walk = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const owner = file.startsWith(join(root, 'controllers') + '/') ? 'controllers' : 'src';
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:^|[\s;])(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|^import\s+['"]([^'"]+)['"]/gm)) {
      const spec = m[1] ?? m[2] ?? m[3];
      if (spec.startsWith('.')) {
        const target = resolve(dirname(file), spec);
        if (!copied.some((c) => target.startsWith(c + '/'))) outside.push(`${relative(root, file)} -> ${spec}`);
        else if (existsSync(target)) walk(target);
      } else if (!spec.startsWith('node:') && !builtinModules.includes(spec)) {
        bare[owner].add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]);
      }
    }
  };
  for (const e of entries) {
    assert.ok(existsSync(e), `${e} is built`);
    walk(e);
  }
  assert.ok(seen.size > 20, `followed ${seen.size} modules`);
  assert.deepEqual(outside, [], 'imports outside the folders the image copies');
  assert.deepEqual([...bare.src].filter((b) => !(b in pkg.dependencies)).sort(), [], 'the framework imports, at run time, a package that is not its production dependency');
  assert.deepEqual([...bare.controllers].filter((b) => !(b in ackPkg.dependencies)).sort(), [], '@kubeloop/ack imports, at run time, a package that is not its production dependency');
  assert.ok(bare.controllers.has('kubeloop') && !bare.src.has('@kubeloop/ack'), 'the ACK package uses the framework package, never the reverse');
});
