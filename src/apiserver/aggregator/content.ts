/**
 * The namespaced content of aggregated APIs, for the namespace controller. kube-controller-
 * manager deletes it through kube-apiserver like any other content
 * (`deleteAllContentForGroupVersionResource`), as `system:serviceaccount:kube-system:namespace-controller`:
 * for every discovered namespaced resource with the `delete` verb of a current group-version,
 * a DELETE of the collection when it supports `deletecollection`, else a list and a DELETE per
 * object, then a list of what remains (objects held by their finalizers).
 */
import type { UserInfo } from '../auth/index.js';
import type { Store } from '../storage/index.js';
import type { ApiService } from './apiservice.js';
import { backendRequest, type BackendOptions, userHeaders } from './backend.js';
import type { RemoteDiscovery } from './discovery.js';
import { resolveEndpoint } from './resolver.js';

const NAMESPACE_CONTROLLER: UserInfo = {
  name: 'system:serviceaccount:kube-system:namespace-controller',
  groups: ['system:serviceaccounts', 'system:serviceaccounts:kube-system', 'system:authenticated'],
};

/** What is left of a namespace's content, per `resource.group`. */
export interface RemoteContent {
  remaining: Map<string, number>;
  /** Finalizer -> objects holding it. */
  finalizers: Map<string, number>;
  /** Deletions or lists that failed, worded for NamespaceDeletionContentFailure. */
  failures: string[];
}

type Item = { metadata?: { name?: string; finalizers?: string[] } };

async function call(store: Store, backend: BackendOptions, a: ApiService, method: string, path: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const svc = a.spec.service!;
  const ep = resolveEndpoint(store, svc.namespace!, svc.name!, svc.port ?? 443);
  const r = await backendRequest(a, ep, method, path, { ...userHeaders(NAMESPACE_CONTROLLER), Accept: 'application/json' }, backend);
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(r.body.toString('utf8')) as Record<string, unknown>;
  } catch {
    body = { message: r.body.toString('utf8').trim() };
  }
  return { status: r.status, body };
}

/** Deletes the namespace's content in every available aggregated API and reports what remains. */
export async function deleteRemoteContent(store: Store, backend: BackendOptions, discovery: RemoteDiscovery, namespace: string): Promise<RemoteContent> {
  const out: RemoteContent = { remaining: new Map(), finalizers: new Map(), failures: [] };
  for (const { apiService: a, resources } of discovery.served()) {
    for (const r of resources) {
      if (r.scope !== 'Namespaced' || !r.verbs?.includes('delete') || !r.verbs.includes('list')) continue;
      const label = `${r.resource}.${a.spec.group}`;
      const base = `/apis/${a.spec.group}/${a.spec.version}/namespaces/${encodeURIComponent(namespace)}/${r.resource}`;
      try {
        const list = async (): Promise<Item[]> => {
          const l = await call(store, backend, a, 'GET', base);
          if (l.status !== 200) throw new Error(String(l.body.message ?? `status ${l.status}`));
          return (l.body.items as Item[] | undefined) ?? [];
        };
        if (r.verbs.includes('deletecollection')) {
          const d = await call(store, backend, a, 'DELETE', `${base}?propagationPolicy=Background`);
          if (d.status >= 300 && d.status !== 404) out.failures.push(`${label}: ${String(d.body.message ?? d.status)}`);
        } else {
          for (const item of await list()) {
            const name = item.metadata?.name ?? '';
            const d = await call(store, backend, a, 'DELETE', `${base}/${encodeURIComponent(name)}?propagationPolicy=Background`);
            if (d.status >= 300 && d.status !== 404) out.failures.push(`${label} "${name}": ${String(d.body.message ?? d.status)}`);
          }
        }
        const left = await list();
        if (left.length) out.remaining.set(label, left.length);
        for (const item of left) for (const f of item.metadata?.finalizers ?? []) out.finalizers.set(f, (out.finalizers.get(f) ?? 0) + 1);
      } catch (e) {
        out.failures.push(`${label}: ${(e as Error).message}`);
      }
    }
  }
  return out;
}
