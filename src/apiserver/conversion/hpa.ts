/**
 * Built-in conversion of HorizontalPodAutoscalers between autoscaling/v1 and autoscaling/v2
 * (the storage version), as kube-apiserver v1.32's pkg/apis/autoscaling/v1/conversion.go does
 * through the internal type:
 * - v1 `targetCPUUtilizationPercentage` <-> the first v2 Resource metric on `cpu` with an
 *   averageUtilization target; v1 `currentCPUUtilizationPercentage` <- its current utilization;
 * - every other metric is kept in the `autoscaling.alpha.kubernetes.io/metrics` annotation,
 *   the current metrics in `.../current-metrics` and the conditions in `.../conditions`, as
 *   JSON of the v1 (v2beta1-shaped) MetricSpec / MetricStatus / condition types; `behavior` in
 *   `.../behavior` as JSON. Reading v1 back into v2 takes them out of the annotations again.
 * - a v1 object with neither a cpu target nor other metrics gets the implicit cpu 80% metric.
 */
import type { KubeObject } from '../../api/index.js';

export const METRICS_ANNOTATION = 'autoscaling.alpha.kubernetes.io/metrics';
export const CURRENT_METRICS_ANNOTATION = 'autoscaling.alpha.kubernetes.io/current-metrics';
export const CONDITIONS_ANNOTATION = 'autoscaling.alpha.kubernetes.io/conditions';
export const BEHAVIOR_ANNOTATION = 'autoscaling.alpha.kubernetes.io/behavior';
/** autoscaling.DefaultCPUUtilization */
const DEFAULT_CPU_UTILIZATION = 80;

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const isObj = (v: unknown): v is Obj => !!v && typeof v === 'object' && !Array.isArray(v);
const clean = (o: Obj): Obj => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== null));
const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v));

const isCpuUtilization = (m: Obj): boolean => m?.type === 'Resource' && m.resource?.name === 'cpu' && typeof m.resource?.target?.averageUtilization === 'number';

/**
 * Convert_autoscaling_MetricSpec_To_v1_MetricSpec (`side` 'target') and
 * Convert_autoscaling_MetricStatus_To_v1_MetricStatus (`side` 'current'): the v2 target or
 * current value and metric identifier flattened into v1's `<side>...` fields.
 */
function metricToV1(m: Obj, side: 'target' | 'current'): Obj {
  const v = m.resource?.[side] ?? m.containerResource?.[side] ?? m.pods?.[side] ?? m.object?.[side] ?? m.external?.[side] ?? {};
  const out: Obj = { type: m.type };
  const avgUtil = `${side}AverageUtilization`;
  const avgValue = `${side}AverageValue`;
  const value = `${side}Value`;
  if (m.resource) out.resource = clean({ name: m.resource.name, [avgUtil]: v.averageUtilization, [avgValue]: v.averageValue });
  if (m.containerResource) out.containerResource = clean({ name: m.containerResource.name, container: m.containerResource.container, [avgUtil]: v.averageUtilization, [avgValue]: v.averageValue });
  if (m.pods) out.pods = clean({ metricName: m.pods.metric?.name, selector: m.pods.metric?.selector, [avgValue]: v.averageValue });
  if (m.object) out.object = clean({ target: m.object.describedObject, metricName: m.object.metric?.name, selector: m.object.metric?.selector, [value]: v.value, averageValue: v.averageValue });
  if (m.external) out.external = clean({ metricName: m.external.metric?.name, metricSelector: m.external.metric?.selector, [value]: v.value, [avgValue]: v.averageValue });
  return out;
}

