// The Priority and DefaultTolerationSeconds admission plugins and the system PriorityClasses,
// in process and through kubectl 1.32 (upstream sources in priority.ts, tolerations.ts).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type KubeObject, StatusError } from '../../api/index.js';
import type { ResourceType } from '../resources/index.js';
import { startTestServer, type TestServer } from '../semantics-testkit.js';

type Spec = { containers: unknown[]; priorityClassName?: string; priority?: number; preemptionPolicy?: string; tolerations?: unknown[] };
type Pod = KubeObject & { spec: Spec };
const pod = (name: string, spec: Partial<Spec> = {}): Pod => ({ metadata: { name }, spec: { containers: [{ name: 'c', image: 'nginx' }], ...spec } });
const forbidden = (message: string) => (e: unknown) => {
  const st = (e as StatusError).status;
  assert.equal(st.code, 403);
  assert.equal(st.message, message);
  return true;
};

const NOT_READY = { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 };
const UNREACHABLE = { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 };

describe('pod admission: Priority, DefaultTolerationSeconds', () => {
  let s: TestServer;
  let pods: ResourceType;
  let pcs: ResourceType;
  before(async () => {
    s = await startTestServer();
    pods = s.type('', 'v1', 'pods');
    pcs = s.type('scheduling.k8s.io', 'v1', 'priorityclasses');
  });
  after(async () => {
    await s.close();
  });
  const create = async (p: Pod, ns = 'default') => (await s.server.ops.create(pods, ns, p)).object as Pod;

  it('the server starts with the system PriorityClasses, which cannot be deleted', async () => {
    const r = await s.kubectl(['get', 'priorityclasses', '-o', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const items = (JSON.parse(r.stdout) as { items: (KubeObject & { value: number; description: string; preemptionPolicy: string; globalDefault?: boolean })[] }).items;
    const byName = new Map(items.map((i) => [i.metadata.name, i]));
    assert.equal(byName.get('system-node-critical')?.value, 2000001000);
    assert.equal(byName.get('system-cluster-critical')?.value, 2000000000);
    assert.equal(byName.get('system-cluster-critical')?.description, 'Used for system critical pods that must run in the cluster, but can be moved to another node if necessary.');
    assert.equal(byName.get('system-node-critical')?.preemptionPolicy, 'PreemptLowerPriority');
    const d = await s.kubectl(['delete', 'priorityclass', 'system-node-critical']);
    assert.notEqual(d.code, 0);
    assert.match(d.stderr, /priorityclasses.scheduling.k8s.io "system-node-critical" is forbidden: this is a system priority class and cannot be deleted/);
  });

  it('a pod without priorityClassName gets priority 0 and PreemptLowerPriority, and both tolerations', async () => {
    const p = await create(pod('plain'));
    assert.equal(p.spec.priority, 0);
    assert.equal(p.spec.preemptionPolicy, 'PreemptLowerPriority');
    assert.equal(p.spec.priorityClassName, undefined);
    assert.deepEqual(p.spec.tolerations, [NOT_READY, UNREACHABLE]);
  });

  it('priorityClassName resolves to the class value and preemptionPolicy; an unknown class is 403', async () => {
    const p = await create(pod('crit', { priorityClassName: 'system-cluster-critical' }), 'kube-system');
    assert.equal(p.spec.priority, 2000000000);
    assert.equal(p.spec.preemptionPolicy, 'PreemptLowerPriority');
    await s.create(pcs, { metadata: { name: 'batch-low' }, value: 10, preemptionPolicy: 'Never' } as KubeObject);
    const b = await create(pod('low', { priorityClassName: 'batch-low' }));
    assert.equal(b.spec.priority, 10);
    assert.equal(b.spec.preemptionPolicy, 'Never');
    await assert.rejects(create(pod('nope', { priorityClassName: 'gold' })), forbidden('pods "nope" is forbidden: no PriorityClass with name gold was found'));
    const r = await s.kubectl(['run', 'nope', '--image=nginx', '--overrides={"spec":{"priorityClassName":"gold"}}']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /pods "nope" is forbidden: no PriorityClass with name gold was found/);
  });

  it('a priority or preemptionPolicy other than the computed one is refused; the same is accepted', async () => {
    await assert.rejects(create(pod('setprio', { priority: 5 })), forbidden('pods "setprio" is forbidden: the integer value of priority (5) must not be provided in pod spec; priority admission controller computed 0 from the given PriorityClass name'));
    await assert.rejects(create(pod('setpol', { priorityClassName: 'batch-low', preemptionPolicy: 'PreemptLowerPriority' })), forbidden('pods "setpol" is forbidden: the string value of PreemptionPolicy (PreemptLowerPriority) must not be provided in pod spec; priority admission controller computed Never from the given PriorityClass name'));
    assert.equal((await create(pod('same', { priority: 0 }))).spec.priority, 0);
  });

  it('the globalDefault class applies to pods naming none; a second default is refused', async () => {
    await s.create(pcs, { metadata: { name: 'everyone' }, value: 7, globalDefault: true } as KubeObject);
    await assert.rejects(s.create(pcs, { metadata: { name: 'other' }, value: 8, globalDefault: true } as KubeObject), forbidden('priorityclasses.scheduling.k8s.io "other" is forbidden: PriorityClass everyone is already marked as default. Only one default can exist'));
    const p = await create(pod('defaulted'));
    assert.equal(p.spec.priorityClassName, 'everyone');
    assert.equal(p.spec.priority, 7);
    assert.equal(p.spec.preemptionPolicy, 'PreemptLowerPriority');
    await s.server.ops.delete(pcs, undefined, 'everyone');
  });

  it('PriorityClass validation: the system- prefix, the 1e9 ceiling, immutable value and preemptionPolicy (422, upstream messages)', async () => {
    const invalid = (message: string) => (e: unknown) => {
      const st = (e as StatusError).status;
      assert.equal(st.code, 422);
      assert.equal(st.reason, 'Invalid');
      assert.equal(st.message, message);
      return true;
    };
    await assert.rejects(s.create(pcs, { metadata: { name: 'system-mine' }, value: 5 } as KubeObject), invalid(
      `PriorityClass.scheduling.k8s.io "system-mine" is invalid: metadata.name: Forbidden: priority class names with 'system-' prefix are reserved for system use only. error: system-mine is not a known system priority class`));
    await assert.rejects(s.create(pcs, { metadata: { name: 'too-high' }, value: 1_000_000_001 } as KubeObject), invalid(
      'PriorityClass.scheduling.k8s.io "too-high" is invalid: value: Forbidden: maximum allowed value of a user defined priority is 1000000000'));
    await assert.rejects(s.create(pcs, { metadata: { name: 'odd-policy' }, value: 1, preemptionPolicy: 'Sometimes' } as KubeObject), invalid(
      'PriorityClass.scheduling.k8s.io "odd-policy" is invalid: preemptionPolicy: Unsupported value: "Sometimes": supported values: "PreemptLowerPriority", "Never"'));
    // The ceiling itself is allowed; a system class is known only with its own value and globalDefault false.
    await s.create(pcs, { metadata: { name: 'ceiling' }, value: 1_000_000_000 } as KubeObject);
    const pc = s.get(pcs, undefined, 'ceiling') as KubeObject & { value: number };
    await assert.rejects(s.server.ops.update(pcs, undefined, 'ceiling', { ...pc, value: 3 }), invalid(
      'PriorityClass.scheduling.k8s.io "ceiling" is invalid: value: Forbidden: may not be changed in an update.'));
    await assert.rejects(s.server.ops.update(pcs, undefined, 'ceiling', { ...pc, preemptionPolicy: 'Never' }), invalid(
      'PriorityClass.scheduling.k8s.io "ceiling" is invalid: preemptionPolicy: Invalid value: "Never": field is immutable'));
    // Other fields may change.
    assert.equal(((await s.server.ops.update(pcs, undefined, 'ceiling', { ...pc, description: 'top' })).object as { description?: string }).description, 'top');
    await s.server.ops.delete(pcs, undefined, 'system-node-critical').catch(() => undefined); // refused (403): it stays
    const sys = s.get(pcs, undefined, 'system-node-critical') as KubeObject & { value: number };
    assert.equal(sys.value, 2_000_001_000);
    // kubectl shows the 422 as the API sent it.
    const r = await s.kubectl(['create', 'priorityclass', 'system-x', '--value=2000000000']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /failed to create priorityclass: PriorityClass.scheduling.k8s.io "system-x" is invalid: metadata.name: Forbidden: priority class names with 'system-' prefix are reserved for system use only. error: system-x is not a known system priority class/);
    await s.server.ops.delete(pcs, undefined, 'ceiling');
  });

  it('an update keeps the stored priority when the body drops it', async () => {
    const p = await create(pod('upd', { priorityClassName: 'batch-low' }));
    const body = structuredClone(p);
    delete body.spec.priority;
    delete body.spec.preemptionPolicy;
    body.metadata.labels = { x: 'y' };
    const u = (await s.server.ops.update(pods, 'default', 'upd', body)).object as Pod;
    assert.equal(u.spec.priority, 10);
    assert.equal(u.spec.preemptionPolicy, 'Never');
  });

  it('tolerations: the pod own ones are kept; an empty key or effect already tolerates', async () => {
    const own = { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 6000 };
    assert.deepEqual((await create(pod('own', { tolerations: [own] }))).spec.tolerations, [own, NOT_READY]);
    const all = { operator: 'Exists' };
    assert.deepEqual((await create(pod('all', { tolerations: [all] }))).spec.tolerations, [all]);
    const noSchedule = { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoSchedule' };
    assert.deepEqual((await create(pod('ns', { tolerations: [noSchedule] }))).spec.tolerations, [noSchedule, NOT_READY, UNREACHABLE]);
    const r = await s.kubectl(['run', 'kt', '--image=nginx', '-o', 'json']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual((JSON.parse(r.stdout) as Pod).spec.tolerations, [NOT_READY, UNREACHABLE]);
  });
});
