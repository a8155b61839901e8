/** Built-in create/update defaults (a small part of upstream's per-type strategies). */
import type { KubeObject } from '../../api/index.js';
import type { Strategy } from './types.js';

type Obj = KubeObject & Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const replicasDefault: Strategy = {
  prepareForCreate(o: Obj) {
    o.spec ??= {};
    if (o.spec.replicas === undefined) o.spec.replicas = 1;
  },
};

export const BUILTIN_STRATEGIES: Record<string, Strategy> = {
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
    },
  },
  'apps/deployments': replicasDefault,
  'apps/replicasets': replicasDefault,
  'apps/statefulsets': replicasDefault,
};

/** Types whose status may be set on create (others start with an empty status when they have a status subresource). */
export const KEEP_STATUS_ON_CREATE = new Set(['/nodes', '/persistentvolumes', 'apiextensions.k8s.io/customresourcedefinitions']);
