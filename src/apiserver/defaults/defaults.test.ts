import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BUILTIN_DEFAULTS, imageTag, newStatus } from './index.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const defaulted = (key: string, o: Record<string, any>) => {
  BUILTIN_DEFAULTS[key](o);
  return o;
};

test('image tags as ParseImageName reads them decide the pull policy', () => {
  assert.equal(imageTag('nginx'), 'latest');
  assert.equal(imageTag('nginx:latest'), 'latest');
  assert.equal(imageTag('nginx:1.27'), '1.27');
  assert.equal(imageTag('localhost:5000/app'), 'latest', 'a registry port is no tag');
  assert.equal(imageTag('registry.cn-hangzhou.aliyuncs.com/ns/app:v2'), 'v2');
  assert.equal(imageTag('nginx@sha256:abc'), '', 'a digest alone is no tag');
  assert.equal(imageTag('nginx:1.27@sha256:abc'), '1.27');
  assert.equal(imageTag(''), '');
  const pod = defaulted('/pods', { spec: { containers: [{ name: 'a', image: 'nginx' }, { name: 'b', image: 'nginx:1' }, { name: 'c', image: 'x@sha256:1' }] } });
  assert.deepEqual(pod.spec.containers.map((c: { imagePullPolicy: string }) => c.imagePullPolicy), ['Always', 'IfNotPresent', 'IfNotPresent']);
});

test('a pod: PodSpec, Pod and Container defaults, probes, volumes, requests from limits', () => {
  const pod = defaulted('/pods', {
    metadata: { name: 'p' },
    spec: {
      containers: [{
        name: 'c', image: 'app:1', ports: [{ containerPort: 80 }, { containerPort: 53, protocol: 'UDP' }],
        resources: { limits: { cpu: '1', memory: '1Gi' }, requests: { cpu: '500m' } },
        readinessProbe: { httpGet: { port: 80 } },
        env: [{ name: 'N', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
      }],
      volumes: [{ name: 'empty' }, { name: 's', secret: { secretName: 's' } }, { name: 'cm', configMap: { name: 'cm', defaultMode: 256 } }, { name: 'h', hostPath: { path: '/x' } }],
    },
  });
  assert.deepEqual(pod.spec, {
    containers: [{
      name: 'c', image: 'app:1', imagePullPolicy: 'IfNotPresent', terminationMessagePath: '/dev/termination-log', terminationMessagePolicy: 'File',
      ports: [{ containerPort: 80, protocol: 'TCP' }, { containerPort: 53, protocol: 'UDP' }],
      resources: { limits: { cpu: '1', memory: '1Gi' }, requests: { cpu: '500m', memory: '1Gi' } },
      readinessProbe: { httpGet: { port: 80, path: '/', scheme: 'HTTP' }, timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3 },
      env: [{ name: 'N', valueFrom: { fieldRef: { fieldPath: 'metadata.name', apiVersion: 'v1' } } }],
    }],
    volumes: [
      { name: 'empty', emptyDir: {} }, { name: 's', secret: { secretName: 's', defaultMode: 420 } },
      { name: 'cm', configMap: { name: 'cm', defaultMode: 256 } }, { name: 'h', hostPath: { path: '/x', type: '' } },
    ],
    enableServiceLinks: true, dnsPolicy: 'ClusterFirst', restartPolicy: 'Always', securityContext: {}, terminationGracePeriodSeconds: 30, schedulerName: 'default-scheduler',
  });
});

test('templates get the PodSpec defaults but not the Pod ones (no enableServiceLinks, no requests from limits)', () => {
  const rs = defaulted('apps/replicasets', { spec: { template: { spec: { containers: [{ name: 'c', image: 'a', resources: { limits: { cpu: '1' } } }] } } } });
  assert.equal(rs.spec.replicas, 1);
  assert.deepEqual(rs.spec.template.metadata, { creationTimestamp: null });
  assert.equal(rs.spec.template.spec.enableServiceLinks, undefined);
  assert.deepEqual(rs.spec.template.spec.containers[0].resources, { limits: { cpu: '1' } });
});

test('workloads: StatefulSet, DaemonSet and a Deployment whose values were sent', () => {
  const sts = defaulted('apps/statefulsets', { spec: { template: {}, volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: {} }] } });
  assert.equal(sts.spec.podManagementPolicy, 'OrderedReady');
  assert.deepEqual(sts.spec.updateStrategy, { type: 'RollingUpdate', rollingUpdate: { partition: 0 } });
  assert.deepEqual(sts.spec.persistentVolumeClaimRetentionPolicy, { whenDeleted: 'Retain', whenScaled: 'Retain' });
  assert.deepEqual(sts.spec.volumeClaimTemplates[0], { metadata: { name: 'data' }, spec: { volumeMode: 'Filesystem' }, status: { phase: 'Pending' } });
  const onDelete = defaulted('apps/statefulsets', { spec: { updateStrategy: { type: 'OnDelete' } } });
  assert.deepEqual(onDelete.spec.updateStrategy, { type: 'OnDelete' });

  const ds = defaulted('apps/daemonsets', { spec: {} });
  assert.deepEqual(ds.spec.updateStrategy, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } });
  assert.equal(ds.spec.revisionHistoryLimit, 10);

  const d = defaulted('apps/deployments', { spec: { replicas: 0, strategy: { rollingUpdate: { maxSurge: 0 } } } });
  assert.equal(d.spec.replicas, 0);
  assert.deepEqual(d.spec.strategy, { type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: '25%' } });
});

