/**
 * HTTP binding of the resource operations: maps verbs and query parameters to
 * {@link ResourceOps}, renders objects, lists, Tables and Status errors.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  type KubeObject, newBadRequest, newInvalid, newMethodNotSupported, type Status,
} from '../../api/index.js';
import type { DeleteOptions } from '../admission/index.js';
import type { UserInfo } from '../auth/index.js';
import { apiVersionOf, convertsVersions, type ResourceType, type SubresourceInfo } from '../resources/index.js';
import { decodeErrorBuiltin, decodeErrorDefinition } from '../schema/index.js';
import type { Stored } from '../storage/index.js';
import { partialMetadata, toTable } from '../table/index.js';
import { sendJoined } from '../http/joined-body.js';
import { checkPathSegments } from '../http/path-segment.js';
import { warningsOf } from '../http/warnings.js';
import { answerError } from '../http/errors.js';
import { type BodySink, decodeBody, decodePatchBody, readBody, readBodyInto, type ResourcePath, sendStatus, sendText, wantsPartialMetadata, wantsTable } from '../http/request.js';
import type { ListOptions, ResourceOps, WriteOptions, WriteResult } from './rest.js';
import type { WatchHub } from './watch.js';
import { checkDeleteOptions, checkWriteOptions, type WriteOptionsKind } from './options.js';
import { notFoundPath } from './util.js';

const TABLE_CT = 'application/json;as=Table;v=v1;g=meta.k8s.io';

const DELETE_OPTIONS = 'io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions';
const DELETE_OPTIONS_GVK = { group: 'meta.k8s.io', version: 'v1', kind: 'DeleteOptions' };

/**
 * A subresource action's body (Binding, Eviction, Namespace for finalize, TokenRequest) must be
 * an object of its kind's JSON types, as Go's decoder requires, before its handler runs.
 */
function checkSubresourceBody(info: SubresourceInfo, body: unknown): asserts body is KubeObject {
  if (!body || typeof body !== 'object' || Array.isArray(body)) {
    throw newBadRequest(`Object 'Kind' is missing in '${body === undefined ? '' : JSON.stringify(body)}'`);
  }
  const err = decodeErrorBuiltin({ group: info.group, version: info.version, kind: info.kind }, body);
  if (err) throw err;
}

const FALSY = new Set(['0', 'false', 'False', 'no', '']);

function truthy(v: string | null): boolean {
  return v !== null && !FALSY.has(v);
}

function intParam(q: URLSearchParams, name: string): number | undefined {
  const v = q.get(name);
  if (v === null || v === '') return undefined;
  if (!/^-?\d+$/.test(v)) throw newBadRequest(`invalid value for ${name}: ${v}`);
  return Number(v);
}

/** An object's JSON in the version of `t` (types sharing storage may store another version). */
function objectJson(t: ResourceType, obj: KubeObject, json?: string): string {
  const av = apiVersionOf(t);
  if (obj.apiVersion !== av) return JSON.stringify({ ...obj, apiVersion: av });
  return json ?? JSON.stringify(obj);
}

/** What a write's warnings go through: the response's Warning headers. */
function warnerOf(res: ServerResponse): (m: string) => void {
  return (m: string) => warningsOf(res).add(m);
}

/**
 * A create whose body is being read: what its handler needs once the body is complete, and
 * the sink the body is read into (one object per create, where an async function made a
 * promise for the body, one for itself, and their closures).
 */
class CreateRequest implements BodySink {
  constructor(
    private readonly http: ResourceHttp,
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    readonly type: ResourceType,
    readonly namespace: string | undefined,
    readonly query: URLSearchParams,
  ) {}
  body(buf: Buffer): void {
    this.http.createFrom(this, buf);
  }
  failed(err: unknown): void {
    answerError(this.req, this.res, err);
  }
}

