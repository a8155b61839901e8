/**
 * Predicates filter the events that reach a controller's work queue, as in
 * controller-runtime's `pkg/predicate`. Each method returns true to let the event through;
 * a missing method means "let it through".
 */
import { parseLabelSelector, labelSelectorFromSpec, LabelSelector, type KubeObject, type LabelSelectorSpec } from '../api/index.js';

export interface Predicate<T extends KubeObject = KubeObject> {
  create?(obj: T): boolean;
  update?(oldObj: T, newObj: T): boolean;
  delete?(obj: T): boolean;
  /** Events that are neither create/update/delete: the periodic resync (`resyncPeriodMs`) of each cached object. */
  generic?(obj: T): boolean;
}

export type EventKind = 'create' | 'update' | 'delete' | 'generic';

/** Applies one predicate to one event. */
export function admits<T extends KubeObject>(p: Predicate<T>, kind: EventKind, obj: T, oldObj?: T): boolean {
  switch (kind) {
    case 'create':
      return p.create ? p.create(obj) : true;
    case 'update':
      return p.update ? p.update(oldObj ?? obj, obj) : true;
    case 'delete':
      return p.delete ? p.delete(obj) : true;
    case 'generic':
      return p.generic ? p.generic(obj) : true;
  }
}

/** True when every predicate admits the event (an empty list admits everything). */
export function admitsAll<T extends KubeObject>(ps: readonly Predicate<T>[] | undefined, kind: EventKind, obj: T, oldObj?: T): boolean {
  for (const p of ps ?? []) if (!admits(p, kind, obj, oldObj)) return false;
  return true;
}

/** A predicate from one function applied to every event's (new) object. */
export function newPredicate<T extends KubeObject = KubeObject>(fn: (obj: T) => boolean): Predicate<T> {
  return { create: fn, update: (_o, n) => fn(n), delete: fn, generic: fn };
}

/** A predicate that filters update events only, with a comparison of old and new. */
function onUpdate<T extends KubeObject>(changed: (o: T, n: T) => boolean): Predicate<T> {
  return { update: changed };
}

function sameRecord(a: Record<string, string> | undefined, b: Record<string, string> | undefined): boolean {
  const ak = Object.keys(a ?? {});
  const bk = Object.keys(b ?? {});
  if (ak.length !== bk.length) return false;
  for (const k of ak) if ((a ?? {})[k] !== (b ?? {})[k] || !Object.prototype.hasOwnProperty.call(b ?? {}, k)) return false;
  return true;
}

/**
 * Passes updates whose `metadata.generation` changed (spec changes), dropping status-only
 * and metadata-only updates. Unlike controller-runtime's GenerationChangedPredicate it also
 * passes the update that sets `deletionTimestamp`, so finalizers run even on servers that
 * do not bump the generation on deletion.
 *
 * Only for kinds that have a generation: custom resources and the built-in workloads
 * (Deployments, ReplicaSets, StatefulSets, DaemonSets, Jobs, CronJobs, ...). ConfigMaps,
 * Secrets, Pods, Nodes, Services, Namespaces and most other core kinds have none on a real
 * kube-apiserver, so this predicate drops every update of them (the built-in server behaves
 * the same; see src/apiserver/resources/generation.ts).
 */
export function generationChanged<T extends KubeObject = KubeObject>(): Predicate<T> {
  return onUpdate<T>(
    (o, n) => o.metadata.generation !== n.metadata.generation || (!o.metadata.deletionTimestamp && !!n.metadata.deletionTimestamp),
  );
}

/** Passes updates whose resourceVersion changed (drops resync re-deliveries). */
export function resourceVersionChanged<T extends KubeObject = KubeObject>(): Predicate<T> {
  return onUpdate<T>((o, n) => o.metadata.resourceVersion !== n.metadata.resourceVersion);
}

/** Passes updates whose labels changed. */
export function labelsChanged<T extends KubeObject = KubeObject>(): Predicate<T> {
  return onUpdate<T>((o, n) => !sameRecord(o.metadata.labels, n.metadata.labels));
}

/** Passes updates whose annotations changed. */
export function annotationsChanged<T extends KubeObject = KubeObject>(): Predicate<T> {
  return onUpdate<T>((o, n) => !sameRecord(o.metadata.annotations, n.metadata.annotations));
}

/**
 * Passes events for objects whose labels match the selector (a string such as
 * "app=web,tier!=db", a metav1.LabelSelector object, or a parsed LabelSelector). An update
 * passes when the new object matches.
 */
export function labelSelector<T extends KubeObject = KubeObject>(sel: string | LabelSelectorSpec | LabelSelector): Predicate<T> {
  const s = sel instanceof LabelSelector ? sel : typeof sel === 'string' ? parseLabelSelector(sel) : labelSelectorFromSpec(sel);
  return newPredicate<T>((obj) => s.matches(obj.metadata.labels));
}

/** Passes events that every given predicate passes. */
export function and<T extends KubeObject = KubeObject>(...ps: Predicate<T>[]): Predicate<T> {
  return {
    create: (obj) => ps.every((p) => admits(p, 'create', obj)),
    update: (o, n) => ps.every((p) => admits(p, 'update', n, o)),
    delete: (obj) => ps.every((p) => admits(p, 'delete', obj)),
    generic: (obj) => ps.every((p) => admits(p, 'generic', obj)),
  };
}

/** Passes events that at least one given predicate passes (none given: passes nothing). */
export function or<T extends KubeObject = KubeObject>(...ps: Predicate<T>[]): Predicate<T> {
  return {
    create: (obj) => ps.some((p) => admits(p, 'create', obj)),
    update: (o, n) => ps.some((p) => admits(p, 'update', n, o)),
    delete: (obj) => ps.some((p) => admits(p, 'delete', obj)),
    generic: (obj) => ps.some((p) => admits(p, 'generic', obj)),
  };
}

/** Inverts a predicate. */
export function not<T extends KubeObject = KubeObject>(p: Predicate<T>): Predicate<T> {
  return {
    create: (obj) => !admits(p, 'create', obj),
    update: (o, n) => !admits(p, 'update', n, o),
    delete: (obj) => !admits(p, 'delete', obj),
    generic: (obj) => !admits(p, 'generic', obj),
  };
}
