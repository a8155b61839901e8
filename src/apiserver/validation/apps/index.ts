// apps/v1 workload validation as kube-apiserver v1.32's pkg/apis/apps/validation does it.
export { validateDeployment, validateReplicaSet, validateDaemonSet, validateStatefulSet } from './workloads.js';
