/**
 * The object operations behind every HTTP verb (get, list, create, update, patch, delete,
 * deletecollection, scale), independent of HTTP so in-process callers (garbage collector,
 * namespace controller, tests) use the very same path: defaults, admission, optimistic
 * concurrency, generation, status split, finalizers, dry run and durability.
 */
import {
  type FieldError, type KubeObject, type Status, StatusError, newAlreadyExists, newBadRequest, newConflict, newExpired, newInvalid,
  newMethodNotSupported, newNotFound, newTimeout, OBJECT_MODIFIED, parseFieldSelector, parseLabelSelector, rfc3339, validateLabelKey, validateLabelValue,
} from '../../api/index.js';
import { type AdmissionChain, type AdmissionRequest, type DeleteOptions } from '../admission/index.js';
import { Converter } from '../conversion/index.js';
import { applyPatch, InvalidManagedFields, managerOrUserAgent, rootNode, updateManagedFields } from '../patch/index.js';
import { newStatus } from '../defaults/index.js';
import { applyDefaults, builtinDecoder, prune, type UnknownField, decodeErrorMetadata, type JSONSchemaProps, type SchemaNode } from '../schema/index.js';
import { apiVersionOf, convertsVersions, generationBumps, KEEP_STATUS_ON_CREATE, statusWriteResult, type ResourceRegistry, type ResourceType } from '../resources/index.js';
import type { Change, Store, Stored } from '../storage/index.js';
import type { UserInfo } from '../auth/index.js';
import { checkPropagationPolicy } from './options.js';
import { newUid } from './uid.js';
import { clone, deepEqual, randomSuffix, validateName } from './util.js';

export interface ListOptions {
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
  resourceVersion?: string;
  resourceVersionMatch?: string;
}

export interface ListResult {
  items: Stored[];
  resourceVersion: string;
  continue?: string;
  remainingItemCount?: number;
}

export interface WriteOptions {
  dryRun?: boolean;
  fieldManager?: string;
  /**
   * The request's User-Agent, which names the write's managedFields entry when it has no
   * `fieldManager` ('' for a request without one); unset for in-process writes, which the
   * server makes as itself ({@link IN_PROCESS_MANAGER}).
   */
  userAgent?: string;
  /** "status" to write only the status. */
  subresource?: string;
  /** `fieldValidation` query parameter: Strict, Warn or Ignore (unset means Warn). */
  fieldValidation?: 'Strict' | 'Warn' | 'Ignore';
  /** Receives warnings for the client (HTTP sends them as `Warning` headers). */
  warn?: (message: string) => void;
  /** Internal: managedFields were already computed (server-side apply). */
  managedFieldsDone?: boolean;
  /** Internal: a write through `/scale` (admitted as subresource `scale`, the object itself written). */
  scaleWrite?: boolean;
  /** The authenticated user of the HTTP request (admission sees it); unset for in-process writes. */
  user?: UserInfo;
}

/** A written object, with its JSON text when it was stored (not for dry runs). */
export interface WriteResult {
  object: KubeObject;
  json?: string;
  /** True when a PUT/apply created the object. */
  created?: boolean;
}

export interface DeleteResult {
  object: KubeObject;
  /** False when the object was only marked for deletion (finalizers or grace period). */
  deleted: boolean;
}

/** Handles a subresource other than status/scale (pods/binding, pods/eviction). */
export type SubresourceHandler = (ops: ResourceOps, t: ResourceType, namespace: string | undefined, name: string, body: KubeObject, opts: WriteOptions) => Promise<KubeObject | Status>;

const NAMESPACES = '/namespaces';

/**
 * The manager of the server's own writes (bootstrap RBAC, default namespaces, the kubernetes
 * service...): kube-apiserver makes them through its loopback client, whose User-Agent is
 * `kube-apiserver/<version> ...`, so a real cluster lists them under `kube-apiserver`.
 */
export const IN_PROCESS_MANAGER = 'kube-apiserver';

const RESET_ON_MAIN_WRITE = ['status'] as const;

/**
 * A created custom resource as upstream's create handler records it: decoded, which for a custom
 * resource prunes its undeclared fields and applies its schema's defaults
 * (apiextensions-apiserver's schemaCoercingDecoder and unstructuredDefaulter, both before the
 * field manager), where this server prunes and defaults in the CustomResourceSchema admission
 * plugin, after the create's managedFields are recorded. A copy: the object itself goes through
 * admission as the client sent it (the plugin's warnings and strict errors are its own).
 */
function asDecoded(t: ResourceType, obj: KubeObject): KubeObject {
  const schema = t.custom ? (t.structuralSchema as JSONSchemaProps | undefined) : undefined;
  return schema ? applyDefaults(schema, prune(schema, obj).object as KubeObject) : obj;
}

/** Each type's schema node for managedFields, made once (a CRD's changes give it a new type). */
const schemaNodes = new WeakMap<ResourceType, { schema: unknown; node: SchemaNode }>();

function schemaNodeOf(t: ResourceType): SchemaNode {
  let c = schemaNodes.get(t);
  if (!c || c.schema !== t.structuralSchema) {
    c = { schema: t.structuralSchema, node: rootNode({ group: t.group, version: t.version, kind: t.kind }, t.structuralSchema as JSONSchemaProps | undefined) };
    schemaNodes.set(t, c);
  }
  return c.node;
}

function gr(t: ResourceType) {
  return { group: t.group, resource: t.resource };
}

/** Storage key of an object: `namespace/name`, or `name` for cluster-scoped types. */
export function storageKeyOf(t: ResourceType, namespace: string | undefined, name: string): string {
  return t.namespaced ? `${namespace}/${name}` : name;
}

function encodeContinue(rv: string, start: string): string {
  return Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv: Number(rv), start })).toString('base64');
}

