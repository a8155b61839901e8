/**
 * `POST .../serviceaccounts/<name>/token` (authentication.k8s.io/v1 TokenRequest), as
 * `kubectl create token` and kubelet's projected tokens use it: signs a ServiceAccount JWT for
 * the requested audiences (default: the server's), lifetime (default 1 h, at least 10 min) and
 * optional bound Pod or Secret.
 */
import type { KeyObject } from 'node:crypto';
import { type KubeObject, newBadRequest, newConflict, newInvalid, newNotFound } from '../../api/index.js';
import type { SubresourceHandler } from '../handlers/rest.js';
import type { ResourceRegistry } from '../resources/index.js';
import { type ObjectRef, serviceAccountClaims, signJwt } from './jwt.js';

export interface TokenRequestOptions {
  signingKey: KeyObject;
  issuer: string;
  /** Audiences of a request that names none. */
  audiences: string[];
}

interface TokenRequestSpec {
  audiences?: string[];
  expirationSeconds?: number;
  boundObjectRef?: { kind?: string; apiVersion?: string; name?: string; uid?: string };
}

const MIN_SECONDS = 600;
const MAX_SECONDS = 2 ** 32;

/** Adds the `token` subresource to ServiceAccounts (so discovery lists it). */
export function registerTokenSubresource(registry: ResourceRegistry): void {
  const sa = registry.get('', 'v1', 'serviceaccounts');
  if (sa && !sa.subresources.some((s) => s.name === 'token')) {
    sa.subresources.push({ name: 'token', group: 'authentication.k8s.io', version: 'v1', kind: 'TokenRequest', verbs: ['create'] });
  }
}

export function tokenRequestHandler(o: TokenRequestOptions): SubresourceHandler {
  return async (ops, t, namespace, name, body) => {
    const sa = ops.get(t, namespace, name).obj;
    const req = (body ?? {}) as KubeObject & { spec?: TokenRequestSpec };
    if (req.kind && req.kind !== 'TokenRequest') throw newBadRequest(`expected a TokenRequest, got ${req.kind}`);
    const spec: TokenRequestSpec = req.spec ?? {};
    const audiences = spec.audiences?.length ? spec.audiences : o.audiences;
    if (!Array.isArray(audiences) || audiences.some((a) => typeof a !== 'string' || !a)) {
      throw newInvalid('authentication.k8s.io', 'TokenRequest', name, [{ type: 'FieldValueInvalid', field: 'spec.audiences', message: 'audiences must be non-empty strings' }]);
    }
    const exp = spec.expirationSeconds ?? 3600;
    if (!Number.isInteger(exp) || exp < MIN_SECONDS) {
      throw newInvalid('authentication.k8s.io', 'TokenRequest', name, [{ type: 'FieldValueInvalid', field: 'spec.expirationSeconds', message: `${exp}: may not specify a duration less than 10 minutes` }]);
    }
    if (exp > MAX_SECONDS) {
      throw newInvalid('authentication.k8s.io', 'TokenRequest', name, [{ type: 'FieldValueInvalid', field: 'spec.expirationSeconds', message: `${exp}: may not specify a duration larger than 2^32 seconds` }]);
    }
    let pod: ObjectRef | undefined;
    let secret: ObjectRef | undefined;
    const ref = spec.boundObjectRef;
    if (ref) {
      const kind = ref.kind ?? '';
      if (kind !== 'Pod' && kind !== 'Secret') {
        throw newBadRequest(`cannot bind token for serviceaccount "${name}" to object of kind "${kind}": only Pod and Secret are supported`);
      }
      const storageKey = kind === 'Pod' ? '/pods' : '/secrets';
      const s = ops.store.get(storageKey, `${namespace}/${ref.name ?? ''}`);
      if (!s) throw newNotFound({ group: '', resource: kind === 'Pod' ? 'pods' : 'secrets' }, ref.name ?? '');
      if (ref.uid && ref.uid !== s.obj.metadata.uid) {
        throw newConflict({ group: '', resource: kind === 'Pod' ? 'pods' : 'secrets' }, ref.name ?? '', `the UID in the bound object reference (${ref.uid}) does not match the UID in record. The object might have been deleted and then recreated`);
      }
      const r = { name: s.obj.metadata.name!, uid: s.obj.metadata.uid! };
      if (kind === 'Pod') pod = r;
      else secret = r;
    }
    const now = Math.floor(Date.now() / 1000);
    const claims = serviceAccountClaims(o.issuer, {
      namespace: namespace!, serviceAccount: { name, uid: sa.metadata.uid! }, audiences, expirationSeconds: exp, pod, secret, now,
    });
    return {
      kind: 'TokenRequest',
      apiVersion: 'authentication.k8s.io/v1',
      metadata: { name, namespace, creationTimestamp: new Date(now * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z') },
      spec: { audiences, expirationSeconds: exp, boundObjectRef: ref ? { ...ref } : null },
      status: { token: signJwt(claims, o.signingKey), expirationTimestamp: new Date(claims.exp * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z') },
    } as unknown as KubeObject;
  };
}