/** Convert_v1_MetricSpec_To_autoscaling_MetricSpec (the target type follows which fields are set). */
function specFromV1(m: Obj): Obj {
  const out: Obj = { type: m.type };
  const r = m.resource ?? m.containerResource;
  const resourceTarget = (x: Obj) => clean({ type: x.targetAverageUtilization === undefined ? 'AverageValue' : 'Utilization', averageUtilization: x.targetAverageUtilization, averageValue: x.targetAverageValue });
  if (m.resource) out.resource = { name: r.name, target: resourceTarget(r) };
  if (m.containerResource) out.containerResource = { name: r.name, container: r.container, target: resourceTarget(r) };
  if (m.pods) out.pods = { metric: clean({ name: m.pods.metricName, selector: m.pods.selector }), target: clean({ type: 'AverageValue', averageValue: m.pods.targetAverageValue }) };
  if (m.object) {
    out.object = {
      describedObject: m.object.target, metric: clean({ name: m.object.metricName, selector: m.object.selector }),
      target: clean({ type: m.object.averageValue === undefined ? 'Value' : 'AverageValue', value: m.object.targetValue, averageValue: m.object.averageValue }),
    };
  }
  if (m.external) {
    out.external = {
      metric: clean({ name: m.external.metricName, selector: m.external.metricSelector }),
      target: clean({ type: m.external.targetValue === undefined ? 'AverageValue' : 'Value', value: m.external.targetValue, averageValue: m.external.targetAverageValue }),
    };
  }
  return out;
}

/** Convert_v1_MetricStatus_To_autoscaling_MetricStatus. */
function statusFromV1(m: Obj): Obj {
  const out: Obj = { type: m.type };
  const r = m.resource ?? m.containerResource;
  const current = (x: Obj) => clean({ averageUtilization: x.currentAverageUtilization, averageValue: x.currentAverageValue });
  if (m.resource) out.resource = { name: r.name, current: current(r) };
  if (m.containerResource) out.containerResource = { name: r.name, container: r.container, current: current(r) };
  if (m.pods) out.pods = { metric: clean({ name: m.pods.metricName, selector: m.pods.selector }), current: clean({ averageValue: m.pods.currentAverageValue }) };
  if (m.object) out.object = { describedObject: m.object.target, metric: clean({ name: m.object.metricName, selector: m.object.selector }), current: clean({ value: m.object.currentValue, averageValue: m.object.averageValue }) };
  if (m.external) out.external = { metric: clean({ name: m.external.metricName, selector: m.external.metricSelector }), current: clean({ value: m.external.currentValue, averageValue: m.external.currentAverageValue }) };
  return out;
}

function parseList(annotations: Obj, key: string): Obj[] | undefined {
  const raw = annotations[key];
  if (raw === undefined) return undefined;
  delete annotations[key];
  try {
    const v = JSON.parse(String(raw));
    return Array.isArray(v) ? v.filter(isObj) : [];
  } catch {
    return [];
  }
}

/** An autoscaling/v2 HorizontalPodAutoscaler as autoscaling/v1. */
export function hpaV2ToV1(o: KubeObject): KubeObject {
  const src = o as Obj;
  const spec: Obj = isObj(src.spec) ? src.spec : {};
  const status: Obj = isObj(src.status) ? src.status : {};
  const metadata = clone(o.metadata);
  const metrics: Obj[] = Array.isArray(spec.metrics) ? spec.metrics.filter(isObj) : [];
  const currentMetrics: Obj[] = Array.isArray(status.currentMetrics) ? status.currentMetrics.filter(isObj) : [];
  const conditions: Obj[] = Array.isArray(status.conditions) ? status.conditions : [];
  const others = metrics.filter((m) => !isCpuUtilization(m)).map((m) => metricToV1(m, 'target'));
  const annotations: Record<string, string> = { ...(metadata.annotations ?? {}) };
  if (others.length) annotations[METRICS_ANNOTATION] = JSON.stringify(others);
  if (currentMetrics.length) annotations[CURRENT_METRICS_ANNOTATION] = JSON.stringify(currentMetrics.map((m) => metricToV1(m, 'current')));
  if (conditions.length) annotations[CONDITIONS_ANNOTATION] = JSON.stringify(conditions);
  if (isObj(spec.behavior)) annotations[BEHAVIOR_ANNOTATION] = JSON.stringify(spec.behavior);
  if (Object.keys(annotations).length) metadata.annotations = annotations;
  const cpu = metrics.find((m) => m.type === 'Resource' && m.resource?.name === 'cpu');
  const cpuNow = currentMetrics.filter((m) => m.type === 'Resource' && m.resource?.name === 'cpu' && typeof m.resource?.current?.averageUtilization === 'number').pop();
  const out: Obj = {
    ...src,
    apiVersion: 'autoscaling/v1',
    metadata,
    spec: clean({ scaleTargetRef: spec.scaleTargetRef, minReplicas: spec.minReplicas, maxReplicas: spec.maxReplicas, targetCPUUtilizationPercentage: cpu?.resource?.target?.averageUtilization }),
  };
  if (src.status !== undefined) {
    out.status = clean({
      observedGeneration: status.observedGeneration, lastScaleTime: status.lastScaleTime, currentReplicas: status.currentReplicas ?? 0, desiredReplicas: status.desiredReplicas ?? 0,
      currentCPUUtilizationPercentage: cpuNow?.resource?.current?.averageUtilization,
    });
  }
  return out as KubeObject;
}

