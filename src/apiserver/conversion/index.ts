/**
 * Versions of a resource's objects. Without a conversion webhook, versions of one storage
 * differ only in `apiVersion` (CRD strategy None: objects keep the version they were written
 * in and are relabelled on the way out). With `conversion.strategy: Webhook`, objects are
 * stored in the CRD's storage version and every version change is a ConversionReview call,
 * as apiextensions-apiserver's webhook converter makes it:
 * - the objects not already in the desired version go in one request (lists in one call);
 * - the answer must be a `apiextensions.k8s.io/v1` ConversionReview with the request's uid,
 *   `result.status: Success`, as many objects as were sent, each in the desired
 *   group/version with the same kind, name, namespace and uid; metadata other than labels
 *   and annotations is restored from the original;
 * - any failure is a 500 Status `conversion webhook for <group>/<version>, Kind=<Kind> failed:
 *   <why>` (no reason, as upstream's plain error), on reads, writes and watches alike.
 * The call is bounded by 30 s (upstream's conversion client timeout).
 */
import { randomUUID } from 'node:crypto';
import { type KubeObject, StatusError, validateLabelKey, validateLabelValue } from '../../api/index.js';
import { apiVersionOf, convertsVersions, type ResourceType } from '../resources/index.js';
import type { Store } from '../storage/index.js';
import { postJson, WebhookCallError } from '../webhooks/index.js';

const TIMEOUT_SECONDS = 30;
const SPOKEN = ['v1', 'v1beta1'];

function conversionError(obj: KubeObject, why: string): StatusError {
  const av = obj.apiVersion ?? '';
  const [g, v] = av.includes('/') ? av.split('/') : ['', av];
  const gvk = `${g ? `${g}/` : ''}${v}, Kind=${obj.kind}`;
  return new StatusError({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: `conversion webhook for ${gvk} ${why}`, code: 500 });
}

const isObj = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

/** Upstream's validateConvertedObject + restoreObjectMeta; returns the object to use or an error text. */
function restore(original: KubeObject, converted: unknown, desired: string): KubeObject | string {
  if (!isObj(converted)) return 'returned invalid converted object: not an object';
  const c = converted as KubeObject;
  if (c.apiVersion !== desired) return `invalid groupVersion (expected ${desired}, received ${c.apiVersion ?? ''})`;
  if (c.kind !== original.kind) return `invalid kind (expected ${original.kind}, received ${c.kind ?? ''})`;
  const m = isObj(c.metadata) ? c.metadata : undefined;
  if (!m) return 'missing metadata in converted object';
  const om = original.metadata;
  if ((m.name ?? '') !== (om.name ?? '')) return `must have the same name: ${om.name ?? ''} != ${m.name ?? ''}`;
  if ((m.namespace ?? '') !== (om.namespace ?? '')) return `must have the same namespace: ${om.namespace ?? ''} != ${m.namespace ?? ''}`;
  if ((m.uid ?? '') !== (om.uid ?? '')) return `must have the same UID: ${om.uid ?? ''} != ${m.uid ?? ''}`;
  const metadata: KubeObject['metadata'] = JSON.parse(JSON.stringify(om));
  for (const f of ['labels', 'annotations'] as const) {
    const v = m[f];
    if (v === undefined || v === null) {
      delete metadata[f];
      continue;
    }
    if (!isObj(v)) return `invalid metadata.${f} in converted object`;
    for (const [k, x] of Object.entries(v)) {
      if (typeof x !== 'string') return `metadata.${f}[${k}] must be a string in converted object`;
      const bad = validateLabelKey(k) ?? (f === 'labels' ? validateLabelValue(x) : undefined);
      if (bad) return `metadata.${f}: Invalid value: ${JSON.stringify(k)}: ${bad}`;
    }
    metadata[f] = v as Record<string, string>;
  }
  return { ...c, metadata };
}

export class Converter {
  constructor(private readonly store: Store) {}

  /** True when `obj` needs a webhook call to be shown as `t`'s version. */
  needsWebhook(t: ResourceType, obj: KubeObject): boolean {
    return convertsVersions(t) && obj.apiVersion !== apiVersionOf(t);
  }

  /** `objs` (of `t`'s storage, in any version) in `t`'s version. */
  toVersion(t: ResourceType, objs: KubeObject[]): Promise<KubeObject[]> {
    return this.convert(t, objs, apiVersionOf(t));
  }

  /** `obj` in the version it is stored in (itself when the type has no conversion webhook). */
  async toStorage(t: ResourceType, obj: KubeObject): Promise<KubeObject> {
    if (t.builtinConversion) return t.builtinConversion.convert(obj, apiVersionOf({ group: t.group, version: t.builtinConversion.storageVersion }));
    if (!t.conversionWebhook) return obj;
    return (await this.convert(t, [obj], apiVersionOf({ group: t.group, version: t.conversionWebhook.storageVersion })))[0];
  }

  private async convert(t: ResourceType, objs: KubeObject[], desired: string): Promise<KubeObject[]> {
    const todo = objs.filter((o) => o.apiVersion !== desired);
    if (!todo.length) return objs;
    const builtin = t.builtinConversion;
    if (builtin) return objs.map((o) => builtin.convert(o, desired));
    const hook = t.conversionWebhook;
    if (!hook) return objs.map((o) => (o.apiVersion === desired ? o : { ...o, apiVersion: desired }));
    const version = hook.conversionReviewVersions.find((v) => SPOKEN.includes(v));
    if (!version) throw conversionError(todo[0], 'failed: no supported conversion review versions');
    const uid = randomUUID();
    const body = { kind: 'ConversionReview', apiVersion: `apiextensions.k8s.io/${version}`, request: { uid, desiredAPIVersion: desired, objects: todo } };
    let answer: unknown;
    try {
      answer = await postJson(this.store, hook.clientConfig, body, TIMEOUT_SECONDS);
    } catch (e) {
      if (e instanceof WebhookCallError) throw conversionError(todo[0], `failed: ${e.message}`);
      throw e;
    }
    const review = isObj(answer) ? answer : {};
    const response = review.response;
    if (version === 'v1' && (review.apiVersion !== 'apiextensions.k8s.io/v1' || review.kind !== 'ConversionReview')) {
      throw conversionError(todo[0], `failed: expected webhook response of apiextensions.k8s.io/v1, Kind=ConversionReview, got ${String(review.apiVersion ?? '')}, Kind=${String(review.kind ?? '')}`);
    }
    if (!isObj(response)) throw conversionError(todo[0], 'failed: no response provided');
    if (version === 'v1' && response.uid !== uid) throw conversionError(todo[0], `failed: expected response.uid=${JSON.stringify(uid)}, got ${JSON.stringify(response.uid ?? '')}`);
    const result = isObj(response.result) ? response.result : {};
    if (result.status !== 'Success') {
      throw conversionError(todo[0], `failed: ${result.message ? String(result.message) : `response.result.status was '${String(result.status ?? '')}', not 'Success'`}`);
    }
    const converted = Array.isArray(response.convertedObjects) ? response.convertedObjects : [];
    if (converted.length !== todo.length) throw conversionError(todo[0], `returned ${converted.length} objects, expected ${todo.length}`);
    let i = 0;
    return objs.map((o) => {
      if (o.apiVersion === desired) return o;
      const index = i++;
      const r = restore(o, converted[index], desired);
      if (typeof r === 'string') throw conversionError(o, `returned invalid converted object at index ${index}: ${r}`);
      return r;
    });
  }
}
