/**
 * Where the webhook server's serving certificate comes from.
 *
 * - A cert dir (controller-runtime's `CertDir`, `CertName`, `KeyName`): the files of a
 *   mounted Secret, as cert-manager writes it (`tls.crt`, `tls.key`, `ca.crt`). They are
 *   reloaded when they change (controller-runtime's certwatcher): `fs.watch` on the folder
 *   sees both direct writes and the kubelet's atomic symlink swap of a Secret volume, and a
 *   poll catches what a watch misses (network file systems, a folder created later). A pair
 *   that does not load (a key that does not match its certificate, half-written files) is
 *   ignored and the previous pair stays in use until a good one appears.
 * - Self-signed: a fresh CA and a serving certificate it signs for given hosts, for tests and
 *   `kubeloop dev`; the CA is the bundle to put in the webhook configurations.
 */
import { readFileSync, watch, type FSWatcher } from 'node:fs';
import { join } from 'node:path';
import { createSecureContext } from 'node:tls';
import { generateCa, issueCert } from '../../pki/index.js';
import type { Logger } from '../context.js';
import { errorMessage } from '../errors.js';

export interface ServingCert {
  certPem: string;
  keyPem: string;
  /** The CA that signed it, when known (self-signed, or `ca.crt` in the cert dir). */
  caPem?: string;
}

/** A fresh CA and a serving certificate for `hosts` (DNS names and IP addresses). */
export function selfSignedCert(hosts: readonly string[]): ServingCert {
  const ca = generateCa('kubeloop-webhook-ca');
  const serving = issueCert(ca, { subject: [{ name: 'commonName', value: 'kubeloop-webhook' }], usage: 'server', hosts: [...hosts] });
  return { ...serving, caPem: ca.certPem };
}

export interface CertDirOptions {
  dir: string;
  certName: string;
  keyName: string;
  /** The CA file read for `caBundle` when present. */
  caName: string;
  /** Re-read the files this often besides watching the folder. */
  pollIntervalMs: number;
  log: Logger;
  /** Called with each new pair that loads. */
  onChange(cert: ServingCert): void;
}

function readOptional(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** Watches a cert dir; `current` is the last pair that loaded. */
export class CertDirWatcher {
  current: ServingCert;
  private watcher: FSWatcher | undefined;
  private poll: NodeJS.Timeout | undefined;
  private pending: NodeJS.Timeout | undefined;

  /** Reads the pair once; throws (naming the files) when it does not load, as controller-runtime refuses to start. */
  constructor(private readonly o: CertDirOptions) {
    this.current = this.read();
  }

  private read(): ServingCert {
    const certFile = join(this.o.dir, this.o.certName);
    const keyFile = join(this.o.dir, this.o.keyName);
    let pair: ServingCert;
    try {
      pair = { certPem: readFileSync(certFile, 'utf8'), keyPem: readFileSync(keyFile, 'utf8') };
      createSecureContext({ cert: pair.certPem, key: pair.keyPem }); // throws unless the key matches the certificate
    } catch (err) {
      throw new Error(`webhook serving certificate ${certFile} / ${keyFile}: ${errorMessage(err)}`, { cause: err });
    }
    const caPem = readOptional(join(this.o.dir, this.o.caName));
    return caPem === undefined ? pair : { ...pair, caPem };
  }

  start(): void {
    try {
      this.watcher = watch(this.o.dir, { persistent: false }, () => this.schedule());
      this.watcher.on('error', () => undefined); // the folder went away: the poll carries on
    } catch (err) {
      this.o.log.info({ dir: this.o.dir, err: errorMessage(err) }, 'cannot watch the webhook cert dir; polling it');
    }
    this.poll = setInterval(() => this.reload(), this.o.pollIntervalMs).unref();
  }

  /** A burst of events (a Secret update renames several entries) triggers one read. */
  private schedule(): void {
    clearTimeout(this.pending);
    this.pending = setTimeout(() => this.reload(), 20).unref();
  }

  private reload(): void {
    let next: ServingCert;
    try {
      next = this.read();
    } catch (err) {
      this.o.log.debug({ err: errorMessage(err) }, 'webhook serving certificate not (yet) loadable; keeping the current one');
      return;
    }
    const c = this.current;
    if (next.certPem === c.certPem && next.keyPem === c.keyPem && next.caPem === c.caPem) return;
    this.current = next;
    this.o.log.info({ dir: this.o.dir }, 'webhook serving certificate reloaded');
    this.o.onChange(next);
  }

  stop(): void {
    this.watcher?.close();
    clearInterval(this.poll);
    clearTimeout(this.pending);
  }
}
