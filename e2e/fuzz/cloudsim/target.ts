/**
 * The cloud emulator as a fuzz target: started in this process (a crash would take the runner
 * down, as it took `kubeloop cloudsim` and `kubeloop dev` down), spoken to over plain HTTP like
 * the Alibaba SDKs speak to it. No 5xx is expected: the emulator answers a 5xx only for injected
 * faults, which the generator never sets up.
 *
 * The target tallies what the answers reached, per API ({@link CloudSimTarget.coverage}): a
 * fuzz that only ever met the signature check would pass while covering none of the handlers.
 */
import { startCloudSim, type CloudSim } from '@kubeloop/ack/cloudsim';
import type { Rng } from '../rng.js';
import type { Endpoint, FuzzRequest, FuzzResponse, FuzzTarget } from '../target.js';
import { generateRequest, type CloudFuzzContext } from './generate.js';

/**
 * Error codes answered before any API handler runs: authentication (RPC, ROA and SLS
 * signatures, timestamps, nonces, tokens, body digests) and the protocol's own routing.
 */
const GATE_CODES = new Set([
  'SignatureDoesNotMatch', 'SignatureNotMatch', 'Unauthorized', 'MissingAuthorization', 'MissingAccessKeyId', 'InvalidAccessKeyId.NotFound',
  'InvalidSecurityToken.MismatchWithAccessKey', 'InvalidSecurityToken.Expired', 'InvalidTimeStamp.Format', 'InvalidTimeStamp.Expired', 'SignatureNonceUsed',
  'InvalidSignatureMethod', 'InvalidDateFormat', 'RequestTimeExpired', 'InvalidContentMD5', 'InvalidContentSha256',
  'InvalidVersion', 'InvalidAction.NotFound', 'InvalidRequestURI', 'UnsupportedHTTPMethod',
]);

/** Per API: answers from a handler (a 2xx, or an API error a handler raised) and answers from the gate. */
export interface Coverage { ok: number; handlerErrors: number; refused: number }

export class CloudSimTarget implements FuzzTarget {
  readonly name = 'cloudsim';
  private sim?: CloudSim;
  private ctx?: CloudFuzzContext;
  private readonly tally = new Map<string, Coverage>();
  /** Requests signed wrongly that the emulator accepted anyway (2xx). */
  readonly acceptedBadSignatures: string[] = [];

  async start(): Promise<Endpoint> {
    this.sim = await startCloudSim({
      port: 0, timings: { bootDelayMs: 10 },
      // one SLS resource of each kind, so calls naming them get past the lookups into the handlers
      customize: (state) => {
        const p = state.slsProjects[0];
        const now = Math.floor(Date.now() / 1000);
        p.logstores.push({ logstoreName: 'fuzz-store', ttl: 30, shardCount: 2, autoSplit: false, maxSplitShard: 64, mode: 'standard', appendMeta: false, enableTracking: false, telemetryType: 'None', createTime: now, lastModifyTime: now });
        p.configs.push({ configName: 'fuzz-config', inputType: 'plugin', inputDetail: { plugin: { inputs: [] } }, outputType: 'LogService', outputDetail: { logstoreName: 'fuzz-store' }, createTime: now, lastModifyTime: now });
        p.machineGroups.push({ groupName: 'fuzz-group', groupType: '', machineIdentifyType: 'userdefined', machineList: ['k8s-group-fuzz'], groupAttribute: {}, createTime: now, lastModifyTime: now, configs: ['fuzz-config'] });
      },
    });
    return { url: this.sim.url };
  }

  async setup(): Promise<void> {
    const sim = this.sim!;
    // a copy of the starting state, for PUT /_sim/state documents mutated from a real one
    this.ctx = { accessKeyId: sim.accessKeyId, accessKeySecret: sim.accessKeySecret, regionId: sim.regionId, slsSuffix: sim.slsEndpoint.replace(/:\d+$/, ''), state: structuredClone(sim.state) };
  }

  generate(rng: Rng): FuzzRequest {
    return generateRequest(rng, this.ctx!);
  }

  expected5xx(): boolean {
    return false;
  }

  observe(req: FuzzRequest, res: FuzzResponse): void {
    const m = /^(rpc \S+|sls|cr personal)\b/.exec(req.label);
    if (!m) return;
    const api = m[1].replace(/^rpc /, '');
    const c = this.tally.get(api) ?? { ok: 0, handlerErrors: 0, refused: 0 };
    this.tally.set(api, c);
    if (res.status >= 200 && res.status < 300) {
      c.ok++;
      // AssumeRoleWithOIDC is anonymous: its proof is the OIDC token, not a signature
      if (/bad signature|stale date|bad body digest/.test(req.label) && !req.label.startsWith('rpc sts AssumeRoleWithOIDC')) this.acceptedBadSignatures.push(`${req.label}: ${req.method} ${req.path.slice(0, 120)}`);
      return;
    }
    let code = '';
    let message = '';
    try {
      const b = JSON.parse(res.body) as Record<string, unknown>;
      code = String(b.Code ?? b.errorCode ?? b.code ?? '');
      message = String(b.Message ?? b.errorMessage ?? b.message ?? '');
    } catch { /* not JSON: counted as refused */ }
    // MissingParameter of a protocol parameter comes from the gate, of an API parameter from a handler
    const gate = !code || GATE_CODES.has(code) || (code === 'MissingParameter' && /"(Action|Version|Signature|Timestamp)"/.test(message));
    if (gate) c.refused++;
    else c.handlerErrors++;
  }

  /** What the answers of the load reached, per API (`vpc`, `ess`, `ecs`, `cr`, `sts`, `sls`, `cr personal`). */
  coverage(): Record<string, Coverage> {
    return Object.fromEntries([...this.tally].sort(([a], [b]) => a.localeCompare(b)));
  }

  /** Puts the starting state back through the /_sim API, so memory is compared without what the fuzzing created. */
  async settle(send: (req: FuzzRequest) => Promise<FuzzResponse>): Promise<void> {
    const r = await send({ method: 'PUT', path: '/_sim/state', headers: { 'Content-Type': 'application/json' }, body: Buffer.from(JSON.stringify(this.ctx!.state)), label: 'settle' });
    if (r.status !== 200) throw new Error(`fuzz settle: the starting state was refused: ${r.status} ${r.body}`);
  }

  async stop(): Promise<void> {
    await this.sim?.stop();
  }
}