export class ResourceHttp {
  /** `userOf` names the authenticated user of a request (admission plugins see it on writes). */
  constructor(private readonly ops: ResourceOps, private readonly watches: WatchHub, private readonly userOf: (req: IncomingMessage) => UserInfo | undefined = () => undefined) {}

  /**
   * Serves a resource request. Synchronous up to the verb (a bad request throws at once);
   * each verb's asynchronous part is its own small method, so a request allocates the frame
   * of the verb it runs rather than one sized for all of them.
   */
  handle(req: IncomingMessage, res: ServerResponse, p: ResourcePath, q: URLSearchParams): Promise<void> | void {
    const t = this.ops.registry.get(p.group, p.version, p.resource!);
    if (!t || (p.namespace !== undefined && !t.namespaced)) throw notFoundPath();
    checkPathSegments(p);
    const method = req.method ?? 'GET';
    const ns = t.namespaced ? p.namespace : undefined;
    const accept = req.headers.accept;

    if (p.subresource) return this.subresource(req, res, t, ns, p, q);

    const isWatch = p.watchPrefix || truthy(q.get('watch'));
    if (method === 'GET' && (isWatch || !p.name)) {
      if (isWatch) return this.watch(res, t, ns, p.name, q, accept);
      return this.list(res, t, ns, q, accept);
    }
    if (p.watchPrefix) throw newMethodNotSupported({ group: t.group, resource: t.resource }, method.toLowerCase());
    if (!p.name) {
      if (method === 'POST') {
        // answers its own errors: no promise for the caller to catch, none for the body either
        readBodyInto(req, new CreateRequest(this, req, res, t, ns, q));
        return;
      }
      if (method === 'DELETE') return this.deleteMany(req, res, t, ns, q);
      throw newMethodNotSupported({ group: t.group, resource: t.resource }, method.toLowerCase());
    }
    switch (method) {
      case 'GET': {
        const s = this.ops.get(t, ns, p.name);
        return this.sendObject(res, t, s.obj, s.json, accept, q);
      }
      case 'PUT':
        return this.updateOne(req, res, t, ns, p.name, q);
      case 'PATCH':
        return this.patchOne(req, res, t, ns, p.name, q);
      case 'DELETE':
        return this.deleteOne(req, res, t, ns, p.name, q);
      case 'POST':
        throw newMethodNotSupported({ group: t.group, resource: t.resource }, 'create');
      default:
        throw newMethodNotSupported({ group: t.group, resource: t.resource }, method.toLowerCase());
    }
  }

  /**
   * POST of a collection, once its body is read (see {@link CreateRequest}): as an async
   * function reading the body would, without its promises. Never throws: its errors are
   * answered here, as the server answers a handler's.
   */
  createFrom(c: CreateRequest, buf: Buffer): void {
    const { req, res } = c;
    try {
      const opts = this.writeOpts(req, c.query, res, 'CreateOptions'); // (the options before the body, as upstream)
      const body = decodeBody(buf, req.headers['content-type']);
      // (no promise turn for a create that waits for nothing, nor to render unless a conversion webhook is involved)
      const now = this.ops.createNow(c.type, c.namespace, body, opts);
      if (now instanceof Promise) {
        this.createLater(c, now);
        return;
      }
      this.createAnswer(c, now);
    } catch (err) {
      answerError(req, res, err);
    }
  }

  /** {@link createFrom} for a create that waits (a webhook, the log): a method of its own, so the path that does not allocates no closure context. */
  private createLater(c: CreateRequest, now: Promise<WriteResult>): void {
    now.then((r) => this.createAnswer(c, r)).catch((err: unknown) => answerError(c.req, c.res, err));
  }

  private createAnswer(c: CreateRequest, r: WriteResult): void {
    if (this.ops.converter.needsWebhook(c.type, r.object)) {
      void this.render(c.type, r.object, r.json).then((text) => sendText(c.res, 201, text)).catch((err: unknown) => answerError(c.req, c.res, err));
      return;
    }
    sendText(c.res, 201, objectJson(c.type, r.object, r.json));
  }

