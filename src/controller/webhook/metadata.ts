/**
 * The decorators that declare webhooks, next to the controllers, and the metadata they record.
 *
 *   @Webhook({ for: Greeting })
 *   class GreetingWebhook implements Defaulter<Greeting>, Validator<Greeting> {
 *     default(g: Greeting) { g.spec.shout ??= false; }
 *     validateCreate(g: Greeting) { if (g.spec.message.length > 100) throw new Error('message too long'); }
 *   }
 *
 *   @Conversion({ hub: GreetingV2, spoke: GreetingV1 })
 *   class GreetingV1Conversion implements SpokeConversion<GreetingV1, GreetingV2> {
 *     toHub(v1: GreetingV1): GreetingV2 { ... }
 *     fromHub(v2: GreetingV2): GreetingV1 { ... }
 *   }
 *
 * What a `@Webhook` class serves follows from its methods, as controller-runtime's
 * CustomDefaulter/CustomValidator: `default` makes a mutating (defaulting) webhook, any of
 * `validateCreate|Update|Delete` a validating one whose rules list exactly those operations.
 * Both decorators make the class injectable (inversify), so constructors get the manager's
 * services like controllers do, and add it to a process-wide list (as `@Controller`) that
 * `kubeloop generate` reads from modules' exports.
 */
import '../../reflect-metadata.js';
import { injectable } from '../inversify.js';
import type { KubeObject, LabelSelectorSpec } from '../../api/index.js';
import { kindRefOf, type KindLike, type KindRef } from '../kinds.js';
import { isController } from '../metadata.js';
import type { AdmissionRequestInfo, ConversionContext } from './types.js';

/** What `validate*` may return: warnings shown to the client (kubectl prints them). */
export type Warnings = string[] | void | undefined;

/** A mutating webhook that sets defaults (controller-runtime's CustomDefaulter). */
export interface Defaulter<T extends KubeObject = KubeObject> {
  /**
   * Sets defaults on `obj` (a copy of the object in the request; mutate it). The response is
   * the RFC 6902 JSON patch from the request's object to `obj`. Not called for DELETE.
   * Throw to deny the request (see {@link Validator}).
   */
  default(obj: T, req: AdmissionRequestInfo): void | Promise<void>;
}

/**
 * A validating webhook (controller-runtime's CustomValidator). Each method is optional; the
 * rules of the generated ValidatingWebhookConfiguration list the operations it implements.
 * Return warnings (or nothing) to allow; throw to deny: a `StatusError` (`newInvalid(...)`
 * from kubeloop) denies with its Status, `AdmissionDenied` with warnings too, any other
 * Error with 403 Forbidden and its message.
 */
export interface Validator<T extends KubeObject = KubeObject> {
  validateCreate?(obj: T, req: AdmissionRequestInfo): Warnings | Promise<Warnings>;
  validateUpdate?(oldObj: T, obj: T, req: AdmissionRequestInfo): Warnings | Promise<Warnings>;
  /** `obj` is the object being deleted (the request's oldObject). */
  validateDelete?(obj: T, req: AdmissionRequestInfo): Warnings | Promise<Warnings>;
}

export type FailurePolicy = 'Fail' | 'Ignore';
export type SideEffects = 'None' | 'NoneOnDryRun';
export type AdmissionOperation = 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';

export interface WebhookOptions<T extends KubeObject = KubeObject> {
  /** The kind admitted (its group, version and plural make the rules and the paths). */
  for: KindLike<T>;
  /** What the API server does when the webhook cannot be called. Default 'Fail'. */
  failurePolicy?: FailurePolicy;
  /** Default 'None' (the webhook only computes a response). */
  sideEffects?: SideEffects;
  /** The API server's timeout for one call, 1-30. Default: unset (the server's 10 s). */
  timeoutSeconds?: number;
  /** 'Exact' or 'Equivalent' (also called for the kind through other versions). Default: unset (the server's 'Equivalent'). */
  matchPolicy?: 'Exact' | 'Equivalent';
  /** Only objects in namespaces matching this selector. Default: all. */
  namespaceSelector?: LabelSelectorSpec;
  /** Only objects whose labels match. Default: all. */
  objectSelector?: LabelSelectorSpec;
  /** Mutating webhook: 'IfNeeded' calls it again when a later webhook changed the object. Default: unset (the server's 'Never'). */
  reinvocationPolicy?: 'Never' | 'IfNeeded';
  /**
   * Mutating webhook: the operations its rules list (kubebuilder's `verbs=` of a defaulting
   * marker). Default `['CREATE', 'UPDATE']`; `['CREATE']` for kinds whose fields the webhook
   * sets are immutable after creation (a Pod's `spec.imagePullSecrets`).
   */
  mutatingOperations?: ReadonlyArray<'CREATE' | 'UPDATE'>;
  /**
   * The webhook names in the configurations (fully qualified, unique per configuration).
   * Default `m<kind>-<version>.<group>` and `v<kind>-<version>.<group>` (kubebuilder's
   * pattern; a group without a dot, like "" or "apps", gets `.kubeloop.io` appended).
   */
  mutatingName?: string;
  validatingName?: string;
  /** Paths served. Default `/mutate-<group with dashes>-<version>-<kind lower-case>` and `/validate-...`, as controller-runtime. */
  mutatingPath?: string;
  validatingPath?: string;
}

