// Pod and Service validation as kube-apiserver v1.32 answers it (validation.go functions cited
// in pod.ts, podspec.ts, container.ts, volumes.ts, resources.ts, service.ts), through kubectl
// 1.32 and in process.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { StatusError } from '../../../api/index.js';
import type { ResourceType } from '../../resources/index.js';
import { startTestServer, type TestServer } from '../../semantics-testkit.js';
import { POD_UPDATE_FORBIDDEN } from './index.js';

/** The `* field: ...` lines of kubectl's answer to a 422 with several causes (one line for one). */
function causes(stderr: string): string[] {
  const lines = stderr.trim().split('\n');
  if (lines.length === 1) return [lines[0].replace(/^.* is invalid: /, '')];
  return lines.filter((l) => l.startsWith('* ')).map((l) => l.slice(2));
}

const invalid = (e: unknown) => {
  assert.ok(e instanceof StatusError, String(e));
  assert.equal(e.status.code, 422, e.status.message);
  return true;
};

describe('Pod and Service validation (upstream v1.32 rules and messages)', () => {
  let s: TestServer;
  let pods: ResourceType;
  before(async () => {
    s = await startTestServer({ rootCaPublisher: false });
    pods = s.server.registry.get('', 'v1', 'pods')!;
  });
  after(async () => {
    await s.close();
  });

  it('a pod spec: containers, names, ports, env, volumes and mounts, resources, policies', async () => {
    const r = await s.kubectl(['apply', '-f', '-'], `apiVersion: v1
kind: Pod
metadata: {name: bad}
spec:
  initContainers:
  - {name: web, image: busybox}
  containers:
  - name: Web_1
    image: nginx
    ports: [{containerPort: 70000, protocol: FOO}, {containerPort: 80, name: http}, {containerPort: 81, name: http}, {containerPort: 82, name: Not_A_Port}]
    env: [{name: "A=B", value: x}, {name: C, valueFrom: {}}, {name: "dots.and-dashes ok"}]
    volumeMounts: [{name: missing, mountPath: /x}, {name: v2, mountPath: /x}]
    resources: {requests: {cpu: "1", bogus: "1"}, limits: {cpu: 500m}}
    livenessProbe: {exec: {command: ["true"]}, tcpSocket: {port: 80}}
  - {name: web, image: ""}
  restartPolicy: Sometimes
  dnsPolicy: Nowhere
  activeDeadlineSeconds: 0
  nodeName: Not_A_Node
  volumes: [{name: v, emptyDir: {}, configMap: {name: x}}, {name: v2, emptyDir: {}}, {name: v2, secret: {secretName: s}}, {name: defaulted-to-empty-dir}]
`);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /The Pod "bad" is invalid:/);
    assert.deepEqual(causes(r.stderr), [
      'spec.volumes[0].configMap: Forbidden: may not specify more than 1 volume type',
      'spec.volumes[2].name: Duplicate value: "v2"',
      'spec.containers[0].name: Invalid value: "Web_1": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or \'-\', and must start and end with an alphanumeric character (e.g. \'my-name\',  or \'123-abc\', regex used for validation is \'[a-z0-9]([-a-z0-9]*[a-z0-9])?\')',
      'spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive',
      'spec.containers[0].ports[0].protocol: Unsupported value: "FOO": supported values: "SCTP", "TCP", "UDP"',
      'spec.containers[0].ports[2].name: Duplicate value: "http"',
      'spec.containers[0].ports[3].name: Invalid value: "Not_A_Port": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)',
      'spec.containers[0].env[0].name: Invalid value: "A=B": a valid environment variable name must consist only of printable ASCII characters other than \'=\'',
      'spec.containers[0].env[1].valueFrom: Invalid value: "": must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`',
      'spec.containers[0].volumeMounts[0].name: Not found: "missing"',
      'spec.containers[0].volumeMounts[1].mountPath: Invalid value: "/x": must be unique',
      'spec.containers[0].resources.requests[bogus]: Invalid value: "bogus": must be a standard resource for containers',
      'spec.containers[0].resources.requests: Invalid value: "1": must be less than or equal to cpu limit of 500m',
      'spec.containers[0].livenessProbe.tcpSocket: Forbidden: may not specify more than 1 handler type',
      'spec.containers[1].image: Required value',
      'spec.initContainers[0].name: Duplicate value: "web"',
      'spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"',
      'spec.dnsPolicy: Unsupported value: "Nowhere": supported values: "ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"',
      'spec.nodeName: Invalid value: "Not_A_Node": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, \'-\' or \'.\', and must start and end with an alphanumeric character (e.g. \'example.com\', regex used for validation is \'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\')',
      'spec.activeDeadlineSeconds: Invalid value: 0: must be between 1 and 2147483647, inclusive',
    ]);
    // a pod needs containers; the Status carries one cause per error
    await assert.rejects(s.create(pods, { metadata: { name: 'empty', namespace: 'default' }, spec: {} } as never), (e: unknown) => {
      invalid(e);
      assert.equal((e as StatusError).status.message, 'Pod "empty" is invalid: spec.containers: Required value');
      assert.deepEqual((e as StatusError).status.details?.causes, [{ reason: 'FieldValueRequired', message: 'Required value', field: 'spec.containers' }]);
      return true;
    });
  });

  it('kubectl run and a valid pod with every checked field pass', async () => {
    assert.equal((await s.kubectl(['run', 'ok', '--image=nginx', '--port=80', '--env=A_B=1', '--restart=Never'])).code, 0);
    const r = await s.kubectl(['apply', '-f', '-'], `apiVersion: v1
kind: Pod
metadata: {name: full}
spec:
  hostname: full
  volumes: [{name: cfg, configMap: {name: c}}, {name: data, emptyDir: {}}]
  initContainers: [{name: init, image: busybox, command: ["true"]}, {name: side, image: envoy, restartPolicy: Always, readinessProbe: {httpGet: {port: 9901}}}]
  containers:
  - name: app
    image: nginx
    ports: [{containerPort: 80, name: http}, {containerPort: 80, protocol: UDP}]
    env: [{name: POD, valueFrom: {fieldRef: {fieldPath: metadata.name}}}, {name: K, valueFrom: {configMapKeyRef: {name: c, key: k}}}]
    envFrom: [{configMapRef: {name: c}}]
    volumeMounts: [{name: cfg, mountPath: /etc/cfg}, {name: data, mountPath: /data}]
    resources: {requests: {cpu: 100m, memory: 64Mi}, limits: {cpu: 200m, memory: 128Mi}}
    livenessProbe: {httpGet: {path: /healthz, port: http}}
    lifecycle: {preStop: {exec: {command: [sleep, "1"]}}}
  tolerations: [{key: dedicated, operator: Equal, value: web, effect: NoSchedule}]
`);
    assert.equal(r.code, 0, r.stderr);
  });

  it('pod updates: images, activeDeadlineSeconds, tolerations and gates may change; nothing else', async () => {
    assert.equal((await s.kubectl(['apply', '-f', '-'], `apiVersion: v1
kind: Pod
metadata: {name: upd}
spec:
  schedulingGates: [{name: example.com/wait}]
  tolerations: [{key: a, operator: Exists, effect: NoExecute, tolerationSeconds: 60}]
  containers: [{name: web, image: nginx}]
`)).code, 0);
    assert.equal((await s.kubectl(['set', 'image', 'pod/upd', 'web=nginx:1.27'])).code, 0);
    // any other field: upstream's Forbidden message with the spec diff
    let r = await s.kubectl(['patch', 'pod', 'upd', '-p', '{"spec":{"containers":[{"name":"web","ports":[{"containerPort":80}]}]}}']);
    assert.equal(r.code, 1);
    assert.ok(r.stderr.includes(`The Pod "upd" is invalid: spec: Forbidden: ${POD_UPDATE_FORBIDDEN}\n  core.PodSpec{`), r.stderr);
    assert.match(r.stderr, /\+ \t+Ports: \[\{"containerPort":80,"protocol":"TCP"\}\],/);
    r = await s.kubectl(['patch', 'pod', 'upd', '--type=json', '-p', '[{"op":"add","path":"/spec/containers/-","value":{"name":"two","image":"nginx"}}]']);
    assert.match(r.stderr, /spec.containers: Forbidden: pod updates may not add or remove containers/);
    r = await s.kubectl(['patch', 'pod', 'upd', '-p', '{"spec":{"containers":[{"name":"web","image":""}]}}']);
    assert.match(r.stderr, /spec.containers\[0\].image: Required value/);
    // activeDeadlineSeconds: set, lowered, never raised
    assert.equal((await s.kubectl(['patch', 'pod', 'upd', '-p', '{"spec":{"activeDeadlineSeconds":100}}'])).code, 0);
    assert.equal((await s.kubectl(['patch', 'pod', 'upd', '-p', '{"spec":{"activeDeadlineSeconds":50}}'])).code, 0);
    r = await s.kubectl(['patch', 'pod', 'upd', '-p', '{"spec":{"activeDeadlineSeconds":500}}']);
    assert.match(r.stderr, /spec.activeDeadlineSeconds: Invalid value: 500: must be less than or equal to previous value/);
    // tolerations: additions and tolerationSeconds changes only
    assert.equal((await s.kubectl(['patch', 'pod', 'upd', '--type=json', '-p', '[{"op":"replace","path":"/spec/tolerations/0/tolerationSeconds","value":30},{"op":"add","path":"/spec/tolerations/-","value":{"key":"b","operator":"Exists"}}]'])).code, 0);
    r = await s.kubectl(['patch', 'pod', 'upd', '--type=json', '-p', '[{"op":"replace","path":"/spec/tolerations/0/key","value":"z"}]']);
    assert.match(r.stderr, /spec.tolerations: Forbidden: existing toleration can not be modified except its tolerationSeconds/);
    // scheduling gates: removal only; a gated pod may gain node selector terms
    r = await s.kubectl(['patch', 'pod', 'upd', '--type=json', '-p', '[{"op":"add","path":"/spec/schedulingGates/-","value":{"name":"more"}}]']);
    assert.match(r.stderr, /spec.schedulingGates\[1\].name: Forbidden: only deletion is allowed, but found new scheduling gate 'more'/);
    assert.equal((await s.kubectl(['patch', 'pod', 'upd', '-p', '{"spec":{"nodeSelector":{"zone":"a"}}}'])).code, 0);
    assert.equal((await s.kubectl(['patch', 'pod', 'upd', '--type=json', '-p', '[{"op":"remove","path":"/spec/schedulingGates"}]'])).code, 0);
    r = await s.kubectl(['patch', 'pod', 'upd', '-p', '{"spec":{"nodeSelector":{"zone":"b"}}}']);
    assert.match(r.stderr, /spec: Forbidden: pod updates may not change fields other than/);
    // metadata changes stay free
    assert.equal((await s.kubectl(['label', 'pod', 'upd', 'x=y'])).code, 0);
  });

  it('ephemeral containers and a node name with scheduling gates are refused on create', async () => {
    const r = await s.kubectl(['apply', '-f', '-'], `apiVersion: v1
kind: Pod
metadata: {name: eph}
spec:
  nodeName: node-1
  schedulingGates: [{name: g}]
  containers: [{name: web, image: nginx}]
  ephemeralContainers: [{name: debug, image: busybox}]
`);
    assert.deepEqual(causes(r.stderr), [
      'spec.ephemeralContainers: Forbidden: cannot be set on create',
      'spec.nodeName: Forbidden: cannot be set until all schedulingGates have been cleared',
    ]);
  });

  it('services: ports, names, protocols, type, node ports, selector, immutable cluster IP', async () => {
    let r = await s.kubectl(['apply', '-f', '-'], `apiVersion: v1
kind: Service
metadata: {name: s1}
spec:
  type: Special
  selector: {"bad key!": x}
  ports: [{port: 80}, {port: 0, name: b, protocol: XX, targetPort: Bad_Name}, {port: 80, name: b}]
`);
    assert.deepEqual(causes(r.stderr), [
      'spec.ports[0].name: Required value',
      'spec.ports[1].port: Invalid value: 0: must be between 1 and 65535, inclusive',
      'spec.ports[1].protocol: Unsupported value: "XX": supported values: "SCTP", "TCP", "UDP"',
      'spec.ports[1].targetPort: Invalid value: "Bad_Name": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)',
      'spec.ports[2].name: Duplicate value: "b"',
      'spec.selector: Invalid value: "bad key!": name part must consist of alphanumeric characters, \'-\', \'_\' or \'.\', and must start and end with an alphanumeric character (e.g. \'MyName\',  or \'my.name\',  or \'123-abc\', regex used for validation is \'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]\')',
      'spec.type: Unsupported value: "Special": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"',
      'spec.ports[2]: Duplicate value: core.ServicePort{Name:"", Protocol:"TCP", AppProtocol:(*string)(nil), Port:80, TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:""}, NodePort:0}',
    ]);
    r = await s.kubectl(['apply', '-f', '-'], 'apiVersion: v1\nkind: Service\nmetadata: {name: s2}\nspec: {selector: {app: x}}\n');
    assert.deepEqual(causes(r.stderr), ['spec.ports: Required value']);
    r = await s.kubectl(['apply', '-f', '-'], 'apiVersion: v1\nkind: Service\nmetadata: {name: s3}\nspec: {ports: [{port: 80, nodePort: 30080}]}\n');
    assert.deepEqual(causes(r.stderr), ["spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'"]);
    r = await s.kubectl(['apply', '-f', '-'], 'apiVersion: v1\nkind: Service\nmetadata: {name: s4}\nspec: {type: LoadBalancer, clusterIP: None, ports: [{port: 80}]}\n');
    assert.deepEqual(causes(r.stderr), ["spec.clusterIPs[0]: Invalid value: \"None\": may not be set to 'None' for LoadBalancer services"]);
    // headless and ExternalName services need no ports; the cluster IP never changes
    assert.equal((await s.kubectl(['apply', '-f', '-'], 'apiVersion: v1\nkind: Service\nmetadata: {name: headless}\nspec: {clusterIP: None, selector: {app: db}}\n')).code, 0);
    assert.equal((await s.kubectl(['create', 'service', 'externalname', 'ext', '--external-name=db.example.com'])).code, 0);
    assert.equal((await s.kubectl(['create', 'service', 'clusterip', 'web', '--tcp=80:8080', '--tcp=443:8443'])).code, 0);
    r = await s.kubectl(['patch', 'svc', 'web', '-p', '{"spec":{"clusterIP":"10.96.9.9"}}']);
    assert.deepEqual(causes(r.stderr), ['spec.clusterIPs[0]: Invalid value: []string{"10.96.9.9"}: may not change once set']);
  });
});
