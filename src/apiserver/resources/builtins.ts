/**
 * Built-in resource types, derived from the official OpenAPI documents (kinds, scopes,
 * verbs, subresources). What OpenAPI lacks (short names, categories, field selectors,
 * which kinds return the deleted object) is tabled here.
 *
 * They are read from the paths of the aggregated v2 document (swagger.json), which carry the
 * same operations (`x-kubernetes-action`, `x-kubernetes-group-version-kind`) as the paths of
 * the per-group-version v3 documents (a test keeps the two equal): one document to parse at
 * a server's start instead of thirteen. A start reads only those operations, from the small
 * file derived from swagger.json (schema/openapi-derived.ts; 150 KB instead of the 1.4 MB of
 * paths).
 */
import type { KubeObject } from '../../api/index.js';
import { builtinPathOperations } from '../schema/index.js';
import type { ResourceType, SubresourceInfo } from './types.js';

/** The group-versions and resources served out of the box. */
export const BUILTIN_RESOURCES: Record<string, string[]> = {
  'v1': [
    'namespaces', 'nodes', 'pods', 'services', 'endpoints', 'configmaps', 'secrets', 'serviceaccounts', 'events',
    'persistentvolumes', 'persistentvolumeclaims', 'limitranges', 'resourcequotas', 'replicationcontrollers', 'podtemplates',
  ],
  'apps/v1': ['deployments', 'replicasets', 'daemonsets', 'statefulsets', 'controllerrevisions'],
  'batch/v1': ['jobs', 'cronjobs'],
  // v2 first: the preferred version, as upstream's discovery lists it (v1 is converted: hpa-versions.ts)
  'autoscaling/v2': ['horizontalpodautoscalers'],
  'autoscaling/v1': ['horizontalpodautoscalers'],
  'coordination.k8s.io/v1': ['leases'],
  'policy/v1': ['poddisruptionbudgets'],
  'rbac.authorization.k8s.io/v1': ['roles', 'rolebindings', 'clusterroles', 'clusterrolebindings'],
  'apiextensions.k8s.io/v1': ['customresourcedefinitions'],
  'events.k8s.io/v1': ['events'],
  'discovery.k8s.io/v1': ['endpointslices'],
  'scheduling.k8s.io/v1': ['priorityclasses'],
  'networking.k8s.io/v1': ['ingresses', 'ingressclasses', 'networkpolicies'],
  'node.k8s.io/v1': ['runtimeclasses'],
  'storage.k8s.io/v1': ['storageclasses', 'csidrivers', 'csinodes', 'volumeattachments'],
  'admissionregistration.k8s.io/v1': ['mutatingwebhookconfigurations', 'validatingwebhookconfigurations'],
  'apiregistration.k8s.io/v1': ['apiservices'],
};

/** Subresources handled by this server (others in the documents, like pods/exec, are not served). */
const SERVED_SUBRESOURCES = new Set(['status', 'scale', 'binding', 'eviction']);

const SHORT_NAMES: Record<string, string[]> = {
  pods: ['po'], services: ['svc'], configmaps: ['cm'], namespaces: ['ns'], nodes: ['no'],
  deployments: ['deploy'], replicasets: ['rs'], daemonsets: ['ds'], statefulsets: ['sts'],
  serviceaccounts: ['sa'], endpoints: ['ep'], poddisruptionbudgets: ['pdb'],
  customresourcedefinitions: ['crd', 'crds'], persistentvolumes: ['pv'], persistentvolumeclaims: ['pvc'],
  limitranges: ['limits'], resourcequotas: ['quota'], replicationcontrollers: ['rc'], cronjobs: ['cj'],
  priorityclasses: ['pc'],
  // pkg/registry/networking/{ingress,networkpolicy}/storage/storage.go ShortNames
  ingresses: ['ing'], networkpolicies: ['netpol'],
  // pkg/registry/storage/storageclass/storage/storage.go
  storageclasses: ['sc'],
  // pkg/registry/autoscaling/horizontalpodautoscaler/storage/storage.go: short name and the "all" category
  horizontalpodautoscalers: ['hpa'],
};