  private async deleteMany(req: IncomingMessage, res: ServerResponse, t: ResourceType, ns: string | undefined, q: URLSearchParams): Promise<void> {
    const opts = await this.deleteOptions(req, q);
    const items = await this.ops.deleteCollection(t, ns, this.listOpts(q), opts.options, opts.dryRun, this.clientOf(req, res));
    const rendered = (await this.ops.converter.toVersion(t, items)).map((o) => objectJson(t, o));
    sendText(res, 200, `{"kind":"${t.listKind}","apiVersion":"${apiVersionOf(t)}","metadata":{"resourceVersion":"${this.ops.store.resourceVersion}"},"items":[${rendered.join(',')}]}`);
  }

  private async updateOne(req: IncomingMessage, res: ServerResponse, t: ResourceType, ns: string | undefined, name: string, q: URLSearchParams): Promise<void> {
    const buf = await readBody(req);
    const opts = this.writeOpts(req, q, res, 'UpdateOptions');
    const r = await this.ops.update(t, ns, name, decodeBody(buf, req.headers['content-type']), opts);
    sendText(res, 200, await this.render(t, r.object, r.json));
  }

  private async patchOne(req: IncomingMessage, res: ServerResponse, t: ResourceType, ns: string | undefined, name: string, q: URLSearchParams): Promise<void> {
    const buf = await readBody(req);
    const opts = this.writeOpts(req, q, res, 'PatchOptions');
    const r = await this.ops.patch(t, ns, name, req.headers['content-type'], decodePatchBody(buf, req.headers['content-type']), { ...opts, force: truthy(q.get('force')) });
    sendText(res, r.created ? 201 : 200, await this.render(t, r.object, r.json));
  }

  private async deleteOne(req: IncomingMessage, res: ServerResponse, t: ResourceType, ns: string | undefined, name: string, q: URLSearchParams): Promise<void> {
    const opts = await this.deleteOptions(req, q);
    const r = await this.ops.delete(t, ns, name, opts.options, opts.dryRun, this.clientOf(req, res));
    if (!r.deleted || t.returnDeletedObject) return sendText(res, 200, await this.render(t, r.object));
    // The generic registry's finalizeDelete answers Status{Success, Details} and the delete
    // handler leaves its code unset: the body has no code (kubernetes apiserver
    // registry/generic/registry/store.go, endpoints/handlers/delete.go).
    const status = {
      kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success',
      details: { name, group: t.group || undefined, kind: t.resource, uid: r.object.metadata.uid },
    } as Status;
    sendStatus(res, status, 200);
  }

  /** A write's options from its query, checked as upstream checks its {@link WriteOptionsKind} (./options.ts). */
  private writeOpts(req: IncomingMessage, q: URLSearchParams, res: ServerResponse | undefined, kind: WriteOptionsKind): WriteOptions {
    // no query (most writes): none of its lookups (an apply without one lacks its fieldManager)
    // (the User-Agent names the managedFields entry of a write without a fieldManager: rest.ts trackFields)
    if (q.size === 0 && kind !== 'PatchOptions') return { dryRun: false, fieldManager: undefined, userAgent: req.headers['user-agent'] ?? '', fieldValidation: undefined, warn: res ? warnerOf(res) : undefined, user: this.userOf(req) };
    checkWriteOptions(kind, q, req.headers['content-type']);
    const fv = q.get('fieldValidation');
    // (what clientOf gives, without its object per write)
    return { dryRun: q.has('dryRun'), fieldManager: q.get('fieldManager') ?? undefined, userAgent: req.headers['user-agent'] ?? '', fieldValidation: (fv as WriteOptions['fieldValidation']) || undefined, warn: res ? warnerOf(res) : undefined, user: this.userOf(req) };
  }

  /** Who is writing, and where warnings for them go (`Warning: 299 - "text"` headers, capped as kube-apiserver caps them; kubectl prints "Warning: text"). */
  private clientOf(req: IncomingMessage, res?: ServerResponse): Pick<WriteOptions, 'user' | 'warn'> {
    return { warn: res ? warnerOf(res) : undefined, user: this.userOf(req) };
  }

