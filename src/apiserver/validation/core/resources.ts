/**
 * A container's `resources` (pkg/apis/core/validation/validation.go v1.32,
 * ValidateContainerResourceRequirements -> validateResourceRequirements,
 * validateContainerResourceName, ValidateResourceQuantityValue): names standard container
 * resources (cpu, memory, ephemeral-storage, hugepages-*) or qualified extended ones,
 * quantities non-negative (whole for extended resources), each request at most its limit
 * ("must be less than or equal to cpu limit of 500m", at `...resources.requests`), requests of
 * resources that cannot be overcommitted (hugepages, extended) equal to a limit that must be
 * set, and hugepages only with cpu or memory. Keys are walked in the object's order (Go's map
 * order is random). Not emulated: the hugepages multiple-of-page-size check, resource claims.
 */
import { cmp, milliValue, q, type Q, str as qstr } from '../../quota/index.js';
import { type Errs, forbidden, invalid, obj, required } from './errors.js';
import { qualifiedName } from './names.js';

const STANDARD = new Set(['cpu', 'memory', 'ephemeral-storage']);

const isHugePages = (n: string) => n.startsWith('hugepages-');
/** helper.IsNativeResource: no domain, or a kubernetes.io one. */
const isNative = (n: string) => !n.includes('/') || n.includes('kubernetes.io/');
/** helper.IsOvercommitAllowed. */
const overcommitAllowed = (n: string) => isNative(n) && !isHugePages(n);
/** helper.IsExtendedResourceName: not native, not `requests.`, `requests.<name>` a qualified name. */
const isExtended = (n: string) => !isNative(n) && !n.startsWith('requests.') && qualifiedName(`requests.${n}`).length === 0;

function resourceName(errs: Errs, field: string, name: string): void {
  const msgs = qualifiedName(name);
  for (const m of msgs) invalid(errs, field, name, m);
  if (!name.includes('/')) {
    if (!STANDARD.has(name) && !isHugePages(name)) invalid(errs, field, name, 'must be a standard resource for containers');
  } else if (!isNative(name) && !isExtended(name)) {
    invalid(errs, field, name, "doesn't follow extended resource name standard");
  }
}

function quantity(errs: Errs, field: string, name: string, text: unknown): Q | undefined {
  let x: Q;
  try {
    x = q(text);
  } catch {
    return undefined; // a malformed quantity was refused when the body was decoded
  }
  if (x.nanos < 0n) invalid(errs, field, qstr(x), 'must be greater than or equal to 0');
  // IsIntegerResourceName: extended resources are counted in whole units
  if (isExtended(name) && milliValue(x) % 1000n !== 0n) invalid(errs, field, qstr(x), 'must be an integer');
  return x;
}

export function validateResources(errs: Errs, at: string, resources: unknown): void {
  const r = obj(resources);
  if (!r) return;
  const limits = obj(r.limits);
  const requests = obj(r.requests);
  if (!limits && !requests) return;
  let cpuOrMemory = false;
  let hugePages = false;
  for (const name in limits) {
    const field = `${at}.limits[${name}]`;
    resourceName(errs, field, name);
    quantity(errs, field, name, limits[name]);
    if (isHugePages(name)) hugePages = true;
    if (name === 'cpu' || name === 'memory') cpuOrMemory = true;
  }
  for (const name in requests) {
    const field = `${at}.requests[${name}]`;
    resourceName(errs, field, name);
    const req = quantity(errs, field, name, requests[name]);
    if (limits && name in limits) {
      let lim: Q | undefined;
      try {
        lim = q(limits[name]);
      } catch {
        lim = undefined;
      }
      if (req && lim) {
        const c = cmp(req, lim);
        if (c !== 0 && !overcommitAllowed(name)) invalid(errs, `${at}.requests`, qstr(req), `must be equal to ${name} limit of ${qstr(lim)}`);
        else if (c > 0) invalid(errs, `${at}.requests`, qstr(req), `must be less than or equal to ${name} limit of ${qstr(lim)}`);
      }
    } else if (!overcommitAllowed(name)) {
      required(errs, `${at}.limits`, 'Limit must be set for non overcommitable resources');
    }
    if (isHugePages(name)) hugePages = true;
    if (name === 'cpu' || name === 'memory') cpuOrMemory = true;
  }
  if (hugePages && !cpuOrMemory) forbidden(errs, at, 'HugePages require cpu or memory');
}
