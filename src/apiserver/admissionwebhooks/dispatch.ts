/**
 * Calling the matching webhooks of a request, as upstream's mutating and validating
 * dispatchers do:
 * - mutating webhooks one after the other (configurations by name, webhooks in their listed
 *   order); a `JSONPatch` answer is applied to the object in the webhook's version; a
 *   webhook that changed the object makes earlier `reinvocationPolicy: IfNeeded` webhooks
 *   due for the single reinvocation pass (as do in-tree plugins changing the object in that
 *   pass);
 * - validating webhooks all at once; the first failure to arrive decides;
 * - writes through `/scale` show webhooks autoscaling/v1 Scale objects (a patched Scale's
 *   replicas are written to the object);
 * - dry-run requests reach only webhooks declaring `sideEffects` None or NoneOnDryRun
 *   (others: 400 `admission webhook "x" does not support dry run`);
 * - a denial is the webhook's Status with `admission webhook "x" denied the request: <message>`
 *   (code at least 400); a failed call (unreachable, timeout, TLS, malformed answer) is a 500
 *   `failed calling webhook "x": …` under `failurePolicy: Fail` and is skipped under `Ignore`;
 * - warnings go to the client's `Warning` headers; audit annotations are dropped (no audit log).
 */
import { type KubeObject, newBadRequest, newInternalError, type Status, StatusError } from '../../api/index.js';
import type { AdmissionPlugin, AdmissionRequest } from '../admission/index.js';
import { clone, deepEqual } from '../handlers/util.js';
import { jsonPatch } from '../patch/index.js';
import { type JSONSchemaProps, prune, pruneBuiltin } from '../schema/index.js';
import { apiVersionOf, type ResourceRegistry, type ResourceType } from '../resources/index.js';
import type { Store } from '../storage/index.js';
import { postJson, WebhookCallError } from '../webhooks/index.js';
import { type Invocation, isExempt, Matcher } from './matching.js';
import { admissionReview, verifyAdmissionResponse } from './review.js';
import { MUTATING, VALIDATING, type Webhook, type WebhookConfiguration } from './types.js';

/** Converts objects of a type's storage to one of its versions (CRD conversion; a no-op rename otherwise). */
export type ConvertObjects = (t: ResourceType, objs: KubeObject[]) => Promise<KubeObject[]>;

/** The autoscaling/v1 Scale view of objects, for writes through `/scale`. */
export interface ScaleView {
  /** The Scale of `obj` (in `t`'s version). */
  scaleOf(t: ResourceType, obj: KubeObject): KubeObject;
  /** `obj` with the replicas a (patched) Scale asks for. */
  withReplicas(t: ResourceType, obj: KubeObject, replicas: unknown): KubeObject;
}

export interface WebhookDispatchHost {
  store: Store;
  registry: ResourceRegistry;
  convert: ConvertObjects;
  scale: ScaleView;
}

/** Upstream's ErrCallingWebhook: subject to the failure policy. */
class CallingError extends Error {
  constructor(hook: string, reason: string) {
    super(`failed calling webhook "${hook}": ${reason}`);
  }
}

/** Upstream's webhookerrors.ToStatusErr. */
function denial(hook: string, result: Partial<Status> | undefined): StatusError {
  const r = { ...(result ?? {}) };
  const deniedBy = `admission webhook "${hook}" denied the request`;
  const message = r.message ? `${deniedBy}: ${r.message}` : r.reason ? `${deniedBy}: ${r.reason}` : `${deniedBy} without explanation`;
  return new StatusError({
    kind: 'Status', apiVersion: 'v1', metadata: {}, ...r,
    status: 'Failure', code: typeof r.code === 'number' && r.code >= 400 ? r.code : 400, message,
  } as Status);
}

/**
 * A webhook's patched object as upstream keeps it: unknown fields dropped silently (Go decoding
 * of built-in kinds; the schema-coercing conversion of custom resources), so the in-tree pass
 * that follows has nothing to warn about.
 */
