/** Built-in create/update defaults (a small part of upstream's per-type strategies). */
import type { FieldError, KubeObject } from '../../api/index.js';
import type { Strategy } from './types.js';

type Obj = KubeObject & Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const replicasDefault: Strategy = {
  prepareForCreate(o: Obj) {
    o.spec ??= {};
    if (o.spec.replicas === undefined) o.spec.replicas = 1;
  },
};

function sameMap(a: Record<string, unknown> | undefined, b: Record<string, unknown> | undefined): boolean {
  const ka = Object.keys(a ?? {});
  const kb = Object.keys(b ?? {});
  return ka.length === kb.length && ka.every((k) => (a ?? {})[k] === (b ?? {})[k]);
}

/** `stringData` is a write-only convenience: merged into `data` (base64) and never stored. */
function foldStringData(o: Obj): void {
  if (o.stringData && typeof o.stringData === 'object') {
    o.data ??= {};
    for (const [k, v] of Object.entries(o.stringData as Record<string, unknown>)) o.data[k] = Buffer.from(String(v)).toString('base64');
  }
  delete o.stringData;
}

/** ConfigMaps and Secrets marked `immutable: true` keep their data and the mark forever. */
function immutableData(fields: string[]): Strategy {
  return {
    validate(o: Obj, old?: Obj): FieldError[] {
      if (!old || old.immutable !== true) return [];
      const errs: FieldError[] = [];
      if (o.immutable !== true) errs.push({ type: 'FieldValueForbidden', field: 'immutable', message: 'field is immutable when `immutable` is set' });
      for (const f of fields) {
        if (!sameMap(o[f], old[f])) errs.push({ type: 'FieldValueForbidden', field: f, message: 'field is immutable when `immutable` is set' });
      }
      return errs;
    },
  };
}

export const BUILTIN_STRATEGIES: Record<string, Strategy> = {
  '/configmaps': immutableData(['data', 'binaryData']),
  '/services': {
    prepareForCreate(o: Obj) {
      o.spec ??= {};
      o.spec.type ??= 'ClusterIP';
      o.spec.sessionAffinity ??= 'None';
      o.status = { loadBalancer: {} };
    },
  },
  '/namespaces': {
    prepareForCreate(o: Obj) {
      o.status = { phase: 'Active' };
    },
    prepareForUpdate(o: Obj, old: Obj) {
      // The phase is owned by the server (namespace lifecycle), not by updates of the main resource.
      if (old.status) o.status = old.status;
    },
  },
  '/pods': {
    prepareForCreate(o: Obj) {
      o.spec ??= {};
      o.spec.restartPolicy ??= 'Always';
      o.spec.dnsPolicy ??= 'ClusterFirst';
      o.spec.schedulerName ??= 'default-scheduler';
      o.spec.terminationGracePeriodSeconds ??= 30;
      o.status = { phase: 'Pending' };
    },
  },
  '/secrets': {
    prepareForCreate(o: Obj) {
      o.type ??= 'Opaque';
      foldStringData(o);
    },
    prepareForUpdate(o: Obj) {
      foldStringData(o);
    },
    ...immutableData(['data']),
  },
  'apps/deployments': replicasDefault,
  'apps/replicasets': replicasDefault,
  'apps/statefulsets': replicasDefault,
};

/** Types whose status may be set on create (others start with an empty status when they have a status subresource). */
export const KEEP_STATUS_ON_CREATE = new Set(['/nodes', '/persistentvolumes', 'apiextensions.k8s.io/customresourcedefinitions']);