  /** An object's JSON in the version of `t`, through the conversion webhook when it needs one. */
  private async render(t: ResourceType, obj: KubeObject, json?: string): Promise<string> {
    if (!this.ops.converter.needsWebhook(t, obj)) return objectJson(t, obj, json);
    return JSON.stringify((await this.ops.converter.toVersion(t, [obj]))[0]);
  }

  private listOpts(q: URLSearchParams): ListOptions {
    return {
      labelSelector: q.get('labelSelector') ?? undefined,
      fieldSelector: q.get('fieldSelector') ?? undefined,
      limit: intParam(q, 'limit'),
      continue: q.get('continue') || undefined,
      resourceVersion: q.get('resourceVersion') ?? undefined,
      resourceVersionMatch: q.get('resourceVersionMatch') || undefined,
    };
  }

  /**
   * The DeleteOptions of a DELETE, type-checked and validated before anything is deleted: from
   * the body when it has one, else from the query — never both, as kube-apiserver
   * (endpoints/handlers/delete.go DeleteResource and DeleteCollection: a non-empty body is
   * decoded as the options, otherwise the query's parameters are).
   */
  private async deleteOptions(req: IncomingMessage, q: URLSearchParams): Promise<{ options: DeleteOptions; dryRun: boolean }> {
    const buf = await readBody(req);
    let options: DeleteOptions;
    if (buf.length > 0) {
      const body = decodeBody(buf, req.headers['content-type']);
      if (body !== undefined && body !== null) {
        const err = decodeErrorDefinition(DELETE_OPTIONS, DELETE_OPTIONS_GVK, body);
        if (err) throw err;
      }
      options = body && typeof body === 'object' ? { ...(body as DeleteOptions) } : {};
    } else {
      options = {};
      const pp = q.get('propagationPolicy');
      if (pp) options.propagationPolicy = pp as DeleteOptions['propagationPolicy'];
      const grace = intParam(q, 'gracePeriodSeconds');
      if (grace !== undefined) options.gracePeriodSeconds = grace;
      if (q.get('orphanDependents') !== null) options.orphanDependents = truthy(q.get('orphanDependents'));
      const dryRun = q.getAll('dryRun');
      if (dryRun.length > 0) options.dryRun = dryRun;
    }
    checkDeleteOptions(options);
    if (options.orphanDependents !== undefined) options.propagationPolicy = options.orphanDependents ? 'Orphan' : 'Background';
    return { options, dryRun: (options.dryRun?.length ?? 0) > 0 }; // (its values checked: all "All")
  }

  private async sendObject(res: ServerResponse, t: ResourceType, stored: KubeObject, json: string | undefined, accept: string | undefined, q: URLSearchParams): Promise<void> {
    if (wantsPartialMetadata(accept)) return sendText(res, 200, JSON.stringify(partialMetadata(stored)), 'application/json;as=PartialObjectMetadata;v=v1;g=meta.k8s.io');
    const converted = this.ops.converter.needsWebhook(t, stored);
    const obj = converted ? (await this.ops.converter.toVersion(t, [stored]))[0] : stored;
    if (wantsTable(accept)) {
      const table = toTable(t, [obj], { includeObject: (q.get('includeObject') as 'Object') ?? undefined, resourceVersion: obj.metadata.resourceVersion });
      return sendText(res, 200, JSON.stringify(table), TABLE_CT);
    }
    sendText(res, 200, objectJson(t, obj, converted ? undefined : json));
  }