const ALL_CATEGORY = new Set(['pods', 'services', 'deployments', 'replicasets', 'daemonsets', 'statefulsets', 'jobs', 'cronjobs', 'replicationcontrollers', 'horizontalpodautoscalers']);

const RETURNS_DELETED = new Set(['pods', 'serviceaccounts', 'namespaces']);

const str = (v: unknown): string => (v === undefined || v === null ? '' : String(v));
const get = (o: unknown, path: string[]): unknown => path.reduce<unknown>((a, k) => (a && typeof a === 'object' ? (a as Record<string, unknown>)[k] : undefined), o);

/** Field selectors beyond metadata.name / metadata.namespace (upstream's per-type field sets). */
const FIELDS: Record<string, Record<string, string[]>> = {
  '/pods': { 'spec.nodeName': ['spec', 'nodeName'], 'spec.restartPolicy': ['spec', 'restartPolicy'], 'spec.schedulerName': ['spec', 'schedulerName'], 'spec.serviceAccountName': ['spec', 'serviceAccountName'], 'status.phase': ['status', 'phase'], 'status.podIP': ['status', 'podIP'], 'status.nominatedNodeName': ['status', 'nominatedNodeName'] },
  '/events': {
    'involvedObject.kind': ['involvedObject', 'kind'], 'involvedObject.namespace': ['involvedObject', 'namespace'], 'involvedObject.name': ['involvedObject', 'name'],
    'involvedObject.uid': ['involvedObject', 'uid'], 'involvedObject.apiVersion': ['involvedObject', 'apiVersion'], 'involvedObject.resourceVersion': ['involvedObject', 'resourceVersion'],
    'involvedObject.fieldPath': ['involvedObject', 'fieldPath'], reason: ['reason'], reportingComponent: ['reportingComponent'], source: ['source', 'component'], type: ['type'],
  },
  'events.k8s.io/events': { 'regarding.kind': ['regarding', 'kind'], 'regarding.namespace': ['regarding', 'namespace'], 'regarding.name': ['regarding', 'name'], 'regarding.uid': ['regarding', 'uid'], reason: ['reason'], type: ['type'], reportingController: ['reportingController'] },
  '/secrets': { type: ['type'] },
  '/nodes': { 'spec.unschedulable': ['spec', 'unschedulable'] },
  '/namespaces': { 'status.phase': ['status', 'phase'] },
  '/replicationcontrollers': { 'status.replicas': ['status', 'replicas'] },
  'apps/replicasets': { 'status.replicas': ['status', 'replicas'] },
  'batch/jobs': { 'status.successful': ['status', 'succeeded'] },
};

function fieldsFor(group: string, resource: string): Pick<ResourceType, 'fields' | 'fieldNames'> {
  const table = FIELDS[`${group}/${resource}`];
  if (!table) return {};
  const entries = Object.entries(table);
  return {
    fieldNames: entries.map(([k]) => k),
    fields: (obj: KubeObject) => {
      const out: Record<string, string> = {};
      for (const [name, path] of entries) {
        const v = get(obj, path);
        // Booleans print as Go does ("true"/"false"); a missing spec.unschedulable is "false".
        out[name] = name === 'spec.unschedulable' ? String(v === true) : str(v);
      }
      return out;
    },
  };
}

interface Found {
  kind?: string;
  namespaced: boolean;
  verbs: Set<string>;
  subs: Map<string, SubresourceInfo>;
}

const ACTION_VERB: Record<string, string> = {
  list: 'list', post: 'create', deletecollection: 'deletecollection', get: 'get', put: 'update', patch: 'patch', delete: 'delete', watch: 'watch', watchlist: 'watch',
};
const VERB_ORDER = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

/** The paths of a document by their group-version prefix (`/api/v1/`, `/apis/apps/v1/`), built once per document. */
const pathsByPrefix = new WeakMap<object, Map<string, Array<[string, Record<string, unknown>]>>>();

