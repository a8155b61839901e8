/**
 * Admission: the hook through which behaviour is added to the write path without touching
 * the handlers (garbage collection finalizers, namespace lifecycle, ServiceAccount defaults,
 * CRD validation, pod graceful deletion, admission webhooks...). Plugins run in registration
 * order (`late` ones after all others): every `admit` (may mutate `req.object`), then every
 * `validate` (must not mutate). Throwing a `StatusError` rejects the request with that
 * Status; any other error becomes a 500.
 *
 * Reinvocation (upstream's admission.ReinvocationContext): a plugin that changed the object
 * in a way earlier plugins may want to see calls `req.reinvocation.requestReinvocation()`;
 * the whole mutating phase then runs once more with `isReinvoke` set (in-tree plugins are
 * idempotent; admission webhooks re-call only those with `reinvocationPolicy: IfNeeded`).
 */
import { type KubeObject, newForbidden, type StatusError } from '../../api/index.js';
import type { ResourceType } from '../resources/index.js';
import type { UserInfo } from '../auth/index.js';
import type { UnknownField } from '../schema/index.js';

export type Operation = 'CREATE' | 'UPDATE' | 'DELETE';

/** metav1.DeleteOptions as sent in a DELETE body or query. */
export interface DeleteOptions {
  propagationPolicy?: 'Foreground' | 'Background' | 'Orphan';
  gracePeriodSeconds?: number;
  preconditions?: { uid?: string; resourceVersion?: string };
  orphanDependents?: boolean;
  dryRun?: string[];
}

export interface AdmissionRequest {
  operation: Operation;
  type: ResourceType;
  /** "status", "scale", ... when the request targets a subresource. */
  subresource?: string;
  namespace?: string;
  name: string;
  /**
   * CREATE/UPDATE: the object about to be stored (mutable in `admit`).
   * DELETE: a copy of the object being deleted. `admit` may add finalizers (e.g.
   * `foregroundDeletion`, `orphan`): an object that has finalizers after admission is only
   * marked (deletionTimestamp) and stays until its finalizers are removed.
   */
  object: KubeObject;
  /** UPDATE: the stored object (do not mutate). DELETE: the stored object too. */
  oldObject?: KubeObject;
  /** DELETE: the options of the request (plugins read propagationPolicy here). */
  deleteOptions?: DeleteOptions;
  /**
   * DELETE: graceful deletion period. 0 (the default unless the request asks otherwise)
   * deletes at once; > 0 keeps the object with `deletionTimestamp` = now + period and
   * `deletionGracePeriodSeconds` (pods on nodes). Plugins may change it.
   */
  gracePeriodSeconds?: number;
  dryRun: boolean;
  /** `fieldManager` of the request, if any. */
  fieldManager?: string;
  /** CREATE/UPDATE: the request's `fieldValidation` (Strict, Warn, Ignore; unset means Warn). */
  fieldValidation?: 'Strict' | 'Warn' | 'Ignore';
  /** Sends a warning to the client (a `Warning: 299 - "..."` header over HTTP), if anyone listens. */
  warn?: (message: string) => void;
  /** CREATE/UPDATE/DELETE: the authenticated user of the HTTP request; unset for in-process writes. */
  user?: UserInfo;
  /** Set by the chain for the duration of `run`. */
  reinvocation?: ReinvocationContext;
  /**
   * CREATE of a built-in kind: the fields its decoding found undeclared (schema/decode.ts), set
   * by the create path when nothing between decoding and admission could add or remove any
   * (the kind has no defaults). The first hook of
   * the mutating phase may take it (BuiltinFieldValidation, added first, instead of walking
   * the object again); the chain drops it once that hook ran, as later hooks may change the object.
   */
  unknownFields?: readonly UnknownField[];
}

/** Per-request state of the mutating phase's single reinvocation. */
export class ReinvocationContext {
  /** True during the second pass of the mutating phase. */
  isReinvoke = false;
  private requested = false;
  /** Made on first use: most requests never keep plugin state. */
  private values?: Map<string, unknown>;

  /** Asks for a second pass of the mutating phase (granted once per request). */
  requestReinvocation(): void {
    this.requested = true;
  }

