/**
 * ConfigMap and Secret validation as kube-apiserver v1.32's pkg/apis/core/validation does it
 * (ValidateConfigMap, ValidateConfigMapUpdate, ValidateSecret, ValidateSecretUpdate): keys
 * valid config keys (IsConfigMapKey), a ConfigMap key in only one of `data` and `binaryData`,
 * at most 1 MiB of values in all (core.MaxSecretSize, for both kinds), a Secret's type-specific
 * keys, and an immutable Secret type.
 *
 * ConfigMaps are the hot create path: a valid key costs one loop over its characters and
 * nothing is allocated unless something is wrong (the messages come from names.ts only then).
 */
import type { FieldError } from '../../../api/index.js';
import { type Errs, invalid, obj, required } from './errors.js';
import { goJsonMapError } from './gojson.js';
import { configMapKey, each } from './names.js';

/** core.MaxSecretSize: 1 MiB, ConfigMaps share it. */
export const MAX_SECRET_SIZE = 1024 * 1024;

/** IsConfigMapKey without building messages: at most 253 of `[-._a-zA-Z0-9]`, not `.`, `..` or `..x`. */
function validConfigKey(k: string): boolean {
  const n = k.length;
  if (n === 0 || n > 253) return false;
  for (let i = 0; i < n; i++) {
    const c = k.charCodeAt(i);
    // a-z, A-Z, 0-9, '-', '.', '_'
    if (!((c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 45 || c === 46 || c === 95)) return false;
  }
  return !(k.charCodeAt(0) === 46 && (n === 1 || k.charCodeAt(1) === 46));
}

/** Bytes of a base64 value once decoded (the wire form of `[]byte` fields). */
function base64Bytes(v: unknown): number {
  if (typeof v !== 'string') return 0;
  let n = v.length;
  if (n && v.charCodeAt(n - 1) === 61) n--;
  if (n && v.charCodeAt(n - 1) === 61) n--;
  return Math.floor((n * 3) / 4);
}

const keyError = (errs: Errs, field: string, key: string) => each(errs, `${field}[${key}]`, key, configMapKey(key));

/** No errors: shared, so a valid ConfigMap's create allocates nothing here. */
const NONE: readonly FieldError[] = Object.freeze([]);

/**
 * ValidateConfigMap (the ObjectMeta part is the server's). One pass of cheap checks; only when
 * something is wrong does a second pass build upstream's errors.
 */
export function validateConfigMap(cm: Record<string, any>): readonly FieldError[] { // eslint-disable-line @typescript-eslint/no-explicit-any
  const data = obj(cm.data);
  const binary = obj(cm.binaryData);
  let ok = true;
  let units = 0; // UTF-16 units of `data`: 1 to 3 UTF-8 bytes each
  let bytes = 0; // decoded bytes of `binaryData`
  if (data) {
    for (const k in data) {
      if (!validConfigKey(k) || (binary && Object.hasOwn(binary, k))) ok = false;
      const v = data[k];
      if (typeof v === 'string') units += v.length;
    }
  }
  if (binary) {
    for (const k in binary) {
      if (!validConfigKey(k)) ok = false;
      bytes += base64Bytes(binary[k]);
    }
  }
  // upstream sums len() of the UTF-8 values: count exactly only when the bounds leave it open
  let tooLong = units + bytes > MAX_SECRET_SIZE;
  if (!tooLong && units * 3 + bytes > MAX_SECRET_SIZE) {
    let exact = bytes;
    for (const k in data) if (typeof data![k] === 'string') exact += Buffer.byteLength(data![k]);
    tooLong = exact > MAX_SECRET_SIZE;
  }
  if (ok && !tooLong) return NONE;
  const errs: Errs = [];
  if (data) {
    for (const k in data) {
      if (!validConfigKey(k)) keyError(errs, 'data', k);
      if (binary && Object.hasOwn(binary, k)) invalid(errs, `data[${k}]`, k, 'duplicate of key present in binaryData');
    }
  }
  if (binary) {
    for (const k in binary) {
      if (!validConfigKey(k)) keyError(errs, 'binaryData', k);
      if (data && Object.hasOwn(data, k)) invalid(errs, `binaryData[${k}]`, k, 'duplicate of key present in data');
    }
  }
  if (tooLong) {
    // `field.TooLong(field.NewPath(""), cfg, core.MaxSecretSize)`: the whole object, at the empty path
    errs.push({ type: 'FieldValueTooLong', field: '', message: `may not be more than ${MAX_SECRET_SIZE} bytes` });
  }
  return errs;
}

// Secret types and keys (pkg/apis/core/types.go)
const SA_NAME_KEY = 'kubernetes.io/service-account.name';
const DOCKERCFG_KEY = '.dockercfg';
const DOCKERCONFIGJSON_KEY = '.dockerconfigjson';
/** The types ValidateSecret has rules for. */
const TYPED_RULES = new Set(['kubernetes.io/service-account-token', 'kubernetes.io/dockercfg', 'kubernetes.io/dockerconfigjson', 'kubernetes.io/basic-auth', 'kubernetes.io/ssh-auth', 'kubernetes.io/tls']);

/** The well-formed-JSON check of the docker config types (the contents are never echoed). */
function dockerJson(errs: Errs, data: Record<string, unknown> | undefined, key: string): void {
  if (!data || !Object.hasOwn(data, key)) {
    required(errs, `data[${key}]`);
    return;
  }
  const v = data[key];
  const msg = goJsonMapError(Buffer.from(typeof v === 'string' ? v : '', 'base64'));
  if (msg) invalid(errs, `data[${key}]`, '<secret contents redacted>', msg);
}

/** ValidateSecret and, with `old`, ValidateSecretUpdate's type rule (the `immutable` rules are the strategy's). */
export function validateSecret(s: Record<string, any>, old?: Record<string, any>): readonly FieldError[] { // eslint-disable-line @typescript-eslint/no-explicit-any
  // the common case first, without allocating: an untyped-rule Secret with valid keys and size
  if (!TYPED_RULES.has(s.type) && (!old || (s.type ?? '') === (old.type ?? ''))) {
    const d = obj(s.data);
    let ok = true;
    let size = 0;
    if (d) {
      for (const k in d) {
        if (!validConfigKey(k)) ok = false;
        size += base64Bytes(d[k]);
      }
    }
    if (ok && size <= MAX_SECRET_SIZE) return NONE;
  }
  const errs: Errs = [];
  // ValidateSecretUpdate: ValidateImmutableField(newSecret.Type, oldSecret.Type)
  if (old && (s.type ?? '') !== (old.type ?? '')) invalid(errs, 'type', s.type ?? '', 'field is immutable');
  const data = obj(s.data);
  let total = 0;
  if (data) {
    for (const k in data) {
      if (!validConfigKey(k)) keyError(errs, 'data', k);
      total += base64Bytes(data[k]);
    }
  }
  if (total > MAX_SECRET_SIZE) errs.push({ type: 'FieldValueTooLong', field: 'data', message: `may not be more than ${MAX_SECRET_SIZE} bytes` });
  const has = (k: string) => !!data && Object.hasOwn(data, k);
  switch (s.type) {
    case 'kubernetes.io/service-account-token':
      // only the annotation is required; the token and uid come later from the controller
      if (!obj(obj(s.metadata)?.annotations)?.[SA_NAME_KEY]) required(errs, `metadata.annotations[${SA_NAME_KEY}]`);
      break;
    case 'kubernetes.io/dockercfg':
      dockerJson(errs, data, DOCKERCFG_KEY);
      break;
    case 'kubernetes.io/dockerconfigjson':
      dockerJson(errs, data, DOCKERCONFIGJSON_KEY);
      break;
    case 'kubernetes.io/basic-auth':
      // either may be empty, but one must be there; upstream's paths carry a literal `[%s]`
      if (!has('username') && !has('password')) {
        required(errs, 'data[%s][username]');
        required(errs, 'data[%s][password]');
      }
      break;
    case 'kubernetes.io/ssh-auth':
      if (!base64Bytes(data?.['ssh-privatekey'])) required(errs, 'data[%s][ssh-privatekey]');
      break;
    case 'kubernetes.io/tls':
      if (!has('tls.crt')) required(errs, 'data[tls.crt]');
      if (!has('tls.key')) required(errs, 'data[tls.key]');
      break;
    default:
  }
  return errs;
}