/** The paths under `prefix`: one pass over the document for all its group-versions, not one per group-version. */
function pathsUnder(paths: Record<string, Record<string, unknown>>, prefix: string): Array<[string, Record<string, unknown>]> {
  let index = pathsByPrefix.get(paths);
  if (!index) {
    index = new Map();
    for (const entry of Object.entries(paths)) {
      const path = entry[0];
      // `/api/<version>/` or `/apis/<group>/<version>/`: the third or fourth slash ends the prefix
      let end = -1;
      for (let n = path.startsWith('/apis/') ? 4 : path.startsWith('/api/') ? 3 : 0; n > 0; n--) {
        end = path.indexOf('/', end + 1);
        if (end < 0) break;
      }
      if (end < 0) continue;
      const key = path.slice(0, end + 1);
      const list = index.get(key);
      if (list) list.push(entry);
      else index.set(key, [entry]);
    }
    pathsByPrefix.set(paths, index);
  }
  return index.get(prefix) ?? [];
}

/**
 * Reads resources, scopes, verbs and subresources of one group-version from OpenAPI paths:
 * by default those of the built-in v2 document (swagger.json); `paths` of a group-version's
 * v3 document give the same.
 */
export function typesFromOpenApi(group: string, version: string, wanted: string[], paths: Record<string, Record<string, unknown>> = builtinPathOperations()): Omit<ResourceType, 'table' | 'strategy' | 'defaults'>[] {
  const prefix = group ? `/apis/${group}/${version}/` : `/api/${version}/`;
  const found = new Map<string, Found>();
  const entry = (r: string) => {
    let f = found.get(r);
    if (!f) found.set(r, (f = { namespaced: false, verbs: new Set(), subs: new Map() }));
    return f;
  };
  for (const [path, item] of pathsUnder(paths, prefix)) {
    let parts = path.slice(prefix.length).split('/').filter(Boolean);
    if (parts[0] === 'watch') parts = parts.slice(1);
    let namespaced = false;
    if (parts[0] === 'namespaces' && parts[1] === '{namespace}' && parts.length >= 3) {
      namespaced = true;
      parts = parts.slice(2);
    }
    const [resource, name, sub, ...rest] = parts;
    if (!resource || !wanted.includes(resource) || rest.length) continue;
    if (name !== undefined && name !== '{name}') continue;
    const f = entry(resource);
    if (namespaced) f.namespaced = true;
    for (const [method, op] of Object.entries(item)) {
      if (method === 'parameters' || !op || typeof op !== 'object') continue;
      const o = op as { 'x-kubernetes-action'?: string; 'x-kubernetes-group-version-kind'?: { group: string; version: string; kind: string } };
      const verb = ACTION_VERB[o['x-kubernetes-action'] ?? ''];
      const gvk = o['x-kubernetes-group-version-kind'];
      if (!verb || !gvk) continue;
      if (sub) {
        if (!SERVED_SUBRESOURCES.has(sub)) continue;
        const s = f.subs.get(sub) ?? { name: sub, group: gvk.group, version: gvk.version, kind: gvk.kind, verbs: [] };
        if (!s.verbs.includes(verb)) s.verbs.push(verb);
        f.subs.set(sub, s);
      } else {
        f.kind ??= gvk.kind;
        f.verbs.add(verb);
      }
    }
  }
  const out: Omit<ResourceType, 'table' | 'strategy' | 'defaults'>[] = [];
  for (const resource of wanted) {
    const f = found.get(resource);
    if (!f?.kind) throw new Error(`resource ${resource} not found in the OpenAPI document of ${group || 'core'}/${version}`);
    const subresources = [...f.subs.values()].map((s) => ({ ...s, verbs: VERB_ORDER.filter((v) => s.verbs.includes(v)) }));
    const hasScale = f.subs.has('scale');
    out.push({
      group,
      version,
      resource,
      kind: f.kind,
      listKind: `${f.kind}List`,
      singular: f.kind.toLowerCase(),
      namespaced: f.namespaced,
      verbs: VERB_ORDER.filter((v) => f.verbs.has(v)),
      shortNames: SHORT_NAMES[resource] ?? (resource === 'events' ? ['ev'] : []),
      categories: ALL_CATEGORY.has(resource) ? ['all'] : [],
      subresources,
      hasStatus: f.subs.has('status'),
      scale: hasScale ? { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas', labelSelectorPath: '.status.selector' } : undefined,
      returnDeletedObject: RETURNS_DELETED.has(resource) && group === '',
      ...fieldsFor(group, resource),
      storageKey: `${group}/${resource}`,
      builtin: true,
    });
  }
  return out;
}
