/**
 * OpenAPI v3 documents: the official Kubernetes 1.32 per-group-version documents
 * (shipped in ./kubernetes-v1.32, read through schema/), plus documents registered later (CRDs).
 * Serves the `/openapi/v3` root with content hashes, as kubectl's validation and
 * `explain` expect.
 */
import { createHash } from 'node:crypto';
import { builtinOpenAPIv3Text } from '../schema/index.js';

/** A parsed OpenAPI document (only what we read is typed). */
export interface OpenApiDoc {
  paths?: Record<string, Record<string, unknown>>;
  components?: { schemas?: Record<string, unknown> };
  [k: string]: unknown;
}

/** "" + "v1" -> "api/v1"; "apps" + "v1" -> "apis/apps/v1" (the key under /openapi/v3). */
export function gvPath(group: string, version: string): string {
  return group === '' ? `api/${version}` : `apis/${group}/${version}`;
}

/** The official document for a built-in group-version with its text (parsed once per process), or undefined. */
export function builtinOpenApiDoc(group: string, version: string): { text: string; doc: OpenApiDoc } | undefined {
  return builtinOpenAPIv3Text(group, version) as { text: string; doc: OpenApiDoc } | undefined;
}

interface Entry {
  /** The serialized document, produced lazily for registered objects. */
  text?: string;
  /** The document; absent until `load` ran. */
  doc?: OpenApiDoc;
  hash?: string;
  /** Reads the document on first use (built-in documents: a server start need not parse them). */
  load?: () => { text?: string; doc: OpenApiDoc } | undefined;
}

/** The per-group-version documents served under `/openapi/v3`. Changes show at once. */
export class OpenApiRegistry {
  private readonly docs = new Map<string, Entry>();
  private rootText?: string;

  /** Serves `doc` for the group-version (replacing any previous one). */
  set(group: string, version: string, doc: OpenApiDoc, text?: string): void {
    this.docs.set(gvPath(group, version), { doc, text });
    this.rootText = undefined;
  }

  /**
   * Serves the official document of a built-in group-version, read when first asked for (the
   * group-version is left out if it has none).
   */
  setBuiltin(group: string, version: string): void {
    this.docs.set(gvPath(group, version), { load: () => builtinOpenApiDoc(group, version) });
    this.rootText = undefined;
  }

  remove(group: string, version: string): void {
    this.docs.delete(gvPath(group, version));
    this.rootText = undefined;
  }

  get(group: string, version: string): OpenApiDoc | undefined {
    return this.loaded(gvPath(group, version))?.doc;
  }

  /** The entry at `path` with its document read, or undefined (a built-in without a document is dropped). */
  private loaded(path: string): Entry | undefined {
    const e = this.docs.get(path);
    if (!e?.load) return e;
    const d = e.load();
    e.load = undefined;
    if (!d) {
      this.docs.delete(path);
      return undefined;
    }
    e.doc = d.doc;
    e.text = d.text;
    return e;
  }

  private entry(path: string): Entry | undefined {
    const e = this.loaded(path);
    if (e && e.text === undefined) e.text = JSON.stringify(e.doc);
    if (e && e.hash === undefined) e.hash = createHash('sha512').update(e.text!).digest('hex').slice(0, 128).toUpperCase();
    return e;
  }

  /** `{"paths": {"api/v1": {"serverRelativeURL": "/openapi/v3/api/v1?hash=..."}}}` */
  rootJson(): string {
    if (this.rootText === undefined) {
      const paths: Record<string, { serverRelativeURL: string }> = {};
      for (const key of [...this.docs.keys()].sort()) {
        const e = this.entry(key);
        if (e) paths[key] = { serverRelativeURL: `/openapi/v3/${key}?hash=${e.hash}` };
      }
      this.rootText = JSON.stringify({ paths });
    }
    return this.rootText;
  }

  /** The serialized document at `/openapi/v3/<path>` and its hash, or undefined. */
  document(path: string): { text: string; hash: string } | undefined {
    const e = this.entry(path);
    return e ? { text: e.text!, hash: e.hash! } : undefined;
  }
}