function dropUnknownFields(inv: Invocation, obj: KubeObject): KubeObject {
  const t = inv.type;
  if (t.custom) return t.structuralSchema ? (prune(t.structuralSchema as JSONSchemaProps, obj).object as KubeObject) : obj;
  // the kind the webhook was sent: the type's, or its subresource's (a Binding for pods/binding)
  if (t.builtin) return (pruneBuiltin(inv.kind, obj)?.object as KubeObject | undefined) ?? obj;
  return obj;
}

interface Hook {
  /** configuration name / webhook name / index: the identity reinvocation tracks. */
  uid: string;
  webhook: Webhook;
}

const NO_HOOKS: readonly Hook[] = [];

function hooksOf(store: Store, storageKey: string): readonly Hook[] {
  // asked twice per write (mutating, validating); most clusters have no configurations at all
  if (store.count(storageKey) === 0) return NO_HOOKS;
  const configs = [...store.scan(storageKey)].map(([, s]) => s.obj as WebhookConfiguration);
  configs.sort((a, b) => (a.metadata.name! < b.metadata.name! ? -1 : a.metadata.name! > b.metadata.name! ? 1 : 0));
  return configs.flatMap((c) => (c.webhooks ?? []).map((webhook, i) => ({ uid: `${c.metadata.name}/${webhook.name}/${i}`, webhook })));
}

