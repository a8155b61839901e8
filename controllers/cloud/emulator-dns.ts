/**
 * Emulator mode needs hostnames such as `<project>.sls.kubeloop.local` to reach the
 * emulator: the SLS SDK always puts the project into the Host name and ignores HTTP
 * proxies. We wrap `dns.lookup` (which `net.connect` calls for every connection) so that
 * names under a reserved suffix resolve to the emulator's host — 127.0.0.1 on a laptop,
 * the emulator Service's name in a cluster (looked up with the original resolver) — and
 * every other name goes to the original resolver untouched. Only suffixes registered here
 * are affected.
 */
import dns from 'node:dns';
import { isIP } from 'node:net';

export const EMULATOR_DNS_SUFFIX = 'kubeloop.local';

/** suffix -> the host its names resolve to (an IP, or a name for the original resolver). */
const targets = new Map<string, string>();
let original: typeof dns.lookup | undefined;

const normalize = (s: string) => s.toLowerCase().replace(/^\./, '').replace(/\.$/, '');

/** The host that `hostname` is redirected to, or undefined when it is under no registered suffix. */
export function redirectTargetOf(hostname: string): string | undefined {
  const h = normalize(hostname);
  for (const [s, target] of targets) if (h === s || h.endsWith(`.${s}`)) return target;
  return undefined;
}

/** `lookup`-compatible function for http.request({ lookup }) that honours the registered suffixes. */
export function emulatorLookup(hostname: string, options: dns.LookupOptions | number | ((...a: unknown[]) => void), callback?: (...a: unknown[]) => void): void {
  const cb = (typeof options === 'function' ? options : callback) as (...a: unknown[]) => void;
  const o: dns.LookupOptions = typeof options === 'object' && options ? options : typeof options === 'number' ? { family: options } : {};
  const target = redirectTargetOf(hostname);
  const resolve = original ?? dns.lookup;
  if (target === undefined) {
    resolve(hostname, o, cb as never);
    return;
  }
  const family = isIP(target);
  if (family) {
    if (o.all) process.nextTick(cb, null, [{ address: target, family }]);
    else process.nextTick(cb, null, target, family);
    return;
  }
  resolve(target, o, cb as never);
}

/**
 * Makes `*.<suffix>` (and `<suffix>`) resolve to `target` process-wide: an IP address, or a
 * host name resolved with the original resolver (e.g. the emulator Service's DNS name). A
 * later call for the same suffix replaces the target.
 */
export function resolveSuffixTo(suffix: string, target: string): void {
  const t = target.replace(/^\[(.*)\]$/, '$1'); // URL hostnames bracket IPv6 addresses
  targets.set(normalize(suffix), t);
  if (original) return;
  original = dns.lookup;
  (dns as { lookup: unknown }).lookup = emulatorLookup;
}

/** Makes `*.<suffix>` resolve to 127.0.0.1, unless the suffix already points somewhere. */
export function resolveSuffixToLoopback(suffix = EMULATOR_DNS_SUFFIX): void {
  if (targets.has(normalize(suffix))) return;
  resolveSuffixTo(suffix, '127.0.0.1');
}
