/**
 * Valid objects of the kinds the fuzzer writes, so mutations start from something the server
 * accepts and reach past decoding into defaults, admission, validation, patches and storage.
 * Names come from small pools, so the store stays bounded however long the run.
 */
import type { Json } from '../mutate.js';
import type { Rng } from '../rng.js';

export interface Kind {
  /** `/api/v1` or `/apis/G/V` */
  prefix: string;
  resource: string;
  apiVersion: string;
  kind: string;
  namespaced: boolean;
  subresources: string[];
  make(rng: Rng, name: string): Record<string, Json>;
}

/** Namespaces the setup creates; fuzzed writes go there (and to a few others). */
export const NAMESPACES = ['fuzz-a', 'fuzz-b'];
const CRD_GROUP = 'fuzz.example.com';

const labels = (rng: Rng): Record<string, Json> => (rng.chance(0.5) ? { app: rng.pick(['web', 'db', 'x']), tier: rng.pick(['a', 'b']) } : {});
const meta = (rng: Rng, name: string): Record<string, Json> => ({
  name, labels: labels(rng), ...(rng.chance(0.2) ? { annotations: { 'fuzz.example.com/note': 'n' } } : {}), ...(rng.chance(0.1) ? { finalizers: ['fuzz.example.com/hold'] } : {}),
});
const container = (rng: Rng): Json => ({ name: 'c', image: rng.pick(['nginx', 'busybox:1.36']), ports: [{ containerPort: 80 }], resources: { limits: { cpu: '100m', memory: '64Mi' } } });
const podSpec = (rng: Rng): Json => ({ containers: [container(rng)], restartPolicy: rng.pick(['Always', 'OnFailure', 'Never']) });

const core = (resource: string, kind: string, namespaced: boolean, subresources: string[], spec: (rng: Rng) => Record<string, Json>): Kind => ({
  prefix: '/api/v1', resource, apiVersion: 'v1', kind, namespaced, subresources, make: (rng, name) => ({ apiVersion: 'v1', kind, metadata: meta(rng, name), ...spec(rng) }),
});
const grouped = (gv: string, resource: string, kind: string, namespaced: boolean, subresources: string[], spec: (rng: Rng) => Record<string, Json>): Kind => ({
  prefix: `/apis/${gv}`, resource, apiVersion: gv, kind, namespaced, subresources, make: (rng, name) => ({ apiVersion: gv, kind, metadata: meta(rng, name), ...spec(rng) }),
});

