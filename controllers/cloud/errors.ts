/**
 * Typed cloud errors. Controllers branch on `kind`, never on the cloud's error code
 * strings, so the mapping from codes to kinds lives here only.
 */
export type CloudErrorKind =
  | 'NotFound'
  | 'AlreadyExists'
  | 'Throttled'
  | 'Forbidden'
  | 'InvalidParameter'
  /** a resource quota is used up (e.g. VPC `QuotaExceeded.VpcRouteEntryNum`): permanent until someone frees or raises it */
  | 'QuotaExceeded'
  /** the resource is busy with another operation (e.g. a route table write in flight) */
  | 'Conflict'
  /** 5xx, connection failures */
  | 'Unavailable'
  | 'Timeout'
  | 'Unknown';

export type CloudService = 'vpc' | 'ess' | 'ecs' | 'cr' | 'sls' | 'registry' | 'sts';

export class CloudError extends Error {
  override readonly name = 'CloudError';
  constructor(
    readonly kind: CloudErrorKind,
    /** the cloud's error code (e.g. `InvalidCIDRBlock.Duplicate`), or a Node error code */
    readonly code: string,
    message: string,
    readonly service: CloudService,
    readonly action: string,
    readonly httpStatus?: number,
    readonly requestId?: string,
    options?: { cause?: unknown },
  ) {
    super(`${service}:${action}: ${code}: ${message}`, options);
  }
}

export const isCloudError = (e: unknown): e is CloudError => e instanceof CloudError;
const isKind = (k: CloudErrorKind) => (e: unknown): boolean => e instanceof CloudError && e.kind === k;
export const isNotFound = isKind('NotFound');
export const isAlreadyExists = isKind('AlreadyExists');
export const isThrottled = isKind('Throttled');
export const isForbidden = isKind('Forbidden');
export const isInvalidParameter = isKind('InvalidParameter');
export const isQuotaExceeded = isKind('QuotaExceeded');
export const isConflict = isKind('Conflict');
export const isUnavailable = isKind('Unavailable');
export const isTimeout = isKind('Timeout');
/**
 * ESS `ScalingActivityInProgress` (a Conflict): a group without a desired capacity runs one
 * scaling activity at a time and refuses calls that would start another (ExecuteScalingRule,
 * RemoveInstances); worth retrying once that activity ended, unlike other Conflicts.
 */
export const isScalingActivityInProgress = (e: unknown): boolean => e instanceof CloudError && e.code === 'ScalingActivityInProgress';

const networkCodes = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ESOCKETTIMEDOUT']);

/** Classifies a cloud error code + HTTP status (RPC, CR and SLS codes alike). */
export function classify(code: string, status: number | undefined): CloudErrorKind {
  const c = code.toLowerCase();
  // SLS answers its QPS and traffic limits with HTTP 403 `WriteQuotaExceed` / `ReadQuotaExceed` (project) and
  // `ShardWriteQuotaExceed` / `ShardReadQuotaExceed` (shard): throttles, checked before the 403 = Forbidden rule
  // (SLS "Limits on data read and write": 403 "Write QPS Exceed"; aliyun-log-go-sdk error_code.go, whose producer
  // retries 403 and whose consumer backs off on 403). `QuotaExceeded.*` (VPC, ECS: 400) and SLS `ProjectQuotaExceed`
  // / `QuotaExceed` (too many projects, logstores, configs: SLS "Handle resource throttling errors") are used-up
  // resource quotas that no retry fixes.
  if (c.startsWith('throttling') || c === 'toomanyrequests' || c === 'exceedquota' || c === 'requestthrottled' || status === 429) return 'Throttled';
  if (/^(shard)?(write|read)quotaexceed$/.test(c)) return 'Throttled';
  if (c.startsWith('quotaexceed') || c === 'projectquotaexceed') return 'QuotaExceeded';
  // RAM refusals: `Forbidden.RAM` (common, 403), VPC's documented `Forbbiden` (sic, 400), `NoPermission`, SLS `Unauthorized`
  if (c === 'invalidaccesskeyid.notfound' || c.startsWith('invalidaccesskeyid') || c.startsWith('signature') || c.startsWith('invalidsecuritytoken')
    || c === 'unauthorized' || c === 'securitytokenexpired' || c.includes('forbidden') || c === 'forbbiden' || c.startsWith('nopermission') || c === 'accessdenied'
    || status === 401 || status === 403) return 'Forbidden';
  if (c.includes('alreadyexist') || c.endsWith('.duplicate') || c.includes('already_exist') || c.includes('cidr_block_duplicate')) return 'AlreadyExists';
  if (c.endsWith('.notfound') || c.endsWith('notfound') || c.includes('notexist') || c.includes('not_exist') || status === 404) return 'NotFound';
  // ESS `ScalingActivityInProgress`: a group without a desired capacity is busy with another scaling activity
  if (c === 'operationconflict' || c === 'taskconflict' || c === 'scalingactivityinprogress' || c.startsWith('incorrect') && c.includes('status') || c.includes('conflict')
    || c === 'lasttokenprocessing' || c.startsWith('operationfailed.') || status === 409) {
    return 'Conflict';
  }
  if (status !== undefined && status >= 500) return 'Unavailable';
  if (c === 'serverbusy' || c === 'systembusy' || c === 'serviceunavailable' || c === 'internalerror' || c === 'internalservererror') return 'Unavailable';
  if (networkCodes.has(code)) return 'Unavailable';
  if (c.startsWith('invalid') || c.startsWith('missing') || c.includes('parameter') || c.startsWith('incorrect') || c.endsWith('invalid') || c === 'param_invalid'
    || (status !== undefined && status >= 400)) return 'InvalidParameter';
  return 'Unknown';
}