  private async list(res: ServerResponse, t: ResourceType, ns: string | undefined, q: URLSearchParams, accept: string | undefined): Promise<void> {
    if (q.get('sendInitialEvents') !== null) {
      throw newInvalid('meta.k8s.io', 'ListOptions', '', [{ type: 'FieldValueForbidden', field: 'sendInitialEvents', message: 'sendInitialEvents is forbidden for list' }]);
    }
    const r = this.ops.list(t, ns, this.listOpts(q));
    const partial = wantsPartialMetadata(accept);
    // Items needing a conversion webhook go in one call; the others keep their stored JSON.
    const converts = !partial && convertsVersions(t) && r.items.some((s) => this.ops.converter.needsWebhook(t, s.obj));
    const converted = converts ? await this.ops.converter.toVersion(t, r.items.map((s: Stored) => s.obj)) : undefined;
    const objs = () => converted ?? r.items.map((s: Stored) => s.obj);
    if (wantsTable(accept)) {
      const table = toTable(t, objs(), {
        includeObject: (q.get('includeObject') as 'Object') ?? undefined, resourceVersion: r.resourceVersion, continue: r.continue, remainingItemCount: r.remainingItemCount,
      });
      const { rows, ...rest } = table;
      return sendJoined(res, 200, TABLE_CT, `${JSON.stringify(rest).slice(0, -1)},"rows":[`, (rows as unknown[]).map((row) => JSON.stringify(row)), ']}');
    }
    const meta: Record<string, unknown> = { resourceVersion: r.resourceVersion };
    if (r.continue) meta.continue = r.continue;
    if (r.remainingItemCount !== undefined) meta.remainingItemCount = r.remainingItemCount;
    if (partial) {
      return sendJoined(res, 200, 'application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io',
        `{"kind":"PartialObjectMetadataList","apiVersion":"meta.k8s.io/v1","metadata":${JSON.stringify(meta)},"items":[`, r.items.map((s) => JSON.stringify(partialMetadata(s.obj))), ']}');
    }
    const av = apiVersionOf(t);
    const items = new Array<string>(r.items.length);
    for (let i = 0; i < items.length; i++) {
      const s = r.items[i];
      const o = converted ? converted[i] : s.obj;
      items[i] = o !== s.obj ? JSON.stringify(o) : o.apiVersion === av ? s.json : objectJson(t, o);
    }
    sendJoined(res, 200, 'application/json', `{"kind":"${t.listKind}","apiVersion":"${av}","metadata":${JSON.stringify(meta)},"items":[`, items, ']}');
  }

  private watch(res: ServerResponse, t: ResourceType, ns: string | undefined, name: string | undefined, q: URLSearchParams, accept: string | undefined): void {
    const sendInitialEvents = q.get('sendInitialEvents');
    const initial = sendInitialEvents !== null && truthy(sendInitialEvents);
    const bookmarks = truthy(q.get('allowWatchBookmarks'));
    if (sendInitialEvents !== null) {
      const errs: { type: 'FieldValueForbidden'; field: string; message: string }[] = [];
      if (q.get('resourceVersionMatch') !== 'NotOlderThan') {
        errs.push({ type: 'FieldValueForbidden', field: 'resourceVersionMatch', message: 'sendInitialEvents requires setting resourceVersionMatch to NotOlderThan' });
      }
      if (initial && !bookmarks) errs.push({ type: 'FieldValueForbidden', field: 'allowWatchBookmarks', message: 'sendInitialEvents requires setting allowWatchBookmarks to true' });
      if (errs.length) throw newInvalid('meta.k8s.io', 'ListOptions', '', errs);
    } else if (q.get('resourceVersionMatch')) {
      throw newInvalid('meta.k8s.io', 'ListOptions', '', [{ type: 'FieldValueForbidden', field: 'resourceVersionMatch', message: 'resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided' }]);
    }
    const match = this.ops.matcher(t, q.get('labelSelector') ?? undefined, q.get('fieldSelector') ?? undefined);
    const table = wantsTable(accept);
    this.watches.start(
      {
        type: t, namespace: ns, name, match, resourceVersion: q.get('resourceVersion') ?? undefined, sendInitialEvents: initial,
        allowBookmarks: bookmarks, timeoutSeconds: intParam(q, 'timeoutSeconds'),
        table: table ? { includeObject: (q.get('includeObject') as 'Object') ?? undefined } : undefined,
      },
      res,
      table ? TABLE_CT + ';stream=watch' : 'application/json',
    );
  }

