/**
 * Which webhooks a request calls, as upstream's generic webhook dispatcher decides
 * (admission/plugin/webhook/{generic,predicates}):
 * - webhook configurations themselves are never sent to webhooks (so a broken webhook can
 *   always be removed);
 * - namespaceSelector: requests for cluster-scoped objects other than namespaces always
 *   match; a namespace's own create/update is matched on its new labels, everything else on
 *   the labels of the stored namespace (a missing namespace is an error);
 * - objectSelector: the new or the old object's labels match (a Scale has none);
 * - rules: operation, API group, version, resource and subresource (`pods/status`, `*`
 *   matches only main resources, `* / *` everything), scope (a namespace is cluster-scoped);
 * - matchPolicy Equivalent: when no rule matches the requested version, a rule that matches
 *   another served version of the same resource does, and the webhook is called in that
 *   version (the object converted to it).
 */
import { labelSelectorFromSpec, type KubeObject, type LabelSelectorSpec, newInternalError, newNotFound, StatusError } from '../../api/index.js';
import type { AdmissionRequest } from '../admission/index.js';
import type { ResourceRegistry, ResourceType } from '../resources/index.js';
import type { Store } from '../storage/index.js';
import { GROUP, type RuleWithOperations, type Webhook } from './types.js';

/** The resource a webhook is called for: the request's or an equivalent one. */
export interface Invocation {
  webhook: Webhook;
  /** Type in the version the webhook is called in (its object is converted to it). */
  type: ResourceType;
  /** The kind of the subresource when there is one (e.g. Scale), else the type's kind. */
  kind: { group: string; version: string; kind: string };
}

const EXEMPT_KINDS = new Set(['ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration', 'ValidatingAdmissionPolicy', 'ValidatingAdmissionPolicyBinding', 'MutatingAdmissionPolicy', 'MutatingAdmissionPolicyBinding']);

/** Webhook configurations and admission policies are never sent to webhooks. */
export function isExempt(req: AdmissionRequest): boolean {
  return req.type.group === GROUP && EXEMPT_KINDS.has(req.type.kind);
}

const isNamespaceType = (t: ResourceType) => t.group === '' && t.resource === 'namespaces';

/** The namespace of the request as upstream's attributes carry it (a namespace is its own). */
export function requestNamespace(req: AdmissionRequest): string {
  if (isNamespaceType(req.type) && req.operation !== 'CREATE') return req.name;
  return req.namespace ?? '';
}

/** `{}` selects everything: no lookups needed. */
const isEmpty = (sel: LabelSelectorSpec) => !Object.keys(sel.matchLabels ?? {}).length && !(sel.matchExpressions?.length);

const exactOrWildcard = (items: string[] | undefined, v: string) => (items ?? []).some((x) => x === '*' || x === v);

function ruleMatches(r: RuleWithOperations, req: AdmissionRequest, t: ResourceType): boolean {
  const scope = r.scope ?? '*';
  const ns = requestNamespace(req);
  if (scope === 'Namespaced' && (isNamespaceType(t) || !ns)) return false;
  if (scope === 'Cluster' && !(isNamespaceType(t) || !ns)) return false;
  if (!exactOrWildcard(r.operations, req.operation)) return false;
  if (!exactOrWildcard(r.apiGroups, t.group) || !exactOrWildcard(r.apiVersions, t.version)) return false;
  const sub = req.subresource ?? '';
  return (r.resources ?? []).some((rs) => {
    const i = rs.indexOf('/');
    const res = i < 0 ? rs : rs.slice(0, i);
    const rsub = i < 0 ? '' : rs.slice(i + 1);
    return (res === '*' || res === t.resource) && (rsub === '*' || rsub === sub);
  });
}

function kindOf(t: ResourceType, subresource: string | undefined): Invocation['kind'] {
  const s = subresource ? t.subresources.find((x) => x.name === subresource) : undefined;
  return s ? { group: s.group, version: s.version, kind: s.kind } : { group: t.group, version: t.version, kind: t.kind };
}

export class Matcher {
  constructor(private readonly store: Store, private readonly registry: ResourceRegistry) {}

  /** The invocation of `h` for `req`, or undefined when it does not apply. Throws a Status on a namespace lookup failure. */
  invocation(h: Webhook, req: AdmissionRequest): Invocation | undefined {
    const nsMatch = this.namespaceMatches(h, req);
    if (nsMatch === false) return undefined;
    if (!this.objectMatches(h, req)) return undefined;
    const t = req.type;
    let inv: Invocation | undefined;
    if ((h.rules ?? []).some((r) => ruleMatches(r, req, t))) inv = { webhook: h, type: t, kind: kindOf(t, req.subresource) };
    if (!inv && (h.matchPolicy ?? 'Equivalent') === 'Equivalent') {
      const equivalents = this.registry.all().filter((x) => x.storageKey === t.storageKey && x !== t && (!req.subresource || x.subresources.some((s) => s.name === req.subresource)));
      outer: for (const r of h.rules ?? []) {
        for (const e of equivalents) {
          if (ruleMatches(r, req, e)) {
            inv = { webhook: h, type: e, kind: kindOf(e, req.subresource) };
            break outer;
          }
        }
      }
    }
    if (!inv) return undefined;
    if (nsMatch instanceof StatusError) throw nsMatch;
    return inv;
  }

  private namespaceMatches(h: Webhook, req: AdmissionRequest): boolean | StatusError {
    const ns = requestNamespace(req);
    if (!ns && !isNamespaceType(req.type)) return true;
    const sel = h.namespaceSelector ?? {};
    if (isEmpty(sel)) return true;
    let labels: Record<string, string> | undefined;
    if (isNamespaceType(req.type) && !req.subresource && (req.operation === 'CREATE' || req.operation === 'UPDATE')) labels = req.object.metadata.labels;
    else {
      const stored = this.store.get('/namespaces', ns);
      if (!stored) return newInternalError(newNotFound({ group: '', resource: 'namespaces' }, ns).message);
      labels = stored.obj.metadata.labels;
    }
    try {
      return labelSelectorFromSpec(sel).matches(labels ?? {});
    } catch (e) {
      return newInternalError(e);
    }
  }

  private objectMatches(h: Webhook, req: AdmissionRequest): boolean {
    const sel = h.objectSelector ?? {};
    if (isEmpty(sel)) return true;
    const selector = labelSelectorFromSpec(sel);
    // A `/scale` write is about Scale objects, whose metadata carries no labels.
    const objectOf = (o: KubeObject | undefined) => !!o && selector.matches(req.subresource === 'scale' ? {} : o.metadata?.labels ?? {});
    // A DELETE has no new object for webhooks (the copy in `req.object` is for in-tree plugins).
    return (req.operation !== 'DELETE' && objectOf(req.object)) || objectOf(req.oldObject);
  }
}
