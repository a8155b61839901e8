/**
 * Decodes the protobuf bodies (`application/vnd.kubernetes.protobuf`) that typed
 * `kubectl create <kind>` subcommands send: the `k8s\0` magic, a `runtime.Unknown` envelope
 * and the object, for the kinds in ./schema.ts. Anything else is a 415 with a clear message.
 */
import { type KubeObject, newBadRequest, newUnsupportedMediaType, rfc3339 } from '../../api/index.js';
import { MESSAGES, TOP_LEVEL } from './schema.js';
import { readFields, type WireField } from './wire.js';

/** The range of google.protobuf.Timestamp: 0001-01-01T00:00:00Z to 9999-12-31T23:59:59Z. */
const MIN_TIMESTAMP_SECONDS = -62135596800;
const MAX_TIMESTAMP_SECONDS = 253402300799;

const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

export const PROTOBUF_CONTENT_TYPE = 'application/vnd.kubernetes.protobuf';

function unsupported(what: string): Error {
  return newUnsupportedMediaType(
    `${what}: this server decodes protobuf bodies only for the kinds typed \`kubectl create\` subcommands send ` +
      `(${Object.keys(TOP_LEVEL).join(', ')}); send JSON or YAML (kubectl create -f / apply -f) instead`,
  );
}

interface FieldSpec {
  name: string;
  type: string;
  repeated: boolean;
  keepZero: boolean;
}

function parseSpec(spec: string): FieldSpec {
  const i = spec.indexOf(':');
  let type = spec.slice(i + 1);
  const keepZero = type.endsWith('!');
  if (keepZero) type = type.slice(0, -1);
  const repeated = type.startsWith('[]');
  if (repeated) type = type.slice(2);
  return { name: spec.slice(0, i), type, repeated, keepZero };
}

function isZero(f: WireField): boolean {
  return f.wireType === 0 ? f.value === 0n : f.wireType === 2 ? (f.value as Buffer).length === 0 : false;
}

function num(f: WireField, path: string): number {
  if (f.wireType !== 0) throw newBadRequest(`error decoding protobuf body: ${path} is not a varint`);
  let v = f.value as bigint;
  if (v >= 1n << 63n) v -= 1n << 64n; // two's complement int64
  return Number(v);
}

function bytes(f: WireField, path: string): Buffer {
  if (f.wireType !== 2) throw newBadRequest(`error decoding protobuf body: ${path} is not length-delimited`);
  return f.value as Buffer;
}

function mapEntry(f: WireField, path: string): [string, WireField | undefined] {
  let key = '';
  let value: WireField | undefined;
  for (const e of readFields(bytes(f, path))) {
    if (e.field === 1) key = bytes(e, path).toString('utf8');
    else if (e.field === 2) value = e;
  }
  return [key, value];
}

function quantity(buf: Buffer): string {
  for (const f of readFields(buf)) if (f.field === 1 && f.wireType === 2) return (f.value as Buffer).toString('utf8');
  return '0';
}

function scalar(type: string, f: WireField, path: string): unknown {
  switch (type) {
    case 's':
      return bytes(f, path).toString('utf8');
    case 'b':
      return bytes(f, path).toString('base64');
    case 'i':
      return num(f, path);
    case 'B':
      return num(f, path) !== 0;
    case 'q':
      return quantity(bytes(f, path));
    case 't': {
      let seconds = 0;
      for (const e of readFields(bytes(f, path))) if (e.field === 1) seconds = num(e, path);
      if (!seconds) return undefined;
      // RFC 3339 (and so JSON) writes years 0001 to 9999 only, as protobuf's Timestamp allows.
      if (seconds < MIN_TIMESTAMP_SECONDS || seconds > MAX_TIMESTAMP_SECONDS) {
        throw newBadRequest(`error decoding protobuf body: ${path}: timestamp seconds:${seconds} is outside 0001-01-01T00:00:00Z..9999-12-31T23:59:59Z`);
      }
      return rfc3339(new Date(seconds * 1000));
    }
    case 'ios': {
      let t = 0;
      let intVal = 0;
      let strVal = '';
      for (const e of readFields(bytes(f, path))) {
        if (e.field === 1) t = num(e, path);
        else if (e.field === 2) intVal = num(e, path);
        else if (e.field === 3) strVal = bytes(e, path).toString('utf8');
      }
      return t === 1 ? strVal : intVal;
    }
    default:
      return decodeMessage(type, bytes(f, path), path);
  }
}

function decodeMessage(name: string, buf: Buffer, path: string): Record<string, unknown> {
  const spec = MESSAGES[name];
  if (!spec) throw unsupported(`no protobuf decoding for message ${name}`);
  const out: Record<string, unknown> = {};
  for (const f of readFields(buf)) {
    const raw = spec[f.field];
    if (!raw) {
      if (isZero(f)) continue; // gogo writes every non-pointer field, zero values included
      throw unsupported(`protobuf field ${f.field} of ${name} (at ${path || 'the object'}) is not supported`);
    }
    const s = parseSpec(raw);
    const p = path ? `${path}.${s.name}` : s.name;
    if (s.type.startsWith('m:')) {
      const [key, value] = mapEntry(f, p);
      const m = (out[s.name] ??= {}) as Record<string, unknown>;
      m[key] = value ? scalar(s.type.slice(2), value, `${p}[${key}]`) : s.type === 'm:q' ? '0' : '';
      continue;
    }
    if (s.repeated) {
      ((out[s.name] ??= []) as unknown[]).push(scalar(s.type, f, p));
      continue;
    }
    if (!s.keepZero && isZero(f) && (s.type === 's' || s.type === 'i' || s.type === 'B' || s.type === 'b' || s.type === 't')) continue;
    if (s.name === '*') {
      Object.assign(out, decodeMessage(s.type, bytes(f, path), path)); // an inlined embedded struct
      continue;
    }
    const v = scalar(s.type, f, p);
    if (v !== undefined) out[s.name] = v;
  }
  return out;
}

/** True when the bytes start with the Kubernetes protobuf magic `k8s\0`. */
export function isKubernetesProtobuf(buf: Buffer): boolean {
  return buf.length >= 4 && buf.subarray(0, 4).equals(MAGIC);
}

/** Decodes a protobuf request body into a JSON object (kind and apiVersion filled). */
export function decodeProtobufObject(buf: Buffer): KubeObject {
  if (!isKubernetesProtobuf(buf)) throw newBadRequest('error decoding protobuf body: missing the k8s\\0 prefix');
  const unknown = decodeMessage('Unknown', buf.subarray(4), '');
  const tm = (unknown.typeMeta ?? {}) as { apiVersion?: string; kind?: string };
  const apiVersion = tm.apiVersion ?? '';
  const kind = tm.kind ?? '';
  const message = TOP_LEVEL[`${apiVersion}/${kind}`];
  if (!message) throw unsupported(`protobuf bodies of ${apiVersion ? `${apiVersion}, Kind=${kind}` : 'unknown kinds'} are not supported`);
  if (unknown.contentEncoding) throw unsupported(`protobuf content encoding ${String(unknown.contentEncoding)} is not supported`);
  const obj = decodeMessage(message, Buffer.from(String(unknown.raw ?? ''), 'base64'), '') as KubeObject;
  obj.metadata ??= {};
  return { apiVersion, kind, ...obj };
}
