/**
 * The wire types of the two webhook protocols the API server speaks: AdmissionReview
 * (admission.k8s.io/v1) and ConversionReview (apiextensions.k8s.io/v1), with only the
 * fields kubeloop reads or writes.
 */
import type { KubeObject, Status } from '../../api/index.js';
import type { Logger } from '../context.js';
import type { AdmissionOperation } from './metadata.js';

interface GroupVersionKind {
  group: string;
  version: string;
  kind: string;
}

interface GroupVersionResource {
  group: string;
  version: string;
  resource: string;
}

/** admission.k8s.io/v1 AdmissionRequest. */
export interface AdmissionRequest {
  uid: string;
  kind: GroupVersionKind;
  resource: GroupVersionResource;
  subResource?: string;
  requestKind?: GroupVersionKind;
  requestResource?: GroupVersionResource;
  requestSubResource?: string;
  name?: string;
  namespace?: string;
  operation: AdmissionOperation;
  userInfo: { username?: string; uid?: string; groups?: string[]; extra?: Record<string, string[]> };
  /** CREATE/UPDATE: the object as it would be stored; absent for DELETE. */
  object?: KubeObject | null;
  /** UPDATE: the stored object; DELETE: the object being deleted. */
  oldObject?: KubeObject | null;
  dryRun?: boolean;
  /** CreateOptions / UpdateOptions / DeleteOptions of the request. */
  options?: Record<string, unknown> | null;
}

/** What a defaulter or validator learns about the request besides the objects. */
export type AdmissionRequestInfo = Omit<AdmissionRequest, 'object' | 'oldObject'> & {
  /** The webhook's logger, with the request's uid, resource, namespace and name. */
  log: Logger;
};

/** A JSON patch operation (RFC 6902), as in a mutating webhook's response. */
export interface JsonPatchOperation {
  op: 'add' | 'remove' | 'replace' | 'move' | 'copy' | 'test';
  path: string;
  value?: unknown;
  from?: string;
}

/** The `status` of an admission response: a metav1.Status without kind/apiVersion. */
export type AdmissionStatus = Partial<Pick<Status, 'status' | 'message' | 'reason' | 'details'>> & { code: number; metadata?: Record<string, unknown> };

/** admission.k8s.io/v1 AdmissionResponse. */
export interface AdmissionResponse {
  uid: string;
  allowed: boolean;
  status?: AdmissionStatus;
  /** base64 of the JSON patch */
  patch?: string;
  patchType?: 'JSONPatch';
  warnings?: string[];
}

export interface AdmissionReview {
  apiVersion: string;
  kind: 'AdmissionReview';
  request?: AdmissionRequest;
  response?: AdmissionResponse;
}

/** apiextensions.k8s.io/v1 ConversionReview. */
export interface ConversionReview {
  apiVersion: string;
  kind: 'ConversionReview';
  request?: { uid: string; desiredAPIVersion: string; objects: KubeObject[] };
  response?: {
    uid: string;
    convertedObjects: KubeObject[];
    /** `{ status: 'Success' }`, or `{ status: 'Failure', message }` (then the API server fails the request). */
    result: { status: 'Success' | 'Failure'; message?: string };
  };
}

/** What a conversion function learns besides the object. */
export interface ConversionContext {
  /** The apiVersion the API server asked for. */
  desiredAPIVersion: string;
  /** The conversion's logger, with the review's uid. */
  log: Logger;
}
