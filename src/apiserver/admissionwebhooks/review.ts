/**
 * The AdmissionReview exchange (admission.k8s.io v1, or v1beta1 for webhooks that only list
 * it; the first version of `admissionReviewVersions` this server speaks is used, as
 * upstream): the request a webhook receives and the checks upstream's
 * VerifyAdmissionResponse makes on its answer, with the same error texts.
 */
import { randomUUID } from 'node:crypto';
import type { KubeObject, Status } from '../../api/index.js';
import type { AdmissionRequest } from '../admission/index.js';
import type { UserInfo } from '../auth/index.js';
import { type Invocation, requestNamespace } from './matching.js';

const SPOKEN = ['v1', 'v1beta1'];

/** What a webhook answered, normalized (the patch decoded from base64). */
export interface AdmissionResult {
  allowed: boolean;
  result?: Partial<Status>;
  patch?: unknown;
  patchType?: string;
  warnings: string[];
}

/** In-process writes (controllers inside the server) come from the server's own loopback identity. */
const LOOPBACK_USER: UserInfo = { name: 'system:apiserver', groups: ['system:authenticated', 'system:masters'] };

function options(req: AdmissionRequest): Record<string, unknown> {
  const dryRun = req.dryRun ? { dryRun: ['All'] } : {};
  if (req.operation === 'DELETE') {
    const d = req.deleteOptions ?? {};
    return {
      kind: 'DeleteOptions', apiVersion: 'meta.k8s.io/v1', ...dryRun,
      ...(d.gracePeriodSeconds !== undefined ? { gracePeriodSeconds: d.gracePeriodSeconds } : {}),
      ...(d.preconditions ? { preconditions: d.preconditions } : {}),
      ...(d.propagationPolicy ? { propagationPolicy: d.propagationPolicy } : {}),
    };
  }
  return {
    kind: req.operation === 'CREATE' ? 'CreateOptions' : 'UpdateOptions', apiVersion: 'meta.k8s.io/v1', ...dryRun,
    ...(req.fieldManager ? { fieldManager: req.fieldManager } : {}),
    ...(req.fieldValidation ? { fieldValidation: req.fieldValidation } : {}),
  };
}

/** The AdmissionReview to send, its uid and version. `object`/`oldObject` are already in the invocation's version. */
export function admissionReview(
  inv: Invocation, req: AdmissionRequest, object: KubeObject | undefined, oldObject: KubeObject | undefined,
): { uid: string; version: string; body: unknown } | undefined {
  const version = (inv.webhook.admissionReviewVersions ?? []).find((v) => SPOKEN.includes(v));
  if (!version) return undefined;
  const uid = randomUUID();
  const t = inv.type;
  const sub = req.subresource ? { subResource: req.subresource, requestSubResource: req.subresource } : {};
  const requestSub = req.subresource ? req.type.subresources.find((s) => s.name === req.subresource) : undefined;
  const user = req.user ?? LOOPBACK_USER;
  const ns = requestNamespace(req);
  return {
    uid,
    version,
    body: {
      kind: 'AdmissionReview',
      apiVersion: `admission.k8s.io/${version}`,
      request: {
        uid,
        kind: inv.kind,
        resource: { group: t.group, version: t.version, resource: t.resource },
        ...sub,
        requestKind: requestSub ? { group: requestSub.group, version: requestSub.version, kind: requestSub.kind } : { group: req.type.group, version: req.type.version, kind: req.type.kind },
        requestResource: { group: req.type.group, version: req.type.version, resource: req.type.resource },
        name: req.name || undefined,
        namespace: ns || undefined,
        operation: req.operation,
        userInfo: { username: user.name, ...(user.uid ? { uid: user.uid } : {}), groups: user.groups, ...(user.extra ? { extra: user.extra } : {}) },
        object: object ?? null,
        oldObject: oldObject ?? null,
        dryRun: req.dryRun,
        options: options(req),
      },
    },
  };
}

const isObj = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

/** Checks a webhook's answer; throws an Error with upstream's text when it is malformed. */
export function verifyAdmissionResponse(uid: string, version: string, mutating: boolean, review: unknown): AdmissionResult {
  const r = isObj(review) ? review : {};
  const response = r.response;
  if (!isObj(response)) throw new Error('webhook response was absent');
  let patch = response.patch;
  let patchType = response.patchType as string | undefined;
  if (version === 'v1') {
    if (response.uid !== uid) throw new Error(`expected response.uid=${JSON.stringify(uid)}, got ${JSON.stringify(response.uid ?? '')}`);
    const [g, v] = String(r.apiVersion ?? '').includes('/') ? String(r.apiVersion).split('/') : ['', String(r.apiVersion ?? '')];
    if (r.apiVersion !== 'admission.k8s.io/v1' || r.kind !== 'AdmissionReview') {
      throw new Error(`expected webhook response of admission.k8s.io/v1, Kind=AdmissionReview, got ${g ? `${g}/` : ''}${v}, Kind=${String(r.kind ?? '')}`);
    }
    if (mutating) {
      if (patch && patchType === undefined) throw new Error('webhook returned response.patch but not response.patchType');
      if (patchType !== undefined && !patch) throw new Error('webhook returned response.patchType but not response.patch');
      if (patchType === '') throw new Error('webhook returned invalid response.patchType of ""');
    } else {
      if (patch) throw new Error('validating webhook may not return response.patch');
      if (patchType !== undefined) throw new Error('validating webhook may not return response.patchType');
    }
  } else {
    // v1beta1 answers were never checked for uid, kind or patch type; a patch is a JSON patch.
    if (!mutating) patch = undefined;
    patchType = patch ? 'JSONPatch' : undefined;
  }
  let decoded: unknown;
  if (patch) {
    if (typeof patch !== 'string') throw new Error('json: cannot unmarshal patch into Go struct field AdmissionResponse.response.patch of type []uint8');
    decoded = JSON.parse(Buffer.from(patch, 'base64').toString('utf8'));
  }
  return {
    allowed: response.allowed === true,
    result: isObj(response.status) ? (response.status as Partial<Status>) : undefined,
    patch: decoded,
    patchType,
    warnings: Array.isArray(response.warnings) ? response.warnings.map(String) : [],
  };
}