/** A webhook declaration after validation and defaults. */
export interface WebhookMetadata {
  target: Function;
  for: KindRef;
  /** Set when the class has `default()`. */
  mutating?: { name: string; path: string; operations: AdmissionOperation[] };
  /** Set when the class has a `validate*` method. */
  validating?: { name: string; path: string; operations: AdmissionOperation[] };
  failurePolicy: FailurePolicy;
  sideEffects: SideEffects;
  timeoutSeconds?: number;
  matchPolicy?: 'Exact' | 'Equivalent';
  namespaceSelector?: LabelSelectorSpec;
  objectSelector?: LabelSelectorSpec;
  reinvocationPolicy?: 'Never' | 'IfNeeded';
}

/**
 * A spoke version's conversion to and from the hub version of a custom resource (the
 * functions of controller-runtime's `NewSpokeConverter`). Both get a deep copy (mutate it
 * freely) and return the object in the other version; `apiVersion` and `kind` are set on the
 * result for you, and `metadata` is copied from the input when the result has none. A
 * conversion must be lossless both ways: round-trip fields the other version lacks through
 * annotations. Throwing fails the whole ConversionReview with the error's message.
 */
export interface SpokeConversion<Spoke extends KubeObject = KubeObject, Hub extends KubeObject = KubeObject> {
  toHub(obj: Spoke, ctx: ConversionContext): Hub | Promise<Hub>;
  fromHub(hub: Hub, ctx: ConversionContext): Spoke | Promise<Spoke>;
}

export interface ConversionOptions<Spoke extends KubeObject = KubeObject, Hub extends KubeObject = KubeObject> {
  /** The hub version: every conversion goes through it. One per custom resource. */
  hub: KindLike<Hub>;
  /** The version this class converts to and from the hub (same group and kind). */
  spoke: KindLike<Spoke>;
}

export interface ConversionMetadata {
  target: Function;
  hub: KindRef;
  spoke: KindRef;
}

/** The path of the conversion webhook (one for every custom resource), as controller-runtime. */
export const CONVERSION_PATH = '/convert';

const WEBHOOK_KEY = Symbol.for('kubeloop:webhook');
const CONVERSION_KEY = Symbol.for('kubeloop:conversion');
const registry: Function[] = [];

const VALIDATE_METHODS = { validateCreate: 'CREATE', validateUpdate: 'UPDATE', validateDelete: 'DELETE' } as const;

/** `/mutate-<group with dashes>-<version>-<kind>`, controller-runtime's generateMutatePath (`/validate-...` alike). */
export function webhookPath(prefix: 'mutate' | 'validate', kind: KindRef): string {
  return `/${prefix}-${kind.group.replaceAll('.', '-')}-${kind.version}-${kind.kind.toLowerCase()}`;
}

function defaultName(prefix: 'm' | 'v', kind: KindRef): string {
  const domain = kind.group.includes('.') ? kind.group : `${kind.group || 'core'}.kubeloop.io`;
  return `${prefix}${kind.kind.toLowerCase()}-${kind.version}.${domain}`;
}

function fail(decorator: string, target: Function, msg: string): never {
  throw new TypeError(`${decorator} on ${target.name || 'anonymous class'}: ${msg}`);
}

function kindOf(decorator: string, target: Function, field: string, k: unknown): KindRef {
  try {
    return kindRefOf(k);
  } catch (e) {
    fail(decorator, target, `"${field}": ${(e as Error).message}`);
  }
}

