#!/usr/bin/env node
// Replaces tsc's re-export modules of two dependencies with one esbuild bundle each, of the same
// exports, so that every process importing the framework loads them fast (Node 20 has no
// compile cache, and its ES module loader costs ~0.5 ms of CPU per module):
//   dist/src/controller/inversify.js  inversify: ~250 ES modules, ~150 ms -> ~15 ms
//                                     (src/controller/inversify.ts)
//   dist/src/rx/index.js              rxjs: its Node entry is CommonJS requiring all of RxJS,
//                                     ~220 modules, ~90 ms -> ~25 ms, from RxJS's ES module
//                                     build (tree-shaken) (src/rx/index.ts)
//   controllers/dist/vendor/*.cjs     for @kubeloop/ack (controllers/cloud/vendor.ts), CommonJS
//                                     packages as one CommonJS file each: yaml.cjs (its Node build,
//                                     44 files, ~38 ms -> ~8 ms), pop-core-rpc.cjs (pop-core's RPC
//                                     client with httpx, kitx, json-bigint: ~26 -> ~14 ms)
// reflect-metadata stays external: one metadata store per process. inversify imports
// `reflect-metadata/lite`: the bundle requires it first thing instead (a banner), where the hoisted
// import ran it, from the same file (Node 20 scans a CommonJS package imported from an ES module
// for its export names: ~5 ms of every start for ReflectLite.js). Run after tsc (npm run build,
// build:packages, prepack); a module tsc did not re-emit is left as bundled before.
// Usage: node scripts/bundle-deps.mjs
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(root, 'package.json'));
const MARK = 'bundled by scripts/bundle-deps.mjs';
const bundles = [
  { out: 'dist/src/controller/inversify.js', pkg: 'inversify', source: 'src/controller/inversify.ts', reflectLite: true },
  // RxJS's ES2015 module build (what its `es2015` export condition names), which esbuild can
  // tree-shake: Node's `node` condition would give the CommonJS build
  { out: 'dist/src/rx/index.js', pkg: 'rxjs', source: 'src/rx/index.ts', entry: (require) => join(dirname(require.resolve('rxjs/package.json')), 'dist', 'esm', 'index.js') },
];

/** `import 'reflect-metadata/lite'` (a side effect only) becomes this require at the top of the bundle. */
const REQUIRE_REFLECT_LITE = "import { createRequire as __kubeloopRequire } from 'node:module';\n__kubeloopRequire(import.meta.url)('reflect-metadata/lite');";
/** The plugin that takes the import out (the bundle's entry says it has one: `reflectLite`), and whether it saw it. */
const requiredReflectMetadata = () => {
  const found = { seen: false };
  const plugin = {
    name: 'required-reflect-metadata',
    setup(b) {
      b.onResolve({ filter: /^reflect-metadata\/lite$/ }, () => {
        found.seen = true;
        return { path: 'reflect-metadata/lite', namespace: 'required-in-banner' };
      });
      b.onLoad({ filter: /.*/, namespace: 'required-in-banner' }, () => ({ contents: '', loader: 'js' }));
    },
  };
  return { plugin, found };
};

for (const b of bundles) {
  const out = join(root, b.out);
  // the names tsc's output re-exports (types vanish), so the bundle exports exactly those
  const tscOutput = readFileSync(out, 'utf8');
  const m = new RegExp(`export\\s*{([^}]*)}\\s*from\\s*['"]${b.pkg}['"]`).exec(tscOutput);
  if (!m) {
    if (tscOutput.includes(MARK)) continue; // bundled before; tsc did not re-emit it
    throw new Error(`${b.out}: not tsc's re-export of '${b.pkg}'`);
  }
  const names = m[1].split(',').map((s) => s.trim()).filter(Boolean);
  const reflectLite = requiredReflectMetadata();
  await build({
    stdin: { contents: `export { ${names.join(', ')} } from '${b.pkg}';`, resolveDir: root, sourcefile: `${b.pkg}-entry.js` },
    bundle: true, format: 'esm', platform: 'node', target: 'node20', outfile: out, logLevel: 'warning',
    ...(b.entry ? { alias: { [b.pkg]: b.entry(require) } } : {}),
    external: ['reflect-metadata', 'reflect-metadata/*'],
    plugins: [reflectLite.plugin],
    minifyWhitespace: true, minifySyntax: true, legalComments: 'inline',
    banner: { js: `// ${b.pkg} (see its license in node_modules/${b.pkg}), ${MARK} from the installed package: see ${b.source}${b.reflectLite ? `\n${REQUIRE_REFLECT_LITE}` : ''}` },
  });
  if (reflectLite.found.seen !== !!b.reflectLite) throw new Error(`${b.pkg} ${reflectLite.found.seen ? 'imports' : 'no longer imports'} reflect-metadata/lite: set reflectLite in scripts/bundle-deps.mjs to match`);
}

// @kubeloop/ack's vendored CommonJS dependencies: the same modules in one CommonJS file each (Node's
// built-ins stay requires), resolved as the controllers resolve them; rebuilt every run, so they are
// the installed versions
const ackRequire = createRequire(join(root, 'controllers', 'package.json'));
for (const v of [
  { file: 'yaml.cjs', pkg: 'yaml', entry: 'yaml' },
  { file: 'pop-core-rpc.cjs', pkg: '@alicloud/pop-core', entry: '@alicloud/pop-core/lib/rpc.js' },
]) {
  await build({
    entryPoints: [ackRequire.resolve(v.entry)], bundle: true, format: 'cjs', platform: 'node', target: 'node20',
    outfile: join(root, 'controllers', 'dist', 'vendor', v.file), logLevel: 'warning', legalComments: 'inline',
    banner: { js: `// ${v.entry} (see its license in node_modules/${v.pkg}), ${MARK} from the installed package: see controllers/cloud/vendor.ts` },
  });
}
