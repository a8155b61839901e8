/**
 * apps/v1 defaults (kube-apiserver v1.32): kubernetes/kubernetes pkg/apis/apps/v1/defaults.go,
 * with pod templates defaulted as pkg/apis/apps/v1/zz_generated.defaults.go does (PodSpec,
 * volumes and containers: core.ts's podTemplate). StatefulSetAutoDeletePVC is on in v1.32
 * (persistentVolumeClaimRetentionPolicy is defaulted).
 */
import { persistentVolumeClaim, podTemplate } from './core.js';
import { child, each, type Obj, ptr, str } from './types.js';

/** SetDefaults_Deployment: replicas 1, RollingUpdate 25%/25%, revisionHistoryLimit 10, progressDeadlineSeconds 600. */
function deployment(o: Obj): void {
  const spec = child(o, 'spec');
  if (!spec) return;
  ptr(spec, 'replicas', 1);
  const strategy = child(spec, 'strategy');
  if (strategy) {
    str(strategy, 'type', 'RollingUpdate');
    if (strategy.type === 'RollingUpdate') {
      const ru = child(strategy, 'rollingUpdate');
      if (ru) {
        ptr(ru, 'maxUnavailable', '25%');
        ptr(ru, 'maxSurge', '25%');
      }
    }
  }
  ptr(spec, 'revisionHistoryLimit', 10);
  ptr(spec, 'progressDeadlineSeconds', 600);
  podTemplate(child(spec, 'template'));
}

/** SetDefaults_DaemonSet: RollingUpdate with maxUnavailable 1 and maxSurge 0, revisionHistoryLimit 10. */
function daemonSet(o: Obj): void {
  const spec = child(o, 'spec');
  if (!spec) return;
  const strategy = child(spec, 'updateStrategy');
  if (strategy) {
    str(strategy, 'type', 'RollingUpdate');
    if (strategy.type === 'RollingUpdate') {
      const ru = child(strategy, 'rollingUpdate');
      if (ru) {
        ptr(ru, 'maxUnavailable', 1);
        ptr(ru, 'maxSurge', 0);
      }
    }
  }
  ptr(spec, 'revisionHistoryLimit', 10);
  podTemplate(child(spec, 'template'));
}

/**
 * SetDefaults_StatefulSet: OrderedReady, RollingUpdate with partition 0 (a partition only when
 * the type was defaulted or a rollingUpdate was sent), Retain/Retain claim retention,
 * replicas 1, revisionHistoryLimit 10; claim templates defaulted as PersistentVolumeClaims.
 */
function statefulSet(o: Obj): void {
  const spec = child(o, 'spec');
  if (!spec) return;
  str(spec, 'podManagementPolicy', 'OrderedReady');
  const strategy = child(spec, 'updateStrategy');
  if (strategy) {
    if (!strategy.type) {
      strategy.type = 'RollingUpdate';
      child(strategy, 'rollingUpdate');
    }
    const ru = strategy.rollingUpdate;
    if (strategy.type === 'RollingUpdate' && ru && typeof ru === 'object') ptr(ru, 'partition', 0);
  }
  const retention = child(spec, 'persistentVolumeClaimRetentionPolicy');
  if (retention) {
    str(retention, 'whenDeleted', 'Retain');
    str(retention, 'whenScaled', 'Retain');
  }
  ptr(spec, 'replicas', 1);
  ptr(spec, 'revisionHistoryLimit', 10);
  podTemplate(child(spec, 'template'));
  for (const claim of each(spec, 'volumeClaimTemplates')) persistentVolumeClaim(claim);
}

/** SetDefaults_ReplicaSet: replicas 1. */
function replicaSet(o: Obj): void {
  const spec = child(o, 'spec');
  if (!spec) return;
  ptr(spec, 'replicas', 1);
  podTemplate(child(spec, 'template'));
}

export const APPS_DEFAULTS: Record<string, (o: Obj) => void> = {
  'apps/deployments': deployment,
  'apps/daemonsets': daemonSet,
  'apps/statefulsets': statefulSet,
  'apps/replicasets': replicaSet,
};
