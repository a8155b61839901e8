// The type registry: which resources are served, their kinds, scopes, verbs, subresources,
// printers, strategies and field selectors.
import { builtinPrinter } from '../table/index.js';
import { BUILTIN_RESOURCES, typesFromOpenApi } from './builtins.js';
import { ResourceRegistry } from './registry.js';
import { BUILTIN_GENERATION } from './generation.js';
import { BUILTIN_STRATEGIES } from './strategies.js';
import { BUILTIN_STATUS_WRITES } from './status-writes.js';
import { BUILTIN_DEFAULTS } from '../defaults/index.js';
import type { ResourceType } from './types.js';
import { hpaV1Type } from './hpa-versions.js';

export * from './types.js';
export { ResourceRegistry } from './registry.js';
export { BUILTIN_RESOURCES } from './builtins.js';
export { KEEP_STATUS_ON_CREATE } from './strategies.js';
export { HIGHEST_USER_DEFINABLE_PRIORITY, SYSTEM_CRITICAL_PRIORITY, SYSTEM_PRIORITY_CLASSES } from './priorityclass.js';
export { podQOSClass } from './qos.js';
export { BUILTIN_GENERATION, generationBumps, type GenerationRule } from './generation.js';
export { BUILTIN_STATUS_WRITES, statusWriteResult, type StatusWriteRule, type StatusKeptField } from './status-writes.js';

let cached: ResourceType[] | undefined;

/** The built-in types (derived once per process from the OpenAPI documents). */
export function builtinTypes(): ResourceType[] {
  if (!cached) {
    cached = [];
    for (const [gv, resources] of Object.entries(BUILTIN_RESOURCES)) {
      const [group, version] = gv.includes('/') ? gv.split('/') : ['', gv];
      for (const t of typesFromOpenApi(group, version, resources)) {
        const key = `${group}/${t.resource}`;
        const type: ResourceType = { ...t, table: builtinPrinter(group, t.resource), defaults: BUILTIN_DEFAULTS[key], strategy: BUILTIN_STRATEGIES[key], generation: BUILTIN_GENERATION[key], statusWrites: BUILTIN_STATUS_WRITES[key] };
        const v2 = gv === 'autoscaling/v1' && t.resource === 'horizontalpodautoscalers' ? cached.find((x) => x.group === group && x.version === 'v2' && x.resource === t.resource) : undefined;
        cached.push(v2 ? hpaV1Type(type, v2) : type);
      }
    }
  }
  return cached.map((t) => ({ ...t }));
}

/** A registry holding the built-in types. */
export function newBuiltinRegistry(): ResourceRegistry {
  const r = new ResourceRegistry();
  for (const t of builtinTypes()) r.add(t);
  return r;
}
