/**
 * X.509 building blocks shared by every part of kubeloop that serves TLS: a self-signed CA and
 * certificates it issues (the built-in API server's serving and admin certificates, the
 * webhook server's generated serving certificate), and reading which hosts a certificate
 * covers. Nothing here knows who uses it, so this folder imports nothing of kubeloop.
 *
 * Everything is node:crypto: keys are ECDSA P-256 (what kubeadm makes with
 * `encryptionAlgorithm: ECDSA-P256`, kubeadm-config.v1beta4 on kubernetes.io and
 * kubernetes/kubernetes#123054; kube-apiserver, kubectl, client-go and Node's TLS all take them), certificates are DER built here (./der.ts, ./x509.ts) and signed with
 * `crypto.sign`. A key and a certificate take well under a millisecond, where RSA-2048 keys
 * and node-forge's signing took about 0.1 s each. A CA kept from before (an RSA key in an
 * API server's --data-dir) still issues certificates: they are signed with its own algorithm.
 */
import { createPrivateKey, generateKeyPair, generateKeyPairSync, randomBytes, X509Certificate, type KeyObject } from 'node:crypto';
import { children, pem, read } from './der.js';
import { buildCertificate, keyIdentifier, subjectOf, type SubjectField } from './x509.js';

export type { SubjectField } from './x509.js';

export interface KeyPairPem {
  certPem: string;
  keyPem: string;
}

/** A CA that can issue certificates: its PEMs plus its private key and DER subject (the issuer of what it signs). */
export interface CertificateAuthority extends KeyPairPem {
  key: KeyObject;
  subject: Buffer;
  /** Identifier of its key, the authorityKeyIdentifier of what it signs. */
  keyId: Buffer;
}

/** Validity of every certificate made here: ten years (these are for development and tests, or renewed by rotation). */
const VALID_DAYS = 3650;

const EC_OPTIONS = { namedCurve: 'P-256' } as const;

/** Keys made ahead by `prepareKeys`, used (once each) by the next certificates made here. */
const prepared: KeyObject[] = [];

/**
 * Makes `n` keys ahead, in libuv's thread pool, used by the next certificates made here. With
 * P-256 keys (a fraction of a millisecond each) this hardly matters any more; it stays for
 * callers that prepare a start's keys first.
 */
export async function prepareKeys(n: number): Promise<void> {
  const need = n - prepared.length;
  if (need <= 0) return;
  const keys = await Promise.all(Array.from({ length: need }, () => new Promise<KeyObject>((resolve, reject) => {
    generateKeyPair('ec', EC_OPTIONS, (err, _publicKey, privateKey) => (err ? reject(err) : resolve(privateKey)));
  })));
  prepared.push(...keys);
}

function newKey(): KeyObject {
  return prepared.pop() ?? generateKeyPairSync('ec', EC_OPTIONS).privateKey;
}

/** The private key's PEM: SEC 1 `EC PRIVATE KEY`, as kubeadm and client-go's keyutil write it. */
function keyPem(key: KeyObject): string {
  return key.export({ type: 'sec1', format: 'pem' }) as string;
}

const pemCert = (der: Buffer): string => pem('CERTIFICATE', der);

function validity(): { notBefore: Date; notAfter: Date } {
  // A minute in the past, so a peer whose clock is slightly behind accepts it at once.
  const notBefore = new Date(Math.floor((Date.now() - 60_000) / 1000) * 1000);
  return { notBefore, notAfter: new Date(notBefore.getTime() + VALID_DAYS * 86400_000) };
}

/** A positive 128-bit serial number (leading byte < 0x80, as RFC 5280 requires it positive). */
function serial(): Buffer {
  const b = randomBytes(16);
  b[0] = 0x01;
  return b;
}

/** A fresh self-signed CA named `commonName`. */
export function generateCa(commonName: string): CertificateAuthority {
  const key = newKey();
  const subject = subjectOf([{ name: 'commonName', value: commonName }]);
  const der = buildCertificate({
    serial: serial(), issuer: subject, subject, ...validity(), publicKey: key, signer: key,
    ca: true,
  });
  return { certPem: pemCert(der), keyPem: keyPem(key), key, subject, keyId: keyIdentifier(key) };
}

/** A CA from its PEMs (e.g. kept on disk, RSA or EC), to issue more certificates with. */
export function caFromPem(ca: KeyPairPem): CertificateAuthority {
  const cert = new X509Certificate(ca.certPem);
  const key = createPrivateKey(ca.keyPem);
  return { ...ca, key, subject: rawSubject(cert.raw), keyId: keyIdentifier(key) };
}

export interface IssueOptions {
  subject: SubjectField[];
  /** serverAuth or clientAuth extended key usage. */
  usage: 'server' | 'client';
  /** Subject alternative names: IP addresses and DNS names (default none). */
  hosts?: string[];
}

/** A certificate signed by `ca`, with a new key. */
export function issueCert(ca: CertificateAuthority, o: IssueOptions): KeyPairPem {
  const key = newKey();
  const der = buildCertificate({
    serial: serial(), issuer: ca.subject, subject: subjectOf(o.subject), ...validity(), publicKey: key, signer: ca.key, issuerKeyId: ca.keyId,
    ca: false, usage: o.usage, hosts: o.hosts ?? [],
  });
  return { certPem: pemCert(der), keyPem: keyPem(key) };
}

/** The SANs (IP addresses and DNS names) a PEM certificate covers; IPv6 addresses in their short form (`::1`). */
export function certificateHosts(certPem: string): string[] {
  const san = new X509Certificate(certPem).subjectAltName;
  if (!san) return [];
  return san.split(', ').flatMap((entry) => {
    if (entry.startsWith('DNS:')) return [entry.slice(4)];
    if (entry.startsWith('IP Address:')) return [canonicalIp(entry.slice(11))];
    return [];
  });
}

/** `0:0:0:0:0:0:0:1` -> `::1` (the WHATWG URL parser prints IPv6 in RFC 5952 form); IPv4 unchanged. */
function canonicalIp(ip: string): string {
  if (!ip.includes(':')) return ip;
  try {
    return new URL(`http://[${ip}]/`).hostname.slice(1, -1);
  } catch {
    return ip;
  }
}

/** The DER of a certificate's subject Name, byte for byte (chain building in Go matches issuer to subject by bytes). */
function rawSubject(der: Buffer): Buffer {
  const tbs = children(der, read(der, 0))[0];
  const fields = children(der, tbs);
  // [0] version (optional), serialNumber, signature, issuer, validity, subject
  const at = fields[0].tag === 0xa0 ? 5 : 4;
  return der.subarray(fields[at].offset, fields[at].end);
}
