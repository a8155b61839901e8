// Certificates made with node:crypto alone: what Node's own X.509 parser and TLS stack read
// back from them (chain, SANs, usages, subject), and a CA kept from before (RSA) still issuing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPrivateKey, generateKeyPairSync, X509Certificate } from 'node:crypto';
import { isIPv6Address } from './x509.js';
import { createServer, request } from 'node:https';
import { isIPv6, type AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { caFromPem, certificateHosts, generateCa, issueCert, prepareKeys } from './index.js';
import { oid, pem, sequence, set, time, tlv } from './der.js';
import { buildCertificate, ipBytes } from './x509.js';

test('a CA and the server certificate it issues: chain, key, SANs, usages', async () => {
  await prepareKeys(2);
  const ca = generateCa('test-ca');
  const hosts = ['127.0.0.1', 'localhost', '::1', 'fd00::10', 'api.example.com'];
  const server = issueCert(ca, { subject: [{ name: 'commonName', value: 'kube-apiserver' }], usage: 'server', hosts });
  const caCert = new X509Certificate(ca.certPem);
  const cert = new X509Certificate(server.certPem);
  assert.equal(caCert.ca, true);
  assert.equal(caCert.subject, 'CN=test-ca');
  assert.ok(caCert.verify(caCert.publicKey), 'the CA is self-signed');
  assert.equal(cert.ca, false);
  assert.equal(cert.subject, 'CN=kube-apiserver');
  assert.equal(cert.issuer, 'CN=test-ca');
  assert.ok(cert.checkIssued(caCert));
  assert.ok(cert.verify(caCert.publicKey), 'signed by the CA key');
  assert.ok(cert.raw.includes(ca.keyId) && caCert.raw.includes(ca.keyId), 'authorityKeyIdentifier = the CA\'s subjectKeyIdentifier');
  assert.ok(cert.checkPrivateKey(createPrivateKey(server.keyPem)), 'the key matches the certificate');
  assert.match(server.keyPem, /^-----BEGIN EC PRIVATE KEY-----/);
  assert.deepEqual(cert.keyUsage, ['1.3.6.1.5.5.7.3.1']);
  assert.deepEqual(certificateHosts(server.certPem), hosts.slice(0, 4).concat('api.example.com'));
  assert.ok(cert.checkHost('api.example.com'));
  assert.ok(cert.checkIP('::1'));
  assert.ok(new Date(cert.validFrom) <= new Date(), 'valid now');
  assert.ok(new Date(cert.validTo).getTime() > Date.now() + 3000 * 86400_000, 'valid for years');
  assert.notEqual(cert.serialNumber, new X509Certificate(issueCert(ca, { subject: [{ name: 'commonName', value: 'x' }], usage: 'server' }).certPem).serialNumber);
});

test('TLS: a client certificate with several organizations authenticates to a server certificate for 127.0.0.1', async () => {
  const ca = generateCa('tls-ca');
  const server = issueCert(ca, { subject: [{ name: 'commonName', value: 'srv' }], usage: 'server', hosts: ['127.0.0.1'] });
  const client = issueCert(ca, {
    subject: [{ name: 'commonName', value: 'jane' }, { name: 'organizationName', value: 'system:masters' }, { name: 'organizationName', value: 'dev' }],
    usage: 'client',
  });
  const srv = createServer({ cert: server.certPem, key: server.keyPem, ca: ca.certPem, requestCert: true, rejectUnauthorized: true }, (req, res) => {
    const peer = (req.socket as TLSSocket).getPeerCertificate();
    res.end(JSON.stringify({ cn: peer.subject.CN, o: peer.subject.O }));
  });
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = srv.address() as AddressInfo;
    const body = await new Promise<string>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path: '/', ca: ca.certPem, cert: client.certPem, key: client.keyPem }, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve(text));
      });
      req.on('error', reject);
      req.end();
    });
    assert.deepEqual(JSON.parse(body), { cn: 'jane', o: ['system:masters', 'dev'] });
  } finally {
    srv.close();
  }
});

