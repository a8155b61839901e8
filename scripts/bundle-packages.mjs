#!/usr/bin/env node
// Bundles each package's entry points (what package.json's `exports`, `bin` and
// `kubeloop.cliExtension` name) from tsc's per-file output into a few ES modules, so that a
// process loads the framework in ~20 modules instead of ~300 (Node 20 has no compile cache, and
// its ES module loader costs ~0.5 ms of CPU per module; `kubeloop dev` loaded ~340):
//   kubeloop        dist/src/{index,testing/index,apiserver/index,simcluster/index,cli/index,
//                   cli/main}.js          -> dist/bundle/...   (one build)
//   @kubeloop/ack   controllers/dist/{index,*/index}.js -> controllers/dist/bundle/...
//                   (one build; `kubeloop` and `kubeloop/*` stay imports, so the extension uses
//                   the framework's bundle)
// One esbuild build per package with code splitting: every entry of a package shares its chunks,
// so each module (registries such as definedCustomResources, classes checked with instanceof)
// exists once per process whichever entries are imported, and a dynamic import() stays a lazy
// chunk (`kubeloop dev` loads dev-start.ts only when it runs). npm dependencies stay imports
// (packages: 'external'), except the one-module bundles of inversify and rxjs that
// scripts/bundle-deps.mjs already put in dist/src. Source maps follow tsc's maps back to src/*.ts.
// Classes keep their names (`.name`: error messages, logs, util.inspect): esbuild turns top-level
// classes into `var X = class _X` (a class that names itself) or `class X2` (tsc's decorated
// `let X = class X`), so each top-level class of tsc's output gets a static block that sets its
// name — what esbuild's keepNames does for classes, without keepNames' defineProperty on every
// closure a function creates (~1 us per call on hot paths).
//
// package.json names both outputs: `"default"` is the bundle (what `import 'kubeloop'`, the bin
// and the image load), `"kubeloop-unbundled"` is tsc's file of the same entry. The repository's
// tests run with `--conditions=kubeloop-unbundled` (scripts/run-tests.mjs): they import framework
// files by relative path, so the package name must resolve to the same files there, or a process
// would hold two copies. Each entry's pair is read from package.json and checked here: an export
// whose `default` is not the bundle of its `kubeloop-unbundled` file is an error.
//
// Run after tsc and scripts/bundle-deps.mjs (npm run build, build:packages, prepack). A bundle is
// rebuilt only when it is stale: older than a module of tsc's output (or than this script), or
// built for other entries than package.json names now; so `npm pack` in a built checkout leaves
// the bundles that running tests use alone. `--check` builds nothing and fails when one is stale
// (scripts/run-tests.mjs and `npm run bench` check): after a plain `tsc -b`, which does not
// bundle, the CLI would run the old code.
// Usage: node scripts/bundle-packages.mjs [--framework] [--check]
//   --framework: `kubeloop` only (npm pack)    --check: exit 1 saying what to run when stale
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const CONDITION = 'kubeloop-unbundled';
/** The stamp each build leaves in its output folder: the entries it built; its time says when. */
export const STAMP = '.bundled';

/** The two packages: where tsc writes, where the bundle goes. */
export const PACKAGES = [
  { name: 'kubeloop', dir: '.', tsc: 'dist/src', out: 'dist/bundle' },
  // dist/console: its browser panels (scripts/build-console.mjs), not part of the bundle
  { name: '@kubeloop/ack', dir: 'controllers', tsc: 'dist', out: 'dist/bundle', notInput: ['dist/console'] },
];

