/**
 * X.509 building blocks shared by every part of kubeloop that serves TLS: a self-signed CA and
 * certificates it issues (the built-in API server's serving and admin certificates, the
 * webhook server's generated serving certificate), and reading which hosts a certificate
 * covers. Nothing here knows who uses it, so this folder imports nothing of kubeloop.
 *
 * RSA key generation in node-forge is slow (seconds for 2048 bits), so keys come from
 * node:crypto (milliseconds) and forge only builds and signs the certificates.
 */
import { generateKeyPair, generateKeyPairSync, randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import forge from 'node-forge';

export interface KeyPairPem {
  certPem: string;
  keyPem: string;
}

/** A CA that can issue certificates: its PEMs plus the parsed certificate and key. */
export interface CertificateAuthority extends KeyPairPem {
  cert: forge.pki.Certificate;
  key: forge.pki.rsa.PrivateKey;
}

/** Validity of every certificate made here: ten years (these are for development and tests, or renewed by rotation). */
const VALID_DAYS = 3650;

const RSA_OPTIONS = {
  modulusLength: 2048,
  privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
  publicKeyEncoding: { type: 'spki', format: 'pem' },
} as const;

/** Keys made ahead by `prepareKeys`, used (once each) by the next certificates made here. */
const prepared: string[] = [];

/**
 * Makes `n` RSA keys ahead, in parallel: node:crypto's async generateKeyPair runs in libuv's
 * thread pool, so a server that needs five keys (CA, serving, admin, front-proxy CA and client)
 * waits for about five divided by the cores instead of five one after another (~0.1 s each).
 * The certificate functions stay synchronous and take prepared keys first.
 */
export async function prepareKeys(n: number): Promise<void> {
  const need = n - prepared.length;
  if (need <= 0) return;
  const keys = await Promise.all(Array.from({ length: need }, () => new Promise<string>((resolve, reject) => {
    generateKeyPair('rsa', RSA_OPTIONS, (err, _publicKey, privateKey) => (err ? reject(err) : resolve(privateKey)));
  })));
  prepared.push(...keys);
}

function newRsaKey(): { privateKey: forge.pki.rsa.PrivateKey; publicKey: forge.pki.rsa.PublicKey; keyPem: string } {
  const privateKey = prepared.pop() ?? generateKeyPairSync('rsa', RSA_OPTIONS).privateKey;
  const priv = forge.pki.privateKeyFromPem(privateKey) as forge.pki.rsa.PrivateKey;
  const pub = forge.pki.setRsaPublicKey(priv.n, priv.e);
  return { privateKey: priv, publicKey: pub, keyPem: privateKey };
}

function baseCert(publicKey: forge.pki.PublicKey, subject: forge.pki.CertificateField[]): forge.pki.Certificate {
  const cert = forge.pki.createCertificate();
  cert.publicKey = publicKey;
  // Positive serial number (leading byte < 0x80), as RFC 5280 requires.
  cert.serialNumber = '01' + randomBytes(15).toString('hex');
  // A minute in the past, so a peer whose clock is slightly behind accepts it at once.
  const now = new Date(Date.now() - 60_000);
  cert.validity.notBefore = now;
  cert.validity.notAfter = new Date(now.getTime() + VALID_DAYS * 86400_000);
  cert.setSubject(subject);
  return cert;
}

/** A fresh self-signed CA named `commonName`. */
export function generateCa(commonName: string): CertificateAuthority {
  const k = newRsaKey();
  const cert = baseCert(k.publicKey, [{ name: 'commonName', value: commonName }]);
  cert.setIssuer(cert.subject.attributes);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  cert.sign(k.privateKey, forge.md.sha256.create());
  return { cert, key: k.privateKey, certPem: forge.pki.certificateToPem(cert), keyPem: k.keyPem };
}

/** A CA from its PEMs (e.g. kept on disk), to issue more certificates with. */
export function caFromPem(ca: KeyPairPem): CertificateAuthority {
  return { ...ca, cert: forge.pki.certificateFromPem(ca.certPem), key: forge.pki.privateKeyFromPem(ca.keyPem) as forge.pki.rsa.PrivateKey };
}

export interface IssueOptions {
  subject: forge.pki.CertificateField[];
  /** serverAuth or clientAuth extended key usage. */
  usage: 'server' | 'client';
  /** Subject alternative names: IP addresses and DNS names (default none). */
  hosts?: string[];
}

/** A certificate signed by `ca`, with a new key. */
export function issueCert(ca: CertificateAuthority, o: IssueOptions): KeyPairPem {
  const k = newRsaKey();
  const cert = baseCert(k.publicKey, o.subject);
  cert.setIssuer(ca.cert.subject.attributes);
  const ext: object[] = [
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: o.usage === 'server', clientAuth: o.usage === 'client' },
  ];
  const hosts = o.hosts ?? [];
  if (hosts.length) {
    ext.push({
      name: 'subjectAltName',
      altNames: hosts.map((h) => (isIP(h) ? { type: 7, ip: h } : { type: 2, value: h })),
    });
  }
  cert.setExtensions(ext);
  cert.sign(ca.key, forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem: k.keyPem };
}

/** The SANs (IP addresses and DNS names) a PEM certificate covers. */
export function certificateHosts(certPem: string): string[] {
  const cert = forge.pki.certificateFromPem(certPem);
  const san = cert.getExtension('subjectAltName') as { altNames?: { type: number; value?: string; ip?: string }[] } | null;
  return (san?.altNames ?? []).map((a) => a.ip ?? a.value ?? '');
}