  private async subresource(req: IncomingMessage, res: ServerResponse, t: ResourceType, ns: string | undefined, p: ResourcePath, q: URLSearchParams): Promise<void> {
    const name = p.name!;
    const sub = p.subresource!;
    const method = req.method ?? 'GET';
    const info = t.subresources.find((s) => s.name === sub);
    if (!info) throw notFoundPath(); // no route for it, as upstream (pods/exec and the like are not served)
    const gr = { group: t.group, resource: `${t.resource}/${sub}` };
    if (sub === 'status') {
      if (method === 'GET') {
        const s = this.ops.get(t, ns, name);
        return sendText(res, 200, await this.render(t, s.obj, s.json));
      }
      if (method === 'PUT') {
        const buf = await readBody(req);
        const opts = this.writeOpts(req, q, res, 'UpdateOptions');
        const r = await this.ops.update(t, ns, name, decodeBody(buf, req.headers['content-type']), { ...opts, subresource: 'status' });
        return sendText(res, 200, await this.render(t, r.object, r.json));
      }
      if (method === 'PATCH') {
        const buf = await readBody(req);
        const opts = this.writeOpts(req, q, res, 'PatchOptions');
        const r = await this.ops.patch(t, ns, name, req.headers['content-type'], decodePatchBody(buf, req.headers['content-type']), { ...opts, subresource: 'status', force: truthy(q.get('force')) });
        return sendText(res, 200, await this.render(t, r.object, r.json));
      }
      throw newMethodNotSupported(gr, method.toLowerCase());
    }
    if (sub === 'scale') {
      if (method === 'GET') return sendText(res, 200, JSON.stringify(await this.ops.getScale(t, ns, name)));
      if (method === 'PUT') {
        const buf = await readBody(req);
        const opts = this.writeOpts(req, q, res, 'UpdateOptions');
        const body = decodeBody(buf, req.headers['content-type']) as KubeObject;
        const s = await this.ops.updateScale(t, ns, name, () => body, opts);
        return sendText(res, 200, JSON.stringify(s));
      }
      if (method === 'PATCH') {
        const buf = await readBody(req);
        const opts = this.writeOpts(req, q, res, 'PatchOptions');
        const patch = decodePatchBody(buf, req.headers['content-type']);
        const { applyPatch } = await import('../patch/index.js');
        const s = await this.ops.updateScale(t, ns, name, (cur) => applyPatch(req.headers['content-type'], cur, patch, { group: 'autoscaling', version: 'v1', kind: 'Scale' }, { fieldManager: q.get('fieldManager') ?? undefined, force: truthy(q.get('force')) }) as KubeObject, opts);
        return sendText(res, 200, JSON.stringify(s));
      }
      throw newMethodNotSupported(gr, method.toLowerCase());
    }
    const handler = this.ops.subresourceHandlers.get(`${t.group}/${t.resource}/${sub}`);
    // POST for actions (binding, eviction); PUT for replacing subresources (namespaces/finalize).
    const allowed = info.verbs.includes('update') ? 'PUT' : 'POST';
    if (!handler || method !== allowed) throw newMethodNotSupported(gr, method.toLowerCase());
    const buf = await readBody(req);
    const opts = this.writeOpts(req, q, res, method === 'PUT' ? 'UpdateOptions' : 'CreateOptions');
    const body = decodeBody(buf, req.headers['content-type']);
    checkSubresourceBody(info, body);
    const out = await handler(this.ops, t, ns, name, body, opts);
    const code = (out as Status).kind === 'Status' ? (out as Status).code || 201 : method === 'PUT' ? 200 : 201;
    return (out as Status).kind === 'Status' ? sendStatus(res, out as Status, code) : sendText(res, code, JSON.stringify(out));
  }
}