test('a kept RSA CA (e.g. an older --data-dir) issues certificates signed with RSA, its subject copied byte for byte', () => {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  // a subject in PrintableString, as other tools write it: the issuer must be these very bytes
  const subject = sequence(set(sequence(oid('2.5.4.3'), tlv(0x13, Buffer.from('old-ca', 'ascii')))));
  const now = new Date();
  const der = buildCertificate({
    serial: Buffer.from([1, 2, 3]), issuer: subject, subject, notBefore: new Date(now.getTime() - 60_000), notAfter: new Date(now.getTime() + 86400_000),
    publicKey: rsa, signer: rsa, ca: true,
  });
  const kept = { certPem: pem('CERTIFICATE', der), keyPem: rsa.export({ type: 'pkcs1', format: 'pem' }) as string };
  const ca = caFromPem(kept);
  const issued = new X509Certificate(issueCert(ca, { subject: [{ name: 'commonName', value: 'kube-apiserver' }], usage: 'server', hosts: ['localhost'] }).certPem);
  const caCert = new X509Certificate(kept.certPem);
  assert.ok(issued.checkIssued(caCert));
  assert.ok(issued.verify(caCert.publicKey));
  assert.ok(issued.raw.includes(subject), 'the issuer is the CA subject\'s bytes');
});

test('IP address bytes: IPv4, IPv6 with ::, and IPv4-mapped IPv6', () => {
  assert.equal(ipBytes('10.1.2.3').toString('hex'), '0a010203');
  assert.equal(ipBytes('::1').toString('hex'), '00000000000000000000000000000001');
  assert.equal(ipBytes('2001:db8::').toString('hex'), '20010db8000000000000000000000000');
  assert.equal(ipBytes('fe80::1:2').toString('hex'), 'fe800000000000000000000000010002');
  assert.equal(ipBytes('::ffff:1.2.3.4').toString('hex'), '00000000000000000000ffff01020304');
  assert.equal(ipBytes('1:2:3:4:5:6:7:8').toString('hex'), '00010002000300040005000600070008');
  assert.throws(() => ipBytes('host'), /not an IP address/);
});

test('validity times: UTCTime before 2050, GeneralizedTime from 2050', () => {
  assert.equal(time(new Date('2036-01-02T03:04:05.678Z')).toString('latin1'), '\x17\x0d360102030405Z');
  assert.equal(time(new Date('2050-01-02T03:04:05Z')).toString('latin1'), '\x18\x0f20500102030405Z');
});

test('isIPv6Address says what net.isIPv6 says, on generated addresses and near misses', () => {
  let seed = 0x9e3779b9;
  const rand = (n: number) => {
    // xorshift32, seeded: the same addresses on every run
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) % n;
  };
  const pick = <T>(xs: readonly T[]) => xs[rand(xs.length)];
  const hex = () => Array.from({ length: 1 + rand(4) }, () => pick([...'0123456789abcdefABCDEF'])).join('') + (rand(30) === 0 ? pick(['g', '0', ' ']) : '');
  const v4 = () => Array.from({ length: 4 }, () => pick(['0', '1', '9', '10', '99', '100', '199', '200', '249', '250', '255', '01', '256'])).join(pick(['.', '.', '.', '.', ':']));
  const zone = () => (rand(3) ? '' : pick(['%eth0', '%1', '%', '%a-b.c:d', '%a%b', '%a b']));
  const address = () => {
    const n = rand(3) ? 6 + rand(3) : rand(10);
    const groups = Array.from({ length: n }, hex);
    if (rand(3) === 0 && n > 0) groups[n - 1] = v4();
    let text = groups.join(':');
    if (rand(2) === 0) {
      const at = rand(n + 1);
      text = [groups.slice(0, at).join(':'), groups.slice(at).join(':')].join(pick(['::', '::', ':::', ':']));
    }
    if (rand(8) === 0) text = pick([':', '::', ' ']) + text;
    if (rand(8) === 0) text += pick([':', '::', ' ']);
    return text + zone();
  };
  const fixed = ['', '::', '::1', '1::', ':::', '::ffff:1.2.3.4', '1:2:3:4:5:6:1.2.3.4', '1:2:3:4:5:6::1.2.3.4', '1:2:3:4:5::1.2.3.4', '1:2:3:4:5:6:7::', '::1:2:3:4:5:6:7', '::1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8:9', 'fe80::1%eth0', '127.0.0.1', 'localhost', '1:2:3:4:5:6:7:'];
  let valid = 0;
  for (const s of [...fixed, ...Array.from({ length: 100_000 }, address)]) {
    assert.equal(isIPv6Address(s), isIPv6(s), JSON.stringify(s));
    if (isIPv6(s)) valid++;
  }
  assert.ok(valid > 10_000, `enough valid addresses generated (${valid})`);
});