export const KINDS: Kind[] = [
  core('configmaps', 'ConfigMap', true, [], (rng) => ({ data: { a: 'b', [`k${rng.int(5)}`]: 'v' } })),
  core('secrets', 'Secret', true, [], (rng) => ({ type: 'Opaque', data: { a: 'YWJj' }, ...(rng.chance(0.3) ? { stringData: { b: 'x' } } : {}) })),
  core('pods', 'Pod', true, ['status', 'binding', 'eviction'], (rng) => ({ spec: podSpec(rng) })),
  core('services', 'Service', true, ['status'], (rng) => ({
    spec: { type: rng.pick(['ClusterIP', 'NodePort', 'LoadBalancer']), selector: { app: 'web' }, ports: [{ port: 80, targetPort: rng.pick<Json>([8080, 'http']), protocol: 'TCP' }] },
  })),
  core('serviceaccounts', 'ServiceAccount', true, ['token'], () => ({})),
  core('namespaces', 'Namespace', false, ['status', 'finalize'], () => ({})),
  core('events', 'Event', true, [], () => ({ involvedObject: { kind: 'Pod', name: 'p' }, reason: 'R', message: 'm', type: 'Normal' })),
  grouped('apps/v1', 'deployments', 'Deployment', true, ['status', 'scale'], (rng) => ({
    spec: { replicas: rng.int(4), selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: podSpec(rng) } },
  })),
  grouped('batch/v1', 'jobs', 'Job', true, ['status'], (rng) => ({ spec: { template: { spec: { ...(podSpec(rng) as object), restartPolicy: 'Never' } } } })),
  grouped('rbac.authorization.k8s.io/v1', 'roles', 'Role', true, [], () => ({ rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list'] }] })),
  grouped('rbac.authorization.k8s.io/v1', 'rolebindings', 'RoleBinding', true, [], () => ({
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'f0' }, subjects: [{ kind: 'User', name: 'alice', apiGroup: 'rbac.authorization.k8s.io' }],
  })),
  grouped('rbac.authorization.k8s.io/v1', 'clusterroles', 'ClusterRole', false, [], () => ({ rules: [{ nonResourceURLs: ['/healthz'], verbs: ['get'] }] })),
  grouped('policy/v1', 'poddisruptionbudgets', 'PodDisruptionBudget', true, ['status'], () => ({ spec: { minAvailable: 1, selector: { matchLabels: { app: 'web' } } } })),
  grouped('coordination.k8s.io/v1', 'leases', 'Lease', true, [], () => ({ spec: { holderIdentity: 'h', leaseDurationSeconds: 15 } })),
  // Kinds whose admission and validation came with LimitRanger/ResourceQuota, apps/batch validation and PriorityClass.
  core('limitranges', 'LimitRange', true, [], (rng) => ({
    spec: { limits: [{ type: rng.pick(['Container', 'Pod']), max: { cpu: '2', memory: '1Gi' }, min: { cpu: '10m' }, ...(rng.chance(0.5) ? { default: { cpu: '200m' }, defaultRequest: { cpu: '100m' } } : {}) }] },
  })),
  core('resourcequotas', 'ResourceQuota', true, ['status'], (rng) => ({
    spec: { hard: { pods: String(rng.int(20)), 'requests.cpu': '4', 'limits.memory': '8Gi', configmaps: '50', 'count/jobs.batch': '10' }, ...(rng.chance(0.3) ? { scopes: ['NotTerminating'] } : {}) },
  })),
  core('replicationcontrollers', 'ReplicationController', true, ['status', 'scale'], (rng) => ({
    spec: { replicas: rng.int(3), selector: { app: 'web' }, template: { metadata: { labels: { app: 'web' } }, spec: podSpec(rng) } },
  })),
  grouped('apps/v1', 'statefulsets', 'StatefulSet', true, ['status', 'scale'], (rng) => ({
    spec: { replicas: rng.int(3), serviceName: 's', selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: podSpec(rng) } },
  })),
  grouped('apps/v1', 'daemonsets', 'DaemonSet', true, ['status'], (rng) => ({
    spec: { selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { ...(podSpec(rng) as object), restartPolicy: 'Always' } } },
  })),
  grouped('apps/v1', 'replicasets', 'ReplicaSet', true, ['status', 'scale'], (rng) => ({
    spec: { replicas: rng.int(3), selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { ...(podSpec(rng) as object), restartPolicy: 'Always' } } },
  })),
  grouped('batch/v1', 'cronjobs', 'CronJob', true, ['status'], (rng) => ({
    spec: { schedule: rng.pick(['*/5 * * * *', '@hourly']), jobTemplate: { spec: { template: { spec: { ...(podSpec(rng) as object), restartPolicy: 'OnFailure' } } } } },
  })),
  grouped('scheduling.k8s.io/v1', 'priorityclasses', 'PriorityClass', false, [], (rng) => ({ value: rng.int(1000), description: 'd', ...(rng.chance(0.2) ? { preemptionPolicy: 'Never' } : {}) })),
  grouped(`${CRD_GROUP}/v1`, 'widgets', 'Widget', true, ['status', 'scale'], (rng) => ({
    spec: { size: rng.int(10), color: rng.pick(['red', 'blue']), word: rng.pick(['aaa', 'abc']), tags: ['a', 'b'], ports: [{ name: 'http', port: 80 }], extra: { free: [1, 'x'] } },
  })),
  grouped('apiextensions.k8s.io/v1', 'customresourcedefinitions', 'CustomResourceDefinition', false, [], (rng) => crd(`gadget${rng.int(4)}s`)),
];

/** A CRD with the schema features validation must handle: patterns, sets, maps, int-or-string, free-form fields, subresources. */
export function crd(plural: string): Record<string, Json> {
  const kind = plural[0].toUpperCase() + plural.slice(1, -1);
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.${CRD_GROUP}` },
    spec: {
      group: CRD_GROUP, scope: 'Namespaced', names: { plural, kind, shortNames: [`${plural.slice(0, 3)}x`] },
      versions: [{
        name: 'v1', served: true, storage: true,
        subresources: { status: {}, scale: { specReplicasPath: '.spec.size', statusReplicasPath: '.status.size' } },
        additionalPrinterColumns: [{ name: 'Size', type: 'integer', jsonPath: '.spec.size' }],
        schema: {
          openAPIV3Schema: {
            type: 'object',
            properties: {
              spec: {
                type: 'object',
                properties: {
                  size: { type: 'integer', minimum: 0, maximum: 100, default: 1 },
                  color: { type: 'string', enum: ['red', 'blue'] },
                  word: { type: 'string', pattern: '^(a+)+$|^abc$', maxLength: 64 },
                  tags: { type: 'array', 'x-kubernetes-list-type': 'set', items: { type: 'string' } },
                  ports: { type: 'array', 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['name'], items: { type: 'object', required: ['name'], properties: { name: { type: 'string' }, port: { 'x-kubernetes-int-or-string': true } } } },
                  extra: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
                },
              },
              status: { type: 'object', properties: { size: { type: 'integer' }, phase: { type: 'string' } } },
            },
          },
        },
      }],
    },
  };
}
