/**
 * HorizontalPodAutoscalers are served in autoscaling/v2 and autoscaling/v1 from one storage,
 * stored as autoscaling/v2 (kube-apiserver v1.32: pkg/registry/autoscaling/rest/storage_autoscaling.go
 * installs both versions; pkg/kubeapiserver/default_storage_factory_builder.go stores
 * horizontalpodautoscalers as autoscaling/v2). The v1 type differs from the v2 one in:
 * - conversion: conversion/hpa.ts, applied wherever a conversion webhook would be called;
 * - defaults: pkg/apis/autoscaling/v1/defaults.go SetDefaults_HorizontalPodAutoscaler sets
 *   `minReplicas` 1 only; `targetCPUUtilizationPercentage` stays unset, and the conversion
 *   gives the stored v2 object the implicit cpu 80% metric;
 * - validation and the table: upstream's run on the internal type, so here on the object
 *   converted to v2 (the same rules, the same columns).
 */
import type { KubeObject } from '../../api/index.js';
import { convertHpa } from '../conversion/hpa.js';
type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
import type { ResourceType } from './types.js';

const V2 = 'autoscaling/v2';
const asV2 = (o: KubeObject): KubeObject => convertHpa(o, V2);

/** `t` (the autoscaling/v1 type read from OpenAPI) with v1's defaults and the v2 storage; `v2` is the served v2 type. */
export function hpaV1Type(t: ResourceType, v2: ResourceType): ResourceType {
  const validate = v2.strategy?.validate;
  const table = v2.table;
  return {
    ...t,
    builtinConversion: { storageVersion: 'v2', convert: convertHpa },
    defaults: (o: Obj) => {
      const spec = o.spec;
      if (spec && typeof spec === 'object' && !Array.isArray(spec) && (spec.minReplicas === undefined || spec.minReplicas === null)) spec.minReplicas = 1;
    },
    strategy: validate ? { ...v2.strategy, validate: (o, old, sub) => validate(asV2(o), old && asV2(old), sub) } : v2.strategy,
    table: table && { columns: table.columns, cells: (o, now) => table.cells(asV2(o), now) },
  };
}
