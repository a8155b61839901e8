// A pod spec's affinity, topology spread constraints and security contexts as kube-apiserver
// v1.32 validates them (scheduling.ts), through kubectl 1.32.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestServer, type TestServer } from '../../semantics-testkit.js';

function causes(stderr: string): string[] {
  const lines = stderr.trim().split('\n');
  if (lines.length === 1) return [lines[0].replace(/^.* is invalid: /, '')];
  return lines.filter((l) => l.startsWith('* ')).map((l) => l.slice(2));
}

const pod = (name: string, spec: string) => `apiVersion: v1
kind: Pod
metadata: {name: ${name}}
spec:
  containers: [{name: c, image: busybox}]
${spec}`;

describe('pod scheduling terms and security contexts (upstream v1.32 rules and messages)', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer({ rootCaPublisher: false });
  });
  after(async () => {
    await s.close();
  });

  it('node affinity: terms required, operators and their values, field selectors, weights', async () => {
    const r = await s.kubectl(['apply', '-f', '-'], pod('na', `  affinity:
    nodeAffinity:
      requiredDuringSchedulingIgnoredDuringExecution:
        nodeSelectorTerms:
        - matchExpressions:
          - {key: zone, operator: In}
          - {key: gpu, operator: Exists, values: ["1"]}
          - {key: cores, operator: Gt, values: ["1", "2"]}
          - {key: "bad key", operator: Near, values: ["x"]}
          matchFields:
          - {key: metadata.uid, operator: In, values: [a]}
      preferredDuringSchedulingIgnoredDuringExecution:
      - weight: 0
        preference: {matchExpressions: [{key: zone, operator: In, values: ["not valid!"]}]}
`));
    assert.equal(r.code, 1);
    const at = 'spec.affinity.nodeAffinity';
    const req = `${at}.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0]`;
    assert.deepEqual(causes(r.stderr), [
      `${req}.matchExpressions[0].values: Required value: must be specified when \`operator\` is 'In' or 'NotIn'`,
      `${req}.matchExpressions[1].values: Forbidden: may not be specified when \`operator\` is 'Exists' or 'DoesNotExist'`,
      `${req}.matchExpressions[2].values: Required value: must be specified single value when \`operator\` is 'Lt' or 'Gt'`,
      `${req}.matchExpressions[3].operator: Invalid value: "Near": not a valid selector operator`,
      `${req}.matchExpressions[3].key: Invalid value: "bad key": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')`,
      `${req}.matchFields[0].key: Invalid value: "metadata.uid": not a valid field selector key`,
      `${at}.preferredDuringSchedulingIgnoredDuringExecution[0].weight: Invalid value: 0: must be in the range 1-100`,
      `${at}.preferredDuringSchedulingIgnoredDuringExecution[0].preference.matchExpressions[0].values[0]: Invalid value: "not valid!": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')`,
    ]);
    const empty = await s.kubectl(['apply', '-f', '-'], pod('na2', '  affinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: []}}}\n'));
    assert.deepEqual(causes(empty.stderr), ['spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms: Required value: must have at least one node selector term']);
  });

  it('pod (anti-)affinity terms need a topology key', async () => {
    const r = await s.kubectl(['apply', '-f', '-'], pod('pa', `  affinity:
    podAntiAffinity:
      requiredDuringSchedulingIgnoredDuringExecution:
      - {labelSelector: {matchLabels: {app: x}}, topologyKey: ""}
      preferredDuringSchedulingIgnoredDuringExecution:
      - {weight: 101, podAffinityTerm: {labelSelector: {matchLabels: {app: x}}, topologyKey: zone}}
`));
    const at = 'spec.affinity.podAntiAffinity';
    assert.deepEqual(causes(r.stderr), [
      `${at}.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey: Required value: can not be empty`,
      `${at}.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey: Invalid value: "": name part must be non-empty`,
      `${at}.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey: Invalid value: "": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')`,
      `${at}.preferredDuringSchedulingIgnoredDuringExecution[0].weight: Invalid value: 101: must be in the range 1-100`,
    ]);
  });

  it('topology spread constraints: maxSkew, key, action, unique pairs, minDomains', async () => {
    const r = await s.kubectl(['apply', '-f', '-'], pod('ts', `  topologySpreadConstraints:
  - {maxSkew: 0, topologyKey: zone, whenUnsatisfiable: DoNotSchedule, labelSelector: {matchLabels: {app: x}}}
  - {maxSkew: 1, topologyKey: zone, whenUnsatisfiable: DoNotSchedule}
  - {maxSkew: 1, topologyKey: "", whenUnsatisfiable: Maybe, minDomains: 2}
`));
    const at = 'spec.topologySpreadConstraints';
    assert.deepEqual(causes(r.stderr), [
      `${at}[0].maxSkew: Invalid value: 0: must be greater than zero`,
      `${at}[0].{topologyKey, whenUnsatisfiable}: Duplicate value: "{zone, DoNotSchedule}"`,
      `${at}[2].topologyKey: Required value: can not be empty`,
      `${at}[2].whenUnsatisfiable: Unsupported value: "Maybe": supported values: "DoNotSchedule", "ScheduleAnyway"`,
      `${at}[2].minDomains: Invalid value: 2: can only use minDomains if whenUnsatisfiable=DoNotSchedule, not Maybe`,
    ]);
  });

  it('security contexts: ids in range, no privilege escalation switch-off with privileges', async () => {
    const r = await s.kubectl(['apply', '-f', '-'], `apiVersion: v1
kind: Pod
metadata: {name: sc}
spec:
  hostPID: true
  shareProcessNamespace: true
  securityContext: {runAsUser: -1, fsGroup: 2147483648, supplementalGroups: [1, -2]}
  containers:
  - name: c
    image: busybox
    securityContext: {runAsGroup: -1, allowPrivilegeEscalation: false, privileged: true}
`);
    assert.deepEqual(causes(r.stderr), [
      'spec.containers[0].securityContext.runAsGroup: Invalid value: -1: must be between 0 and 2147483647, inclusive',
      'spec.containers[0].securityContext: Invalid value: core.SecurityContext{...}: cannot set `allowPrivilegeEscalation` to false and `privileged` to true',
      'spec.securityContext.fsGroup: Invalid value: 2147483648: must be between 0 and 2147483647, inclusive',
      'spec.securityContext.runAsUser: Invalid value: -1: must be between 0 and 2147483647, inclusive',
      'spec.securityContext.supplementalGroups[1]: Invalid value: -2: must be between 0 and 2147483647, inclusive',
      'spec.securityContext.shareProcessNamespace: Invalid value: true: ShareProcessNamespace and HostPID cannot both be enabled',
    ]);
    const ok = await s.kubectl(['apply', '-f', '-'], pod('fine', `  securityContext: {runAsUser: 1000, runAsNonRoot: true}
  affinity: {podAntiAffinity: {preferredDuringSchedulingIgnoredDuringExecution: [{weight: 100, podAffinityTerm: {labelSelector: {matchLabels: {app: x}}, topologyKey: kubernetes.io/hostname}}]}}
  topologySpreadConstraints: [{maxSkew: 1, topologyKey: topology.kubernetes.io/zone, whenUnsatisfiable: ScheduleAnyway, labelSelector: {matchLabels: {app: x}}}]
`));
    assert.equal(ok.code, 0, ok.stderr);
  });
});
