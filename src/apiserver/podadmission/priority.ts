/**
 * Pod priority, as kube-apiserver v1.32 does it:
 * - the Priority admission plugin (plugin/pkg/admission/priority/admission.go, enabled by
 *   default): a new pod's `spec.priorityClassName` is resolved to `spec.priority` and
 *   `spec.preemptionPolicy` from that PriorityClass (403 `no PriorityClass with name X was
 *   found` when it does not exist); a pod naming none gets the `globalDefault` class (the
 *   lowest value when several are default; its name is written to `priorityClassName`), else
 *   priority 0 and `PreemptLowerPriority`. A pod that sends a `priority` (or
 *   `preemptionPolicy`) other than the computed one is refused (403). On UPDATE a pod that lost
 *   `priority`/`preemptionPolicy` gets the stored ones back. PriorityClass creates/updates are
 *   refused when they set `globalDefault` while another class already is the default;
 * - the system PriorityClasses kube-apiserver creates at start (the scheduling REST storage's
 *   post-start hook, pkg/registry/scheduling/rest/storage_scheduling.go, from
 *   pkg/apis/scheduling/helpers.go systemPriorityClasses): `system-node-critical`
 *   (2000001000) and `system-cluster-critical` (2000000000); deleting them is refused (403
 *   `this is a system priority class and cannot be deleted`,
 *   pkg/registry/scheduling/priorityclass/storage/storage.go).
 * The PriorityClass validation (`system-` prefix, 1e9 ceiling, immutable value) is the type's
 * strategy: resources/priorityclass.ts.
 */
import { type KubeObject, newForbidden } from '../../api/index.js';
import type { AdmissionPlugin, AdmissionRequest } from '../admission/index.js';
import { SYSTEM_CRITICAL_PRIORITY, SYSTEM_PRIORITY_CLASSES } from '../resources/index.js';
import { isStatus, type SemanticsHost } from '../semantics-kit.js';

const PODS = '/pods';
const PRIORITY_CLASSES = 'scheduling.k8s.io/priorityclasses';
const PC_RESOURCE = { group: 'scheduling.k8s.io', resource: 'priorityclasses' };

export { SYSTEM_CRITICAL_PRIORITY, SYSTEM_PRIORITY_CLASSES };

type PriorityClass = KubeObject & { value?: number; globalDefault?: boolean; preemptionPolicy?: string };
type Pod = KubeObject & { spec?: { priorityClassName?: string; priority?: number; preemptionPolicy?: string } };

/** The PriorityClass with `globalDefault`, the lowest value when several are (as upstream, for races). */
function defaultClass(host: SemanticsHost): PriorityClass | undefined {
  let found: PriorityClass | undefined;
  for (const [, s] of host.store.scan(PRIORITY_CLASSES)) {
    const pc = s.obj as PriorityClass;
    if (pc.globalDefault === true && (!found || (found.value ?? 0) > (pc.value ?? 0))) found = pc;
  }
  return found;
}

export function priorityAdmission(host: SemanticsHost): AdmissionPlugin {
  return {
    name: 'Priority',
    appliesTo: (t) => t.storageKey === PODS || t.storageKey === PRIORITY_CLASSES,
    admit(req) {
      if (req.subresource || req.type.storageKey !== PODS) return;
      if (req.operation === 'CREATE') admitNewPod(req);
      else if (req.operation === 'UPDATE') keepPriority(req);
    },
    validate(req) {
      if (req.subresource || req.type.storageKey !== PRIORITY_CLASSES) return;
      if (req.operation === 'DELETE') {
        if (SYSTEM_PRIORITY_CLASSES.some((c) => c.name === req.name)) throw newForbidden(PC_RESOURCE, req.name, 'this is a system priority class and cannot be deleted');
        return;
      }
      const pc = req.object as PriorityClass;
      if (pc.globalDefault !== true) return;
      const dpc = defaultClass(host);
      if (dpc && (req.operation === 'CREATE' || dpc.metadata.name !== pc.metadata.name)) {
        throw newForbidden(PC_RESOURCE, pc.metadata.name ?? req.name, `PriorityClass ${dpc.metadata.name} is already marked as default. Only one default can exist`);
      }
    },
  };

  function admitNewPod(req: AdmissionRequest): void {
    const pod = req.object as Pod;
    const spec = (pod.spec ??= {});
    const forbid = (msg: string) => newForbidden({ group: '', resource: 'pods' }, pod.metadata.name ?? '', msg);
    let priority: number;
    let policy: string | undefined;
    if (!spec.priorityClassName) {
      const dpc = defaultClass(host);
      if (dpc) {
        spec.priorityClassName = dpc.metadata.name;
        priority = dpc.value ?? 0;
        policy = dpc.preemptionPolicy;
      } else {
        // scheduling.DefaultPriorityWhenNoDefaultClassExists, with PreemptLowerPriority.
        priority = 0;
        policy = 'PreemptLowerPriority';
      }
    } else {
      const pc = host.store.get(PRIORITY_CLASSES, spec.priorityClassName)?.obj as PriorityClass | undefined;
      if (!pc) throw forbid(`no PriorityClass with name ${spec.priorityClassName} was found`);
      priority = pc.value ?? 0;
      policy = pc.preemptionPolicy;
    }
    if (spec.priority !== undefined && spec.priority !== null && spec.priority !== priority) {
      throw forbid(`the integer value of priority (${spec.priority}) must not be provided in pod spec; priority admission controller computed ${priority} from the given PriorityClass name`);
    }
    spec.priority = priority;
    if (policy !== undefined) {
      if (spec.preemptionPolicy !== undefined && spec.preemptionPolicy !== null && spec.preemptionPolicy !== policy) {
        throw forbid(`the string value of PreemptionPolicy (${spec.preemptionPolicy}) must not be provided in pod spec; priority admission controller computed ${policy} from the given PriorityClass name`);
      }
      spec.preemptionPolicy = policy;
    }
  }

  function keepPriority(req: AdmissionRequest): void {
    const spec = ((req.object as Pod).spec ??= {});
    const old = (req.oldObject as Pod | undefined)?.spec;
    if (!old) return;
    if (spec.priority == null && old.priority != null) spec.priority = old.priority;
    if (spec.preemptionPolicy == null && old.preemptionPolicy != null) spec.preemptionPolicy = old.preemptionPolicy;
  }
}

/** Creates the system PriorityClasses that do not exist (kube-apiserver's post-start hook). */
export async function ensureSystemPriorityClasses(host: SemanticsHost): Promise<void> {
  const t = host.registry.get('scheduling.k8s.io', 'v1', 'priorityclasses');
  if (!t) return;
  for (const c of SYSTEM_PRIORITY_CLASSES) {
    if (host.store.get(t.storageKey, c.name)) continue;
    try {
      await host.ops.create(t, undefined, { apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name: c.name }, value: c.value, description: c.description } as KubeObject);
    } catch (e) {
      if (!isStatus(e, 409)) throw e;
    }
  }
}
