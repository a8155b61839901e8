/**
 * Certificates for the built-in API server: a self-signed CA, a serving certificate
 * (SANs 127.0.0.1, localhost, ::1 and the bind address) and an admin client certificate
 * (CN=kubernetes-admin, O=system:masters), plus the kubeconfig that embeds them.
 *
 * The certificates themselves are made by src/pki.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { caFromPem, certificateHosts, generateCa, issueCert, prepareKeys, type KeyPairPem, type SubjectField } from '../../pki/index.js';

export { prepareKeys };

export type { KeyPairPem };

export interface Pki {
  ca: KeyPairPem;
  server: KeyPairPem;
  client: KeyPairPem;
}

const SERVER_SUBJECT: SubjectField[] = [{ name: 'commonName', value: 'kube-apiserver' }];

/** The host names and addresses the serving certificate covers. */
export function servingHosts(bind: string): string[] {
  const hosts = ['127.0.0.1', 'localhost', '::1'];
  if (bind && bind !== '0.0.0.0' && bind !== '::' && !hosts.includes(bind)) hosts.push(bind);
  return hosts;
}

/** Generates a fresh CA, serving and admin client certificates. */
export function generatePki(bind = '127.0.0.1'): Pki {
  const ca = generateCa('kubeloop-ca');
  const server = issueCert(ca, { subject: SERVER_SUBJECT, usage: 'server', hosts: servingHosts(bind) });
  const client = issueCert(ca, {
    subject: [
      { name: 'commonName', value: 'kubernetes-admin' },
      { name: 'organizationName', value: 'system:masters' },
    ],
    usage: 'client',
  });
  return { ca: { certPem: ca.certPem, keyPem: ca.keyPem }, server, client };
}

/**
 * A fresh CA and a serving certificate for `hosts` (DNS names or IPs) signed by it: what a
 * webhook server needs, its CA PEM going into the webhook's `caBundle`.
 */
export function generateServingCertificate(hosts: string[]): { ca: KeyPairPem; server: KeyPairPem } {
  const ca = generateCa('kubeloop-webhook-ca');
  const server = issueCert(ca, { subject: [{ name: 'commonName', value: hosts[0] ?? 'webhook' }], usage: 'server', hosts });
  return { ca: { certPem: ca.certPem, keyPem: ca.keyPem }, server };
}

const FILES = {
  'ca.crt': (p: Pki) => p.ca.certPem,
  'ca.key': (p: Pki) => p.ca.keyPem,
  'server.crt': (p: Pki) => p.server.certPem,
  'server.key': (p: Pki) => p.server.keyPem,
  'admin.crt': (p: Pki) => p.client.certPem,
  'admin.key': (p: Pki) => p.client.keyPem,
} as const;

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
    const have = certificateHosts(pki.server.certPem);
    if (want.every((h) => have.includes(h))) return pki;
    pki.server = issueCert(caFromPem(pki.ca), { subject: SERVER_SUBJECT, usage: 'server', hosts: want });
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
  const client = issueCert(ca, { subject: [{ name: 'commonName', value: 'front-proxy-client' }], usage: 'client' });
  const pki = { ca: { certPem: ca.certPem, keyPem: ca.keyPem }, client };
  if (dir) {
    mkdirSync(join(dir, 'pki'), { recursive: true, mode: 0o700 });
    [pki.ca.certPem, pki.ca.keyPem, client.certPem, client.keyPem].forEach((pem, i) => writeFileSync(path(files[i]), pem, { mode: 0o600 }));
  }
  return pki;
}

/**
 * How many keys a start with `dir` will make: 3 for the server PKI and 2 for the front-proxy
 * one, each unless `dir` already keeps it (a kept serving certificate reissued for a new bind
 * address takes one more, made on demand).
 */
export function missingPkiKeys(dir: string | undefined): number {
  const kept = (files: string[]) => dir !== undefined && files.every((f) => existsSync(join(dir, 'pki', f)));
  return (kept(Object.keys(FILES)) ? 0 : 3) + (kept(['front-proxy-ca.crt', 'front-proxy-ca.key', 'front-proxy-client.crt', 'front-proxy-client.key']) ? 0 : 2);
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
