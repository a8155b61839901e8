/**
 * The file operations the write-ahead log performs while serving, behind a small interface so
 * tests can inject failures (ENOSPC, EIO) without filling a real disk.
 */
import { closeSync, fdatasync, ftruncate, openSync, write } from 'node:fs';

export interface LogFile {
  /** Appends all of `data` at the end of the file; on failure part of it may have been written. */
  append(data: Buffer): Promise<void>;
  /** Makes everything appended so far durable (fdatasync). */
  sync(): Promise<void>;
  /** Cuts the file to `size` bytes and makes that durable (drops a failed append's leftovers). */
  truncate(size: number): Promise<void>;
  close(): void;
}

/** Opens (creating) a log file for appending. */
export type OpenLogFile = (path: string) => LogFile;

const callback = (resolve: () => void, reject: (e: Error) => void) => (err: Error | null) => (err ? reject(err) : resolve());

/** The real file system (O_APPEND, so writes after a truncate land at the new end). */
export const openLogFile: OpenLogFile = (path) => {
  const fd = openSync(path, 'a');
  const writeAll = (data: Buffer, off: number, resolve: () => void, reject: (e: Error) => void): void => {
    write(fd, data, off, data.length - off, null, (err, n) => {
      if (err) reject(err);
      else if (off + n < data.length) writeAll(data, off + n, resolve, reject);
      else resolve();
    });
  };
  return {
    append: (data) => new Promise((resolve, reject) => writeAll(data, 0, resolve, reject)),
    sync: () => new Promise((resolve, reject) => fdatasync(fd, callback(resolve, reject))),
    truncate: (size) => new Promise((resolve, reject) => ftruncate(fd, size, (err) => (err ? reject(err) : fdatasync(fd, callback(resolve, reject))))),
    close: () => closeSync(fd),
  };
};
