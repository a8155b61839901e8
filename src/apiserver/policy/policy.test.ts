import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type KubeObject, type Status, StatusError } from '../../api/index.js';
import type { ResourceType } from '../resources/index.js';
import { eventually, startTestServer, type TestServer } from '../semantics-testkit.js';
import { call, openWatch } from '../test-client.js';
import { updateWithRetry } from '../semantics-kit.js';


type Obj = KubeObject & Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('pods/eviction and pods/binding', () => {
  let s: TestServer;
  let pods: ResourceType;
  let pdbs: ResourceType;
  before(async () => {
    s = await startTestServer();
    pods = s.type('', 'v1', 'pods');
    pdbs = s.type('policy', 'v1', 'poddisruptionbudgets');
  });
  after(async () => {
    await s.close();
  });

  /** A Running pod, Ready unless told otherwise. */
  const runningPod = async (name: string, labels: Record<string, string>, ready = true): Promise<Obj> => {
    const p = (await s.server.ops.create(pods, 'default', { metadata: { name, labels }, spec: { containers: [{ name: 'c', image: 'nginx' }] } })).object as Obj;
    const st = { ...p, status: { phase: 'Running', conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] } };
    return (await s.server.ops.update(pods, 'default', name, st, { subresource: 'status' })).object as Obj;
  };
  const pdb = async (name: string, labels: Record<string, string>, status: Record<string, unknown>, spec: Record<string, unknown> = {}): Promise<Obj> => {
    const o = (await s.server.ops.create(pdbs, 'default', { metadata: { name }, spec: { minAvailable: 1, selector: { matchLabels: labels }, ...spec } } as KubeObject)).object as Obj;
    return (await s.server.ops.update(pdbs, 'default', name, { ...o, status: { observedGeneration: 1, expectedPods: 2, ...status } }, { subresource: 'status' })).object as Obj;
  };
  const evict = (name: string, deleteOptions?: Record<string, unknown>) =>
    s.server.ops.subresourceHandlers.get('/pods/eviction')!(s.server.ops, pods, 'default', name, { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name, namespace: 'default' }, ...(deleteOptions ? { deleteOptions } : {}) } as KubeObject, {});
  const evictionFile = (name: string) => s.file(`ev-${name}.json`, JSON.stringify({ apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name, namespace: 'default' } }));

  it('evicts a pod no budget covers (201 Success) after marking it DisruptionTarget', async () => {
    await runningPod('free', { app: 'free' });
    const seen: Obj[] = [];
    const off = s.server.onChange((c) => {
      if (c.storageKey === '/pods' && c.object.metadata.name === 'free') seen.push(c.object as Obj);
    });
    const r = await s.kubectl(['create', '--raw', '/api/v1/namespaces/default/pods/free/eviction', '-f', evictionFile('free')]);
    off();
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).status, 'Success');
    assert.equal(s.get(pods, 'default', 'free'), undefined);
    assert.ok(seen.some((p) => p.status?.conditions?.some((c: { type: string; reason: string }) => c.type === 'DisruptionTarget' && c.reason === 'EvictionByEvictionAPI')));
  });

  it('429 with a DisruptionBudget cause when the budget allows no disruption', async () => {
    await runningPod('web-1', { app: 'web' });
    await pdb('web-pdb', { app: 'web' }, { disruptionsAllowed: 0, currentHealthy: 1, desiredHealthy: 1 });
    await assert.rejects(evict('web-1'), (e: unknown) => {
      const st = (e as StatusError).status;
      assert.equal(st.code, 429);
      assert.equal(st.reason, 'TooManyRequests');
      assert.equal(st.message, "Cannot evict pod as it would violate the pod's disruption budget.");
      assert.deepEqual(st.details?.causes, [{ reason: 'DisruptionBudget', message: 'The disruption budget web-pdb needs 1 healthy pods and has 1 currently' }]);
      return true;
    });
    const r = await s.kubectl(['create', '--raw', '/api/v1/namespaces/default/pods/web-1/eviction', '-f', evictionFile('web-1')]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /Error from server \(TooManyRequests\): Cannot evict pod as it would violate the pod's disruption budget/);
    assert.ok(s.get(pods, 'default', 'web-1'));
  });

  it('spends the budget: decrements disruptionsAllowed, records the pod, deletes it', async () => {
    await runningPod('api-1', { app: 'api' });
    await runningPod('api-2', { app: 'api' });
    await pdb('api-pdb', { app: 'api' }, { disruptionsAllowed: 1, currentHealthy: 2, desiredHealthy: 1 });
    const out = (await evict('api-1')) as Status;
    assert.equal(out.status, 'Success');
    assert.equal(out.code, 201);
    assert.equal(s.get(pods, 'default', 'api-1'), undefined);
    const p = s.get(pdbs, 'default', 'api-pdb') as Obj;
    assert.equal(p.status.disruptionsAllowed, 0);
    assert.ok(p.status.disruptedPods['api-1']);
    assert.equal(p.status.conditions.find((c: { type: string }) => c.type === 'DisruptionAllowed').status, 'False');
    await assert.rejects(evict('api-2'), (e: unknown) => (e as StatusError).code === 429);
  });

  it('an empty selector covers every pod of the namespace, unlabelled ones too (v1.32 getPodDisruptionBudgets)', async () => {
    await runningPod('lab', { any: 'x' });
    const bare = (await s.server.ops.create(pods, 'default', { metadata: { name: 'bare' }, spec: { containers: [{ name: 'c', image: 'nginx' }] } })).object as Obj;
    await s.server.ops.update(pods, 'default', 'bare', { ...bare, status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] } }, { subresource: 'status' });
    const o = (await s.server.ops.create(pdbs, 'default', { metadata: { name: 'all-pdb' }, spec: { maxUnavailable: 0, selector: {} } } as KubeObject)).object as Obj;
    await s.server.ops.update(pdbs, 'default', 'all-pdb', { ...o, status: { observedGeneration: 1, disruptionsAllowed: 0, currentHealthy: 9, desiredHealthy: 9 } }, { subresource: 'status' });
    try {
      await assert.rejects(evict('lab'), (e: unknown) => (e as StatusError).code === 429);
      await assert.rejects(evict('bare'), (e: unknown) => (e as StatusError).code === 429);
      assert.ok(s.get(pods, 'default', 'bare'));
    } finally {
      await s.server.ops.delete(pdbs, 'default', 'all-pdb');
    }
  });

  it('dry run spends nothing and deletes nothing', async () => {
    await runningPod('dry-1', { app: 'dry' });
    await pdb('dry-pdb', { app: 'dry' }, { disruptionsAllowed: 1, currentHealthy: 2, desiredHealthy: 1 });
    await evict('dry-1', { dryRun: ['All'] });
    assert.ok(s.get(pods, 'default', 'dry-1'));
    assert.equal((s.get(pdbs, 'default', 'dry-pdb') as Obj).status.disruptionsAllowed, 1);
  });

  it('more than one matching budget is a 500 Status of the handler (no reason), the pod kept', async () => {
    await runningPod('multi', { app: 'multi', tier: 'x' });
    await pdb('multi-a', { app: 'multi' }, { disruptionsAllowed: 1 });
    await pdb('multi-b', { tier: 'x' }, { disruptionsAllowed: 1 });
    // EvictionREST returns the Status (rtStatus), it does not fail: the create handler answers its code
    assert.deepEqual(await evict('multi'), {
      kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure',
      message: 'This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.', code: 500,
    });
    const r = await call(s.server, 'POST', '/api/v1/namespaces/default/pods/multi/eviction', { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'multi' } });
    assert.equal(r.status, 500);
    assert.equal(r.json.reason, undefined);
    assert.ok(s.get(pods, 'default', 'multi'));
  });

  it('a budget not yet observed by the controller answers 429 "still being processed"', async () => {
    await runningPod('new-1', { app: 'new' });
    await s.server.ops.create(pdbs, 'default', { metadata: { name: 'new-pdb' }, spec: { minAvailable: 1, selector: { matchLabels: { app: 'new' } } } } as KubeObject);
    await assert.rejects(evict('new-1'), (e: unknown) => {
      const st = (e as StatusError).status;
      assert.equal(st.code, 429);
      assert.equal(st.details?.causes?.[0].message, 'The disruption budget new-pdb is still being processed by the server.');
      return true;
    });
  });

  it('unhealthy pods: evicted with a healthy budget (IfHealthyBudget) or AlwaysAllow, blocked otherwise; Pending pods freely', async () => {
    await runningPod('sick-1', { app: 'sick' }, false);
    await pdb('sick-pdb', { app: 'sick' }, { disruptionsAllowed: 0, currentHealthy: 2, desiredHealthy: 2 });
    await evict('sick-1');
    assert.equal(s.get(pods, 'default', 'sick-1'), undefined);
    assert.equal((s.get(pdbs, 'default', 'sick-pdb') as Obj).status.disruptionsAllowed, 0, 'budget not spent');

    await runningPod('weak-1', { app: 'weak' }, false);
    await pdb('weak-pdb', { app: 'weak' }, { disruptionsAllowed: 0, currentHealthy: 0, desiredHealthy: 1 });
    await assert.rejects(evict('weak-1'), (e: unknown) => (e as StatusError).code === 429);
    await pdb('always-pdb', { app: 'always' }, { disruptionsAllowed: 0, currentHealthy: 0, desiredHealthy: 1 }, { unhealthyPodEvictionPolicy: 'AlwaysAllow' });
    await runningPod('always-1', { app: 'always' }, false);
    await evict('always-1');
    assert.equal(s.get(pods, 'default', 'always-1'), undefined);

    await s.server.ops.create(pods, 'default', { metadata: { name: 'weak-pending', labels: { app: 'weak' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } });
    await evict('weak-pending');
    assert.equal(s.get(pods, 'default', 'weak-pending'), undefined);
  });

  it('kubectl drain is held by a budget and passes without one', async () => {
    const nodes = s.type('', 'v1', 'nodes');
    await s.create(nodes, { metadata: { name: 'node-a' } });
    const p = (await s.server.ops.create(pods, 'default', { metadata: { name: 'on-a', labels: { app: 'drain' } }, spec: { nodeName: 'node-a', containers: [{ name: 'c', image: 'nginx' }] } })).object as Obj;
    await s.server.ops.update(pods, 'default', 'on-a', { ...p, status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] } }, { subresource: 'status' });
    await pdb('drain-pdb', { app: 'drain' }, { disruptionsAllowed: 0, currentHealthy: 1, desiredHealthy: 1 });
    let r = await s.kubectl(['drain', 'node-a', '--force', '--timeout=2s']);
    assert.notEqual(r.code, 0);
    assert.match(r.stdout + r.stderr, /Cannot evict pod as it would violate the pod's disruption budget/);
    assert.ok(s.get(pods, 'default', 'on-a'));
    assert.equal((s.get(nodes, undefined, 'node-a') as Obj).spec.unschedulable, true);
    await s.server.ops.delete(pdbs, 'default', 'drain-pdb');
    r = await s.kubectl(['drain', 'node-a', '--force', '--timeout=10s']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /pod\/on-a evicted/);
    assert.equal(s.get(pods, 'default', 'on-a'), undefined);
  });

  it('binding sets nodeName once, copies annotations and adds PodScheduled=True, leaving managedFields alone', async () => {
    await s.server.ops.create(pods, 'default', { metadata: { name: 'bind-me' }, spec: { containers: [{ name: 'c', image: 'nginx' }] } }, { fieldManager: 'kubectl-create' });
    const managed = structuredClone(s.get(pods, 'default', 'bind-me')!.metadata.managedFields);
    assert.equal(managed?.length, 1);
    const bind = s.server.ops.subresourceHandlers.get('/pods/binding')!;
    const body = { apiVersion: 'v1', kind: 'Binding', metadata: { name: 'bind-me', annotations: { 'example.com/by': 'test' } }, target: { kind: 'Node', name: 'node-x' } } as KubeObject;
    const watch = openWatch(s.server, '/api/v1/namespaces/default/pods?watch=1&fieldSelector=metadata.name%3Dbind-me&resourceVersion=' + s.get(pods, 'default', 'bind-me')!.metadata.resourceVersion);
    const out = (await bind(s.server.ops, pods, 'default', 'bind-me', body, {})) as Status;
    assert.equal(out.code, 201);
    // a later write to the same pod: once its event is in, every event of the binding is too
    const latest = s.get(pods, 'default', 'bind-me') as Obj;
    await s.server.ops.update(pods, 'default', 'bind-me', { ...latest, metadata: { ...latest.metadata, labels: { marker: 'after-bind' } } });
    await eventually(() => watch.events.some((e) => e.object.metadata.labels?.marker === 'after-bind'), 'the marker write is watched');
    watch.stop();
    assert.equal(watch.events.length, 2, 'one update, as upstream: nodeName, annotations and PodScheduled in one MODIFIED event (then the marker)');
    assert.equal(watch.events[0].object.spec.nodeName, 'node-x');
    assert.equal(watch.events[0].object.status.conditions.find((x: { type: string }) => x.type === 'PodScheduled')?.status, 'True');
    const p = s.get(pods, 'default', 'bind-me') as Obj;
    assert.equal(p.spec.nodeName, 'node-x');
    assert.equal(p.metadata.annotations?.['example.com/by'], 'test');
    // upstream's BindingREST writes the storage directly: no managedFields entry for the binding
    assert.deepEqual(watch.events[0].object.metadata.managedFields, managed);
    const c = p.status.conditions.find((x: { type: string }) => x.type === 'PodScheduled');
    assert.equal(c.status, 'True');
    assert.ok(c.lastTransitionTime);
    await assert.rejects(bind(s.server.ops, pods, 'default', 'bind-me', { ...body, target: { name: 'node-y' } } as KubeObject, {}), (e: unknown) => {
      const st = (e as StatusError).status;
      assert.equal(st.code, 409);
      assert.match(st.message!, /pod bind-me is already assigned to node "node-x"/);
      return true;
    });
    // a pod that is not there: upstream's 404 (assignPod interprets the storage's not-found)
    await assert.rejects(bind(s.server.ops, pods, 'default', 'no-such-pod', { ...body, metadata: { name: 'no-such-pod' } } as KubeObject, {}), (e: unknown) => {
      const st = (e as StatusError).status;
      assert.equal(st.code, 404);
      assert.equal(st.message, 'pods "no-such-pod" not found');
      return true;
    });
    const f = s.file('binding.json', JSON.stringify({ apiVersion: 'v1', kind: 'Binding', metadata: { name: 'bind-me' }, target: { name: 'node-z' } }));
    const r = await s.kubectl(['create', '--raw', '/api/v1/namespaces/default/pods/bind-me/binding', '-f', f]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /Conflict|already assigned/);
  });

  it('binding: the Binding\'s resourceVersion and uid are preconditions on the pod (409 on pods, the storage\'s message), as BindingREST.assignPod', async () => {
    const p = (await s.server.ops.create(pods, 'default', { metadata: { name: 'pre' }, spec: { containers: [{ name: 'c', image: 'nginx' }] } })).object as Obj;
    const bind = s.server.ops.subresourceHandlers.get('/pods/binding')!;
    const binding = (meta: Record<string, unknown>) => ({ apiVersion: 'v1', kind: 'Binding', metadata: { name: 'pre', ...meta }, target: { kind: 'Node', name: 'node-p' } }) as KubeObject;
    const conflict = (message: string) => (e: unknown) => {
      const st = (e as StatusError).status;
      assert.equal(st.code, 409);
      assert.equal(st.reason, 'Conflict');
      assert.equal(st.message, message);
      assert.equal(st.details?.kind, 'pods');
      return true;
    };
    const key = 'Key: /registry/pods/default/pre, ResourceVersion: 0, AdditionalErrorMsg: Precondition failed:';
    await assert.rejects(bind(s.server.ops, pods, 'default', 'pre', binding({ resourceVersion: '1' }), {}), conflict(
      `Operation cannot be fulfilled on pods "pre": StorageError: invalid object, Code: 4, ${key} ResourceVersion in precondition: 1, ResourceVersion in object meta: ${p.metadata.resourceVersion}`));
    await assert.rejects(bind(s.server.ops, pods, 'default', 'pre', binding({ uid: 'other', resourceVersion: '1' }), {}), conflict(
      `Operation cannot be fulfilled on pods "pre": StorageError: invalid object, Code: 4, ${key} UID in precondition: other, UID in object meta: ${p.metadata.uid}`));
    assert.equal((s.get(pods, 'default', 'pre') as Obj).spec.nodeName, undefined);
    // over HTTP, as the scheduler sends it
    const stale = await call(s.server, 'POST', '/api/v1/namespaces/default/pods/pre/binding', binding({ resourceVersion: '1' }));
    assert.equal(stale.status, 409, stale.text);
    // the current resourceVersion and uid pass
    const out = (await bind(s.server.ops, pods, 'default', 'pre', binding({ uid: p.metadata.uid, resourceVersion: p.metadata.resourceVersion }), {})) as Status;
    assert.equal(out.code, 201);
    assert.equal((s.get(pods, 'default', 'pre') as Obj).spec.nodeName, 'node-p');
    // a Binding without a name is not the URL's (upstream's name != binding.Name)
    await assert.rejects(bind(s.server.ops, pods, 'default', 'pre', { apiVersion: 'v1', kind: 'Binding', metadata: {}, target: { name: 'n' } } as KubeObject, {}),
      (e: unknown) => (e as StatusError).status.code === 400 && (e as StatusError).status.message === 'name in URL does not match name in Binding object');
  });

  it('binding is admitted as a CREATE of pods/binding: refused in a terminating namespace, as upstream\'s NamespaceLifecycle', async () => {
    const nss = s.type('', 'v1', 'namespaces');
    await s.server.ops.create(nss, undefined, { metadata: { name: 'going' } });
    await s.server.ops.create(pods, 'going', { metadata: { name: 'late', finalizers: ['example.com/hold'] }, spec: { containers: [{ name: 'c', image: 'nginx' }] } });
    await s.server.ops.delete(nss, undefined, 'going');
    const bind = s.server.ops.subresourceHandlers.get('/pods/binding')!;
    await assert.rejects(bind(s.server.ops, pods, 'going', 'late', { apiVersion: 'v1', kind: 'Binding', metadata: { name: 'late' }, target: { kind: 'Node', name: 'node-x' } } as KubeObject, {}), (e: unknown) => {
      const st = (e as StatusError).status;
      assert.equal(st.code, 403);
      assert.match(st.message!, /unable to create new content in namespace going because it is being terminated/);
      return true;
    });
    assert.equal((s.get(pods, 'going', 'late') as Obj).spec.nodeName, undefined);
    // (the namespace controller may be marking the pod meanwhile: a retried write)
    await updateWithRetry(s.server.ops, pods, 'going', 'late', (o) => ((o.metadata.finalizers = []), true));
  });
});
