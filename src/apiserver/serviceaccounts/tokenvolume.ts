/**
 * The projected ServiceAccount token volume the ServiceAccount admission plugin mounts into new
 * pods (plugin/pkg/admission/serviceaccount/admission.go v1.32, mountServiceAccountToken and
 * TokenVolumeSource; BoundServiceAccountTokenVolume is GA since 1.22):
 * - an existing volume named `kube-api-access-*` is reused, else the name is
 *   `kube-api-access-` + 5 random characters (names.SimpleNameGenerator);
 * - every init container, then every container, without a mount at
 *   /var/run/secrets/kubernetes.io/serviceaccount gets `{name, readOnly: true, mountPath}`;
 * - the volume is added when some container got the mount: projected, defaultMode 420, sources
 *   serviceAccountToken `{expirationSeconds: 3607, path: token}` (3607 =
 *   WarnOnlyBoundTokenExpirationSeconds, pkg/serviceaccount/claims.go), configMap
 *   `kube-root-ca.crt` key `ca.crt`, downwardAPI `namespace` from `metadata.namespace`.
 */
import type { KubeObject } from '../../api/index.js';
import { randomSuffix } from '../handlers/util.js';

export const SERVICE_ACCOUNT_VOLUME_PREFIX = 'kube-api-access-';
export const DEFAULT_API_TOKEN_MOUNT_PATH = '/var/run/secrets/kubernetes.io/serviceaccount';
export const ROOT_CA_CONFIGMAP = 'kube-root-ca.crt';

interface VolumeMount { name?: string; readOnly?: boolean; mountPath?: string }
interface Container { volumeMounts?: VolumeMount[] }
export type TokenPod = KubeObject & { spec?: { volumes?: { name?: string }[]; containers?: Container[]; initContainers?: Container[] } };

/** The projected volume source, in Go's field order (sources, defaultMode). */
export function tokenVolumeSource(): Record<string, unknown> {
  return {
    sources: [
      { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
      { configMap: { name: ROOT_CA_CONFIGMAP, items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
      { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
    ],
    defaultMode: 420,
  };
}

/** Mounts the token volume into the pod's containers (idempotent: a second call changes nothing). */
export function mountServiceAccountToken(pod: TokenPod): void {
  const spec = (pod.spec ??= {});
  const volumes = Array.isArray(spec.volumes) ? spec.volumes : [];
  const existing = volumes.find((v) => typeof v?.name === 'string' && v.name.startsWith(SERVICE_ACCOUNT_VOLUME_PREFIX));
  const name = existing?.name ?? SERVICE_ACCOUNT_VOLUME_PREFIX + randomSuffix();
  let needsVolume = false;
  for (const list of [spec.initContainers, spec.containers]) {
    if (!Array.isArray(list)) continue;
    for (const c of list) {
      if (!c || typeof c !== 'object') continue;
      const mounts = Array.isArray(c.volumeMounts) ? c.volumeMounts : [];
      // An existing mount at the default path prevents mounting the token.
      if (mounts.some((m) => m?.mountPath === DEFAULT_API_TOKEN_MOUNT_PATH)) continue;
      c.volumeMounts = [...mounts, { name, readOnly: true, mountPath: DEFAULT_API_TOKEN_MOUNT_PATH }];
      needsVolume = true;
    }
  }
  if (!existing && needsVolume) spec.volumes = [...volumes, { name, projected: tokenVolumeSource() } as { name: string }];
}