function normalizeWebhook(target: Function, o: WebhookOptions): WebhookMetadata {
  if (!o || typeof o !== 'object') fail('@Webhook', target, 'options object is required');
  const kind = kindOf('@Webhook', target, 'for', o.for);
  const proto = (target as { prototype?: Record<string, unknown> }).prototype ?? {};
  const validateOps = Object.entries(VALIDATE_METHODS).filter(([m]) => typeof proto[m] === 'function').map(([, op]) => op);
  const hasDefault = typeof proto.default === 'function';
  if (!hasDefault && validateOps.length === 0) fail('@Webhook', target, 'the class has neither default() nor validateCreate/validateUpdate/validateDelete()');
  if (o.failurePolicy !== undefined && o.failurePolicy !== 'Fail' && o.failurePolicy !== 'Ignore') fail('@Webhook', target, `failurePolicy must be Fail or Ignore, got ${String(o.failurePolicy)}`);
  if (o.sideEffects !== undefined && o.sideEffects !== 'None' && o.sideEffects !== 'NoneOnDryRun') fail('@Webhook', target, `sideEffects must be None or NoneOnDryRun, got ${String(o.sideEffects)}`);
  if (o.timeoutSeconds !== undefined && (!Number.isInteger(o.timeoutSeconds) || o.timeoutSeconds < 1 || o.timeoutSeconds > 30)) {
    fail('@Webhook', target, `timeoutSeconds must be an integer from 1 to 30, got ${String(o.timeoutSeconds)}`);
  }
  if (o.mutatingOperations !== undefined) {
    const ops = o.mutatingOperations as unknown;
    if (!Array.isArray(ops) || ops.length === 0 || ops.some((x) => x !== 'CREATE' && x !== 'UPDATE') || new Set(ops).size !== ops.length) {
      fail('@Webhook', target, `mutatingOperations must be a non-empty list of CREATE and/or UPDATE, got ${JSON.stringify(ops)}`);
    }
    if (!hasDefault) fail('@Webhook', target, 'mutatingOperations is set but the class has no default()');
  }
  for (const p of [o.mutatingPath, o.validatingPath]) if (p !== undefined && (typeof p !== 'string' || !p.startsWith('/'))) fail('@Webhook', target, `path "${String(p)}" must start with /`);
  return {
    target,
    for: kind,
    // kubebuilder's defaulting marker: verbs=create;update (DELETE has nothing to default)
    mutating: hasDefault ? { name: o.mutatingName ?? defaultName('m', kind), path: o.mutatingPath ?? webhookPath('mutate', kind), operations: o.mutatingOperations ? [...o.mutatingOperations] : ['CREATE', 'UPDATE'] } : undefined,
    validating: validateOps.length
      ? { name: o.validatingName ?? defaultName('v', kind), path: o.validatingPath ?? webhookPath('validate', kind), operations: validateOps }
      : undefined,
    failurePolicy: o.failurePolicy ?? 'Fail',
    sideEffects: o.sideEffects ?? 'None',
    timeoutSeconds: o.timeoutSeconds,
    matchPolicy: o.matchPolicy,
    namespaceSelector: o.namespaceSelector,
    objectSelector: o.objectSelector,
    reinvocationPolicy: o.reinvocationPolicy,
  };
}

function declare(key: symbol, meta: unknown, target: Function, decorator: string): void {
  // one role per class, so one registration is one instance (inversify also refuses a second @injectable)
  if (isController(target) || Reflect.hasOwnMetadata(WEBHOOK_KEY, target) || Reflect.hasOwnMetadata(CONVERSION_KEY, target)) {
    fail(decorator, target, 'the class already carries @Controller, @Webhook or @Conversion; declare each on its own class');
  }
  Reflect.defineMetadata(key, meta, target);
  injectable()(target as unknown as new (...args: never[]) => unknown);
  if (!registry.includes(target)) registry.push(target);
}

/** What a @Webhook class may implement, typed with the kind's object type so the compiler checks the methods. */
export type WebhookMethods<T extends KubeObject> = Partial<Defaulter<T>> & Validator<T>;