function decodeContinue(token: string): { rv: number; start: string } {
  try {
    const v = JSON.parse(Buffer.from(token, 'base64').toString('utf8')) as { rv?: unknown; start?: unknown };
    if (typeof v.rv === 'number' && typeof v.start === 'string') return { rv: v.rv, start: v.start };
  } catch {
    // fall through
  }
  throw newBadRequest('continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
}

/** Upstream's message for a continue token whose resourceVersion is no longer in the history. */
const CONTINUE_EXPIRED = 'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.';

function isObject(v: unknown): v is Record<string, unknown> {
  return !!v && typeof v === 'object' && !Array.isArray(v);
}

/** Upstream's TotalAnnotationSizeLimitB: keys and values of all annotations, in bytes. */
const TOTAL_ANNOTATION_SIZE_LIMIT = 256 * 1024;

/** The last instant RFC 3339 can write (a grace period of years must not make an invalid Date). */
const LATEST_TIME = Date.UTC(9999, 11, 31, 23, 59, 59);

/**
 * What Go's decoder does before any of kube-apiserver's code sees an object: every field of
 * a built-in kind has its JSON type (`"spec": "x"` on a Pod is a 400, not a crash in the
 * defaults) and its `null`s become zero values; a custom resource's metadata is an
 * ObjectMeta. Then, as the scheme's decoding does, a built-in type's defaults (defaults/).
 * Runs before admission and storage, so a malformed body has no effect.
 */
function decodeAsGo(t: ResourceType, obj: KubeObject, unknown?: UnknownField[]): boolean {
  let err: StatusError | undefined;
  let walked = false;
  try {
    if (t.builtin) {
      const decode = builtinDecoderOf(t);
      if (decode) {
        err = decode(obj, unknown);
        walked = true;
      }
    } else err = decodeErrorMetadata({ group: t.group, version: t.version, kind: t.kind }, obj);
  } catch {
    // the OpenAPI documents are unavailable: no type checks rather than failed writes
  }
  if (err) throw err;
  t.defaults?.(obj);
  return walked;
}

/**
 * The undeclared fields of the create being decoded (the walks are synchronous: one array for
 * all), and the shared answer for none.
 */
const UNKNOWN: UnknownField[] = [];
/** Whether the last {@link decodeAsGo} walked the object (a built-in kind whose schema was at hand). */
let decodedWalk = false;
const NO_UNKNOWN_FIELDS: readonly UnknownField[] = Object.freeze([]);

/**
 * Whether a create of `t` changes nothing between decoding and mutating admission that could
 * add or remove an undeclared field: a built-in kind without defaults (what create does there
 * besides is setting kind, apiVersion and metadata's system fields, all declared; the status
 * reset and the strategy's preparation come after mutating admission). Then the decoding
 * walk's undeclared fields are the ones BuiltinFieldValidation would walk for.
 */
function unknownFieldsHold(t: ResourceType): boolean {
  return t.builtin && !t.defaults;
}

/**
 * The Go decoding of each built-in type, its schema looked up on the type's first write (a
 * schema lookup per write cost more than the checks themselves). null: no schema, or the
 * documents were unavailable (no type checks, as before, rather than failed writes).
 */
const builtinDecoders = new WeakMap<ResourceType, ReturnType<typeof builtinDecoder> | null>();

function builtinDecoderOf(t: ResourceType): ReturnType<typeof builtinDecoder> {
  let d = builtinDecoders.get(t);
  if (d === undefined) {
    try {
      d = builtinDecoder({ group: t.group, version: t.version, kind: t.kind }) ?? null;
    } catch {
      d = null;
    }
    builtinDecoders.set(t, d);
  }
  return d ?? undefined;
}

/**
 * The object operations behind the HTTP handlers, for in-process callers too. Ownership, as
 * with an informer's cache: `get`/`list` return the stored objects themselves (read them, never
 * modify them: a change would bypass validation, resourceVersions and watches); `create`,
 * `update` and `patch` take ownership of the body they are given (defaults, admission and the
 * strategy write into it, and it may become the stored object), so pass a copy of anything you
 * keep (`structuredClone`). Over HTTP each request decodes its own body, so neither applies.
 */
export class ResourceOps {
  /** Handlers for extra subresources, keyed `group/resource/subresource` ("/pods/binding"). */
  readonly subresourceHandlers = new Map<string, SubresourceHandler>();
  /**
   * Version conversion of stored objects. Reads return objects as stored (in-process callers
   * read metadata); the HTTP layer converts what it answers, writes convert to the storage version.
   */
  readonly converter: Converter;

  constructor(readonly store: Store, readonly registry: ResourceRegistry, readonly admission: AdmissionChain) {
    this.converter = new Converter(store);
  }

  // ---- reads ---------------------------------------------------------------------------

  get(t: ResourceType, namespace: string | undefined, name: string): Stored {
    const s = this.store.get(t.storageKey, storageKeyOf(t, namespace, name));
    if (!s) throw newNotFound(gr(t), name);
    return s;
  }

  /** The version a write builds on and checks against: the newest, including writes not yet durable. */
  private latest(t: ResourceType, namespace: string | undefined, name: string): Stored {
    const s = this.store.latest(t.storageKey, storageKeyOf(t, namespace, name));
    if (!s) throw newNotFound(gr(t), name);
    return s;
  }

  /** A matcher for label and field selectors (400 on bad syntax or unsupported fields). */
  matcher(t: ResourceType, labelSelector?: string, fieldSelector?: string): ((o: KubeObject) => boolean) | undefined {
    const ls = parseLabelSelector(labelSelector);
    const fs = parseFieldSelector(fieldSelector);
    if (ls.isEmpty() && fs.isEmpty()) return undefined;
    const supported = new Set(['metadata.name', 'metadata.namespace', ...(t.fieldNames ?? [])]);
    for (const f of fs.fields()) if (!supported.has(f)) throw newBadRequest(`field label not supported: ${f}`);
    const needsExtra = fs.fields().some((f) => !f.startsWith('metadata.'));
    return (o) => {
      if (!ls.isEmpty() && !ls.matches(o.metadata.labels)) return false;
      if (fs.isEmpty()) return true;
      const fields: Record<string, string> = needsExtra && t.fields ? t.fields(o) : {};
      fields['metadata.name'] = o.metadata.name ?? '';
      fields['metadata.namespace'] = o.metadata.namespace ?? '';
      return fs.matches(fields);
    };
  }

  list(t: ResourceType, namespace: string | undefined, opts: ListOptions = {}): ListResult {
    const match = this.matcher(t, opts.labelSelector, opts.fieldSelector);
    const current = this.store.resourceVersion;
    let rv = String(current);
    let after = '';
    /** Serve the state as of this (older) resourceVersion, reconstructed from the history. */
    let at: number | undefined;
    if (opts.continue) {
      const c = decodeContinue(opts.continue);
      after = c.start;
      // rv -1: the "inconsistent" token of a 410 answer: continue on the current state.
      if (c.rv !== -1) {
        rv = String(c.rv);
        if (c.rv < current) at = c.rv;
      }
    } else if (opts.resourceVersion && opts.resourceVersion !== '0') {
      const want = Number(opts.resourceVersion);
      if (!/^\d+$/.test(opts.resourceVersion)) throw newBadRequest(`invalid resource version: ${opts.resourceVersion}`);
      if (want > current) throw newTimeout(`Too large resource version: ${want}, current: ${current}`);
      if (opts.resourceVersionMatch === 'Exact' && want !== current) {
        rv = String(want);
        at = want;
      }
    }
    if (opts.resourceVersionMatch && !['Exact', 'NotOlderThan'].includes(opts.resourceVersionMatch)) {
      throw newBadRequest(`resourceVersionMatch: Unsupported value: "${opts.resourceVersionMatch}"`);
    }
    const limit = opts.limit && opts.limit > 0 ? opts.limit : Infinity;
    const prefix = t.namespaced && namespace ? `${namespace}/` : '';
    if (at !== undefined) {
      const changes = this.store.since(t.storageKey, at);
      if (!changes) {
        if (!opts.continue) throw newExpired(`too old resource version: ${at} (${current})`);
        const e = newExpired(CONTINUE_EXPIRED);
        e.status.metadata = { continue: encodeContinue('-1', after) };
        throw e;
      }
      // Nothing of this type changed since: the current state is the state at `at`.
      if (changes.length) return this.listAt(t, prefix, after, limit, match, rv, changes);
    }
    const items: Stored[] = [];
    // A field selector naming one object in the request's namespace (or of a cluster-scoped
    // type) reads that key instead of scanning the type, as upstream's generic registry does
    // (registry/generic/registry/store.go ListPredicate: MatchesSingle, then GetList of the one
    // key); the answer is the scan's (the key is in range, the selector matches, limit >= 1).
    const name = opts.fieldSelector ? parseFieldSelector(opts.fieldSelector).requiresExactMatch('metadata.name') : undefined;
    if (name !== undefined && (!t.namespaced || namespace)) {
      const key = storageKeyOf(t, namespace, name);
      const s = after > prefix && key <= after ? undefined : this.store.get(t.storageKey, key);
      if (s && (!match || match(s.obj))) items.push(s);
      return { items, resourceVersion: rv };
    }
    let lastKey = '';
    let more = false;
    let remaining = 0;
    this.store.forEach(t.storageKey, prefix, after, (key, s) => {
      if (match && !match(s.obj)) return true;
      if (items.length >= limit) {
        more = true;
        return false;
      }
      items.push(s);
      lastKey = key;
      return true;
    });
    if (more && !match) remaining = this.store.countAfter(t.storageKey, prefix, lastKey);
    const out: ListResult = { items, resourceVersion: rv };
    if (more) {
      out.continue = encodeContinue(rv, lastKey);
      if (!match) out.remainingItemCount = remaining;
    }
    return out;
  }

  /**
   * A list page as of an older resourceVersion (etcd-MVCC-like snapshot): the current objects,
   * except that a key changed since then shows its version before its first later change (the
   * `old` of a MODIFIED/DELETED change; absent when that change is its creation). `changes`
   * are the type's committed changes after that resourceVersion, oldest first.
   */
  private listAt(
    t: ResourceType, prefix: string, after: string, limit: number, match: ((o: KubeObject) => boolean) | undefined,
    rv: string, changes: Change[],
  ): ListResult {
    const sk = t.storageKey;
    /** First change after the RV of each key in range; its `old` is the key's version then. */
    const first = new Map<string, Change>();
    for (const c of changes) {
      if (c.key <= after || (prefix && !c.key.startsWith(prefix)) || first.has(c.key)) continue;
      first.set(c.key, c);
    }
    const thenOf = (c: Change) => (c.type === 'ADDED' ? undefined : c.old);
    // Keys that existed then but not now: the scan of the current keys does not see them.
    const gone: string[] = [];
    for (const [k, c] of first) if (c.type !== 'ADDED' && !this.store.get(sk, k)) gone.push(k);
    gone.sort();
    const items: Stored[] = [];
    let lastKey = '';
    let more = false;
    const it = this.store.scan(sk, prefix, after);
    let cur = it.next();
    let gi = 0;
    for (;;) {
      const gk = gi < gone.length ? gone[gi] : undefined;
      let key: string;
      let obj: KubeObject | undefined;
      let stored: Stored | undefined;
      if (gk !== undefined && (cur.done || gk < cur.value[0])) {
        gi++;
        key = gk;
        obj = thenOf(first.get(gk)!);
      } else if (!cur.done) {
        key = cur.value[0];
        const c = first.get(key);
        if (c) obj = thenOf(c);
        else {
          stored = cur.value[1];
          obj = stored.obj;
        }
        cur = it.next();
      } else break;
      if (!obj || (match && !match(obj))) continue;
      if (items.length >= limit) {
        more = true;
        break;
      }
      // Stored objects are immutable, so an old version serializes to the text it was stored as.
      items.push(stored ?? { obj, json: JSON.stringify(obj), rv: Number(obj.metadata.resourceVersion) || 0 });
      lastKey = key;
    }
    const out: ListResult = { items, resourceVersion: rv };
    if (more) {
      out.continue = encodeContinue(rv, lastKey);
      if (!match) {
        // Keys after the page now, corrected by those that exist only now or only then.
        let remaining = this.store.countAfter(sk, prefix, lastKey);
        for (const [k, c] of first) {
          if (k <= lastKey) continue;
          const then = thenOf(c) !== undefined;
          const now = this.store.get(sk, k) !== undefined;
          if (then && !now) remaining++;
          else if (!then && now) remaining--;
        }
        out.remainingItemCount = remaining;
      }
    }
    return out;
  }

  // ---- writes --------------------------------------------------------------------------

  private checkNamespace(t: ResourceType, namespace: string | undefined, obj: KubeObject): void {
    if (!t.namespaced) {
      delete obj.metadata.namespace;
      return;
    }
    if (!namespace) throw newBadRequest('the server could not find the requested resource: a namespace is required');
    if (obj.metadata.namespace && obj.metadata.namespace !== namespace) {
      throw newBadRequest('the namespace of the provided object does not match the namespace sent on the request');
    }
    obj.metadata.namespace = namespace;
  }

  /** Validates and fills `kind`/`apiVersion` from the URL. */
  private checkBody(t: ResourceType, body: unknown, expectKind = t.kind, expectApiVersion = apiVersionOf(t), unknown?: UnknownField[]): KubeObject {
    if (!isObject(body)) throw newBadRequest('the body of the request was in an unknown format - accepted media types include: application/json, application/yaml');
    if (body.metadata !== undefined && !isObject(body.metadata)) throw newBadRequest('metadata must be an object');
    const obj = body as KubeObject;
    decodedWalk = decodeAsGo(t, obj, unknown);
    obj.metadata ??= {};
    if (obj.kind && obj.kind !== expectKind) {
      throw newBadRequest(`the kind in the data (${obj.kind}) does not match the expected kind (${expectKind})`);
    }
    if (obj.apiVersion && obj.apiVersion !== expectApiVersion) {
      throw newBadRequest(`the API version in the data (${obj.apiVersion}) does not match the expected API version (${expectApiVersion})`);
    }
    obj.kind = expectKind;
    obj.apiVersion = expectApiVersion;
    return obj;
  }

  private validateCommon(t: ResourceType, obj: KubeObject, old?: KubeObject, subresource?: string): void {
    const errs: FieldError[] = [];
    const name = obj.metadata.name ?? '';
    if (!old) {
      if (!name) errs.push({ type: 'FieldValueRequired', field: 'metadata.name', message: 'name or generateName is required' });
      else {
        for (const why of validateName(t.resource, t.group, name)) errs.push({ type: 'FieldValueInvalid', field: 'metadata.name', message: `${JSON.stringify(name)}: ${why}` });
      }
    }
    const labels = obj.metadata.labels as unknown;
    const annotations = obj.metadata.annotations as unknown;
    stringMapErrors('metadata.labels', labels, errs);
    stringMapErrors('metadata.annotations', annotations, errs);
    // Label keys and values follow the selector grammar (annotation keys the same key rules).
    if (isObject(labels)) {
      // for-in over own keys: no key array per write
      for (const k in labels) {
        if (!Object.hasOwn(labels, k)) continue;
        const val = labels[k];
        const bad = validateLabelKey(k) ?? (typeof val === 'string' ? validateLabelValue(val) : undefined);
        if (bad) errs.push({ type: 'FieldValueInvalid', field: 'metadata.labels', message: bad });
      }
    }
    if (isObject(annotations)) {
      let size = 0;
      for (const k of Object.keys(annotations)) {
        const v = annotations[k];
        const bad = validateLabelKey(k);
        if (bad) errs.push({ type: 'FieldValueInvalid', field: 'metadata.annotations', message: bad.replace('label key', 'annotation key') });
        size += Buffer.byteLength(k) + (typeof v === 'string' ? Buffer.byteLength(v) : 0);
      }
      if (size > TOTAL_ANNOTATION_SIZE_LIMIT) errs.push({ type: 'FieldValueTooLong', field: 'metadata.annotations', message: `may not be more than ${TOTAL_ANNOTATION_SIZE_LIMIT} bytes` });
    }
    // ValidateObjectMeta: a generation (sent on create for a kind without one) is a non-negative integer.
    const gen = obj.metadata.generation as unknown;
    if (gen !== undefined && !(typeof gen === 'number' && Number.isInteger(gen) && gen >= 0)) {
      errs.push({ type: 'FieldValueInvalid', field: 'metadata.generation', message: `${JSON.stringify(gen)}: must be greater than or equal to 0` });
    }
    if (old?.metadata.deletionTimestamp) {
      const before = new Set(old.metadata.finalizers ?? []);
      for (const f of obj.metadata.finalizers ?? []) {
        if (!before.has(f)) errs.push({ type: 'FieldValueForbidden', field: 'metadata.finalizers', message: `no new finalizers can be added if the object is being deleted, found new finalizers []string{"${f}"}` });
      }
    }
    if (t.strategy?.validate) {
      const found = t.strategy.validate(obj, old, subresource);
      for (let i = 0; i < found.length; i++) errs.push(found[i]); // (no spread iterator per write)
    }
    if (errs.length) throw newInvalid(t.group, t.kind, name, errs);
  }

  /**
   * Records the write in metadata.managedFields, as kube-apiserver does on every create, update
   * and non-apply patch (and their status/scale subresources): the fields it changed go to an
   * `Update` entry of the request's manager — its `fieldManager`, else its User-Agent's product
   * (upstream's managerOrUserAgent, patch/manager.ts). Server-side apply keeps its own
   * bookkeeping (`managedFieldsDone`).
   */
  private trackFields(t: ResourceType, old: KubeObject | undefined, obj: KubeObject, opts: WriteOptions): void {
    if (opts.managedFieldsDone) return;
    const manager = opts.userAgent === undefined && !opts.fieldManager ? IN_PROCESS_MANAGER : managerOrUserAgent(opts.fieldManager, opts.userAgent);
    const subresource = opts.scaleWrite ? 'scale' : opts.subresource;
    try {
      const mf = updateManagedFields(old, old ? obj : asDecoded(t, obj), manager, 'Update', { group: t.group, version: t.version, kind: t.kind }, {
        subresource, node: schemaNodeOf(t),
        // The status a main-resource write cannot change is no one's by it (the strategies' GetResetFields).
        ignore: t.hasStatus && subresource !== 'status' ? RESET_ON_MAIN_WRITE : undefined,
      });
      if (mf.length) obj.metadata.managedFields = mf;
      else delete obj.metadata.managedFields;
    } catch (err) {
      // An update may set managedFields itself (patch/ssa.ts givenManagedFields): what it set
      // is validated as ValidateObjectMeta validates them (apimachinery ValidateManagedFields).
      if (err instanceof InvalidManagedFields) throw newInvalid(t.group, t.kind, obj.metadata.name ?? '', err.errors);
      // upstream's UpdateNoErrors: a bookkeeping failure never fails the write
      if (old?.metadata.managedFields) obj.metadata.managedFields = old.metadata.managedFields;
      else delete obj.metadata.managedFields;
    }
  }

  async create(t: ResourceType, namespace: string | undefined, body: unknown, opts: WriteOptions = {}): Promise<WriteResult> {
    return this.createNow(t, namespace, body, opts);
  }

  /**
   * {@link create}, synchronous for as long as nothing must be awaited: the written object, or a
   * promise of it once an admission plugin, a conversion webhook or the log had to be waited
   * for (a bad request throws). The create path of most writes then allocates no async frame
   * and takes no promise turn; each step after a possible wait is a method of its own, so the
   * order of the steps and what they see are those of one async function awaiting each wait.
   */
  createNow(t: ResourceType, namespace: string | undefined, body: unknown, opts: WriteOptions = {}): WriteResult | Promise<WriteResult> {
    if (!t.verbs.includes('create')) throw newMethodNotSupported(gr(t), 'create');
    // one schema walk for the Go decoding and the undeclared fields, where create keeps them as decoded
    const collect = unknownFieldsHold(t);
    UNKNOWN.length = 0;
    const obj = this.checkBody(t, body, undefined, undefined, collect ? UNKNOWN : undefined);
    const unknownFields = collect && decodedWalk ? (UNKNOWN.length ? UNKNOWN.splice(0) : NO_UNKNOWN_FIELDS) : undefined;
    this.checkNamespace(t, namespace, obj);
    const m = obj.metadata;
    clearSystemFields(m, !!t.generation);
    if (t.namespaced) {
      const ns = this.store.latest(NAMESPACES, namespace!);
      if (!ns) throw newNotFound({ group: '', resource: 'namespaces' }, namespace!);
      // The same text, kept once: the stored namespace's name rather than each request's copy
      // of it (an object stored per create, for as long as the object is).
      if (ns.obj.metadata.name === m.namespace) m.namespace = ns.obj.metadata.name;
    }
    // managedFields before mutating admission, as upstream's create handler records the request's
    // object (endpoints/handlers/create.go: UpdateNoErrors, then the admission): what the
    // webhooks, the in-tree plugins (a pod's service-account volume) and the strategy add is no one's.
    this.trackFields(t, undefined, obj, opts);
    const req: AdmissionRequest = {
      operation: 'CREATE', type: t, namespace, name: m.name ?? '', object: obj, dryRun: !!opts.dryRun, fieldManager: opts.fieldManager, fieldValidation: opts.fieldValidation, warn: opts.warn, user: opts.user,
      unknownFields,
    };
    const admitted = this.admission.admitNow(req);
    if (admitted) return admitted.then(() => this.createAdmitted(req, opts));
    return this.createAdmitted(req, opts);
  }

  /** {@link createNow} after mutating admission: system metadata, the strategy, validation, validating admission. */
  private createAdmitted(req: AdmissionRequest, opts: WriteOptions): WriteResult | Promise<WriteResult> {
    const t = req.type;
    // Upstream's order (endpoints/handlers/create.go: mutating admission, then the storage's
    // Create; registry/generic/registry/store.go Store.create: FillObjectMetaSystemFields and
    // the generated name, then rest.BeforeCreate: the strategy's PrepareForCreate, Validate,
    // ValidateObjectMeta, Canonicalize; then validating admission). So mutating admission sees
    // no generated name, uid, creationTimestamp, generation or reset status, and what it sets
    // there the strategy overrides (a webhook cannot give a new pod a status, and a pod's QoS
    // class is computed from the resources the webhooks left); validating admission sees it all.
    // Only kinds whose strategy keeps a generation get one (1); others keep what the client
    // sent, as upstream's generic code leaves it alone (see resources/generation.ts).
    const made = req.object;
    const sm = made.metadata;
    if (!sm.name && sm.generateName) sm.name = `${sm.generateName}${randomSuffix()}`;
    req.name = sm.name ?? '';
    clearSystemFields(sm, !!t.generation);
    sm.uid = newUid();
    sm.creationTimestamp = rfc3339();
    if (t.generation) sm.generation = 1;
    // PrepareForCreate: strategies start a new object's status afresh (a built-in type's zero
    // status struct, encoded `{}` plus its non-omitempty fields; a custom resource's none),
    // then the type's own preparation.
    if (t.hasStatus && !KEEP_STATUS_ON_CREATE.has(t.storageKey)) {
      if (t.builtin) (made as { status?: unknown }).status = newStatus(t.storageKey);
      else delete made.status;
    }
    t.strategy?.prepareForCreate?.(made);
    t.strategy?.canonicalize?.(made);
    this.validateCommon(t, req.object);
    const validated = this.admission.validateNow(req);
    if (validated) return validated.then(() => this.createValidated(req, opts));
    return this.createValidated(req, opts);
  }

  /** {@link createNow} after validating admission: the storage version. */
  private createValidated(req: AdmissionRequest, opts: WriteOptions): WriteResult | Promise<WriteResult> {
    const t = req.type;
    // (no promise turn for types without a conversion webhook)
    if (opts.dryRun || !convertsVersions(t)) return this.createStored(req, opts, req.object);
    return this.converter.toStorage(t, req.object).then((stored) => this.createStored(req, opts, stored));
  }

  /** {@link createNow}'s last step: no wait from its checks to the put, so they hold when the object is stored. */
  private createStored(req: AdmissionRequest, opts: WriteOptions, stored: KubeObject): WriteResult | Promise<WriteResult> {
    const t = req.type;
    const namespace = req.namespace;
    const key = storageKeyOf(t, namespace, req.object.metadata.name!);
    const existing = this.store.latest(t.storageKey, key);
    if (existing) throw newAlreadyExists(gr(t), req.object.metadata.name!);
    if (t.namespaced && !this.store.latest(NAMESPACES, namespace!)) throw newNotFound({ group: '', resource: 'namespaces' }, namespace!);
    if (opts.dryRun) return { object: req.object };
    const c = this.store.put(t.storageKey, key, stored, null); // `existing` is absent: no wait since
    const result: WriteResult = { object: c.object, json: c.json };
    const durable = this.store.notYetDurable(c);
    return durable ? durable.then(() => result) : result;
  }

  /**
   * PUT: replaces the object (or only its status when `opts.subresource === 'status'`).
   * A `metadata.resourceVersion` in the body must match the stored one (409 otherwise).
   */
  async update(t: ResourceType, namespace: string | undefined, name: string, body: unknown, opts: WriteOptions = {}): Promise<WriteResult> {
    if (!t.verbs.includes('update')) throw newMethodNotSupported(gr(t), 'update');
    const obj = this.checkBody(t, body);
    this.checkNamespace(t, namespace, obj);
    if (obj.metadata.name && obj.metadata.name !== name) {
      throw newBadRequest(`the name of the object (${obj.metadata.name}) does not match the name on the URL (${name})`);
    }
    obj.metadata.name = name;
    return this.updateWith(t, namespace, name, opts, obj.metadata.resourceVersion, () => obj);
  }

  /**
   * The shared update path: `build(current)` yields the desired object (it may be called
   * again when a concurrent write lands while admission runs and no precondition was given).
   */
  private async updateWith(
    t: ResourceType, namespace: string | undefined, name: string, opts: WriteOptions, precondition: string | undefined,
    build: (current: Stored) => KubeObject,
  ): Promise<WriteResult> {
    const key = storageKeyOf(t, namespace, name);
    for (let attempt = 0; ; attempt++) {
      const stored = this.latest(t, namespace, name);
      if (precondition && precondition !== String(stored.rv)) throw newConflict(gr(t), name, OBJECT_MODIFIED);
      // The update is built and admitted in the request's version; stored in the storage version.
      const current = this.converter.needsWebhook(t, stored.obj) ? { ...stored, obj: (await this.converter.toVersion(t, [stored.obj]))[0] } : stored;
      const old = current.obj;
      const status = opts.subresource === 'status';
      /**
       * What the write may change, applied to what mutating admission made of the built object,
       * as upstream's rest.BeforeUpdate and the strategy's PrepareForUpdate run after the
       * admission transformers (registry/rest/update.go, registry/generic/registry/store.go): a
       * webhook sees the object as the request made it (the client's status, uid, generation...)
       * and cannot change the status on a main-resource write, nor more than the status on a
       * status write.
       */
      const settle = (obj: KubeObject): KubeObject => {
        let out = obj;
        if (status) {
          // Status writes change the status and, by the kind's status strategy, metadata
          // (resources/status-writes.ts); never the spec.
          out = statusWriteResult(t.statusWrites, obj, old, clone);
        } else if (t.hasStatus) {
          if (old.status === undefined) delete out.status;
          else out.status = clone(old.status);
        }
        const m = out.metadata;
        const om = old.metadata;
        m.name = om.name;
        if (t.namespaced) m.namespace = om.namespace;
        m.uid = om.uid;
        m.creationTimestamp = om.creationTimestamp;
        if (om.deletionTimestamp) {
          m.deletionTimestamp = om.deletionTimestamp;
          m.deletionGracePeriodSeconds = om.deletionGracePeriodSeconds;
        } else {
          delete m.deletionTimestamp;
          delete m.deletionGracePeriodSeconds;
        }
        if (m.generateName === undefined && om.generateName !== undefined && status) m.generateName = om.generateName;
        m.resourceVersion = String(current.rv);
        // Requests cannot change the generation (upstream's BeforeUpdate); the strategy bumps it below.
        if (om.generation === undefined) delete m.generation;
        else m.generation = om.generation;
        return out;
      };
      let next = build(current);
      const req: AdmissionRequest = {
        operation: 'UPDATE', type: t, subresource: opts.scaleWrite ? 'scale' : opts.subresource, namespace, name, object: next, oldObject: old, dryRun: !!opts.dryRun, fieldManager: opts.fieldManager,
        fieldValidation: opts.fieldValidation, warn: opts.warn, user: opts.user,
      };
      const admitted = this.admission.admitNow(req);
      if (admitted) await admitted;
      next = settle(req.object);
      // PrepareForUpdate after mutating admission, as upstream's rest.BeforeUpdate runs inside the
      // storage's Update once the admission transformers built the object (rest/update.go,
      // registry/generic/registry/store.go Store.Update).
      if (!status) t.strategy?.prepareForUpdate?.(next, old);
      t.strategy?.canonicalize?.(next);
      // The generation counts desired-state changes, whoever made them (the client or a mutating
      // webhook), on the kinds that have one, by their strategy's rule (resources/generation.ts).
      if (!status && t.generation && generationBumps(t.generation, next, old, deepEqual)) next.metadata.generation = (old.metadata.generation ?? 0) + 1;
      req.object = next;
      this.validateCommon(t, next, old, status ? 'status' : undefined);
      const validated = this.admission.validateNow(req);
      if (validated) await validated;
      this.trackFields(t, old, next, opts);
      next.metadata.resourceVersion = String(current.rv);
      const toStore = opts.dryRun || !convertsVersions(t) ? next : await this.converter.toStorage(t, next);
      // No await from here to the write: the version check holds when it is stored.
      const now = this.store.latest(t.storageKey, key);
      if (!now) throw newNotFound(gr(t), name);
      if (now.rv !== current.rv) {
        if (precondition || attempt >= 8) throw newConflict(gr(t), name, OBJECT_MODIFIED);
        continue; // someone wrote meanwhile: rebuild on the new state
      }
      if (deepEqual(opts.dryRun ? next : toStore, opts.dryRun ? old : stored.obj)) {
        await this.store.durable(stored); // a no-op on a write still in flight answers once that is durable
        return { object: stored.obj, json: stored.json };
      }
      // The last finalizer removed from an object being deleted: the object goes away.
      if (next.metadata.deletionTimestamp && !(next.metadata.finalizers?.length) && !(next.metadata.deletionGracePeriodSeconds ?? 0) && !t.strategy?.keepOnDelete?.(next)) {
        if (opts.dryRun) return { object: next };
        const c = this.store.remove(t.storageKey, key, toStore)!;
        await this.store.durable(c);
        return { object: c.object, json: c.json };
      }
      if (opts.dryRun) return { object: next };
      const c = this.store.put(t.storageKey, key, toStore, now); // `now` is the latest: no await since
      const durable = this.store.notYetDurable(c);
      if (durable) await durable;
      return { object: c.object, json: c.json };
    }
  }

  /**
   * Writes the newest version of an object as `mutate` changes it, and nothing else: no
   * decoding, defaults, admission, strategy, validation, generation, managedFields or
   * conversion. Upstream's `Storage.GuaranteedUpdate`, which subresource handlers call
   * directly after admitting their own object (BindingREST.setPodNodeAndMetadata in
   * pkg/registry/core/pod/storage/storage.go: the Binding is admitted, the pod is not); not for
   * anything a client sends as the object itself, which takes {@link update}.
   *
   * `mutate` gets a copy of the stored object (in its storage version) to change in place; it
   * may throw (the request fails, nothing written) or return false (nothing to write: the
   * stored object is returned). A missing object is a 404. The read and the write happen with
   * no await between, so the precondition `mutate` checks holds when the write lands
   * (GuaranteedUpdate's conflict retry never has a conflict to retry). The write is a store
   * change like any other (one watch event, resourceVersion) and durable (`--data-dir`'s
   * fsync) before this resolves; `dryRun` runs `mutate` and writes nothing.
   */
  async guaranteedUpdate(
    t: ResourceType, namespace: string | undefined, name: string, mutate: (obj: KubeObject) => boolean, opts: { dryRun?: boolean } = {},
  ): Promise<WriteResult> {
    const key = storageKeyOf(t, namespace, name);
    const current = this.latest(t, namespace, name);
    const next = JSON.parse(current.json) as KubeObject; // a copy: the stored JSON is the object's
    if (!mutate(next)) {
      await this.store.durable(current); // as a no-op update: answered once what it read is durable
      return { object: current.obj, json: current.json };
    }
    if (opts.dryRun) return { object: next };
    const c = this.store.put(t.storageKey, key, next, current); // `current` is the latest: no await since
    const durable = this.store.notYetDurable(c);
    if (durable) await durable;
    return { object: c.object, json: c.json };
  }

  /**
   * PATCH with the content type's algorithm (JSON, merge, strategic merge, apply). Apply
   * creates the object when it does not exist.
   */
  async patch(
    t: ResourceType, namespace: string | undefined, name: string, contentType: string | undefined, body: unknown,
    opts: WriteOptions & { force?: boolean } = {},
  ): Promise<WriteResult> {
    if (!t.verbs.includes('patch')) throw newMethodNotSupported(gr(t), 'patch');
    const gvk = { group: t.group, version: t.version, kind: t.kind };
    const isApply = (contentType ?? '').split(';')[0].trim().startsWith('application/apply-patch');
    const patchOpts = { fieldManager: opts.fieldManager, force: opts.force, subresource: opts.subresource, schema: t.structuralSchema as JSONSchemaProps | undefined };
    const existing = this.store.latest(t.storageKey, storageKeyOf(t, namespace, name));
    if (!existing) {
      if (!isApply || opts.subresource) throw newNotFound(gr(t), name);
      const created = applyPatch(contentType, undefined, body, gvk, patchOpts) as KubeObject;
      decodeAsGo(t, created);
      created.metadata ??= {};
      if (created.metadata.name && created.metadata.name !== name) {
        throw newBadRequest(`the name of the object (${created.metadata.name}) does not match the name on the URL (${name})`);
      }
      created.metadata.name = name;
      const r = await this.create(t, namespace, created, { ...opts, managedFieldsDone: true });
      return { ...r, created: true };
    }
    const result = await this.updateWith(t, namespace, name, { ...opts, managedFieldsDone: isApply }, undefined, (current) => {
      const patched = applyPatch(contentType, current.obj, body, gvk, patchOpts) as KubeObject;
      decodeAsGo(t, patched);
      if (!isObject(patched.metadata)) throw newBadRequest('metadata must be an object');
      const rv = patched.metadata.resourceVersion;
      // A resourceVersion the patch sets acts as a precondition.
      if (rv !== undefined && rv !== String(current.rv)) throw newConflict(gr(t), name, OBJECT_MODIFIED);
      if (patched.metadata.name !== undefined && patched.metadata.name !== name) {
        throw newBadRequest(`the name of the object (${patched.metadata.name}) does not match the name on the URL (${name})`);
      }
      patched.kind = t.kind;
      patched.apiVersion = apiVersionOf(t);
      return patched;
    });
    return result;
  }

  /** DELETE: immediate removal, or a mark (deletionTimestamp) while finalizers or a grace period remain. */
  async delete(
    t: ResourceType, namespace: string | undefined, name: string, options: DeleteOptions = {}, dryRun = false,
    client: Pick<WriteOptions, 'user' | 'warn'> & {
      /**
       * Upstream's rest.ValidateAllObjectFunc: a delete a subresource handler makes after
       * admitting its own object (an eviction's pod delete): no `late` plugins (admission
       * webhooks, ResourceQuota); see AdmissionChain.runWithoutLate.
       */
      withoutWebhooks?: boolean;
    } = {},
  ): Promise<DeleteResult> {
    if (!t.verbs.includes('delete')) throw newMethodNotSupported(gr(t), 'delete');
    const key = storageKeyOf(t, namespace, name);
    const current = this.latest(t, namespace, name);
    const pre = options.preconditions;
    if (pre?.uid && pre.uid !== current.obj.metadata.uid) {
      throw newConflict(gr(t), name, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${current.obj.metadata.uid}`);
    }
    if (pre?.resourceVersion && pre.resourceVersion !== String(current.rv)) {
      throw newConflict(gr(t), name, `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${current.rv}`);
    }
    checkPropagationPolicy(options.propagationPolicy);
    const obj = clone(current.obj);
    const req: AdmissionRequest = {
      operation: 'DELETE', type: t, namespace, name, object: obj, oldObject: current.obj, deleteOptions: options,
      gracePeriodSeconds: options.gracePeriodSeconds ?? 0, dryRun, user: client.user, warn: client.warn,
    };
    if (client.withoutWebhooks) await this.admission.runWithoutLate(req);
    else await this.admission.run(req);
    const grace = Math.max(0, req.gracePeriodSeconds ?? 0);
    const target = req.object;
    const now = this.store.latest(t.storageKey, key);
    if (!now) throw newNotFound(gr(t), name);
    if (now.rv !== current.rv) throw newConflict(gr(t), name, OBJECT_MODIFIED);
    const pending = (target.metadata.finalizers?.length ?? 0) > 0 || grace > 0 || !!t.strategy?.keepOnDelete?.(target);
    if (pending) {
      const m = target.metadata;
      const wasDeleting = !!current.obj.metadata.deletionTimestamp;
      if (!wasDeleting || grace < (current.obj.metadata.deletionGracePeriodSeconds ?? Infinity)) {
        m.deletionTimestamp = rfc3339(new Date(Math.min(Date.now() + grace * 1000, LATEST_TIME)));
        m.deletionGracePeriodSeconds = grace;
      }
      if (deepEqual(target, current.obj)) {
        await this.store.durable(current);
        return { object: current.obj, deleted: false };
      }
      if (dryRun) return { object: target, deleted: false };
      const c = this.store.put(t.storageKey, key, target);
      await this.store.durable(c);
      return { object: c.object, deleted: false };
    }
    if (dryRun) return { object: current.obj, deleted: true };
    const c = this.store.remove(t.storageKey, key, target)!;
    await this.store.durable(c);
    return { object: c.object, deleted: true };
  }

  /** DELETE on a collection: deletes every matching object; returns those handled. */
  async deleteCollection(
    t: ResourceType, namespace: string | undefined, list: ListOptions, options: DeleteOptions = {}, dryRun = false,
    client: Pick<WriteOptions, 'user' | 'warn'> = {},
  ): Promise<KubeObject[]> {
    if (!t.verbs.includes('deletecollection')) throw newMethodNotSupported(gr(t), 'deletecollection');
    const { items } = this.list(t, namespace, { labelSelector: list.labelSelector, fieldSelector: list.fieldSelector });
    const out: KubeObject[] = [];
    for (const s of items) {
      try {
        out.push((await this.delete(t, s.obj.metadata.namespace, s.obj.metadata.name!, { ...options, preconditions: undefined }, dryRun, client)).object);
      } catch (e) {
        if (e instanceof StatusError && e.code === 404) continue;
        throw e;
      }
    }
    return out;
  }

  // ---- scale ---------------------------------------------------------------------------

  /** The autoscaling/v1 Scale view of an object. */
  scaleOf(t: ResourceType, obj: KubeObject): KubeObject {
    const spec = t.scale!;
    const read = (path: string | undefined): unknown => path?.split('.').filter(Boolean).reduce<unknown>((a, k) => (isObject(a) ? a[k] : undefined), obj);
    let selector = read(spec.labelSelectorPath);
    if (t.builtin) {
      const sel = (obj.spec as { selector?: { matchLabels?: Record<string, string>; matchExpressions?: unknown[] } } | undefined)?.selector;
      selector = sel ? parseLabelSelectorSpecString(sel) : undefined;
    }
    const m = obj.metadata;
    return {
      kind: 'Scale',
      apiVersion: 'autoscaling/v1',
      metadata: { name: m.name, namespace: m.namespace, uid: m.uid, resourceVersion: m.resourceVersion, creationTimestamp: m.creationTimestamp },
      spec: { replicas: (read(spec.specReplicasPath) as number | undefined) ?? 0 },
      status: { replicas: (read(spec.statusReplicasPath) as number | undefined) ?? 0, ...(selector ? { selector } : {}) },
    };
  }

  /** The Scale of an object; its replica paths are those of `t`'s version (converted first if need be). */
  async getScale(t: ResourceType, namespace: string | undefined, name: string): Promise<KubeObject> {
    if (!t.scale) throw newNotFound(gr(t), name);
    const [obj] = await this.converter.toVersion(t, [this.get(t, namespace, name).obj]);
    return this.scaleOf(t, obj);
  }

  /** A copy of `obj` with `replicas` at the type's spec replicas path (what a Scale write changes). */
  withReplicas(t: ResourceType, obj: KubeObject, replicas: unknown): KubeObject {
    const path = t.scale!.specReplicasPath.split('.').filter(Boolean);
    const next = clone(obj);
    let o = next as Record<string, unknown>;
    for (const k of path.slice(0, -1)) o = (isObject(o[k]) ? o[k] : (o[k] = {})) as Record<string, unknown>;
    o[path[path.length - 1]] = replicas;
    return next;
  }

  /** Writes `spec.replicas` of a Scale back to the object (PUT or PATCH on /scale). */
  async updateScale(t: ResourceType, namespace: string | undefined, name: string, scale: (current: KubeObject) => KubeObject, opts: WriteOptions = {}): Promise<KubeObject> {
    if (!t.scale) throw newNotFound(gr(t), name);
    const r = await this.updateWith(t, namespace, name, { ...opts, subresource: undefined, scaleWrite: true }, undefined, (current) => {
      const s = scale(this.scaleOf(t, current.obj));
      if (!isObject(s) || !isObject(s.spec)) throw newBadRequest('the body must be an autoscaling/v1 Scale');
      const replicas = (s.spec as { replicas?: unknown }).replicas;
      if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) {
        throw newInvalid('autoscaling', 'Scale', name, [{ type: 'FieldValueInvalid', field: 'spec.replicas', message: `${JSON.stringify(replicas)}: must be greater than or equal to 0` }]);
      }
      const rv = s.metadata?.resourceVersion;
      if (rv && rv !== String(current.rv)) throw newConflict({ group: 'autoscaling', resource: 'scale' }, name, OBJECT_MODIFIED);
      return this.withReplicas(t, current.obj, replicas);
    });
    return this.scaleOf(t, (await this.converter.toVersion(t, [r.object]))[0]);
  }
}

/** Labels and annotations must be maps of strings. */
function stringMapErrors(field: string, v: unknown, errs: FieldError[]): void {
  if (v === undefined || v === null) return;
  if (!isObject(v)) {
    errs.push({ type: 'FieldValueTypeInvalid', field, message: 'must be a map of strings' });
    return;
  }
  for (const k in v) {
    if (!Object.hasOwn(v, k)) continue;
    const val = v[k];
    if (typeof val !== 'string') errs.push({ type: 'FieldValueTypeInvalid', field: `${field}.${k}`, message: `${JSON.stringify(val)}: must be a string` });
  }
}

/**
 * Drops the metadata only the server sets, from a create's body. `generation` only for kinds
 * that have one: upstream's generic create leaves a client's generation alone.
 */
function clearSystemFields(m: KubeObject['metadata'], generation: boolean): void {
  // `in` first: a delete of an absent property still costs a runtime call, and bodies rarely carry these
  if ('resourceVersion' in m) delete m.resourceVersion;
  if ('deletionTimestamp' in m) delete m.deletionTimestamp;
  if ('deletionGracePeriodSeconds' in m) delete m.deletionGracePeriodSeconds;
  if ('selfLink' in m) delete m.selfLink;
  if ('uid' in m) delete m.uid;
  if ('creationTimestamp' in m) delete m.creationTimestamp;
  if (generation && 'generation' in m) delete m.generation;
}

function parseLabelSelectorSpecString(sel: { matchLabels?: Record<string, string>; matchExpressions?: unknown[] }): string {
  const parts = Object.entries(sel.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
  for (const e of (sel.matchExpressions ?? []) as { key: string; operator: string; values?: string[] }[]) {
    if (e.operator === 'In') parts.push(`${e.key} in (${(e.values ?? []).join(',')})`);
    else if (e.operator === 'NotIn') parts.push(`${e.key} notin (${(e.values ?? []).join(',')})`);
    else if (e.operator === 'Exists') parts.push(e.key);
    else if (e.operator === 'DoesNotExist') parts.push(`!${e.key}`);
  }
  return parts.join(',');
}
