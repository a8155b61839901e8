/**
 * The DefaultTolerationSeconds admission plugin (enabled by default in kube-apiserver), as
 * upstream's plugin/pkg/admission/defaulttolerationseconds/admission.go (v1.32):
 * on pod CREATE and UPDATE (not subresources) a pod that does not already tolerate the
 * `node.kubernetes.io/not-ready` (resp. `node.kubernetes.io/unreachable`) NoExecute taint gets
 * `{key, operator: Exists, effect: NoExecute, tolerationSeconds: 300}` appended (300 is the
 * default of --default-not-ready-toleration-seconds / --default-unreachable-toleration-seconds).
 * A toleration with an empty key (tolerates every key) or an empty effect (every effect) counts
 * as tolerating, as upstream.
 */
import type { KubeObject } from '../../api/index.js';
import type { AdmissionPlugin } from '../admission/index.js';

const PODS = '/pods';
export const TAINT_NOT_READY = 'node.kubernetes.io/not-ready';
export const TAINT_UNREACHABLE = 'node.kubernetes.io/unreachable';
export const DEFAULT_TOLERATION_SECONDS = 300;

interface Toleration { key?: string; operator?: string; value?: string; effect?: string; tolerationSeconds?: number }
type Pod = KubeObject & { spec?: { tolerations?: Toleration[] } };

function tolerates(tolerations: readonly Toleration[], key: string): boolean {
  return tolerations.some((t) => (t?.key === key || !t?.key) && (t?.effect === 'NoExecute' || !t?.effect));
}

export function defaultTolerationSecondsAdmission(): AdmissionPlugin {
  return {
    name: 'DefaultTolerationSeconds',
    appliesTo: (t) => t.storageKey === PODS,
    admit(req) {
      if ((req.operation !== 'CREATE' && req.operation !== 'UPDATE') || req.type.storageKey !== PODS || req.subresource) return;
      const pod = req.object as Pod;
      const spec = (pod.spec ??= {});
      const tolerations = Array.isArray(spec.tolerations) ? spec.tolerations : [];
      const notReady = tolerates(tolerations, TAINT_NOT_READY);
      const unreachable = tolerates(tolerations, TAINT_UNREACHABLE);
      if (notReady && unreachable) return;
      // Go's Toleration field order: key, operator, value, effect, tolerationSeconds.
      const added: Toleration[] = [];
      if (!notReady) added.push({ key: TAINT_NOT_READY, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: DEFAULT_TOLERATION_SECONDS });
      if (!unreachable) added.push({ key: TAINT_UNREACHABLE, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: DEFAULT_TOLERATION_SECONDS });
      spec.tolerations = [...tolerations, ...added];
    },
  };
}
