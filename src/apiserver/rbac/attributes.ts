/**
 * Authorization attributes of a request (upstream's authorizer.Attributes from RequestInfo):
 * resource requests get a verb from the method (get/list/watch/create/update/patch/delete/
 * deletecollection), the API group, namespace, resource, subresource and name; every other
 * path (`/version`, `/healthz`, `/api`, `/apis/apps/v1`, `/openapi/v3`...) is a non-resource
 * request whose verb is the lower-case method.
 */
import type { UserInfo } from '../auth/index.js';
import { parseTarget, type RequestTarget } from '../http/request.js';

export interface Attributes {
  user: UserInfo;
  verb: string;
  resourceRequest: boolean;
  /** Non-resource requests: the URL path. */
  path?: string;
  apiGroup?: string;
  apiVersion?: string;
  namespace?: string;
  resource?: string;
  subresource?: string;
  name?: string;
}

const FALSY = new Set(['0', 'false', 'False', 'no', '']);

function truthy(v: string | null): boolean {
  return v !== null && !FALSY.has(v);
}

/** `target`: the request's parsed URL (`requestTarget(req)`), or a raw URL. */
export function requestAttributes(user: UserInfo, method: string, target: RequestTarget | string): Attributes {
  const { query, path, resource: p } = typeof target === 'string' ? parseTarget(target) : target;
  if (!p || !p.resource) return { user, verb: method.toLowerCase(), resourceRequest: false, path };
  let verb: string;
  switch (method) {
    case 'GET':
    case 'HEAD':
      verb = p.watchPrefix || truthy(query.get('watch')) ? 'watch' : p.name ? 'get' : 'list';
      break;
    case 'POST': verb = 'create'; break;
    case 'PUT': verb = 'update'; break;
    case 'PATCH': verb = 'patch'; break;
    case 'DELETE': verb = p.name ? 'delete' : 'deletecollection'; break;
    default: verb = method.toLowerCase();
  }
  // A namespace object's own namespace is itself (as upstream's RequestInfo).
  const namespace = p.namespace ?? (p.resource === 'namespaces' && p.name ? p.name : undefined);
  return {
    user, verb, resourceRequest: true, apiGroup: p.group, apiVersion: p.version, namespace, resource: p.resource, subresource: p.subresource, name: p.name,
  };
}

/** Upstream's denial text: `User "u" cannot list resource "nodes" in API group "" at the cluster scope`. */
export function forbiddenMessage(a: Attributes): string {
  const who = `User ${JSON.stringify(a.user.name)}`;
  if (!a.resourceRequest) return `${who} cannot ${a.verb} path ${JSON.stringify(a.path ?? '')}`;
  const resource = a.subresource ? `${a.resource}/${a.subresource}` : a.resource ?? '';
  const where = a.namespace ? `in the namespace ${JSON.stringify(a.namespace)}` : 'at the cluster scope';
  return `${who} cannot ${a.verb} resource ${JSON.stringify(resource)} in API group ${JSON.stringify(a.apiGroup ?? '')} ${where}`;
}
