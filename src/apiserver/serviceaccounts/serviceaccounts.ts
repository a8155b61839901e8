/**
 * ServiceAccounts, as kube-controller-manager's ServiceAccount controller and kube-apiserver's
 * ServiceAccount admission plugin do them:
 * - every active namespace has a `default` ServiceAccount (created with the namespace,
 *   re-created when deleted);
 * - a new pod without `spec.serviceAccountName` gets `default` (both `serviceAccountName`
 *   and the deprecated `serviceAccount` are set); the ServiceAccount must exist (403
 *   `error looking up service account ns/name: serviceaccount "name" not found`);
 * - a new pod gets the projected token volume `kube-api-access-<5 random>` mounted read-only at
 *   /var/run/secrets/kubernetes.io/serviceaccount in every container and init container (see
 *   tokenvolume.ts), unless `automountServiceAccountToken` is false on the pod or (when the pod
 *   does not say) on its ServiceAccount;
 * - a new pod without `imagePullSecrets` gets those of its ServiceAccount.
 * Mirror pods (annotation `kubernetes.io/config.mirror`) are left alone, as upstream
 * (plugin/pkg/admission/serviceaccount/admission.go, v1.32).
 */
import { type KubeObject, newForbidden } from '../../api/index.js';
import type { AdmissionPlugin, AdmissionRequest } from '../admission/index.js';
import type { Controller, SemanticsHost } from '../semantics-kit.js';
import { startPerNamespace } from './per-namespace.js';
import { mountServiceAccountToken, type TokenPod } from './tokenvolume.js';

const SERVICE_ACCOUNTS = '/serviceaccounts';
const PODS = '/pods';
export const DEFAULT_SERVICE_ACCOUNT = 'default';
const MIRROR_ANNOTATION = 'kubernetes.io/config.mirror';

type Pod = TokenPod & { spec?: { serviceAccountName?: string; serviceAccount?: string; imagePullSecrets?: { name?: string }[]; automountServiceAccountToken?: boolean } };
type ServiceAccount = KubeObject & { imagePullSecrets?: { name?: string }[]; automountServiceAccountToken?: boolean };

/** The controller keeping a `default` ServiceAccount in every active namespace (re-created when deleted). */
export function startServiceAccountController(host: SemanticsHost): Controller {
  const { store, registry, ops } = host;
  const t = registry.get('', 'v1', 'serviceaccounts')!;
  return startPerNamespace(host, async (ns) => {
    if (store.get(SERVICE_ACCOUNTS, `${ns}/${DEFAULT_SERVICE_ACCOUNT}`)) return;
    await ops.create(t, ns, { metadata: { name: DEFAULT_SERVICE_ACCOUNT } });
  }, SERVICE_ACCOUNTS, (c) => (c.storageKey === SERVICE_ACCOUNTS && c.type === 'DELETED' && c.object.metadata.name === DEFAULT_SERVICE_ACCOUNT ? c.object.metadata.namespace : undefined));
}

/** The ServiceAccount admission plugin for pods. `controller` is awaited before a `default` is declared missing. */
export function serviceAccountAdmission(host: SemanticsHost, controller: Controller): AdmissionPlugin {
  return {
    name: 'ServiceAccount',
    appliesTo: (t) => t.storageKey === PODS,
    // Synchronous for everything but pod creates (no promise turn on other writes).
    admit(req) {
      if (req.operation !== 'CREATE' || req.type.storageKey !== PODS || req.subresource || !req.namespace) return;
      return admitPod(req);
    },
  };

  async function admitPod(req: AdmissionRequest): Promise<void> {
    const pod = req.object as Pod;
    if (pod.metadata.annotations?.[MIRROR_ANNOTATION] !== undefined) return;
    pod.spec ??= {};
    const name = pod.spec.serviceAccountName || pod.spec.serviceAccount || DEFAULT_SERVICE_ACCOUNT;
    pod.spec.serviceAccountName = name;
    pod.spec.serviceAccount = name;
    let sa = host.store.get(SERVICE_ACCOUNTS, `${req.namespace}/${name}`)?.obj as ServiceAccount | undefined;
    if (!sa && name === DEFAULT_SERVICE_ACCOUNT) {
      // The controller creates it right after the namespace; let it finish first.
      await controller.idle();
      sa = host.store.get(SERVICE_ACCOUNTS, `${req.namespace}/${name}`)?.obj as ServiceAccount | undefined;
    }
    if (!sa) {
      throw newForbidden({ group: '', resource: 'pods' }, pod.metadata.name ?? '', `error looking up service account ${req.namespace}/${name}: serviceaccount "${name}" not found`);
    }
    // shouldAutomount: the pod's preference wins, then the ServiceAccount's, else true.
    if (typeof pod.spec.automountServiceAccountToken === 'boolean' ? pod.spec.automountServiceAccountToken : sa.automountServiceAccountToken !== false) mountServiceAccountToken(pod);
    if (!pod.spec.imagePullSecrets?.length && sa.imagePullSecrets?.length) {
      pod.spec.imagePullSecrets = sa.imagePullSecrets.filter((s) => s?.name).map((s) => ({ name: s.name }));
    }
  }
}
