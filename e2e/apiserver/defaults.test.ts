// kubectl 1.32 against the built-in API server: objects come back with kube-apiserver's
// built-in defaults (src/apiserver/defaults/), on create, update, patch and dry run alike.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startHarness, type Harness } from './harness.js';

/** What kube-apiserver v1.32 stores for a template of one container `image` (PodSpec defaults). */
const templateSpec = (name: string, image: string, pullPolicy: string) => ({
  containers: [{ image, imagePullPolicy: pullPolicy, name, resources: {}, terminationMessagePath: '/dev/termination-log', terminationMessagePolicy: 'File' }],
  dnsPolicy: 'ClusterFirst',
  restartPolicy: 'Always',
  schedulerName: 'default-scheduler',
  securityContext: {},
  terminationGracePeriodSeconds: 30,
});

describe('built-in defaults through kubectl', () => {
  let h: Harness;
  const json = async (args: string[]) => {
    const r = await h.kubectl([...args, '-o', 'json']);
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout);
  };
  before(async () => {
    h = await startHarness();
  });
  after(async () => {
    await h.close();
  });

  it('kubectl create deployment: spec and status as kube-apiserver returns them', async () => {
    const d = await json(['create', 'deployment', 'web', '--image=nginx']);
    assert.deepEqual(d.spec, {
      progressDeadlineSeconds: 600,
      replicas: 1,
      revisionHistoryLimit: 10,
      selector: { matchLabels: { app: 'web' } },
      strategy: { rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' }, type: 'RollingUpdate' },
      template: { metadata: { creationTimestamp: null, labels: { app: 'web' } }, spec: templateSpec('nginx', 'nginx', 'Always') },
    });
    assert.deepEqual(d.status, {});
    assert.deepEqual((await json(['get', 'deploy', 'web'])).spec, d.spec);
  });

  it('kubectl run: a pod with PodSpec, Pod and Container defaults', async () => {
    const p = await json(['run', 'one', '--image=busybox:1.36', '--port=8080']);
    const c = p.spec.containers[0];
    assert.equal(c.imagePullPolicy, 'IfNotPresent');
    assert.equal(c.terminationMessagePath, '/dev/termination-log');
    assert.equal(c.terminationMessagePolicy, 'File');
    assert.deepEqual(c.resources, {});
    assert.deepEqual(c.ports, [{ containerPort: 8080, protocol: 'TCP' }]);
    for (const [k, v] of Object.entries({ dnsPolicy: 'ClusterFirst', restartPolicy: 'Always', schedulerName: 'default-scheduler', terminationGracePeriodSeconds: 30, enableServiceLinks: true })) {
      assert.equal(p.spec[k], v, k);
    }
    assert.deepEqual(p.spec.securityContext, {});
    assert.deepEqual(p.status, { phase: 'Pending', qosClass: 'BestEffort' });
    const g = await json(['run', 'two', '--image=busybox', '--overrides={"spec":{"containers":[{"name":"two","image":"busybox","resources":{"limits":{"cpu":"1","memory":"64Mi"}}}]}}']);
    assert.deepEqual(g.spec.containers[0].resources.requests, { cpu: '1', memory: '64Mi' }, 'requests default to limits');
    assert.equal(g.status.qosClass, 'Guaranteed');
  });

  it('kubectl run: the whole pod spec kube-apiserver v1.32 stores, admission plugins included', async () => {
    const p = await json(['run', 'whole', '--image=nginx:1.27']);
    const vol = p.spec.volumes?.[0]?.name as string;
    assert.match(vol, /^kube-api-access-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    assert.deepEqual(p.spec, {
      containers: [{
        image: 'nginx:1.27', imagePullPolicy: 'IfNotPresent', name: 'whole', resources: {},
        terminationMessagePath: '/dev/termination-log', terminationMessagePolicy: 'File',
        // ServiceAccount admission: the projected token volume's mount
        volumeMounts: [{ mountPath: '/var/run/secrets/kubernetes.io/serviceaccount', name: vol, readOnly: true }],
      }],
      dnsPolicy: 'ClusterFirst',
      enableServiceLinks: true,
      // Priority admission (no globalDefault class)
      preemptionPolicy: 'PreemptLowerPriority',
      priority: 0,
      restartPolicy: 'Always',
      schedulerName: 'default-scheduler',
      securityContext: {},
      serviceAccount: 'default',
      serviceAccountName: 'default',
      terminationGracePeriodSeconds: 30,
      // DefaultTolerationSeconds admission
      tolerations: [
        { effect: 'NoExecute', key: 'node.kubernetes.io/not-ready', operator: 'Exists', tolerationSeconds: 300 },
        { effect: 'NoExecute', key: 'node.kubernetes.io/unreachable', operator: 'Exists', tolerationSeconds: 300 },
      ],
      volumes: [{
        name: vol,
        projected: {
          defaultMode: 420,
          sources: [
            { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
            { configMap: { items: [{ key: 'ca.crt', path: 'ca.crt' }], name: 'kube-root-ca.crt' } },
            { downwardAPI: { items: [{ fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' }, path: 'namespace' }] } },
          ],
        },
      }],
    });
    const ca = await json(['get', 'configmap', 'kube-root-ca.crt']);
    assert.match(ca.data['ca.crt'], /^-----BEGIN CERTIFICATE-----/);
  });

  it('requests and limits are rounded up to milli scale (SetDefaults_ResourceList)', async () => {
    const p = await json(['run', 'tiny', '--image=busybox', '--overrides={"spec":{"containers":[{"name":"tiny","image":"busybox","resources":{"limits":{"cpu":"1500u","memory":"1.0001Ki"},"requests":{"cpu":"1n"}}}]}}']);
    assert.deepEqual(p.spec.containers[0].resources, { limits: { cpu: '2m', memory: '1024103m' }, requests: { cpu: '1m', memory: '1024103m' } });
    const d = await json(['create', 'deployment', 'tiny', '--image=busybox', '--dry-run=server']);
    assert.deepEqual(d.spec.template.spec.containers[0].resources, {});
    const r = await h.kubectl(['apply', '-o', 'json', '-f', '-'], 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: tinyd}\nspec:\n  selector: {matchLabels: {a: b}}\n  template:\n    metadata: {labels: {a: b}}\n    spec: {containers: [{name: c, image: busybox, resources: {requests: {cpu: 0.0001}}}]}\n');
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout).spec.template.spec.containers[0].resources, { requests: { cpu: '1m' } });
  });

  it('kubectl create service / job / cronjob', async () => {
    const s = await json(['create', 'service', 'clusterip', 'api', '--tcp=80:8080']);
    assert.equal(s.spec.type, 'ClusterIP');
    assert.equal(s.spec.sessionAffinity, 'None');
    assert.equal(s.spec.internalTrafficPolicy, 'Cluster');
    assert.deepEqual(s.spec.ports, [{ name: '80-8080', port: 80, protocol: 'TCP', targetPort: 8080 }]);
    assert.deepEqual(s.status, { loadBalancer: {} });

    const lb = await json(['create', 'service', 'loadbalancer', 'edge', '--tcp=443']);
    assert.equal(lb.spec.externalTrafficPolicy, 'Cluster');
    assert.equal(lb.spec.allocateLoadBalancerNodePorts, true);
    assert.equal(lb.spec.ports[0].targetPort, 443, 'targetPort defaults to port');

    const j = await json(['create', 'job', 'once', '--image=busybox']);
    for (const [k, v] of Object.entries({ backoffLimit: 6, completionMode: 'NonIndexed', completions: 1, parallelism: 1, podReplacementPolicy: 'TerminatingOrFailed', suspend: false })) {
      assert.equal(j.spec[k], v, k);
    }
    assert.deepEqual(j.spec.template.spec, { ...templateSpec('once', 'busybox', 'Always'), restartPolicy: 'Never' });
    assert.deepEqual(j.status, {});
    // the Job strategy's generated selector and template labels (and the Job's labels, copied from them)
    const uid = j.metadata.uid;
    const jobLabels = { 'batch.kubernetes.io/controller-uid': uid, 'batch.kubernetes.io/job-name': 'once', 'controller-uid': uid, 'job-name': 'once' };
    assert.deepEqual(j.spec.selector, { matchLabels: { 'batch.kubernetes.io/controller-uid': uid } });
    assert.deepEqual(j.spec.template.metadata, { creationTimestamp: null, labels: jobLabels });
    assert.deepEqual(j.metadata.labels, jobLabels);
    const manual = await h.kubectl(['apply', '-o', 'json', '-f', '-'], 'apiVersion: batch/v1\nkind: Job\nmetadata: {name: manual}\nspec:\n  manualSelector: true\n  selector: {matchLabels: {app: m}}\n  template:\n    metadata: {labels: {app: m}}\n    spec: {restartPolicy: Never, containers: [{name: c, image: busybox}]}\n');
    assert.equal(manual.code, 0, manual.stderr);
    const mj = JSON.parse(manual.stdout);
    assert.deepEqual(mj.spec.selector, { matchLabels: { app: 'm' } }, 'manualSelector: true keeps the selector as sent');
    assert.deepEqual(mj.spec.template.metadata.labels, { app: 'm' });

    const cj = await json(['create', 'cronjob', 'tick', '--image=busybox', '--schedule=*/5 * * * *']);
    for (const [k, v] of Object.entries({ concurrencyPolicy: 'Allow', suspend: false, successfulJobsHistoryLimit: 3, failedJobsHistoryLimit: 1 })) {
      assert.equal(cj.spec[k], v, k);
    }
    assert.deepEqual(cj.spec.jobTemplate.metadata, { creationTimestamp: null, name: 'tick' });
    assert.equal(cj.spec.jobTemplate.spec.template.spec.terminationGracePeriodSeconds, 30);
    assert.equal(cj.spec.jobTemplate.spec.backoffLimit, undefined, 'a job template gets no Job defaults');
  });

  it('keeps what the client sent', async () => {
    const f = h.file('sent.yaml', `apiVersion: apps/v1
kind: Deployment
metadata: {name: sent}
spec:
  replicas: 0
  revisionHistoryLimit: 2
  progressDeadlineSeconds: 60
  strategy: {type: Recreate}
  selector: {matchLabels: {app: sent}}
  template:
    metadata: {labels: {app: sent}}
    spec:
      restartPolicy: Always
      dnsPolicy: Default
      terminationGracePeriodSeconds: 0
      containers: [{name: c, image: "nginx:latest", imagePullPolicy: Never}]
`);
    const r = await h.kubectl(['apply', '-f', f]);
    assert.equal(r.code, 0, r.stderr);
    const d = await json(['get', 'deploy', 'sent']);
    assert.equal(d.spec.replicas, 0);
    assert.equal(d.spec.revisionHistoryLimit, 2);
    assert.equal(d.spec.progressDeadlineSeconds, 60);
    assert.deepEqual(d.spec.strategy, { type: 'Recreate' }, 'no rollingUpdate for Recreate');
    assert.equal(d.spec.template.spec.dnsPolicy, 'Default');
    assert.equal(d.spec.template.spec.terminationGracePeriodSeconds, 0);
    assert.equal(d.spec.template.spec.containers[0].imagePullPolicy, 'Never');
  });

  it('an update or patch that removes a defaulted field gets it back', async () => {
    await json(['create', 'deployment', 'back', '--image=nginx:1.27']);
    let r = await h.kubectl(['patch', 'deploy', 'back', '--type=json', '-p',
      '[{"op":"remove","path":"/spec/revisionHistoryLimit"},{"op":"remove","path":"/spec/strategy"},{"op":"remove","path":"/spec/template/spec/containers/0/imagePullPolicy"}]']);
    assert.equal(r.code, 0, r.stderr);
    let d = await json(['get', 'deploy', 'back']);
    assert.equal(d.spec.revisionHistoryLimit, 10);
    assert.deepEqual(d.spec.strategy, { rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' }, type: 'RollingUpdate' });
    assert.equal(d.spec.template.spec.containers[0].imagePullPolicy, 'IfNotPresent');
    assert.equal(d.metadata.generation, 1, 'the patch changed nothing once defaulted');

    delete d.spec.progressDeadlineSeconds;
    delete d.spec.template.spec.schedulerName;
    r = await h.kubectl(['replace', '-f', '-'], JSON.stringify(d));
    assert.equal(r.code, 0, r.stderr);
    d = await json(['get', 'deploy', 'back']);
    assert.equal(d.spec.progressDeadlineSeconds, 600);
    assert.equal(d.spec.template.spec.schedulerName, 'default-scheduler');
  });

  it('dry run answers with the defaults too', async () => {
    const d = await json(['create', 'deployment', 'dry', '--image=nginx', '--dry-run=server']);
    assert.equal(d.spec.progressDeadlineSeconds, 600);
    assert.equal(d.spec.template.spec.containers[0].terminationMessagePolicy, 'File');
    const r = await h.kubectl(['get', 'deploy', 'dry']);
    assert.notEqual(r.code, 0, 'nothing stored');
  });
});
