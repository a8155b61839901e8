/**
 * `createAlibabaCloud`: the four provider APIs for one region, on the official SDK
 * clients, against the real cloud or the emulator (one code path; only endpoints differ).
 */
import { resolveSuffixTo, EMULATOR_DNS_SUFFIX } from './emulator-dns.js';
import { toProvider, type CredentialsProvider, type StaticCredentials } from './credentials.js';
import { defaultRetryPolicy, type CloudCallHook, type RetryPolicy } from './retry.js';
import { RpcApi } from './rpc-client.js';
import { AlibabaVpcRoutes } from './vpc.js';
import { AlibabaScaling, type ActivityRetry } from './scaling.js';
import { RoaApi } from './roa-client.js';
import { AlibabaRegistry } from './registry.js';
import { AlibabaSls } from './sls.js';
import { assumeRole } from './assume-role.js';
import type { RegistryApi, ScalingApi, SlsApi, VpcRouteApi } from './types.js';

export interface Endpoints {
  /** RPC endpoints are URLs: `https://vpc.cn-hangzhou.aliyuncs.com` */
  vpc?: string;
  ess?: string;
  ecs?: string;
  cr?: string;
  /** STS (AssumeRole) endpoint URL */
  sts?: string;
  /** SLS endpoint is a host (the client prefixes the project): `cn-hangzhou.log.aliyuncs.com`;
   * a URL (`http://host:port`) also sets the protocol */
  sls?: string;
}

export interface AlibabaCloudOptions {
  regionId: string;
  /** static keys or a provider; default: the standard credential chain (see credentials.ts) */
  credentials?: StaticCredentials | CredentialsProvider;
  /** per-service endpoint overrides */
  endpoints?: Endpoints;
  /**
   * Emulator base URL (`http://127.0.0.1:PORT`, or a Service URL in a cluster). Every RPC
   * service goes there and SLS to `sls.kubeloop.local:PORT`, whose suffix is made to resolve
   * to the URL's host.
   */
  emulator?: string;
  /** retry/timeout policy; defaults in retry.ts (6 attempts, 30 s budget, 10 s per call) */
  retry?: Partial<RetryPolicy>;
  /** how long ESS calls refused with ScalingActivityInProgress are retried (defaults in scaling.ts: 0.5 s .. 5 s, 30 s budget) */
  activityRetry?: Partial<ActivityRetry>;
  /** hears about every finished cloud call (service, action, duration, attempts, error kind) — wire metrics here */
  onCall?: CloudCallHook;
  /** SLS request signature version (default v1, the SDK's default) */
  slsSignatureVersion?: 'v1' | 'v4';
  /** act as this RAM role: `credentials` (or the chain) only call STS AssumeRole */
  assumeRole?: { roleArn: string; roleSessionName?: string; durationSeconds?: number; policy?: string };
}

export interface AlibabaCloud {
  regionId: string;
  vpc: VpcRouteApi;
  scaling: ScalingApi;
  registry: RegistryApi;
  sls: SlsApi;
}

/** Public endpoints per region (see docs/cloud.md for VPC-internal ones). */
export function defaultEndpoints(regionId: string): Required<Endpoints> {
  return {
    vpc: `https://vpc.${regionId}.aliyuncs.com`,
    ess: `https://ess.${regionId}.aliyuncs.com`,
    ecs: `https://ecs.${regionId}.aliyuncs.com`,
    cr: `https://cr.${regionId}.aliyuncs.com`,
    sts: `https://sts.${regionId}.aliyuncs.com`,
    sls: `${regionId}.log.aliyuncs.com`,
  };
}

export function emulatorEndpoints(url: string): Required<Endpoints> {
  const u = new URL(url);
  const base = `${u.protocol}//${u.host}`;
  return { vpc: base, ess: base, ecs: base, cr: base, sts: base, sls: `${u.protocol}//sls.${EMULATOR_DNS_SUFFIX}:${u.port || (u.protocol === 'https:' ? 443 : 80)}` };
}