test('services: traffic policies by type, session affinity, target ports, ingress ipMode', () => {
  const s = defaulted('/services', { spec: { ports: [{ port: 80 }, { port: 53, protocol: 'UDP', targetPort: 'dns' }], sessionAffinityConfig: { clientIP: {} } } });
  assert.deepEqual(s.spec, {
    ports: [{ port: 80, protocol: 'TCP', targetPort: 80 }, { port: 53, protocol: 'UDP', targetPort: 'dns' }],
    sessionAffinity: 'None', type: 'ClusterIP', internalTrafficPolicy: 'Cluster',
  });
  const lb = defaulted('/services', { spec: { type: 'LoadBalancer', sessionAffinity: 'ClientIP' }, status: { loadBalancer: { ingress: [{ ip: '1.2.3.4' }, { hostname: 'x' }] } } });
  assert.equal(lb.spec.externalTrafficPolicy, 'Cluster');
  assert.equal(lb.spec.allocateLoadBalancerNodePorts, true);
  assert.deepEqual(lb.spec.sessionAffinityConfig, { clientIP: { timeoutSeconds: 10800 } });
  assert.deepEqual(lb.status.loadBalancer.ingress, [{ ip: '1.2.3.4', ipMode: 'VIP' }, { hostname: 'x' }]);
  const ext = defaulted('/services', { spec: { type: 'ExternalName', externalName: 'example.com' } });
  assert.equal(ext.spec.internalTrafficPolicy, undefined);
});