  get shouldReinvoke(): boolean {
    return this.requested;
  }

  /** Plugin-private state kept across both passes (created by `init` on first use). */
  value<T>(key: string, init: () => T): T {
    const values = (this.values ??= new Map());
    if (!values.has(key)) values.set(key, init());
    return values.get(key) as T;
  }
}

export interface AdmissionPlugin {
  /** Unique name (used to remove or replace the plugin). */
  name: string;
  /** Mutating phase. */
  admit?(req: AdmissionRequest): void | Promise<void>;
  /** Validating phase. */
  validate?(req: AdmissionRequest): void | Promise<void>;
  /**
   * Runs after every plugin without the flag, whenever it was added: the admission webhooks,
   * which kube-apiserver orders after its in-tree plugins.
   */
  late?: boolean;
  /**
   * Whether the plugin's hooks have anything to do for requests on `type` (default: every
   * type). The chain asks once per type, again only after a plugin is added or removed, and
   * calls neither hook of the plugin for a type it answered false for, so a write of another
   * type pays no call per type-specific plugin (upstream's plugins do the same in `Handles` and
   * their first lines; the hooks may still check the operation or subresource). The answer must
   * depend only on the type's identity (storageKey, group, resource, custom), not on request or
   * cluster state.
   */
  appliesTo?(type: ResourceType): boolean;
}

/** A type's plugins with each hook, in chain order: what a phase runs for a request on it. */
interface TypePlugins {
  admit: AdmissionPlugin[];
  validate: AdmissionPlugin[];
}

/** The ordered list of plugins the server runs on every create, update and delete. */
export class AdmissionChain {
  private plugins: AdmissionPlugin[] = [];
  /** Per type: the plugins that apply to it and have the phase's hook (made on first use; dropped on add/remove). */
  private byType = new WeakMap<ResourceType, TypePlugins>();

  /** The plugins a request on `type` runs, phase by phase. */
  private forType(type: ResourceType): TypePlugins {
    let tp = this.byType.get(type);
    if (!tp) {
      tp = { admit: [], validate: [] };
      for (const p of this.plugins) {
        if (p.appliesTo && !p.appliesTo(type)) continue;
        if (p.admit) tp.admit.push(p);
        if (p.validate) tp.validate.push(p);
      }
      this.byType.set(type, tp);
    }
    return tp;
  }

  /** Adds a plugin (replacing one with the same name, keeping its position). */
  add(p: AdmissionPlugin): void {
    this.byType = new WeakMap();
    const i = this.plugins.findIndex((x) => x.name === p.name);
    if (i >= 0) this.plugins[i] = p;
    else if (p.late) this.plugins.push(p);
    else {
      const firstLate = this.plugins.findIndex((x) => x.late);
      this.plugins.splice(firstLate >= 0 ? firstLate : this.plugins.length, 0, p);
    }
  }

  remove(name: string): void {
    this.byType = new WeakMap();
    this.plugins = this.plugins.filter((p) => p.name !== name);
  }

  list(): readonly AdmissionPlugin[] {
    return this.plugins;
  }

  /** Both phases, for writes without object validation in between (DELETE). */
  async run(req: AdmissionRequest): Promise<void> {
    await this.admit(req);
    await this.validate(req);
  }

  /**
   * Both phases without the `late` plugins (the admission webhooks, ResourceQuota), for a write
   * a handler makes on its own behalf after admitting its own object, as upstream's storage
   * calls with rest.ValidateAllObjectFunc (the pod delete of an eviction): the other plugins
   * here also emulate what upstream's storage does on its own (deletion finalizers by
   * propagationPolicy, graceful deletion), so they still run.
   */
  async runWithoutLate(req: AdmissionRequest): Promise<void> {
    const tp = this.forType(req.type);
    req.reinvocation = new ReinvocationContext();
    await runPhase(tp.admit.filter((p) => !p.late), 'admit', req);
    await runPhase(tp.validate.filter((p) => !p.late), 'validate', req);
  }

  /** The mutating phase, with its reinvocation pass when a plugin asked for one. */
  admit(req: AdmissionRequest): Promise<void> {
    return promised(() => this.admitNow(req));
  }

