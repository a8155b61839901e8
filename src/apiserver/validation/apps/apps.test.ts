// apps/v1 workload validation as kube-apiserver v1.32 answers it (pkg/apis/apps/validation,
// functions cited in workloads.ts), through kubectl 1.32.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestServer, type TestServer } from '../../semantics-testkit.js';

function causes(stderr: string): string[] {
  const lines = stderr.trim().split('\n');
  if (lines.length === 1) return [lines[0].replace(/^.* is invalid: /, '')];
  return lines.filter((l) => l.startsWith('* ')).map((l) => l.slice(2));
}

const workload = (kind: string, name: string, spec: string, podSpec = 'containers: [{name: web, image: nginx}]') => `apiVersion: apps/v1
kind: ${kind}
metadata: {name: ${name}}
spec:
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}}
    spec: {${podSpec}}
${spec}`;

describe('apps/v1 workload validation (upstream v1.32 rules and messages)', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer({ rootCaPublisher: false });
  });
  after(async () => {
    await s.close();
  });

  it('deployments: counts, progress deadline, rolling update, the pod template', async () => {
    let r = await s.kubectl(['apply', '-f', '-'], workload('Deployment', 'd1', `  replicas: -1
  minReadySeconds: 30
  progressDeadlineSeconds: 30
  revisionHistoryLimit: -2
  strategy: {type: RollingUpdate, rollingUpdate: {maxSurge: 0, maxUnavailable: 0}}
`, 'restartPolicy: Never, activeDeadlineSeconds: 5, containers: [{name: Bad_Name, image: nginx}]'));
    assert.equal(r.code, 1);
    assert.match(r.stderr, /The Deployment "d1" is invalid:/);
    assert.deepEqual(causes(r.stderr), [
      'spec.replicas: Invalid value: -1: must be greater than or equal to 0',
      'spec.template.spec.containers[0].name: Invalid value: "Bad_Name": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or \'-\', and must start and end with an alphanumeric character (e.g. \'my-name\',  or \'123-abc\', regex used for validation is \'[a-z0-9]([-a-z0-9]*[a-z0-9])?\')',
      'spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"',
      'spec.template.spec.activeDeadlineSeconds: Forbidden: activeDeadlineSeconds in ReplicaSet is not Supported',
      'spec.strategy.rollingUpdate.maxUnavailable: Invalid value: intstr.IntOrString{Type:0, IntVal:0, StrVal:""}: may not be 0 when `maxSurge` is 0',
      'spec.revisionHistoryLimit: Invalid value: -2: must be greater than or equal to 0',
      'spec.progressDeadlineSeconds: Invalid value: 30: must be greater than minReadySeconds',
    ]);
    r = await s.kubectl(['apply', '-f', '-'], workload('Deployment', 'd2', '  strategy: {rollingUpdate: {maxUnavailable: 150%, maxSurge: ten}}\n'));
    assert.deepEqual(causes(r.stderr), [
      'spec.strategy.rollingUpdate.maxSurge: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:"ten"}: a valid percent string must be a numeric string followed by an ending \'%\' (e.g. \'1%\',  or \'93%\', regex used for validation is \'[0-9]+%\')',
      'spec.strategy.rollingUpdate.maxUnavailable: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:"150%"}: must not be greater than 100%',
    ]);
    r = await s.kubectl(['apply', '-f', '-'], workload('Deployment', 'd3', '  strategy: {type: Blue}\n'));
    assert.deepEqual(causes(r.stderr), ['spec.strategy: Unsupported value: apps.DeploymentStrategy{Type:"Blue", RollingUpdate:(*apps.RollingUpdateDeployment)(nil)}: supported values: "Recreate", "RollingUpdate"']);
    // kubectl's own deployments pass, and so do updates of a valid one
    assert.equal((await s.kubectl(['create', 'deployment', 'web', '--image=nginx', '--replicas=2', '--port=80'])).code, 0);
    assert.equal((await s.kubectl(['scale', 'deployment', 'web', '--replicas=0'])).code, 0);
    r = await s.kubectl(['patch', 'deployment', 'web', '-p', '{"spec":{"template":{"spec":{"restartPolicy":"OnFailure"}}}}']);
    assert.deepEqual(causes(r.stderr), ['spec.template.spec.restartPolicy: Unsupported value: "OnFailure": supported values: "Always"']);
  });

  it('statefulsets: only replicas, ordinals, template, updateStrategy, retention policy and minReadySeconds change', async () => {
    assert.equal((await s.kubectl(['apply', '-f', '-'], workload('StatefulSet', 'db', '  serviceName: db\n'))).code, 0);
    assert.equal((await s.kubectl(['scale', 'statefulset', 'db', '--replicas=3'])).code, 0);
    assert.equal((await s.kubectl(['patch', 'statefulset', 'db', '-p', '{"spec":{"minReadySeconds":5,"template":{"spec":{"containers":[{"name":"web","image":"nginx:2"}]}}}}'])).code, 0);
    let r = await s.kubectl(['patch', 'statefulset', 'db', '-p', '{"spec":{"serviceName":"other"}}']);
    assert.deepEqual(causes(r.stderr), ["spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden"]);
    r = await s.kubectl(['patch', 'statefulset', 'db', '-p', '{"spec":{"revisionHistoryLimit":3}}']);
    assert.match(r.stderr, /spec: Forbidden: updates to statefulset spec/); // mutable only from v1.33
    r = await s.kubectl(['apply', '-f', '-'], workload('StatefulSet', 'db2', '  podManagementPolicy: Random\n  updateStrategy: {type: Sometimes}\n'));
    assert.deepEqual(causes(r.stderr), [
      "spec.podManagementPolicy: Invalid value: \"Random\": must be 'OrderedReady' or 'Parallel'",
      "spec.updateStrategy: Invalid value: apps.StatefulSetUpdateStrategy{Type:\"Sometimes\", RollingUpdate:(*apps.RollingUpdateStatefulSetStrategy)(nil)}: must be 'RollingUpdate' or 'OnDelete'",
    ]);
  });

  it('daemonsets and replicasets: update strategy, restart policy', async () => {
    let r = await s.kubectl(['apply', '-f', '-'], workload('DaemonSet', 'agent', '  updateStrategy: {type: RollingUpdate, rollingUpdate: {maxUnavailable: 1, maxSurge: 1}}\n'));
    assert.deepEqual(causes(r.stderr), ['spec.updateStrategy.rollingUpdate.maxSurge: Invalid value: intstr.IntOrString{Type:0, IntVal:1, StrVal:""}: may not be set when maxUnavailable is non-zero']);
    r = await s.kubectl(['apply', '-f', '-'], workload('DaemonSet', 'agent2', '  updateStrategy: {type: RollingUpdate, rollingUpdate: {maxUnavailable: 0, maxSurge: 0}}\n'));
    assert.deepEqual(causes(r.stderr), ['spec.updateStrategy.rollingUpdate.maxUnavailable: Required value: cannot be 0 when maxSurge is 0']);
    assert.equal((await s.kubectl(['apply', '-f', '-'], workload('DaemonSet', 'agent3', ''))).code, 0);
    r = await s.kubectl(['apply', '-f', '-'], workload('ReplicaSet', 'rs', '  replicas: 1\n  minReadySeconds: -1\n', 'restartPolicy: Never, containers: [{name: web, image: nginx}]'));
    assert.deepEqual(causes(r.stderr), [
      'spec.minReadySeconds: Invalid value: -1: must be greater than or equal to 0',
      'spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"',
    ]);
  });
});
