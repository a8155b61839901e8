// V8's code cache of a script kept on disk (the API server's thread on Node 20): a second load
// uses what the first saved; a missing, changed, damaged, refused or foreign cache, or a folder
// that cannot be ours, still runs the script, compiled afresh.
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { compileCacheDir, loadCachedScript, ownCacheFolder } from './index.js';
import { entryName, writeEntry } from './store.js';

const SCRIPT = `'use strict';
class Greeter { greet(name) { return 'hello ' + name; } }
module.exports = { greeter: new Greeter(), file: __filename, dir: __dirname, strict: (function () { return this === undefined; })(), required: typeof require('node:path').join };
`;

let dir: string;
let script: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'kubeloop-codecache-'));
  script = join(dir, 'script.cjs');
  writeFileSync(script, SCRIPT);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

type Exports = { greeter: { greet(n: string): string; constructor: { name: string } }; file: string; dir: string; strict: boolean; required: string };

/** Loads and runs the script with the cache in `folder`: how it was compiled, its exports, and its save(). */
function load(folder: string | undefined) {
  const s = loadCachedScript(script, folder);
  const exports = s.run() as Exports;
  assert.equal(exports.greeter.greet('you'), 'hello you');
  return { cache: s.cache, exports, save: () => s.save() };
}

const entries = (folder: string) => readdirSync(folder).filter((n) => n.endsWith('.v8cache'));

/** A load that compiled afresh (`how` the cache was), saved its code, and the next load used it. */
function assertRecompiledAndSaved(folder: string, how: 'missing' | 'rejected') {
  const again = load(folder);
  assert.equal(again.cache, how);
  assert.equal(again.save(), true);
  assert.equal(load(folder).cache, 'used');
}

describe('the code cache of a script', () => {
  it('runs the script as a CommonJS module, in its own strictness', () => {
    const { exports, cache } = load(undefined);
    assert.equal(cache, 'off');
    assert.equal(exports.file, script);
    assert.equal(exports.dir, dir);
    assert.equal(exports.strict, true);
    assert.equal(exports.required, 'function');
    assert.equal(exports.greeter.constructor.name, 'Greeter');
  });

  it('keeps the compiled code on save, in an owner-only folder and file, and the next load uses it', () => {
    const folder = ownCacheFolder(join(dir, 'cache'));
    assert.ok(folder);
    const first = load(folder);
    assert.equal(first.cache, 'missing');
    assert.equal(first.save(), true);
    assert.equal(first.save(), false, 'once');
    const [entry] = entries(folder);
    assert.equal(entry, entryName(script));
    assert.deepEqual(readdirSync(folder), [entry], 'no temporary file left');
    if (process.getuid) {
      assert.equal(statSync(folder).mode & 0o777, 0o700);
      assert.equal(statSync(join(folder, entry)).mode & 0o777, 0o600);
    }
    const second = load(folder);
    assert.equal(second.cache, 'used');
    assert.equal(second.save(), false, 'nothing to write: the cache held it');
  });

  it('compiles afresh when the script changed, and saves for the new text', () => {
    const folder = ownCacheFolder(join(dir, 'cache'))!;
    load(folder).save();
    writeFileSync(script, SCRIPT.replace("'hello '", "'hello' + ' '"));
    assertRecompiledAndSaved(folder, 'missing');
  });

  it('compiles afresh from a damaged or truncated entry, and replaces it', () => {
    const folder = ownCacheFolder(join(dir, 'cache'))!;
    load(folder).save();
    const file = join(folder, entryName(script));
    const good = readFileSync(file);
    const flipped = Buffer.from(good);
    flipped[flipped.length - 10] ^= 0xff;
    for (const bad of [flipped, good.subarray(0, good.length - 100), good.subarray(0, 10), Buffer.alloc(0)]) {
      writeFileSync(file, bad);
      assertRecompiledAndSaved(folder, 'missing');
    }
  });

  it('compiles afresh when V8 refuses the cached data, and replaces it', () => {
    const folder = ownCacheFolder(join(dir, 'cache'))!;
    // a well-formed entry for this very text whose data is not V8's
    assert.equal(writeEntry(folder, script, { bytes: readFileSync(script) }, Buffer.from('not a code cache, but checksummed as one')), true);
    assertRecompiledAndSaved(folder, 'rejected');
  });

  it('does not read an entry through a symbolic link', () => {
    const folder = ownCacheFolder(join(dir, 'cache'))!;
    load(folder).save();
    const file = join(folder, entryName(script));
    const elsewhere = join(dir, 'elsewhere.v8cache');
    writeFileSync(elsewhere, readFileSync(file));
    rmSync(file);
    symlinkSync(elsewhere, file);
    assert.equal(load(folder).cache, 'missing');
  });

  it('has no folder where it cannot be ours: a link, writable by others, under a file', () => {
    const base = join(dir, 'cache');
    mkdirSync(base);
    const real = join(dir, 'real');
    mkdirSync(real, { mode: 0o700 });
    symlinkSync(real, join(base, 'kubeloop'));
    assert.equal(ownCacheFolder(base), undefined, 'a symbolic link');
    rmSync(join(base, 'kubeloop'));
    if (process.getuid) {
      mkdirSync(join(base, 'kubeloop'));
      chmodSync(join(base, 'kubeloop'), 0o777);
      assert.equal(ownCacheFolder(base), undefined, 'writable by others');
      chmodSync(join(base, 'kubeloop'), 0o700);
      chmodSync(base, 0o777);
      assert.equal(ownCacheFolder(base), undefined, 'in a parent others may write to, not sticky');
      chmodSync(base, 0o1777);
      assert.ok(ownCacheFolder(base), 'a sticky parent such as /tmp');
    }
    const file = join(dir, 'a-file');
    writeFileSync(file, '');
    assert.equal(ownCacheFolder(join(file, 'cache')), undefined, 'under a file');
    // and a script still runs without one
    assert.equal(load(ownCacheFolder(join(file, 'cache'))).cache, 'off');
  });

  it('cannot save into a folder that went away, and says so without throwing', () => {
    const folder = ownCacheFolder(join(dir, 'cache'))!;
    const first = load(folder);
    rmSync(folder, { recursive: true });
    writeFileSync(folder, ''); // a file where the folder was
    assert.equal(first.save(), false);
    assert.equal(existsSync(join(dir, 'cache', entryName(script))), false);
  });

  it('is where Node keeps its module compile cache, and off with NODE_DISABLE_COMPILE_CACHE', () => {
    assert.equal(compileCacheDir({ NODE_COMPILE_CACHE: '/x/y' }), '/x/y');
    assert.equal(compileCacheDir({}), join(tmpdir(), 'node-compile-cache'));
    assert.equal(compileCacheDir({ NODE_COMPILE_CACHE: '/x/y', NODE_DISABLE_COMPILE_CACHE: '1' }), undefined);
  });

  it('fails the load of a script that is missing or does not compile (the caller loads the modules instead)', () => {
    assert.throws(() => loadCachedScript(join(dir, 'missing.cjs'), undefined), /ENOENT/);
    writeFileSync(script, 'this is not javascript (');
    assert.throws(() => loadCachedScript(script, undefined), SyntaxError);
  });
});