  /**
   * {@link admit}, answering undefined instead of a promise when every plugin ran synchronously
   * (the write path then takes no promise turn; a synchronous plugin error is thrown).
   */
  admitNow(req: AdmissionRequest): Promise<void> | undefined {
    const reinvocation = (req.reinvocation = new ReinvocationContext());
    const first = runPhase(this.forType(req.type).admit, 'admit', req);
    // (a closure for the second pass only when the first one went asynchronous)
    return first ? first.then(() => this.reinvoke(req, reinvocation)) : this.reinvoke(req, reinvocation);
  }

  /** The mutating phase's second pass, when a plugin asked for one. */
  private reinvoke(req: AdmissionRequest, reinvocation: ReinvocationContext): Promise<void> | undefined {
    if (!reinvocation.shouldReinvoke) return undefined;
    reinvocation.isReinvoke = true;
    return runPhase(this.forType(req.type).admit, 'admit', req);
  }

  /**
   * The validating phase. Create and update run it after the object's own validation, as
   * upstream runs validating admission after the strategy's: an invalid object is a 422
   * before any validating webhook is asked.
   */
  validate(req: AdmissionRequest): Promise<void> {
    return promised(() => this.validateNow(req));
  }

  /** {@link validate}, answering undefined when every plugin ran synchronously (see {@link admitNow}). */
  validateNow(req: AdmissionRequest): Promise<void> | undefined {
    return runPhase(this.forType(req.type).validate, 'validate', req);
  }
}

const DONE = Promise.resolve();

/** A phase as a promise: its own, a resolved one, or a rejected one for a synchronous throw. */
function promised(phase: () => Promise<void> | undefined): Promise<void> {
  try {
    return phase() ?? DONE;
  } catch (e) {
    return Promise.reject(e);
  }
}

/**
 * Runs one phase's hooks in order. Most plugins answer synchronously (nothing to do for the
 * type at hand): those run back to back, and only a plugin that returns a promise makes the
 * rest wait for it, so a write through a chain of synchronous plugins costs no promise turn
 * per plugin. Order and error behaviour are those of awaiting each hook in turn. Returns
 * undefined when every hook finished synchronously (a synchronous throw propagates).
 */
function runPhase(plugins: readonly AdmissionPlugin[], phase: 'admit' | 'validate', req: AdmissionRequest, from = 0): Promise<void> | undefined {
  for (let i = from; i < plugins.length; i++) {
    const p = plugins[i];
    const hook = p[phase];
    if (!hook) continue;
    const r = hook.call(p, req);
    // what the decoding found holds only until a hook may have changed the object
    if (req.unknownFields) req.unknownFields = undefined;
    if (r && typeof (r as Promise<void>).then === 'function') return resumePhase(r, plugins, phase, req, i + 1);
  }
  return undefined;
}

/**
 * The rest of a phase after a hook's promise. Its own function: a closure inside runPhase's
 * loop would capture the loop's per-iteration binding, and V8 then allocates a context for
 * every iteration (every plugin of every write, ~0.45 KB per phase) whether the closure is
 * made or not.
 */
function resumePhase(r: Promise<void> | void, plugins: readonly AdmissionPlugin[], phase: 'admit' | 'validate', req: AdmissionRequest, next: number): Promise<void> {
  return Promise.resolve(r).then(() => runPhase(plugins, phase, req, next));
}

/**
 * admission.NewForbidden (k8s.io/apiserver/pkg/admission/errors.go): 403 on the request's
 * resource, named by the request's name, else the object's name or generateName, else
 * `Unknown` (extractResourceName).
 */
export function admissionForbidden(req: AdmissionRequest, why: string): StatusError {
  const m = req.object?.metadata;
  const name = req.name || m?.name || m?.generateName || 'Unknown';
  return newForbidden({ group: req.type.group, resource: req.type.resource }, name, why);
}

/** utilerrors.NewAggregate(errs).Error(): one message as is, several (each once) as `[a, b]`. */
export function aggregateErrors(errs: string[]): string {
  const unique = [...new Set(errs)];
  return unique.length === 1 ? unique[0]! : `[${unique.join(', ')}]`;
}