export function admissionWebhookPlugins(host: WebhookDispatchHost): AdmissionPlugin[] {
  const matcher = new Matcher(host.store, host.registry);

  const inVersion = async (obj: KubeObject | undefined, t: ResourceType): Promise<KubeObject | undefined> => {
    if (!obj || obj.apiVersion === apiVersionOf(t)) return obj;
    return (await host.convert(t, [obj]))[0];
  };
  /** What a webhook called in `t`'s version sees of `obj`: the object, or its Scale for `/scale` writes. */
  const present = async (req: AdmissionRequest, obj: KubeObject | undefined, t: ResourceType): Promise<KubeObject | undefined> => {
    const o = await inVersion(obj, t);
    return o && req.subresource === 'scale' ? host.scale.scaleOf(t, o) : o;
  };

  /** Calls one webhook; returns its (normalized) answer. Errors subject to the failure policy are CallingErrors. */
  const call = async (inv: Invocation, req: AdmissionRequest, mutating: boolean, object: KubeObject | undefined, oldObject: KubeObject | undefined) => {
    const h = inv.webhook;
    if (req.dryRun) {
      if (!h.sideEffects) throw new CallingError(h.name, 'Webhook SideEffects is nil');
      if (h.sideEffects !== 'None' && h.sideEffects !== 'NoneOnDryRun') throw newBadRequest(`admission webhook "${h.name}" does not support dry run`);
    }
    const review = admissionReview(inv, req, object, oldObject);
    if (!review) throw new CallingError(h.name, 'could not create admission objects: webhook does not accept known AdmissionReview versions');
    let answer: unknown;
    try {
      answer = await postJson(host.store, h.clientConfig, review.body, h.timeoutSeconds ?? 10);
    } catch (e) {
      if (e instanceof WebhookCallError) throw new CallingError(h.name, `failed to call webhook: ${e.message}`);
      throw e;
    }
    let result;
    try {
      result = verifyAdmissionResponse(review.uid, review.version, mutating, answer);
    } catch (e) {
      throw new CallingError(h.name, `received invalid webhook response: ${(e as Error).message}`);
    }
    for (const w of result.warnings) req.warn?.(w);
    if (!result.allowed) throw denial(h.name, result.result);
    return result;
  };

  /** Applies the failure policy to an error of `call`. */
  const failurePolicy = (h: Webhook, e: unknown): void => {
    if (!(e instanceof CallingError)) throw e;
    if (h.failurePolicy === 'Ignore') return;
    throw newInternalError(e);
  };

  const mutating: AdmissionPlugin = {
    name: 'MutatingAdmissionWebhook',
    late: true,
    // Synchronous when no webhook is configured (the common case: no promise turn per write).
    admit(req) {
      if (isExempt(req)) return;
      const hooks = hooksOf(host.store, MUTATING);
      if (!hooks.length) return;
      return mutate(req, hooks);
    },
  };

  const mutate = async (req: AdmissionRequest, hooks: readonly Hook[]): Promise<void> => {
    const rc = req.reinvocation;
    const state = rc?.value('MutatingAdmissionWebhook', () => ({ lastOutput: undefined as KubeObject | undefined, invoked: new Set<string>(), reinvoke: new Set<string>() }));
    const requireReinvokingInvoked = () => {
      if (!state) return;
      for (const uid of state.invoked) state.reinvoke.add(uid);
      state.invoked.clear();
    };
    // In-tree plugins changed the object after the webhooks' last word: they get another look.
    if (rc?.isReinvoke && !deepEqual(state!.lastOutput, req.object)) requireReinvokingInvoked();
    try {
      for (const { uid, webhook } of hooks) {
        const inv = matcher.invocation(webhook, req);
        if (!inv) continue;
        if (rc?.isReinvoke && !state!.reinvoke.has(uid)) continue;
        const deleting = req.operation === 'DELETE';
        let changed = false;
        let failure: unknown;
        try {
          const object = deleting ? undefined : await present(req, req.object, inv.type);
          const result = await call(inv, req, true, object, await present(req, req.oldObject, inv.type));
          const ops = result.patch;
          if (Array.isArray(ops) && ops.length) {
            if (!object) throw newInternalError(`admission webhook "${webhook.name}" attempted to modify the object, which is not supported for this operation`);
            if (result.patchType !== 'JSONPatch') throw new CallingError(webhook.name, `unsupported patch type "${result.patchType}"`);
            let patched: KubeObject;
            try {
              patched = jsonPatch(object, ops);
            } catch (e) {
              throw newInternalError(e);
            }
            if (req.subresource !== 'scale') patched = dropUnknownFields(inv, patched);
            changed = !deepEqual(object, patched);
            if (req.subresource === 'scale') req.object = host.scale.withReplicas(req.type, req.object, (patched.spec as { replicas?: unknown } | undefined)?.replicas);
            else req.object = inv.type === req.type ? patched : (await inVersion(patched, req.type))!;
          }
        } catch (e) {
          failure = e;
        }
        if (changed) {
          requireReinvokingInvoked();
          rc?.requestReinvocation();
        }
        if (webhook.reinvocationPolicy === 'IfNeeded') state?.invoked.add(uid);
        if (failure !== undefined) failurePolicy(webhook, failure);
      }
    } finally {
      if (state) state.lastOutput = clone(req.object);
    }
  };

  const validating: AdmissionPlugin = {
    name: 'ValidatingAdmissionWebhook',
    late: true,
    // Synchronous when no webhook is configured or none matches.
    validate(req) {
      if (isExempt(req)) return;
      const hooks = hooksOf(host.store, VALIDATING);
      if (!hooks.length) return;
      return validateMatching(req, hooks);
    },
  };

  /**
   * The matching webhooks called (synchronous when none matches). A function of its own: its
   * closure over `req` would make `validate` allocate a context on every write, webhooks or not.
   */
  const validateMatching = (req: AdmissionRequest, hooks: readonly Hook[]): Promise<void> | undefined => {
    const invocations = hooks.map((h) => matcher.invocation(h.webhook, req)).filter((x): x is Invocation => !!x);
    if (!invocations.length) return undefined;
    return validateWith(req, invocations);
  };

  const validateWith = async (req: AdmissionRequest, invocations: Invocation[]): Promise<void> => {
    // One conversion per version, shared by the webhooks called in it.
    const versions = new Map<ResourceType, Promise<[KubeObject | undefined, KubeObject | undefined]>>();
    const objectsFor = (t: ResourceType) => {
      let p = versions.get(t);
      if (!p) versions.set(t, (p = Promise.all([req.operation === 'DELETE' ? undefined : present(req, req.object, t), present(req, req.oldObject, t)])));
      return p;
    };
    const errors: unknown[] = [];
    await Promise.all(invocations.map(async (inv) => {
      try {
        const [object, old] = await objectsFor(inv.type);
        await call(inv, req, false, object, old);
      } catch (e) {
        try {
          failurePolicy(inv.webhook, e);
        } catch (err) {
          errors.push(err);
        }
      }
    }));
    if (errors.length) throw errors[0];
  };

  return [mutating, validating];
}
