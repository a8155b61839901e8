/**
 * An X.509 v3 certificate (RFC 5280) as DER, signed with node:crypto: just the fields and
 * extensions kubeloop's certificates carry — the ones kubeadm and client-go's certutil put in
 * theirs (basicConstraints, keyUsage, extKeyUsage, subjectAltName, subjectKeyIdentifier).
 */
import { createHash, createPublicKey, sign, type KeyObject } from 'node:crypto';
import { isIPv4 } from 'node:net';
import {
  bitString, boolean, children, explicit, implicit, namedBits, nullValue, octetString, oid, read, sequence, set, smallInteger,
  time, tlv, unsignedInteger, utf8String,
} from './der.js';

/** Attribute types of a subject; values are UTF8String (PrintableString for countryName). */
const ATTRIBUTE_OIDS = {
  commonName: '2.5.4.3',
  countryName: '2.5.4.6',
  localityName: '2.5.4.7',
  stateOrProvinceName: '2.5.4.8',
  organizationName: '2.5.4.10',
  organizationalUnitName: '2.5.4.11',
} as const;

/** One relative distinguished name of a subject, e.g. `{ name: 'organizationName', value: 'system:masters' }`. */
export interface SubjectField {
  name: keyof typeof ATTRIBUTE_OIDS;
  value: string;
}

/** The DER Name of `fields`, one RDN each, in order (repeat organizationName for several groups). */
export function subjectOf(fields: readonly SubjectField[]): Buffer {
  return sequence(...fields.map((f) => {
    const type = ATTRIBUTE_OIDS[f.name];
    if (!type) throw new Error(`unsupported subject attribute ${String(f.name)}`);
    const value = f.name === 'countryName' ? tlv(0x13, Buffer.from(f.value, 'ascii')) : utf8String(f.value);
    return set(sequence(oid(type), value));
  }));
}

const OID = {
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  sha256WithRsa: '1.2.840.113549.1.1.11',
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
  extKeyUsage: '2.5.29.37',
  subjectAltName: '2.5.29.17',
  subjectKeyIdentifier: '2.5.29.14',
  authorityKeyIdentifier: '2.5.29.35',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
};

/** KeyUsage bit numbers (RFC 5280 section 4.2.1.3). */
const KEY_USAGE = { digitalSignature: 0, keyEncipherment: 2, keyCertSign: 5, cRLSign: 6 };

export interface CertificateFields {
  /** Positive big-endian serial number. */
  serial: Buffer;
  /** DER Names. */
  issuer: Buffer;
  subject: Buffer;
  notBefore: Date;
  notAfter: Date;
  /** The certified key (its public half is taken; a private key is fine). */
  publicKey: KeyObject;
  /** The issuer's private key, EC or RSA; the signature algorithm follows it (SHA-256). */
  signer: KeyObject;
  /** The issuer's key identifier (`keyIdentifier(issuer public key)`), for an end-entity certificate's authorityKeyIdentifier. */
  issuerKeyId?: Buffer;
  /** A CA (keyCertSign) or an end-entity certificate for `usage`. */
  ca: boolean;
  usage?: 'server' | 'client';
  /** DNS names and IP addresses. */
  hosts?: readonly string[];
}

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return sequence(oid(id), ...(critical ? [boolean(true)] : []), octetString(value));
}

const HEX_GROUP = /^[0-9a-fA-F]{1,4}$/;
const ZONE = /^[0-9a-zA-Z.:-]+$/;

/**
 * `net.isIPv6(s)`, exactly (pki.test.ts compares them on generated addresses): eight groups of
 * 1-4 hex digits, or fewer with one `::` standing for at least one; the last two may be a dotted
 * IPv4 address; an optional `%zone`. Node's test is one large regular expression whose first
 * use compiles it (~4-12 ms of every server's start, for the serving certificate's `::1`).
 */
export function isIPv6Address(s: string): boolean {
  const pct = s.indexOf('%');
  if (pct >= 0 && !ZONE.test(s.slice(pct + 1))) return false;
  const addr = pct >= 0 ? s.slice(0, pct) : s;
  const groupsOk = (gs: string[]): number | undefined => {
    // the number of 16-bit groups, or undefined when one is malformed (only the last may be IPv4)
    for (let i = 0; i < gs.length - 1; i++) if (!HEX_GROUP.test(gs[i])) return undefined;
    const last = gs[gs.length - 1];
    if (last === undefined) return 0;
    if (HEX_GROUP.test(last)) return gs.length;
    return isIPv4(last) ? gs.length + 1 : undefined;
  };
  const dc = addr.indexOf('::');
  if (dc < 0) return groupsOk(addr.split(':')) === 8;
  if (addr.includes('::', dc + 1)) return false;
  const head = addr.slice(0, dc);
  const tail = addr.slice(dc + 2);
  const h = head ? head.split(':') : [];
  if (h.some((g) => !HEX_GROUP.test(g))) return false;
  const t = groupsOk(tail ? tail.split(':') : []);
  return t !== undefined && h.length + t <= 7;
}

