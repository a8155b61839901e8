#!/usr/bin/env node
// Builds the console page of `kubeloop dev` (src/console/app -> dist/console) and the console
// panels of the @kubeloop/ack extension (controllers/console -> controllers/dist/console), after
// type-checking both with tsc. The page is Preact, bundled by esbuild (tsc builds the rest of the
// project: it is not browser code). One ES module per shared library, named by the page's
// import map, so extension modules use the page's preact and kubeloop-console instead of copies.
// Usage: node scripts/build-console.mjs [--framework]   (--framework: the page only, for npm pack)
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const frameworkOnly = process.argv.includes('--framework');
const require = createRequire(import.meta.url);

// the import map of src/console/app/index.html: bare name -> file in dist/console
const shared = {
  preact: { out: 'preact', contents: "export * from 'preact';" },
  'preact/hooks': { out: 'preact-hooks', contents: "export * from 'preact/hooks';" },
  'preact/jsx-runtime': { out: 'preact-jsx-runtime', contents: "export * from 'preact/jsx-runtime';" },
};
const mapped = [...Object.keys(shared), 'kubeloop-console'];

const typecheck = (project) => {
  const tsc = join(dirname(require.resolve('typescript/package.json')), 'bin', 'tsc');
  const r = spawnSync(process.execPath, [tsc, '-p', project], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
};

// exact names only: esbuild's own `external: ['preact']` would also take 'preact/hooks'
const externals = (names) => ({
  name: 'import-map',
  setup(b) {
    b.onResolve({ filter: /^(preact|kubeloop-console)(\/.*)?$/ }, (a) => (names.includes(a.path) ? { path: a.path, external: true } : undefined));
  },
});

const common = { bundle: true, format: 'esm', target: 'es2022', minify: true, jsx: 'automatic', jsxImportSource: 'preact', logLevel: 'warning', legalComments: 'none' };

typecheck('src/console/app');
const out = join(root, 'dist/console');
mkdirSync(out, { recursive: true });
for (const [name, s] of Object.entries(shared)) {
  await build({ ...common, stdin: { contents: s.contents, resolveDir: root, loader: 'js' }, outfile: join(out, `${s.out}.js`), plugins: [externals(mapped.filter((m) => m !== name))] });
}
for (const entry of ['sdk.ts', 'main.tsx']) {
  await build({ ...common, entryPoints: [join(root, 'src/console/app', entry)], outfile: join(out, entry.replace(/\.tsx?$/, '.js')), plugins: [externals(mapped)] });
}
for (const f of ['index.html', 'style.css']) copyFileSync(join(root, 'src/console/app', f), join(out, f));

if (!frameworkOnly && existsSync(join(root, 'controllers/console'))) {
  typecheck('controllers/console');
  await build({ ...common, entryPoints: [join(root, 'controllers/console/panels.tsx')], outfile: join(root, 'controllers/dist/console/panels.js'), plugins: [externals(mapped)] });
}
