/**
 * Who a write's managedFields entry names. Upstream (k8s.io/apiserver
 * pkg/endpoints/handlers/create.go `managerOrUserAgent` / `prefixFromUserAgent`, used by the
 * create, update and patch handlers alike): the request's `fieldManager` when it has one, else
 * the User-Agent's product — the text before the first `/`, without non-printable characters,
 * cut to at most FieldManagerMaxLength (128) bytes without splitting a character. A request with
 * neither gets the empty manager (an entry without `manager`).
 */

import type { FieldError, ManagedFieldsEntry } from '../../api/index.js';

/** apimachinery validation.FieldManagerMaxLength: bytes of UTF-8. */
export const FIELD_MANAGER_MAX_LENGTH = 128;

/** The manager named by `fieldManager`, else by `userAgent`, as upstream's managerOrUserAgent. */
export function managerOrUserAgent(fieldManager: string | undefined, userAgent: string | undefined): string {
  if (fieldManager) return fieldManager;
  // A client sends the same User-Agent on every request: its product is cut once, and the
  // objects it writes keep one string for it rather than a copy each.
  const ua = userAgent ?? '';
  if (ua !== lastUserAgent) {
    lastProduct = prefixFromUserAgent(ua);
    lastUserAgent = ua;
  }
  return lastProduct;
}

let lastUserAgent = '';
let lastProduct = '';

/** Go's unicode.IsPrint, near enough: letters, marks, numbers, punctuation, symbols and the ASCII space. */
const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u;

/** The product part of a User-Agent (`kube-controller-manager/v1.32.0 (linux/amd64) ...` -> `kube-controller-manager`). */
export function prefixFromUserAgent(userAgent: string): string {
  const slash = userAgent.indexOf('/');
  const product = slash < 0 ? userAgent : userAgent.slice(0, slash);
  // (the common case: short printable ASCII, returned as it is)
  if (product.length <= FIELD_MANAGER_MAX_LENGTH && /^[\x20-\x7e]*$/.test(product)) return product;
  let out = '';
  let bytes = 0;
  for (const ch of product) {
    if (!PRINTABLE.test(ch)) continue;
    const n = Buffer.byteLength(ch);
    if (bytes + n > FIELD_MANAGER_MAX_LENGTH) break;
    out += ch;
    bytes += n;
  }
  return out;
}

/** Go's `%#U` of a rune: `U+0007`, followed by the character in quotes when it is printable. */
function goRune(ch: string): string {
  const hex = ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
  return PRINTABLE.test(ch) ? `U+${hex} '${ch}'` : `U+${hex}`;
}

const GO_ESCAPES: Record<string, string> = { '\x07': '\\a', '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\v': '\\v', '\\': '\\\\', '"': '\\"' };

/** Go's `%q` of a string (strconv.Quote): printable characters as they are, the rest escaped. */
function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (GO_ESCAPES[ch]) out += GO_ESCAPES[ch];
    else if (PRINTABLE.test(ch)) out += ch;
    else if (cp < 0x80) out += `\\x${cp.toString(16).padStart(2, '0')}`;
    else if (cp < 0x10000) out += `\\u${cp.toString(16).padStart(4, '0')}`;
    else out += `\\U${cp.toString(16).padStart(8, '0')}`;
  }
  return out + '"';
}

/**
 * apimachinery's ValidateFieldManager: at most 128 bytes, every character printable (the empty
 * name is "not set" and passes). Positions are byte offsets, as Go ranges over a string.
 */
export function fieldManagerErrors(name: string, field: string): FieldError[] {
  if (name.length <= FIELD_MANAGER_MAX_LENGTH && /^[\x20-\x7e]*$/.test(name)) return []; // (the common case)
  const errs: FieldError[] = [];
  if (Buffer.byteLength(name) > FIELD_MANAGER_MAX_LENGTH) errs.push({ type: 'FieldValueTooLong', field, message: `may not be more than ${FIELD_MANAGER_MAX_LENGTH} bytes` });
  let at = 0;
  for (const ch of name) {
    if (!PRINTABLE.test(ch)) errs.push({ type: 'FieldValueInvalid', field, message: `${goQuote(name)}: invalid character ${goRune(ch)} (at position ${at})` });
    at += Buffer.byteLength(ch);
  }
  return errs;
}

/** apimachinery validation.MaxSubresourceNameLength. */
const MAX_SUBRESOURCE_NAME_LENGTH = 256;

/**
 * apimachinery's ValidateManagedFields, on recorded managedFields: each entry's manager as a
 * fieldManager, its subresource at most 256 bytes. (Its operation and fieldsType checks pass by
 * construction here: entries reach a record only once decoded, which already requires Apply or
 * Update and FieldsV1 — ssa.ts givenManagedFields.)
 */
export function managedFieldsErrors(entries: readonly ManagedFieldsEntry[]): FieldError[] {
  const errs: FieldError[] = [];
  entries.forEach((e, i) => {
    const at = `metadata.managedFields[${i}]`;
    if (e.manager !== undefined) errs.push(...fieldManagerErrors(e.manager, `${at}.manager`));
    if (e.subresource !== undefined && Buffer.byteLength(e.subresource) > MAX_SUBRESOURCE_NAME_LENGTH) {
      errs.push({ type: 'FieldValueTooLong', field: `${at}.subresource`, message: `may not be more than ${MAX_SUBRESOURCE_NAME_LENGTH} bytes` });
    }
  });
  return errs;
}
