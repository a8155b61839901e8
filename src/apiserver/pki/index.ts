/**
 * Certificates for the built-in API server: a self-signed CA, a serving certificate
 * (SANs 127.0.0.1, localhost, ::1 and the bind address) and an admin client certificate
 * (CN=kubernetes-admin, O=system:masters), plus the kubeconfig that embeds them.
 *
 * RSA key generation in node-forge is slow (seconds for 2048 bits), so keys come from
 * node:crypto (milliseconds) and forge only builds and signs the X.509 certificates.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import forge from 'node-forge';

export interface KeyPairPem {
  certPem: string;
  keyPem: string;
}

export interface Pki {
  ca: KeyPairPem;
  server: KeyPairPem;
  client: KeyPairPem;
}

const VALID_DAYS = 3650;

function newRsaKey(): { privateKey: forge.pki.rsa.PrivateKey; publicKey: forge.pki.rsa.PublicKey; keyPem: string } {
  const { privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  const priv = forge.pki.privateKeyFromPem(privateKey) as forge.pki.rsa.PrivateKey;
  const pub = forge.pki.setRsaPublicKey(priv.n, priv.e);
  return { privateKey: priv, publicKey: pub, keyPem: privateKey };
}

function baseCert(publicKey: forge.pki.PublicKey, subject: forge.pki.CertificateField[]): forge.pki.Certificate {
  const cert = forge.pki.createCertificate();
  cert.publicKey = publicKey;
  // Positive serial number (leading byte < 0x80), as RFC 5280 requires.
  cert.serialNumber = '01' + randomBytes(15).toString('hex');
  const now = new Date(Date.now() - 60_000);
  cert.validity.notBefore = now;
  cert.validity.notAfter = new Date(now.getTime() + VALID_DAYS * 86400_000);
  cert.setSubject(subject);
  return cert;
}

function generateCa(commonName = 'kubeloop-ca'): KeyPairPem & { cert: forge.pki.Certificate; key: forge.pki.rsa.PrivateKey } {
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

function issue(
  ca: { cert: forge.pki.Certificate; key: forge.pki.rsa.PrivateKey },
  subject: forge.pki.CertificateField[],
  usage: 'server' | 'client',
  hosts: string[] = [],
): KeyPairPem {
  const k = newRsaKey();
  const cert = baseCert(k.publicKey, subject);
  cert.setIssuer(ca.cert.subject.attributes);
  const ext: object[] = [
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: usage === 'server', clientAuth: usage === 'client' },
  ];
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

/** The host names and addresses the serving certificate covers. */
export function servingHosts(bind: string): string[] {
  const hosts = ['127.0.0.1', 'localhost', '::1'];
  if (bind && bind !== '0.0.0.0' && bind !== '::' && !hosts.includes(bind)) hosts.push(bind);
  return hosts;
}

/** Generates a fresh CA, serving and admin client certificates. */
export function generatePki(bind = '127.0.0.1'): Pki {
  const ca = generateCa();
  const server = issue(ca, [{ name: 'commonName', value: 'kube-apiserver' }], 'server', servingHosts(bind));
  const client = issue(
    ca,
    [
      { name: 'commonName', value: 'kubernetes-admin' },
      { name: 'organizationName', value: 'system:masters' },
    ],
    'client',
  );
  return { ca: { certPem: ca.certPem, keyPem: ca.keyPem }, server, client };
}

const FILES = {
  'ca.crt': (p: Pki) => p.ca.certPem,
  'ca.key': (p: Pki) => p.ca.keyPem,
  'server.crt': (p: Pki) => p.server.certPem,
  'server.key': (p: Pki) => p.server.keyPem,
  'admin.crt': (p: Pki) => p.client.certPem,
  'admin.key': (p: Pki) => p.client.keyPem,
} as const;

/** The SANs a PEM certificate covers (to decide whether a kept serving cert still fits). */
function certHosts(certPem: string): string[] {
  const cert = forge.pki.certificateFromPem(certPem);
  const san = cert.getExtension('subjectAltName') as { altNames?: { type: number; value?: string; ip?: string }[] } | null;
  return (san?.altNames ?? []).map((a) => a.ip ?? a.value ?? '');
}

/**
 * Loads the PKI kept in `dir/pki` or creates (and keeps) it. Without a dir, generates a
 * throw-away one. The serving cert is reissued from the kept CA when the bind address changed.
 */
