/**
 * Admission: the hook through which behaviour is added to the write path without touching
 * the handlers (garbage collection finalizers, namespace lifecycle, ServiceAccount defaults,
 * CRD validation, pod graceful deletion...). Plugins run in registration order: every
 * `admit` (may mutate `req.object`), then every `validate` (must not mutate). Throwing a
 * `StatusError` rejects the request with that Status; any other error becomes a 500.
 */
import type { KubeObject } from '../../api/index.js';
import type { ResourceType } from '../resources/index.js';
import type { UserInfo } from '../auth/index.js';

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
  /** CREATE/UPDATE: the authenticated user of the HTTP request; unset for in-process writes. */
  user?: UserInfo;
}

export interface AdmissionPlugin {
  /** Unique name (used to remove or replace the plugin). */
  name: string;
  /** Mutating phase. */
  admit?(req: AdmissionRequest): void | Promise<void>;
  /** Validating phase. */
  validate?(req: AdmissionRequest): void | Promise<void>;
}

/** The ordered list of plugins the server runs on every create, update and delete. */
export class AdmissionChain {
  private plugins: AdmissionPlugin[] = [];

  /** Adds a plugin (replacing one with the same name, keeping its position). */
  add(p: AdmissionPlugin): void {
    const i = this.plugins.findIndex((x) => x.name === p.name);
    if (i >= 0) this.plugins[i] = p;
    else this.plugins.push(p);
  }

  remove(name: string): void {
    this.plugins = this.plugins.filter((p) => p.name !== name);
  }

  list(): readonly AdmissionPlugin[] {
    return this.plugins;
  }

  async run(req: AdmissionRequest): Promise<void> {
    for (const p of this.plugins) if (p.admit) await p.admit(req);
    for (const p of this.plugins) if (p.validate) await p.validate(req);
  }
}
