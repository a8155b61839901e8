/**
 * One ROA-style API (requests addressed by path, signed over their headers) through
 * `@alicloud/pop-core`'s ROAClient, with the same typed errors, timeouts and retries as the
 * RPC APIs. Used for Container Registry Personal Edition's `GET /tokens` (CR 2016-06-07),
 * which has no RPC form. pop-core is imported on the first call.
 */

import { CloudError, classify, type CloudService } from './errors.js';
import type { CredentialsProvider } from './credentials.js';
import { callWithRetry, observed, type CallOptions, type CloudCallHook, type RetryPolicy } from './retry.js';
import type { RpcResponse } from './rpc-client.js';

interface RoaError extends Error {
  code?: string;
  statusCode?: number;
  /** the parsed error body (ROA products answer `{code, message, requestId}` or `{Code, Message, RequestId}`) */
  result?: Record<string, unknown>;
}

/** The part of pop-core's ROAClient used here (the package ships types for its RPCClient only). */
interface RoaClient {
  request(method: string, path: string, query: object, body: string, headers: object, opts: { timeout: number }): Promise<unknown>;
}

export class RoaApi {
  private client: RoaClient | undefined;
  private readonly config: object;

  constructor(
    readonly service: CloudService,
    endpoint: string,
    apiVersion: string,
    credentials: CredentialsProvider,
    private readonly policy: RetryPolicy,
    private readonly hook?: CloudCallHook,
  ) {
    this.config = { endpoint, apiVersion, credentialsProvider: { getCredentials: () => credentials.getCredentials() } };
  }

  private async roaClient(): Promise<RoaClient> {
    if (this.client) return this.client;
    const { default: pop } = await import('@alicloud/pop-core');
    const ROAClient = (pop as unknown as { ROAClient: new (config: object) => RoaClient }).ROAClient;
    return (this.client ??= new ROAClient(this.config));
  }

  /** `GET path`; `action` names the call in errors and metrics. Reads are retried on timeouts too. */
  async get(action: string, path: string, opts: CallOptions = {}): Promise<RpcResponse> {
    const client = await this.roaClient();
    return observed(this.hook, this.service, action, (onRetry) => callWithRetry(this.policy, async (timeoutMs) => {
      try {
        return await client.request('GET', path, {}, '', {}, { timeout: timeoutMs }) as RpcResponse;
      } catch (err) {
        throw this.toCloudError(action, err);
      }
    }, () => new CloudError('Timeout', 'Timeout', `no answer within ${this.policy.timeoutMs} ms`, this.service, action), { idempotent: true, ...opts, onRetry }));
  }

  private toCloudError(action: string, err: unknown): CloudError {
    // the credentials provider's own failure (STS AssumeRole refused) keeps its service, code and status
    if (err instanceof CloudError) return err;
    const e = err as RoaError;
    const body = e.result ?? {};
    const code = String(body.code ?? body.Code ?? e.code ?? e.name ?? 'Error');
    const message = String(body.message ?? body.Message ?? e.message);
    const requestId = (body.requestId ?? body.RequestId) as string | undefined;
    const kind = classify(code, e.statusCode);
    return new CloudError(kind === 'Unknown' && e.statusCode === undefined && /^E[A-Z]+$/.test(code) ? 'Unavailable' : kind, code, message, this.service, action, e.statusCode, requestId, { cause: err });
  }
}