export function createAlibabaCloud(opts: AlibabaCloudOptions): AlibabaCloud {
  if (!opts.regionId) throw new Error('createAlibabaCloud: regionId is required');
  const policy: RetryPolicy = { ...defaultRetryPolicy, ...opts.retry };
  const baseCredentials = toProvider(opts.credentials);
  const base = opts.emulator ? emulatorEndpoints(opts.emulator) : defaultEndpoints(opts.regionId);
  const ep = { ...base, ...Object.fromEntries(Object.entries(opts.endpoints ?? {}).filter(([, v]) => v)) } as Required<Endpoints>;
  // SLS names under the reserved suffix go to the emulator's host (127.0.0.1 on a laptop, the
  // emulator Service's name in a cluster).
  if (opts.emulator) resolveSuffixTo(EMULATOR_DNS_SUFFIX, new URL(opts.emulator).hostname);
  const credentials = opts.assumeRole
    ? assumeRole({ ...opts.assumeRole, base: baseCredentials, endpoint: ep.sts, regionId: opts.regionId, retry: opts.retry })
    : baseCredentials;

  const rpc = (service: 'vpc' | 'ess' | 'ecs' | 'cr', version: string) => new RpcApi(service, ep[service], version, credentials, policy, opts.onCall);
  let slsHost = ep.sls;
  let protocol = 'https';
  const m = /^(https?):\/\/([^/]+)\/?$/.exec(slsHost);
  if (m) { protocol = m[1]; slsHost = m[2]; }

  return {
    regionId: opts.regionId,
    vpc: new AlibabaVpcRoutes(rpc('vpc', '2016-04-28'), opts.regionId, policy),
    scaling: new AlibabaScaling(rpc('ess', '2014-08-28'), rpc('ecs', '2014-05-26'), rpc('vpc', '2016-04-28'), opts.regionId, opts.activityRetry),
    registry: new AlibabaRegistry(rpc('cr', '2018-12-01'), opts.regionId, new RoaApi('cr', ep.cr, '2016-06-07', credentials, policy, opts.onCall)),
    sls: new AlibabaSls({ endpoint: slsHost, protocol, regionId: opts.regionId, credentials, policy, signatureVersion: opts.slsSignatureVersion, onCall: opts.onCall }),
  };
}

/**
 * SLS's VPC-internal endpoint of a region. Inside ACK (an ECS instance of the VPC) it is the one
 * to use — no public traffic, no Internet fees — as SLS's endpoint list and the ACK log
 * components do ("for AlibabaCloud Kubernetes (or ECS), set {region-id}-intranet.log.aliyuncs.com").
 */
export function slsIntranetEndpoint(regionId: string): string {
  return `${regionId}-intranet.log.aliyuncs.com`;
}

/**
 * Options from the environment, for controllers: `ALIBABA_CLOUD_REGION_ID` (required
 * unless given), `KUBELOOP_CLOUD_EMULATOR` (emulator URL), `ALIBABA_CLOUD_{VPC,ESS,ECS,CR,STS,SLS}_ENDPOINT`,
 * and the credential chain's own variables. In a pod (`KUBERNETES_SERVICE_HOST` set: the
 * controllers run inside the cluster, on ACK in the VPC) SLS defaults to the intranet endpoint;
 * the public one only when `ALIBABA_CLOUD_SLS_ENDPOINT` names it (e.g. on kind).
 */
export function alibabaCloudOptionsFromEnv(env: NodeJS.ProcessEnv = process.env, overrides: Partial<AlibabaCloudOptions> = {}): AlibabaCloudOptions {
  const regionId = overrides.regionId ?? env.ALIBABA_CLOUD_REGION_ID ?? env.ALICLOUD_REGION;
  if (!regionId) throw new Error('set ALIBABA_CLOUD_REGION_ID (e.g. cn-hangzhou)');
  const emulator = overrides.emulator ?? (env.KUBELOOP_CLOUD_EMULATOR || undefined);
  const endpoints: Endpoints = {
    vpc: env.ALIBABA_CLOUD_VPC_ENDPOINT, ess: env.ALIBABA_CLOUD_ESS_ENDPOINT, ecs: env.ALIBABA_CLOUD_ECS_ENDPOINT,
    cr: env.ALIBABA_CLOUD_CR_ENDPOINT, sts: env.ALIBABA_CLOUD_STS_ENDPOINT,
    sls: env.ALIBABA_CLOUD_SLS_ENDPOINT || (env.KUBERNETES_SERVICE_HOST && !emulator ? slsIntranetEndpoint(regionId) : undefined),
  };
  let credentials = overrides.credentials;
  // The emulator's keys are usually passed explicitly; fall back to the env pair so
  // `kubeloop cloudsim` output can be pasted into a shell.
  if (!credentials && env.KUBELOOP_CLOUD_EMULATOR && env.ALIBABA_CLOUD_ACCESS_KEY_ID && env.ALIBABA_CLOUD_ACCESS_KEY_SECRET) {
    credentials = { accessKeyId: env.ALIBABA_CLOUD_ACCESS_KEY_ID, accessKeySecret: env.ALIBABA_CLOUD_ACCESS_KEY_SECRET, securityToken: env.ALIBABA_CLOUD_SECURITY_TOKEN };
  }
  return { regionId, emulator, endpoints: { ...endpoints, ...overrides.endpoints }, credentials, retry: overrides.retry };
}
