/**
 * Emulator mode needs hostnames such as `<project>.sls.kubeloop.local` to reach the
 * emulator on 127.0.0.1: the SLS SDK always puts the project into the Host name and
 * ignores HTTP proxies. We wrap `dns.lookup` (which `net.connect` calls for every
 * connection) so that names under a reserved suffix resolve to loopback; every other
 * name goes to the original resolver untouched. Idempotent; only suffixes registered
 * here are affected.
 */
import dns from 'node:dns';

export const EMULATOR_DNS_SUFFIX = 'kubeloop.local';

const suffixes = new Set<string>();
let original: typeof dns.lookup | undefined;

export function matchesLoopbackSuffix(hostname: string): boolean {
  const h = hostname.toLowerCase().replace(/\.$/, '');
  for (const s of suffixes) if (h === s || h.endsWith(`.${s}`)) return true;
  return false;
}

/** `lookup`-compatible function for http.request({ lookup }) that honours the reserved suffixes. */
export function loopbackLookup(hostname: string, options: dns.LookupOptions | number | ((...a: unknown[]) => void), callback?: (...a: unknown[]) => void): void {
  const cb = (typeof options === 'function' ? options : callback) as (...a: unknown[]) => void;
  const o: dns.LookupOptions = typeof options === 'object' && options ? options : typeof options === 'number' ? { family: options } : {};
  if (matchesLoopbackSuffix(hostname)) {
    if (o.all) process.nextTick(cb, null, [{ address: '127.0.0.1', family: 4 }]);
    else process.nextTick(cb, null, '127.0.0.1', 4);
    return;
  }
  (original ?? dns.lookup)(hostname, o, cb as never);
}

/** Makes `*.<suffix>` (and `<suffix>`) resolve to 127.0.0.1 process-wide. */
export function resolveSuffixToLoopback(suffix = EMULATOR_DNS_SUFFIX): void {
  suffixes.add(suffix.toLowerCase().replace(/^\./, ''));
  if (original) return;
  original = dns.lookup;
  (dns as { lookup: unknown }).lookup = loopbackLookup;
}
