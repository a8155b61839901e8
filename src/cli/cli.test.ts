// The CLI's project plumbing: which packages extend the command, and where a TypeScript
// source compiles to (so `generate --module src/x.ts` works in any project).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { discoverExtensions, loadExtensionParts, loadExtensions } from './extensions.js';
import type { CliExtension } from './extension.js';
import { compiledPathOf, parseJsonc } from './project.js';
import { pluralOf } from './init/index.js';

function tree(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'kubeloop-cli-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

test('extensions: the project, its workspaces and its dependencies that declare kubeloop.cliExtension, each once', async () => {
  const ext = (name: string) => `export default { name: '${name}', plugins: [] };\n`;
  const dir = tree({
    'package.json': JSON.stringify({ name: 'app', workspaces: ['packages/*', 'tools'], dependencies: { 'dep-ext': '1', 'dep-plain': '1' }, kubeloop: { cliExtension: './cli.mjs' } }),
    'cli.mjs': ext('app'),
    'packages/a/package.json': JSON.stringify({ name: 'a', kubeloop: { cliExtension: './x.mjs' } }),
    'packages/a/x.mjs': ext('a'),
    'packages/b/package.json': JSON.stringify({ name: 'b' }),
    'tools/package.json': JSON.stringify({ name: 'tools', kubeloop: { cliExtension: './missing.mjs' } }),
    'node_modules/dep-ext/package.json': JSON.stringify({ name: 'dep-ext', kubeloop: { cliExtension: './e.mjs' } }),
    'node_modules/dep-ext/e.mjs': ext('dep-ext'),
    'node_modules/dep-plain/package.json': JSON.stringify({ name: 'dep-plain' }),
    'node_modules/a': '', // not a directory with package.json: ignored
    'sub/dir/.keep': '',
  });
  try {
    const found = discoverExtensions(join(dir, 'sub/dir'));
    assert.deepEqual(found.map((f) => f.module.slice(dir.length + 1)), ['cli.mjs', 'packages/a/x.mjs', 'tools/missing.mjs', 'node_modules/dep-ext/e.mjs']);
    const warnings: string[] = [];
    const loaded = await loadExtensions(dir, (m) => warnings.push(m));
    assert.deepEqual(loaded.map((e) => e.name), ['app', 'a', 'dep-ext']);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0], /missing\.mjs does not exist \(build that package first/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an extension\'s load() parts are merged over its entry; a failing load is reported and skipped', async () => {
  const plugin = { name: 'p' } as unknown as NonNullable<CliExtension['plugins']>[number];
  class Entry implements CliExtension {
    readonly name = 'lazy';
    readonly devDescription = 'the lazy thing';
    register(): void {}
    async load() {
      return { plugins: [plugin], dev: { description: 'the lazy thing' } };
    }
  }
  const eager: CliExtension = { name: 'eager', plugins: [] };
  const broken: CliExtension = { name: 'broken', load: () => Promise.reject(new Error('no SDK')) };
  const warnings: string[] = [];
  const [lazy, same, ...rest] = await loadExtensionParts([new Entry(), eager, broken], (m) => warnings.push(m));
  assert.equal(lazy.name, 'lazy');
  assert.deepEqual(lazy.plugins, [plugin]);
  assert.equal(lazy.dev?.description, 'the lazy thing');
  assert.equal(typeof lazy.register, 'function', 'the entry\'s methods stay');
  assert.equal(same, eager);
  assert.deepEqual(rest, []);
  assert.deepEqual(warnings, ['extension broken not loaded: no SDK']);
});

test('kubeloop --help lists an extension\'s commands without calling its load(); run, dev and generate call it', () => {
  const main = fileURLToPath(new URL('./main.js', import.meta.url));
  const dir = tree({
    'package.json': JSON.stringify({ name: 'app', kubeloop: { cliExtension: './cli.mjs' } }),
    // load() leaves a mark, so the test sees which commands imported the expensive parts
    'cli.mjs': [
      "import { writeFileSync } from 'node:fs';",
      'export default {',
      "  name: 'app-ext',",
      "  devDescription: 'the app emulator',",
      "  register(program) { program.command('emulate').description('run the app emulator').action(() => {}); },",
      "  async load() { writeFileSync(new URL('./loaded', import.meta.url), 'x'); return { plugins: [], dev: { description: 'the app emulator' } }; },",
      '};',
      '',
    ].join('\n'),
  });
  const kubeloop = (...args: string[]) => spawnSync(process.execPath, [main, ...args], { cwd: dir, encoding: 'utf8' });
  try {
    const help = kubeloop('--help');
    assert.equal(help.status, 0, help.stderr);
    assert.match(help.stdout, /extensions: app-ext/);
    assert.match(help.stdout, /emulate\s+run the app emulator/);
    assert.match(help.stdout, /dev \[options\]\s+run a local development cluster: the built-in API\s+server, a simulated cluster and the app emulator/);
    assert.match(help.stdout, /init \[options\] <dir>/);
    assert.equal(existsSync(join(dir, 'loaded')), false, '--help did not load the extension\'s parts');
    assert.equal(kubeloop('emulate').status, 0);
    assert.equal(kubeloop('apiserver', '--help').status, 0);
    assert.equal(existsSync(join(dir, 'loaded')), false, 'nor did its own command or apiserver');
    const run = kubeloop('run', '--help');
    assert.equal(run.status, 0, run.stderr);
    assert.equal(existsSync(join(dir, 'loaded')), true, 'run loaded them');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a TypeScript source maps to its compiled file through the nearest tsconfig (comments, extends)', () => {
  const dir = tree({
    'tsconfig.base.json': '{ "compilerOptions": { /* shared */ "outDir": "build", } }',
    'tsconfig.json': '// the project\n{ "extends": "./tsconfig.base", "compilerOptions": { "rootDir": "src" } }',
    'src/ops/x.ts': '',
    'other/tsconfig.json': '{ "compilerOptions": { "rootDir": "." } }',
    'other/y.ts': '',
  });
  try {
    assert.equal(compiledPathOf(join(dir, 'src/ops/x.ts')), join(dir, 'build/ops/x.js'));
    assert.throws(() => compiledPathOf(join(dir, 'other/y.ts')), /has no outDir; pass the compiled \.js instead/);
    assert.deepEqual(parseJsonc('{"a": "http://x/*y*/", // c\n "b": [1,],}'), { a: 'http://x/*y*/', b: [1] });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('init pluralizes kinds as kubebuilder does for the common cases', () => {
  assert.deepEqual(['guestbook', 'policy', 'day', 'class', 'box', 'batch'].map(pluralOf), ['guestbooks', 'policies', 'days', 'classes', 'boxes', 'batches']);
});
