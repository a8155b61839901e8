/**
 * One RPC-style API (VPC, ESS, ECS, CR) through `@alicloud/pop-core`: signed requests,
 * typed errors, timeouts and retries. Parameters are sent as a POST form (no URL length
 * limit for long id lists); pop-core signs them with HMAC-SHA1. pop-core's RPC client is
 * imported on the first call (a few hundred ms of loading a process may never need), and only
 * it: the package's index (`module.exports = require('./lib/rpc')`, plus `.ROAClient`) also
 * loads the ROA client and with it xml2js, xmlbuilder and debug (~25 ms of CommonJS loading in
 * `kubeloop dev`'s start) that RPC calls never use; ./roa-client.ts loads those when it is used.
 */
import type RPCClient from '@alicloud/pop-core';
import { CloudError, classify, type CloudService } from './errors.js';
import type { CredentialsProvider } from './credentials.js';
import { requireVendored } from './vendor.js';
import { callWithRetry, observed, type CallOptions, type CloudCallHook, type RetryPolicy } from './retry.js';

export type RpcParams = Record<string, string | number | boolean | undefined | Array<string | number | Record<string, string>>>;
// pop-core returns null-prototype objects parsed by json-bigint; we only read plain fields.
export type RpcResponse = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

interface PopError extends Error {
  code?: string;
  data?: { Code?: string; Message?: string; RequestId?: string };
  entry?: { response?: { statusCode?: number } };
}

/** The module `@alicloud/pop-core` exports as itself (its `RPCClient`); a variable, as it has no type declarations of its own. */
const POP_CORE_RPC: string = '@alicloud/pop-core/lib/rpc.js';

export class RpcApi {
  private client: RPCClient | undefined;
  private readonly config: RPCClient.Config;

  constructor(
    readonly service: CloudService,
    endpoint: string,
    apiVersion: string,
    credentials: CredentialsProvider,
    private readonly policy: RetryPolicy,
    private readonly hook?: CloudCallHook,
  ) {
    this.config = {
      endpoint,
      apiVersion,
      // pop-core asks for fresh credentials before every request, so rotating STS
      // credentials (RRSA, ECS RAM role) are picked up.
      credentialsProvider: { getCredentials: () => credentials.getCredentials() },
    } as unknown as RPCClient.Config;
  }

  private async popClient(): Promise<RPCClient> {
    if (this.client) return this.client;
    // its one-file bundle when the build made one (./vendor.ts), else the package's module
    const Client = requireVendored<typeof RPCClient>('pop-core-rpc.cjs') ?? ((await import(POP_CORE_RPC)) as { default: typeof RPCClient }).default;
    return (this.client ??= new Client(this.config));
  }

  async call(action: string, params: RpcParams, opts: CallOptions = {}): Promise<RpcResponse> {
    const clean: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(params)) if (v !== undefined) clean[k] = v;
    const idempotent = opts.idempotent ?? /^(Describe|List|Get)/.test(action);
    const client = await this.popClient();
    return observed(this.hook, this.service, action, (onRetry) => callWithRetry(this.policy, async (timeoutMs) => {
      try {
        return await client.request<RpcResponse>(action, clean, { method: 'POST', timeout: timeoutMs, formatParams: false });
      } catch (err) {
        throw this.toCloudError(action, err);
      }
    }, () => new CloudError('Timeout', 'Timeout', `no answer within ${this.policy.timeoutMs} ms`, this.service, action), { ...opts, idempotent, onRetry }));
  }

  private toCloudError(action: string, err: unknown): CloudError {
    // the credentials provider's own failure (STS AssumeRole refused: 403 NoPermission) keeps its service, code and status
    if (err instanceof CloudError) return err;
    const e = err as PopError;
    const status = e.entry?.response?.statusCode;
    if (e.data?.Code) {
      const code = e.data.Code;
      return new CloudError(classify(code, status), code, e.data.Message ?? e.message, this.service, action, status, e.data.RequestId, { cause: err });
    }
    if (e.name === 'RequestTimeoutError') return new CloudError('Timeout', 'Timeout', e.message, this.service, action, undefined, undefined, { cause: err });
    const code = e.code ?? e.name ?? 'Error';
    // Network failures are transient; anything else we cannot classify stays Unknown.
    const kind = classify(code, status);
    return new CloudError(kind === 'Unknown' && status === undefined && /^E[A-Z]+$/.test(code) ? 'Unavailable' : kind, code, e.message, this.service, action, status, undefined, { cause: err });
  }
}

/** Reads `Outer.Inner` list shapes (`{"RouteEntrys":{"RouteEntry":[..]}}`) safely. */
export function listOf(obj: RpcResponse | undefined, outer: string, inner: string): RpcResponse[] {
  const o = obj?.[outer];
  const l = o?.[inner];
  return Array.isArray(l) ? l : [];
}

export function num(v: unknown, def = 0): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && v !== '') return Number(v);
  if (v && typeof (v as { toNumber?: () => number }).toNumber === 'function') return (v as { toNumber: () => number }).toNumber();
  return def;
}

export function str(v: unknown): string {
  return v === undefined || v === null ? '' : String(v);
}

/** ESS/ECS tags come as `{Tag:[{TagKey,TagValue}]}` or `{Tag:[{Key,Value}]}`. */
export function tagMap(obj: RpcResponse | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const t of listOf(obj, 'Tags', 'Tag')) out[str(t.TagKey ?? t.Key)] = str(t.TagValue ?? t.Value);
  return out;
}