/** An autoscaling/v1 HorizontalPodAutoscaler as autoscaling/v2 (the annotations taken back into fields). */
export function hpaV1ToV2(o: KubeObject): KubeObject {
  const src = o as Obj;
  const spec: Obj = isObj(src.spec) ? src.spec : {};
  const status: Obj = isObj(src.status) ? src.status : {};
  const metadata = clone(o.metadata);
  const annotations: Obj = { ...(metadata.annotations ?? {}) };
  const others = parseList(annotations, METRICS_ANNOTATION);
  const current = parseList(annotations, CURRENT_METRICS_ANNOTATION);
  const conditions = parseList(annotations, CONDITIONS_ANNOTATION);
  let behavior: unknown;
  if (annotations[BEHAVIOR_ANNOTATION] !== undefined) {
    try {
      behavior = JSON.parse(String(annotations[BEHAVIOR_ANNOTATION]));
    } catch { /* an unreadable annotation carries nothing */ }
    delete annotations[BEHAVIOR_ANNOTATION];
  }
  if (Object.keys(annotations).length) metadata.annotations = annotations;
  else delete metadata.annotations;
  const metrics: Obj[] = [];
  const cpu = typeof spec.targetCPUUtilizationPercentage === 'number'
    ? { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: spec.targetCPUUtilizationPercentage } } }
    : undefined;
  // the annotation's metrics first, then the cpu target (as upstream orders them)
  for (const m of others ?? []) metrics.push(specFromV1(m));
  if (cpu) metrics.push(cpu);
  if (!metrics.length) metrics.push({ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: DEFAULT_CPU_UTILIZATION } } });
  const out: Obj = {
    ...src,
    apiVersion: 'autoscaling/v2',
    metadata,
    spec: clean({ scaleTargetRef: spec.scaleTargetRef, minReplicas: spec.minReplicas, maxReplicas: spec.maxReplicas, metrics, behavior: isObj(behavior) ? behavior : undefined }),
  };
  if (src.status !== undefined) {
    let currentMetrics = current?.map(statusFromV1);
    if (!current && typeof status.currentCPUUtilizationPercentage === 'number') {
      currentMetrics = [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: status.currentCPUUtilizationPercentage } } }];
    }
    out.status = clean({
      observedGeneration: status.observedGeneration, lastScaleTime: status.lastScaleTime, currentReplicas: status.currentReplicas, desiredReplicas: status.desiredReplicas ?? 0,
      currentMetrics: currentMetrics?.length ? currentMetrics : undefined, conditions: conditions?.length ? conditions : undefined,
    });
  }
  return out as KubeObject;
}

/** `obj` (either version) in `desired` (`autoscaling/v1` or `autoscaling/v2`). */
export function convertHpa(obj: KubeObject, desired: string): KubeObject {
  if (obj.apiVersion === desired) return obj;
  const v2 = obj.apiVersion === 'autoscaling/v1' ? hpaV1ToV2(obj) : obj;
  return desired === 'autoscaling/v1' ? hpaV2ToV1(v2) : v2;
}