const posix = (p) => p.split('\\').join('/');
const strip = (p) => posix(p).replace(/^\.\//, '');

/**
 * The entries of one package: `{ in, out }` paths relative to the package directory, from its
 * exports (each `default` with its `kubeloop-unbundled` twin; a `*` pattern expands to every tsc
 * folder with an index.js), its bin and its CLI extension (bundle paths mapped back to tsc's).
 */
export function entriesOf(p) {
  const dir = join(root, p.dir);
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const toTsc = (bundled) => {
    const b = strip(bundled);
    if (!b.startsWith(`${p.out}/`)) throw new Error(`${p.name}: ${bundled} is not in ${p.out}/, where its bundle is built`);
    return `${p.tsc}/${b.slice(p.out.length + 1)}`;
  };
  const entries = new Map(); // out -> in
  const add = (out, input) => {
    if (!existsSync(join(dir, input))) throw new Error(`${p.name}: ${input} is missing (run tsc first: npm run build)`);
    entries.set(strip(out), strip(input));
  };
  for (const [subpath, target] of Object.entries(pkg.exports ?? {})) {
    if (typeof target === 'string') continue; // ./package.json
    const bundled = target.default;
    const unbundled = target[CONDITION];
    if (!bundled || !unbundled) throw new Error(`${p.name}: exports["${subpath}"] needs both "default" (the bundle) and "${CONDITION}" (tsc's file)`);
    if (toTsc(bundled) !== strip(unbundled)) throw new Error(`${p.name}: exports["${subpath}"]: "default" ${bundled} is not the bundle of "${CONDITION}" ${unbundled}`);
    if (!bundled.includes('*')) { add(bundled, unbundled); continue; }
    // "./*": every folder of tsc's output with the file the pattern names (the bundle folder aside)
    const [before, after] = strip(unbundled).split('*');
    for (const name of readdirSync(join(dir, before))) {
      const input = `${before}${name}${after}`;
      if (`${before}${name}` !== p.out && existsSync(join(dir, input))) add(strip(bundled).replace('*', name), input);
    }
  }
  for (const bin of Object.values(typeof pkg.bin === 'string' ? { [pkg.name]: pkg.bin } : (pkg.bin ?? {}))) add(bin, toTsc(bin));
  const ext = pkg.kubeloop?.cliExtension;
  if (ext) add(ext, toTsc(ext));
  return [...entries].map(([out, input]) => ({ in: input, out }));
}

/**
 * The modules of package `p` also built as one self-contained CommonJS script each (see SCRIPTS
 * below): package.json's `kubeloop.scripts`, each a path of the bundle folder ending in `.cjs`,
 * built from tsc's file of the same path (`dist/bundle/apiserver/worker-main.cjs` from
 * `dist/src/apiserver/worker-main.js`).
 */
export function scriptsOf(p) {
  const dir = join(root, p.dir);
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  return (pkg.kubeloop?.scripts ?? []).map((out) => {
    const o = strip(out);
    if (!o.startsWith(`${p.out}/`) || !o.endsWith('.cjs')) throw new Error(`${p.name}: kubeloop.scripts: ${out} is not a .cjs file in ${p.out}/`);
    const input = `${p.tsc}/${o.slice(p.out.length + 1, -'.cjs'.length)}.js`;
    if (!existsSync(join(dir, input))) throw new Error(`${p.name}: ${input} is missing (run tsc first: npm run build)`);
    return { in: input, out: o };
  });
}

// Names esbuild changes. It renames a top-level declaration that another module of the same chunk
// (or a global another module uses) also names (`parseDuration2`), and turns a top-level class
// into `var X = class _X` when the class names itself, or `class X2` for tsc's decorated
// `let X = class X`: their `.name` (error messages, logs, util.inspect) would differ from the
// source's. A first build finds them; the real build gives each such class a static block and
// each such function a statement that set the name as written — what esbuild's keepNames does,
// for these only (keepNames names every closure a function creates: ~1 us per call on hot paths).
// tsc's top-level classes: `export class X extends Y {`, or `let X = class X {` (decorated); its functions
const CLASS_IN = /^(?:export (?:default )?)?class ([A-Za-z_$][\w$]*)\b[^\n{]*\{|^(?:export )?(?:let|var|const) ([A-Za-z_$][\w$]*) = class \2\b[^\n{]*\{/gm;
const FUNCTION_IN = /^(?:export (?:default )?)?(?:async )?function\*? ?([A-Za-z_$][\w$]*)\(/gm;
// esbuild's: `var X = class _X` (the runtime name is the class's own, else the variable's), `class X`
const CLASS_OUT = /^var ([A-Za-z_$][\w$]*) = class(?: ([A-Za-z_$][\w$]*))?\b|^class ([A-Za-z_$][\w$]*)\b/gm;
const FUNCTION_OUT = /^(?:async )?function\*? ?([A-Za-z_$][\w$]*)\(/gm;
const classNameIn = (m) => m[1] ?? m[2];
const classNameOut = (m) => m[2] ?? m[1] ?? m[3];

// and in a CommonJS script, a lazily run module's (esbuild's `__esm`): `  X = class _X` (declared `var X;` above)
const LAZY_CLASS_OUT = /^\s+([A-Za-z_$][\w$]*) = class(?: ([A-Za-z_$][\w$]*))?\b/gm;

/** The runtime names of the top-level classes and functions these texts declare: { classes, functions }. */
function declaredNames(texts, out, lazy = false) {
  const classes = new Set();
  const functions = new Set();
  for (const text of texts) {
    for (const m of text.matchAll(out ? CLASS_OUT : CLASS_IN)) classes.add((out ? classNameOut : classNameIn)(m));
    if (out && lazy) for (const m of text.matchAll(LAZY_CLASS_OUT)) classes.add(classNameOut(m));
    for (const m of text.matchAll(out ? FUNCTION_OUT : FUNCTION_IN)) functions.add(m[1]);
  }
  return { classes, functions };
}

/** The source names whose declarations the bundle `outputs` (texts) renamed, given the source's names. */
function renamed(outputs, source, lazy = false) {
  const out = declaredNames(outputs, true, lazy);
  const original = (name, names) => [name.replace(/^_/, ''), name.replace(/\d+$/, '')].find((n) => n !== name && names.has(n));
  const pick = (names, known) => new Set([...names].filter((n) => !known.has(n)).map((n) => original(n, known)).filter(Boolean));
  return { classes: pick(out.classes, source.classes), functions: pick(out.functions, source.functions) };
}

/** The esbuild plugin that gives the classes and functions named in `names` their source names, in tsc's files under `dir`. */
const keepNames = (dir, names) => ({
  name: 'keep-names',
  setup(b) {
    b.onLoad({ filter: /\.js$/ }, (args) => {
      if (!args.path.startsWith(dir + sep)) return undefined;
      const text = readFileSync(args.path, 'utf8');
      const setName = (target, name) => `Object.defineProperty(${target}, "name", { value: ${JSON.stringify(name)}, configurable: true });`;
      let named = text.replace(CLASS_IN, (header, a, b) => (names.classes.has(a ?? b) ? `${header} static { ${setName('this', a ?? b)} }` : header));
      const functions = [...text.matchAll(FUNCTION_IN)].map((m) => m[1]).filter((n) => names.functions.has(n));
      // after the module's statements (declarations are hoisted), before its sourceMappingURL comment
      if (functions.length) named = named.replace(/(\n\/\/# sourceMappingURL=[^\n]*\n?)?$/, (tail) => `\n${functions.map((n) => setName(n, n)).join('\n')}${tail || '\n'}`);
      return { contents: named, loader: 'js' };
    });
  },
});

const describe = (entries, scripts = []) => `${[...entries, ...scripts].map((e) => `${e.in} -> ${e.out}`).join('\n')}\n`;

/** The newest compiled module under `dir` (tests and the folders in `skip` aside): [mtimeMs, path]. */
function newest(dir, skip) {
  const skipped = new Set(skip);
  let best = [0, ''];
  const walk = (d) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      const st = statSync(p);
      if (st.isDirectory()) {
        if (!skipped.has(p)) walk(p);
      } else if (name.endsWith('.js') && !name.endsWith('.test.js') && st.mtimeMs > best[0]) best = [st.mtimeMs, p];
    }
  };
  walk(dir);
  return best;
}

/** Why package `p`'s bundle is stale, or undefined when it is current. */
function staleness(p) {
  const dir = join(root, p.dir);
  const stamp = join(dir, p.out, STAMP);
  if (!existsSync(stamp)) return `${p.name}: ${join(p.dir, p.out)} is not built`;
  let entries;
  try {
    entries = describe(entriesOf(p), scriptsOf(p));
  } catch (err) {
    return err.message;
  }
  if (readFileSync(stamp, 'utf8') !== entries) return `${p.name}: package.json (or this script) names other entry points than ${join(p.dir, p.out)} was built for`;
  const built = statSync(stamp).mtimeMs;
  const [mtime, file] = newest(join(dir, p.tsc), [p.out, ...(p.notInput ?? [])].map((d) => join(dir, d)));
  if (mtime > built) return `${p.name}: ${join(p.dir, p.out)} is older than tsc's ${relative(root, file)}`;
  if (statSync(fileURLToPath(import.meta.url)).mtimeMs > built) return `${p.name}: ${join(p.dir, p.out)} is older than scripts/bundle-packages.mjs`;
  return undefined;
}

/** Why the bundles are stale: [] when every package's bundle is current. */
export function staleBundles(packages = PACKAGES) {
  return packages.flatMap((p) => staleness(p) ?? []);
}

/** The message that says what to run. */
export const STALE_HINT = 'The package bundles are stale: run `npm run build` (plain `tsc -b` does not bundle).';

async function bundle(p) {
  const dir = join(root, p.dir);
  const outdir = join(dir, p.out);
  const entries = entriesOf(p);
  rmSync(outdir, { recursive: true, force: true }); // no chunk of an earlier build stays behind
  // imported here: --check (run before every test run and benchmark) needs no bundler
  const { build } = await import('esbuild');
  const tscDir = join(dir, p.tsc);
  const options = {
    absWorkingDir: dir,
    entryPoints: entries.map((e) => ({ in: e.in, out: relative(p.out, e.out).replace(/\.js$/, '') })),
    outdir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    chunkNames: 'chunks/[name]-[hash]',
    // tsc's maps are read from each file's sourceMappingURL, so positions and names are src/*.ts's
    sourcemap: 'linked',
    sourcesContent: false,
    legalComments: 'inline',
    logLevel: 'warning',
    banner: { js: `// ${p.name}: bundled by scripts/bundle-packages.mjs from tsc's output (${posix(join(p.dir, p.tsc))})` },
  };
  const texts = (result) => result.outputFiles.filter((f) => f.path.endsWith('.js')).map((f) => f.text);
  const inputs = [];
  const collect = { name: 'collect', setup(b) { b.onLoad({ filter: /\.js$/ }, (args) => { if (args.path.startsWith(tscDir + sep)) inputs.push(readFileSync(args.path, 'utf8')); return undefined; }); } };
  const first = await build({ ...options, write: false, plugins: [collect] });
  const source = declaredNames(inputs, false);
  const names = renamed(texts(first), source);
  const result = await build({ ...options, write: false, plugins: [keepNames(tscDir, names)] });
  // the names set here are the source's; whatever is still renamed would be a declaration the patterns miss
  const left = renamed(texts(result), source);
  left.classes.forEach((n) => { if (!names.classes.has(n)) throw new Error(`${p.name}: esbuild renamed class ${n}, which ${CLASS_IN} does not find`); });
  left.functions.forEach((n) => { if (!names.functions.has(n)) throw new Error(`${p.name}: esbuild renamed function ${n}, which ${FUNCTION_IN} does not find`); });
  const outputs = [...result.outputFiles];
  const scripts = scriptsOf(p);
  for (const script of scripts) outputs.push(...await buildScript(options, script, tscDir, source, names));
  for (const f of outputs) {
    mkdirSync(dirname(f.path), { recursive: true });
    writeFileSync(f.path, f.contents);
  }
  writeFileSync(join(outdir, STAMP), describe(entries, scripts));
}

// SCRIPTS. The API server's thread on Node 20 runs its server as one classic script through
// vm.Script with V8's code cache (src/apiserver/worker.ts, src/apiserver/codecache): Node 20
// keeps no compiled code of ES modules. The script is the module with everything it imports
// from the package (npm packages stay require()s: the same files, loaded as the ES modules load
// them, in their own strictness), as CommonJS, in strict mode as the ES modules are:
// - `import.meta.url` is the script's own file URL (its folder is as deep in the package as the
//   chunks', so paths found from it are the same); any other `import.meta` is an error here;
// - a dynamic import() of the package's own modules becomes a lazily run part of the script (a
//   vm.Script has no import()): an import() left in the output is an error;
// - names: the same keep-names plugin as the ES modules', with esbuild's lazily run modules'
//   `X = class` assignments checked too.
async function buildScript(options, script, tscDir, source, bundleNames) {
  const { build } = await import('esbuild');
  const meta = '__kubeloop_import_meta_url';
  const scriptOptions = {
    absWorkingDir: options.absWorkingDir,
    entryPoints: [script.in],
    outfile: script.out,
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: options.target,
    packages: 'external',
    sourcemap: 'linked',
    sourcesContent: false,
    legalComments: 'inline',
    logLevel: 'silent',
    define: { 'import.meta.url': meta },
    banner: { js: `'use strict';\n${options.banner.js}; run as a script by src/apiserver/codecache\nvar ${meta} = require('node:url').pathToFileURL(__filename).href;` },
    write: false,
  };
  // its renames differ from the chunks' (one scope): a first build finds them
  const first = await build(scriptOptions);
  const found = renamed([first.outputFiles.find((f) => f.path.endsWith('.cjs')).text], source, true);
  const names = { classes: new Set([...bundleNames.classes, ...found.classes]), functions: new Set([...bundleNames.functions, ...found.functions]) };
  const result = await build({ ...scriptOptions, plugins: [keepNames(tscDir, names)] });
  if (result.warnings.length) throw new Error(`${script.out}: ${result.warnings.map((w) => w.text).join('; ')}`);
  const js = result.outputFiles.find((f) => f.path.endsWith('.cjs')).text;
  // comments and string literals aside (a template literal's text may say "import(")
  if (/\bimport\(/.test(js.replace(/\/\/[^\n]*|\/\*[\s\S]*?\*\/|"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'/g, ''))) {
    throw new Error(`${script.out}: an import() is left, which a vm.Script cannot run`);
  }
  const left = renamed([js], source, true);
  left.classes.forEach((n) => { if (!names.classes.has(n)) throw new Error(`${script.out}: esbuild renamed class ${n}, which ${LAZY_CLASS_OUT} and ${CLASS_IN} do not find`); });
  left.functions.forEach((n) => { if (!names.functions.has(n)) throw new Error(`${script.out}: esbuild renamed function ${n}, which ${FUNCTION_IN} does not find`); });
  return result.outputFiles;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const only = process.argv.includes('--framework') ? PACKAGES.slice(0, 1) : PACKAGES;
  if (process.argv.includes('--check')) {
    const problems = staleBundles(only);
    if (problems.length) {
      console.error(`${problems.join('\n')}\n${STALE_HINT}`);
      process.exit(1);
    }
  } else {
    for (const p of only) if (staleness(p)) await bundle(p);
  }
}
