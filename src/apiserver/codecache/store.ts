/**
 * V8's compiled code of a script, kept on disk between starts: the directory (where Node 22's
 * module compile cache keeps its own), and one entry per script and Node/V8 build in it, read
 * and written safely.
 *
 * The directory follows Node's conventions (`module.enableCompileCache()`, Node 22.1+):
 * `$NODE_COMPILE_CACHE`, else `os.tmpdir()/node-compile-cache`; `NODE_DISABLE_COMPILE_CACHE=1`
 * turns it off. Our entries go in a `kubeloop` folder of it. Compiled code is code the process
 * runs, so the folder must be ours alone: owned by this user, not a symbolic link, not writable
 * by others (created 0700), in a parent that is ours or root's and not writable by others
 * unless sticky (/tmp). An entry is opened without following links, must be a regular file of
 * ours, and is written under a temporary name (created exclusively, 0600) renamed into place,
 * so a reader never sees half a file. Any problem (a read-only or missing disk, someone else's
 * folder) means no cache: nothing here throws.
 *
 * An entry's name hashes the Node version, the architecture, V8's cached-data tag (its version
 * and flags) and the script's path; its header holds the script's length and CRC-32 (V8 itself
 * compares only the length) and the data's length and CRC-32 (V8 does not check the payload of
 * a code cache in release builds): a changed script or a damaged entry is a miss.
 */
import { createHash } from 'node:crypto';
import { closeSync, constants, fstatSync, lstatSync, mkdirSync, openSync, readSync, renameSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { cachedDataVersionTag } from 'node:v8';
import { threadId } from 'node:worker_threads';
import { crc32 } from 'node:zlib';

/** The folder of kubeloop's entries under the compile cache directory. */
const FOLDER = 'kubeloop';
const MAGIC = 0x4b4c4338; // "KLC8"
const FORMAT = 1;
const HEADER = 24;
/** Entries above this are not read (a code cache of a few MB at most). */
const MAX_BYTES = 256 * 1024 * 1024;
// O_NOFOLLOW is not on Windows, where neither are symbolic links in a user's temp folder
const NOFOLLOW = constants.O_NOFOLLOW ?? 0;
/** The sticky bit of a mode (S_ISVTX, which fs.constants lacks): only an entry's owner may rename or remove it. */
const STICKY = 0o1000;

/**
 * The compile cache directory Node would use (`NODE_COMPILE_CACHE`, else
 * `os.tmpdir()/node-compile-cache`), or undefined when `NODE_DISABLE_COMPILE_CACHE` is set.
 */
export function compileCacheDir(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.NODE_DISABLE_COMPILE_CACHE) return undefined;
  return env.NODE_COMPILE_CACHE || join(tmpdir(), 'node-compile-cache');
}

const uid = process.getuid?.();

/** Whether `path` (not followed) is a directory only this user (or root, for a parent) can change. */
function safeDir(path: string, parent: boolean): boolean {
  const st = lstatSync(path);
  if (!st.isDirectory()) return false;
  if (uid === undefined) return true; // Windows: no owners or modes to check
  if (st.uid !== uid && !(parent && st.uid === 0)) return false;
  // others or the group may write only to a sticky parent (/tmp), where they cannot replace our folder
  return (st.mode & 0o022) === 0 || (parent && (st.mode & STICKY) !== 0);
}

/** kubeloop's folder in the compile cache directory `dir`, made if missing; undefined when it cannot be ours. */
export function ownCacheFolder(dir: string): string | undefined {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const folder = join(dir, FOLDER);
    try {
      mkdirSync(folder, { mode: 0o700 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    return safeDir(dirname(folder), true) && safeDir(folder, false) ? folder : undefined;
  } catch {
    return undefined;
  }
}

/** The entry's file name for `scriptPath` in this Node and V8 build. */
export function entryName(scriptPath: string): string {
  const key = JSON.stringify([process.version, process.arch, cachedDataVersionTag(), scriptPath]);
  return `${createHash('sha256').update(key).digest('hex').slice(0, 32)}.v8cache`;
}

/** What an entry is checked against: the script's text. */
export interface ScriptSource { bytes: Buffer }

/** The code cache in `folder` for the script `source` at `scriptPath`, or undefined (missing, another script's, damaged, not ours). */
export function readEntry(folder: string, scriptPath: string, source: ScriptSource): Buffer | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(join(folder, entryName(scriptPath)), constants.O_RDONLY | NOFOLLOW);
    const st = fstatSync(fd);
    if (!st.isFile() || (uid !== undefined && st.uid !== uid) || st.size < HEADER || st.size > MAX_BYTES) return undefined;
    const all = Buffer.allocUnsafe(st.size);
    let read = 0;
    while (read < all.length) {
      const n = readSync(fd, all, read, all.length - read, read);
      if (n === 0) return undefined; // shorter than it said: being replaced
      read += n;
    }
    const data = all.subarray(HEADER);
    if (all.readUInt32LE(0) !== MAGIC || all.readUInt32LE(4) !== FORMAT) return undefined;
    if (all.readUInt32LE(8) !== source.bytes.length || all.readUInt32LE(12) !== crc32(source.bytes)) return undefined;
    if (all.readUInt32LE(16) !== data.length || all.readUInt32LE(20) !== crc32(data)) return undefined;
    return data;
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Writes the code cache `data` of the script `source` at `scriptPath` into `folder`; false when it could not. */
export function writeEntry(folder: string, scriptPath: string, source: ScriptSource, data: Buffer): boolean {
  const name = entryName(scriptPath);
  const temporary = join(folder, `${name}.${process.pid}.${threadId}.${Date.now().toString(36)}.tmp`);
  let fd: number | undefined;
  try {
    fd = openSync(temporary, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | NOFOLLOW, 0o600);
    const header = Buffer.alloc(HEADER);
    header.writeUInt32LE(MAGIC, 0);
    header.writeUInt32LE(FORMAT, 4);
    header.writeUInt32LE(source.bytes.length, 8);
    header.writeUInt32LE(crc32(source.bytes), 12);
    header.writeUInt32LE(data.length, 16);
    header.writeUInt32LE(crc32(data), 20);
    for (const b of [header, data]) {
      for (let written = 0; written < b.length;) written += writeSync(fd, b, written, b.length - written);
    }
    closeSync(fd);
    fd = undefined;
    // rename replaces whatever has the name (a link included) without following it
    renameSync(temporary, join(folder, name));
    return true;
  } catch {
    if (fd !== undefined) {
      try { closeSync(fd); } catch { /* closed */ }
    }
    try { rmSync(temporary, { force: true }); } catch { /* a folder we cannot write to */ }
    return false;
  }
}