export function loadOrCreatePki(dir: string | undefined, bind = '127.0.0.1'): Pki {
  if (!dir) return generatePki(bind);
  const pkiDir = join(dir, 'pki');
  const path = (f: string) => join(pkiDir, f);
  if (Object.keys(FILES).every((f) => existsSync(path(f)))) {
    const read = (f: string) => readFileSync(path(f), 'utf8');
    const pki: Pki = {
      ca: { certPem: read('ca.crt'), keyPem: read('ca.key') },
      server: { certPem: read('server.crt'), keyPem: read('server.key') },
      client: { certPem: read('admin.crt'), keyPem: read('admin.key') },
    };
    const want = servingHosts(bind);
    const have = certHosts(pki.server.certPem);
    if (want.every((h) => have.includes(h))) return pki;
    const ca = { cert: forge.pki.certificateFromPem(pki.ca.certPem), key: forge.pki.privateKeyFromPem(pki.ca.keyPem) as forge.pki.rsa.PrivateKey };
    pki.server = issue(ca, [{ name: 'commonName', value: 'kube-apiserver' }], 'server', want);
    writeFileSync(path('server.crt'), pki.server.certPem, { mode: 0o600 });
    writeFileSync(path('server.key'), pki.server.keyPem, { mode: 0o600 });
    return pki;
  }
  const pki = generatePki(bind);
  mkdirSync(pkiDir, { recursive: true, mode: 0o700 });
  for (const [f, get] of Object.entries(FILES)) writeFileSync(path(f), get(pki), { mode: 0o600 });
  return pki;
}

/** The front-proxy (request-header) CA and the client certificate the aggregator proxies with. */
export interface FrontProxyPki {
  ca: KeyPairPem;
  client: KeyPairPem;
}

/**
 * The front-proxy PKI, as kubeadm makes it (`front-proxy-ca`, client `front-proxy-client`):
 * kube-apiserver presents the client certificate to aggregated API servers, which trust the
 * user headers of requests authenticated by it. Kept in `dir/pki/front-proxy-*` (created when
 * missing, so data dirs from before keep their other certificates); throw-away without a dir.
 */
export function loadOrCreateFrontProxyPki(dir: string | undefined): FrontProxyPki {
  const files = ['front-proxy-ca.crt', 'front-proxy-ca.key', 'front-proxy-client.crt', 'front-proxy-client.key'];
  const path = (f: string) => join(dir ?? '', 'pki', f);
  if (dir && files.every((f) => existsSync(path(f)))) {
    const read = (f: string) => readFileSync(path(f), 'utf8');
    return { ca: { certPem: read(files[0]), keyPem: read(files[1]) }, client: { certPem: read(files[2]), keyPem: read(files[3]) } };
  }
  const ca = generateCa('front-proxy-ca');
  const client = issue(ca, [{ name: 'commonName', value: 'front-proxy-client' }], 'client');
  const pki = { ca: { certPem: ca.certPem, keyPem: ca.keyPem }, client };
  if (dir) {
    mkdirSync(join(dir, 'pki'), { recursive: true, mode: 0o700 });
    [pki.ca.certPem, pki.ca.keyPem, client.certPem, client.keyPem].forEach((pem, i) => writeFileSync(path(files[i]), pem, { mode: 0o600 }));
  }
  return pki;
}

const b64 = (s: string) => Buffer.from(s).toString('base64');

/** A kubeconfig (YAML) with the CA and the admin client certificate embedded. */
export function kubeconfigYaml(server: string, pki: Pki, name = 'kubeloop'): string {
  return [
    'apiVersion: v1',
    'kind: Config',
    'preferences: {}',
    'clusters:',
    `- name: ${name}`,
    '  cluster:',
    `    server: ${server}`,
    `    certificate-authority-data: ${b64(pki.ca.certPem)}`,
    'users:',
    `- name: ${name}-admin`,
    '  user:',
    `    client-certificate-data: ${b64(pki.client.certPem)}`,
    `    client-key-data: ${b64(pki.client.keyPem)}`,
    'contexts:',
    `- name: ${name}`,
    '  context:',
    `    cluster: ${name}`,
    `    user: ${name}-admin`,
    '    namespace: default',
    `current-context: ${name}`,
    '',
  ].join('\n');
}