test('jobs and cronjobs', () => {
  const j = defaulted('batch/jobs', { metadata: {}, spec: { parallelism: 3, template: { metadata: { labels: { app: 'x' } }, spec: {} } } });
  assert.equal(j.spec.completions, undefined, 'completions stay unset when parallelism is sent');
  assert.deepEqual(j.metadata.labels, { app: 'x' });
  assert.equal(j.spec.podReplacementPolicy, 'TerminatingOrFailed');
  const pfp = defaulted('batch/jobs', { spec: { backoffLimitPerIndex: 1, podFailurePolicy: { rules: [{ action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget' }] }] } } });
  assert.equal(pfp.spec.backoffLimit, 2147483647);
  assert.equal(pfp.spec.podReplacementPolicy, 'Failed');
  assert.equal(pfp.spec.podFailurePolicy.rules[0].onPodConditions[0].status, 'True');
  const cj = defaulted('batch/cronjobs', { spec: { schedule: '* * * * *', suspend: true } });
  assert.equal(cj.spec.suspend, true);
  assert.deepEqual(cj.spec.jobTemplate.metadata, { creationTimestamp: null });
});

test('other groups and new statuses', () => {
  const rb = defaulted('rbac.authorization.k8s.io/rolebindings', { roleRef: { kind: 'Role', name: 'r' }, subjects: [{ kind: 'User', name: 'u' }, { kind: 'ServiceAccount', name: 's' }] });
  assert.equal(rb.roleRef.apiGroup, 'rbac.authorization.k8s.io');
  assert.deepEqual(rb.subjects, [{ kind: 'User', name: 'u', apiGroup: 'rbac.authorization.k8s.io' }, { kind: 'ServiceAccount', name: 's' }]);
  assert.equal(defaulted('scheduling.k8s.io/priorityclasses', { value: 1 }).preemptionPolicy, 'PreemptLowerPriority');
  assert.deepEqual(defaulted('discovery.k8s.io/endpointslices', { ports: [{ port: 80 }] }).ports, [{ port: 80, name: '', protocol: 'TCP' }]);
  assert.deepEqual(defaulted('/namespaces', { metadata: { name: 'ns' } }), { metadata: { name: 'ns', labels: { 'kubernetes.io/metadata.name': 'ns' } }, status: { phase: 'Active' } });
  const rc = defaulted('/replicationcontrollers', { metadata: {}, spec: { template: { metadata: { labels: { app: 'r' } }, spec: {} } } });
  assert.deepEqual([rc.metadata.labels, rc.spec.selector, rc.spec.replicas], [{ app: 'r' }, { app: 'r' }, 1]);
  assert.equal(BUILTIN_DEFAULTS['/configmaps'], undefined, 'no entry for a type without visible defaults');
  assert.deepEqual(newStatus('apps/deployments'), {});
  assert.deepEqual(newStatus('apps/daemonsets'), { currentNumberScheduled: 0, desiredNumberScheduled: 0, numberMisscheduled: 0, numberReady: 0 });
});

test('SetDefaults_ResourceList: quantities of every resource list rounded up to milli scale, format kept', () => {
  const pod = defaulted('/pods', {
    spec: {
      containers: [{ name: 'c', image: 'x:1', resources: { limits: { cpu: '1500u', memory: '1n' }, requests: { cpu: '0.0001', 'example.com/dev': '2' } } }],
      initContainers: [{ name: 'i', image: 'x:1', resources: { requests: { cpu: '1.0001Ki' } } }],
      overhead: { cpu: '250u' },
    },
    status: { containerStatuses: [{ name: 'c', allocatedResources: { cpu: '1u' }, resources: { requests: { cpu: '2u' } } }] },
  });
  assert.deepEqual(pod.spec.containers[0].resources, { limits: { cpu: '2m', memory: '1m' }, requests: { cpu: '1m', 'example.com/dev': '2', memory: '1m' } }, 'requests from limits, rounded too');
  assert.deepEqual(pod.spec.initContainers[0].resources.requests, { cpu: '1024103m' }, 'a binary quantity no longer whole goes decimal');
  assert.deepEqual(pod.spec.overhead, { cpu: '1m' });
  assert.deepEqual(pod.status.containerStatuses[0].allocatedResources, { cpu: '1m' });
  assert.deepEqual(pod.status.containerStatuses[0].resources.requests, { cpu: '1m' });
  const d = defaulted('apps/deployments', { spec: { template: { spec: { containers: [{ name: 'c', image: 'x:1', resources: { requests: { cpu: '-1u', memory: '1e-7' } } }] } } } });
  assert.deepEqual(d.spec.template.spec.containers[0].resources.requests, { cpu: '-1m', memory: '1e-3' }, 'away from zero; the exponent form stays');
  const nodeObj = defaulted('/nodes', { status: { capacity: { cpu: '1n', memory: '1Gi' } } });
  assert.deepEqual(nodeObj.status.allocatable, { cpu: '1m', memory: '1Gi' });
  assert.deepEqual(defaulted('/resourcequotas', { spec: { hard: { cpu: '1n' } } }).spec.hard, { cpu: '1m' });
  assert.deepEqual(defaulted('/persistentvolumeclaims', { spec: { resources: { requests: { storage: '1n' } } } }).spec.resources.requests, { storage: '1m' });
  assert.deepEqual(defaulted('/limitranges', { spec: { limits: [{ type: 'Pod', max: { cpu: '1n' } }] } }).spec.limits[0].max, { cpu: '1m' });
});
