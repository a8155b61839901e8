/**
 * Who a write's managedFields entry names. Upstream (k8s.io/apiserver
 * pkg/endpoints/handlers/create.go `managerOrUserAgent` / `prefixFromUserAgent`, used by the
 * create, update and patch handlers alike): the request's `fieldManager` when it has one, else
 * the User-Agent's product — the text before the first `/`, without non-printable characters,
 * cut to at most FieldManagerMaxLength (128) bytes without splitting a character. A request with
 * neither gets the empty manager (an entry without `manager`).
 */

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