/** An IP address's bytes: 4 for IPv4, 16 for IPv6 (with `::` and a trailing dotted IPv4 expanded). */
export function ipBytes(ip: string): Buffer {
  if (isIPv4(ip)) return Buffer.from(ip.split('.').map(Number));
  if (!isIPv6Address(ip)) throw new Error(`not an IP address: ${ip}`);
  let text = ip.replace(/%.*$/, '');
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const b = v4[1].split('.').map(Number);
    text = text.slice(0, -v4[1].length) + `${((b[0] << 8) | b[1]).toString(16)}:${((b[2] << 8) | b[3]).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const groups = (s: string | undefined) => (s ? s.split(':') : []);
  const h = groups(head);
  const t = groups(tail);
  const all = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  const out = Buffer.alloc(16);
  all.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
  return out;
}

function generalName(host: string): Buffer {
  return isIPv4(host) || isIPv6Address(host) ? implicit(7, ipBytes(host)) : implicit(2, Buffer.from(host, 'ascii'));
}

/** The signature AlgorithmIdentifier for a signing key. */
function signatureAlgorithm(key: KeyObject): Buffer {
  switch (key.asymmetricKeyType) {
    case 'ec':
      return sequence(oid(OID.ecdsaWithSha256));
    case 'rsa':
      return sequence(oid(OID.sha256WithRsa), nullValue());
    default:
      throw new Error(`cannot sign certificates with a ${String(key.asymmetricKeyType)} key (EC or RSA)`);
  }
}

/** The certificate, DER encoded and signed by `f.signer`. */
export function buildCertificate(f: CertificateFields): Buffer {
  const spki = createPublicKey(f.publicKey).export({ type: 'spki', format: 'der' });
  const rsaKey = f.publicKey.asymmetricKeyType === 'rsa';
  const exts: Buffer[] = [];
  if (f.ca) {
    exts.push(extension(OID.basicConstraints, true, sequence(boolean(true))));
    exts.push(extension(OID.keyUsage, true, namedBits([KEY_USAGE.digitalSignature, KEY_USAGE.keyCertSign, KEY_USAGE.cRLSign])));
    exts.push(extension(OID.subjectKeyIdentifier, false, octetString(keyIdentifier(f.publicKey))));
  } else {
    exts.push(extension(OID.basicConstraints, true, sequence()));
    // keyEncipherment only means something for RSA keys (kubeadm sets it for RSA only)
    exts.push(extension(OID.keyUsage, true, namedBits(rsaKey ? [KEY_USAGE.digitalSignature, KEY_USAGE.keyEncipherment] : [KEY_USAGE.digitalSignature])));
    if (f.usage) exts.push(extension(OID.extKeyUsage, false, sequence(oid(f.usage === 'server' ? OID.serverAuth : OID.clientAuth))));
    if (f.hosts?.length) exts.push(extension(OID.subjectAltName, false, sequence(...f.hosts.map(generalName))));
    // RFC 5280 4.2.1.1: required in all but self-signed certificates (openssl verify -x509_strict checks it)
    if (f.issuerKeyId) exts.push(extension(OID.authorityKeyIdentifier, false, sequence(implicit(0, f.issuerKeyId))));
  }
  const algorithm = signatureAlgorithm(f.signer);
  const tbs = sequence(
    explicit(0, smallInteger(2)), // v3
    unsignedInteger(f.serial),
    algorithm,
    f.issuer,
    sequence(time(f.notBefore), time(f.notAfter)),
    f.subject,
    spki,
    explicit(3, sequence(...exts)),
  );
  const signature = sign('sha256', tbs, f.signer); // ECDSA: DER Ecdsa-Sig-Value; RSA: PKCS #1 v1.5
  return sequence(tbs, algorithm, bitString(signature));
}

/**
 * A key's identifier: SHA-1 of the subjectPublicKey BIT STRING's bits (RFC 5280 4.2.1.2,
 * method 1), as Go's crypto/x509 and node-forge compute it.
 */
export function keyIdentifier(key: KeyObject): Buffer {
  const spki = createPublicKey(key).export({ type: 'spki', format: 'der' });
  const [, bits] = children(spki, read(spki, 0)); // SEQUENCE { AlgorithmIdentifier, BIT STRING }
  return createHash('sha1').update(spki.subarray(bits.start + 1, bits.end)).digest();
}
