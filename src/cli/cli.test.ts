// The CLI's project plumbing: which packages extend the command, and where a TypeScript
// source compiles to (so `generate --module src/x.ts` works in any project).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { discoverExtensions, loadExtensions } from './extensions.js';
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