/** Class decorator declaring an admission webhook for one kind; see WebhookOptions and the module comment. */
export function Webhook<T extends KubeObject = KubeObject>(options: WebhookOptions<T>): (target: new (...args: never[]) => WebhookMethods<T>) => void {
  return (target) => declare(WEBHOOK_KEY, normalizeWebhook(target, options as WebhookOptions), target, '@Webhook');
}

/** Class decorator declaring the conversion between a spoke version and the hub version; see SpokeConversion. */
export function Conversion<Spoke extends KubeObject = KubeObject, Hub extends KubeObject = KubeObject>(
  options: ConversionOptions<Spoke, Hub>,
): (target: new (...args: never[]) => SpokeConversion<Spoke, Hub>) => void {
  return (target) => {
    if (!options || typeof options !== 'object') fail('@Conversion', target, 'options object is required');
    const hub = kindOf('@Conversion', target, 'hub', options.hub);
    const spoke = kindOf('@Conversion', target, 'spoke', options.spoke);
    if (hub.group !== spoke.group || hub.kind !== spoke.kind) fail('@Conversion', target, `hub ${hub.apiVersion} ${hub.kind} and spoke ${spoke.apiVersion} ${spoke.kind} must be versions of the same group and kind`);
    if (hub.version === spoke.version) fail('@Conversion', target, `hub and spoke are both ${hub.apiVersion}`);
    const proto = (target as { prototype?: Record<string, unknown> }).prototype ?? {};
    if (typeof proto.toHub !== 'function' || typeof proto.fromHub !== 'function') fail('@Conversion', target, 'the class needs toHub(obj) and fromHub(hub) methods');
    declare(CONVERSION_KEY, { target, hub, spoke } satisfies ConversionMetadata, target, '@Conversion');
  };
}

export function isWebhook(target: unknown): boolean {
  return typeof target === 'function' && Reflect.hasOwnMetadata(WEBHOOK_KEY, target);
}

export function isConversion(target: unknown): boolean {
  return typeof target === 'function' && Reflect.hasOwnMetadata(CONVERSION_KEY, target);
}

/** The metadata of a @Webhook class; throws when the class is not decorated. */
export function webhookMetadata(target: Function): WebhookMetadata {
  const meta: WebhookMetadata | undefined = Reflect.getOwnMetadata(WEBHOOK_KEY, target);
  if (!meta) throw new TypeError(`${target?.name || String(target)} is not a webhook: decorate it with @Webhook({ for: ... })`);
  return meta;
}

/** The metadata of a @Conversion class; throws when the class is not decorated. */
export function conversionMetadata(target: Function): ConversionMetadata {
  const meta: ConversionMetadata | undefined = Reflect.getOwnMetadata(CONVERSION_KEY, target);
  if (!meta) throw new TypeError(`${target?.name || String(target)} is not a conversion: decorate it with @Conversion({ hub, spoke })`);
  return meta;
}

/** Every @Webhook and @Conversion class evaluated so far in this process, in definition order. */
export function registeredWebhooks(): readonly Function[] {
  return registry;
}

/** `group/kind` of a kind: conversions are grouped by it (one hub per custom resource). */
export function groupKindKey(k: KindRef): string {
  return `${k.group}/${k.kind}`;
}

/**
 * Checks that conversions form hub-and-spoke sets: per custom resource one hub, and one
 * conversion per spoke version. Returns the sets by `group/kind`. Throws naming the classes.
 */
export function conversionSets(targets: readonly Function[]): Map<string, { hub: KindRef; spokes: Map<string, ConversionMetadata> }> {
  const sets = new Map<string, { hub: KindRef; spokes: Map<string, ConversionMetadata> }>();
  for (const t of targets) {
    const m = conversionMetadata(t);
    const key = groupKindKey(m.hub);
    const set = sets.get(key) ?? { hub: m.hub, spokes: new Map<string, ConversionMetadata>() };
    if (set.hub.version !== m.hub.version) {
      throw new TypeError(`@Conversion ${t.name}: ${m.hub.kind}.${m.hub.group} has two hubs, ${set.hub.version} and ${m.hub.version}; a custom resource has one hub version`);
    }
    const dup = set.spokes.get(m.spoke.version);
    if (dup && dup.target !== t) throw new TypeError(`@Conversion ${t.name}: ${dup.target.name} already converts ${m.spoke.apiVersion} ${m.spoke.kind}`);
    set.spokes.set(m.spoke.version, m);
    sets.set(key, set);
  }
  return sets;
}
