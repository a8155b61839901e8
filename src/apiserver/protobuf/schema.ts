/**
 * Field numbers of the Kubernetes protobuf messages that typed `kubectl create <kind>`
 * subcommands (and `kubectl autoscale`) send (from the upstream generated.proto files). Only these kinds decode; a
 * non-empty field missing from these tables is refused (415) rather than dropped.
 *
 * Field spec: `name:type`, where type is `s` string, `b` bytes (base64 in JSON), `i` integer,
 * `B` bool, `t` Time, `q` Quantity, `ios` IntOrString, `m:s`/`m:b`/`m:q` maps with string keys,
 * or a message name. A leading `[]` marks a repeated field; a trailing `!` a pointer field whose
 * zero value is kept (`replicas: 0`). The name `*` marks an embedded struct whose JSON fields are
 * inlined into the parent (Go's `json:",inline"`, e.g. IngressRule's IngressRuleValue).
 */
export type MessageSpec = Record<number, string>;

export const MESSAGES: Record<string, MessageSpec> = {
  TypeMeta: { 1: 'apiVersion:s', 2: 'kind:s' },
  Unknown: { 1: 'typeMeta:TypeMeta', 2: 'raw:b', 3: 'contentEncoding:s', 4: 'contentType:s' },
  ObjectMeta: {
    1: 'name:s', 2: 'generateName:s', 3: 'namespace:s', 4: 'selfLink:s', 5: 'uid:s', 6: 'resourceVersion:s', 7: 'generation:i',
    8: 'creationTimestamp:t', 9: 'deletionTimestamp:t', 10: 'deletionGracePeriodSeconds:i!', 11: 'labels:m:s', 12: 'annotations:m:s',
    13: 'ownerReferences:[]OwnerReference', 14: 'finalizers:[]s',
  },
  OwnerReference: { 1: 'kind:s', 3: 'name:s', 4: 'uid:s', 5: 'apiVersion:s', 6: 'controller:B!', 7: 'blockOwnerDeletion:B!' },
  LabelSelector: { 1: 'matchLabels:m:s', 2: 'matchExpressions:[]LabelSelectorRequirement' },
  LabelSelectorRequirement: { 1: 'key:s', 2: 'operator:s', 3: 'values:[]s' },
  ObjectReference: { 1: 'kind:s', 2: 'namespace:s', 3: 'name:s', 4: 'uid:s', 5: 'apiVersion:s', 6: 'resourceVersion:s', 7: 'fieldPath:s' },
  LocalObjectReference: { 1: 'name:s' },

  // core/v1
  ConfigMap: { 1: 'metadata:ObjectMeta', 2: 'data:m:s', 3: 'binaryData:m:b', 4: 'immutable:B!' },
  Secret: { 1: 'metadata:ObjectMeta', 2: 'data:m:b', 3: 'type:s', 4: 'stringData:m:s', 5: 'immutable:B!' },
  Namespace: { 1: 'metadata:ObjectMeta', 2: 'spec:NamespaceSpec', 3: 'status:NamespaceStatus' },
  NamespaceSpec: { 1: 'finalizers:[]s' },
  NamespaceStatus: { 1: 'phase:s' },
  ServiceAccount: { 1: 'metadata:ObjectMeta', 2: 'secrets:[]ObjectReference', 3: 'imagePullSecrets:[]LocalObjectReference', 4: 'automountServiceAccountToken:B!' },
  Service: { 1: 'metadata:ObjectMeta', 2: 'spec:ServiceSpec', 3: 'status:Empty' },
  ServiceSpec: { 1: 'ports:[]ServicePort', 2: 'selector:m:s', 3: 'clusterIP:s', 4: 'type:s', 5: 'externalIPs:[]s', 7: 'sessionAffinity:s', 10: 'externalName:s' },
  ServicePort: { 1: 'name:s', 2: 'protocol:s', 3: 'port:i', 4: 'targetPort:ios', 5: 'nodePort:i', 6: 'appProtocol:s!' },
  ResourceQuota: { 1: 'metadata:ObjectMeta', 2: 'spec:ResourceQuotaSpec', 3: 'status:Empty' },
  ResourceQuotaSpec: { 1: 'hard:m:q', 2: 'scopes:[]s' },
  PodTemplateSpec: { 1: 'metadata:ObjectMeta', 2: 'spec:PodSpec' },
  PodSpec: { 2: 'containers:[]Container', 3: 'restartPolicy:s', 6: 'dnsPolicy:s', 8: 'serviceAccountName:s' },
  Container: {
    1: 'name:s', 2: 'image:s', 3: 'command:[]s', 4: 'args:[]s', 5: 'workingDir:s', 6: 'ports:[]ContainerPort', 7: 'env:[]EnvVar',
    8: 'resources:ResourceRequirements', 14: 'imagePullPolicy:s',
  },
  ContainerPort: { 1: 'name:s', 2: 'hostPort:i', 3: 'containerPort:i', 4: 'protocol:s', 5: 'hostIP:s' },
  EnvVar: { 1: 'name:s', 2: 'value:s' },
  ResourceRequirements: { 1: 'limits:m:q', 2: 'requests:m:q' },
  Empty: {},

  // apps/v1
  Deployment: { 1: 'metadata:ObjectMeta', 2: 'spec:DeploymentSpec', 3: 'status:Empty' },
  DeploymentSpec: {
    1: 'replicas:i!', 2: 'selector:LabelSelector', 3: 'template:PodTemplateSpec', 4: 'strategy:DeploymentStrategy', 5: 'minReadySeconds:i',
    6: 'revisionHistoryLimit:i!', 7: 'paused:B', 9: 'progressDeadlineSeconds:i!',
  },
  DeploymentStrategy: { 1: 'type:s', 2: 'rollingUpdate:RollingUpdateDeployment' },
  RollingUpdateDeployment: { 1: 'maxUnavailable:ios', 2: 'maxSurge:ios' },

  // batch/v1
  Job: { 1: 'metadata:ObjectMeta', 2: 'spec:JobSpec', 3: 'status:Empty' },
  JobSpec: {
    1: 'parallelism:i!', 2: 'completions:i!', 3: 'activeDeadlineSeconds:i!', 4: 'selector:LabelSelector', 5: 'manualSelector:B!', 6: 'template:PodTemplateSpec',
    7: 'backoffLimit:i!', 8: 'ttlSecondsAfterFinished:i!',
  },
  CronJob: { 1: 'metadata:ObjectMeta', 2: 'spec:CronJobSpec', 3: 'status:Empty' },
  CronJobSpec: {
    1: 'schedule:s', 2: 'startingDeadlineSeconds:i!', 3: 'concurrencyPolicy:s', 4: 'suspend:B!', 5: 'jobTemplate:JobTemplateSpec',
    6: 'successfulJobsHistoryLimit:i!', 7: 'failedJobsHistoryLimit:i!', 8: 'timeZone:s!',
  },
  JobTemplateSpec: { 1: 'metadata:ObjectMeta', 2: 'spec:JobSpec' },

  // rbac.authorization.k8s.io/v1
  Role: { 1: 'metadata:ObjectMeta', 2: 'rules:[]PolicyRule' },
  ClusterRole: { 1: 'metadata:ObjectMeta', 2: 'rules:[]PolicyRule' },
  PolicyRule: { 1: 'verbs:[]s', 2: 'apiGroups:[]s', 3: 'resources:[]s', 4: 'resourceNames:[]s', 5: 'nonResourceURLs:[]s' },
  RoleBinding: { 1: 'metadata:ObjectMeta', 2: 'subjects:[]Subject', 3: 'roleRef:RoleRef' },
  ClusterRoleBinding: { 1: 'metadata:ObjectMeta', 2: 'subjects:[]Subject', 3: 'roleRef:RoleRef' },
  Subject: { 1: 'kind:s', 2: 'apiGroup:s', 3: 'name:s', 4: 'namespace:s' },
  RoleRef: { 1: 'apiGroup:s', 2: 'kind:s', 3: 'name:s' },

  // policy/v1, scheduling.k8s.io/v1
  PodDisruptionBudget: { 1: 'metadata:ObjectMeta', 2: 'spec:PodDisruptionBudgetSpec', 3: 'status:Empty' },
  PodDisruptionBudgetSpec: { 1: 'minAvailable:ios', 2: 'selector:LabelSelector', 3: 'maxUnavailable:ios', 4: 'unhealthyPodEvictionPolicy:s!' },

  // networking.k8s.io/v1 (k8s.io/api networking/v1/generated.proto): `kubectl create ingress`
  Ingress: { 1: 'metadata:ObjectMeta', 2: 'spec:IngressSpec', 3: 'status:Empty' },
  IngressSpec: { 1: 'defaultBackend:IngressBackend', 2: 'tls:[]IngressTLS', 3: 'rules:[]IngressRule', 4: 'ingressClassName:s!' },
  IngressBackend: { 3: 'resource:TypedLocalObjectReference', 4: 'service:IngressServiceBackend' },
  IngressServiceBackend: { 1: 'name:s', 2: 'port:ServiceBackendPort' },
  ServiceBackendPort: { 1: 'name:s', 2: 'number:i' },
  TypedLocalObjectReference: { 1: 'apiGroup:s!', 2: 'kind:s', 3: 'name:s' },
  IngressTLS: { 1: 'hosts:[]s', 2: 'secretName:s' },
  IngressRule: { 1: 'host:s', 2: '*:IngressRuleValue' },
  IngressRuleValue: { 1: 'http:HTTPIngressRuleValue' },
  HTTPIngressRuleValue: { 1: 'paths:[]HTTPIngressPath' },
  HTTPIngressPath: { 1: 'path:s', 2: 'backend:IngressBackend', 3: 'pathType:s!' },
  PriorityClass: { 1: 'metadata:ObjectMeta', 2: 'value:i', 3: 'globalDefault:B', 4: 'description:s', 5: 'preemptionPolicy:s!' },

  // autoscaling/v1 (`kubectl autoscale`)
  HorizontalPodAutoscaler: { 1: 'metadata:ObjectMeta', 2: 'spec:HorizontalPodAutoscalerSpec', 3: 'status:HorizontalPodAutoscalerStatus' },
  HorizontalPodAutoscalerSpec: { 1: 'scaleTargetRef:CrossVersionObjectReference', 2: 'minReplicas:i!', 3: 'maxReplicas:i', 4: 'targetCPUUtilizationPercentage:i!' },
  CrossVersionObjectReference: { 1: 'kind:s', 2: 'name:s', 3: 'apiVersion:s' },
  HorizontalPodAutoscalerStatus: { 1: 'observedGeneration:i!', 2: 'lastScaleTime:t', 3: 'currentReplicas:i', 4: 'desiredReplicas:i', 5: 'currentCPUUtilizationPercentage:i!' },
};

/** apiVersion + kind -> message name of the decodable top-level kinds. */
export const TOP_LEVEL: Record<string, string> = {
  'v1/ConfigMap': 'ConfigMap',
  'v1/Secret': 'Secret',
  'v1/Namespace': 'Namespace',
  'v1/ServiceAccount': 'ServiceAccount',
  'v1/Service': 'Service',
  'v1/ResourceQuota': 'ResourceQuota',
  'apps/v1/Deployment': 'Deployment',
  'batch/v1/Job': 'Job',
  'batch/v1/CronJob': 'CronJob',
  'rbac.authorization.k8s.io/v1/Role': 'Role',
  'rbac.authorization.k8s.io/v1/ClusterRole': 'ClusterRole',
  'rbac.authorization.k8s.io/v1/RoleBinding': 'RoleBinding',
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': 'ClusterRoleBinding',
  'policy/v1/PodDisruptionBudget': 'PodDisruptionBudget',
  'networking.k8s.io/v1/Ingress': 'Ingress',
  'scheduling.k8s.io/v1/PriorityClass': 'PriorityClass',
  'autoscaling/v1/HorizontalPodAutoscaler': 'HorizontalPodAutoscaler',
};
