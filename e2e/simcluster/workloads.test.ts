// Scheduler, kubelet and workload controllers of the simulated cluster against the built-in API server.
// In external mode (a separate `kubeloop dev`) the scenarios that need nodes of their own
// (labels, taints, added GPU nodes) are skipped; the others run in a namespace of their own.
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { describeNeeds, EXTERNAL, inProcessOnly } from '../support/index.js';
import { deployment, eventsFor, eventually, isReady, NodeKind, PodKind, pods, startEnv, type Env, type Obj } from './harness.js';

const OWN_NODES = 'needs the suite\'s own nodes (labels, taints, cordons or added nodes on a shared cluster would disturb the other suites)';

describeNeeds('simulated cluster: scheduling and workloads', { simulatedNodes: true }, () => {
  let env: Env;
  before(async () => {
    env = await startEnv({ nodes: [{ name: 'node-a', labels: { disktype: 'ssd' } }, { name: 'node-b' }, { name: 'node-c' }] });
  });
  after(async () => { await env?.stop(); });

  it('runs a Deployment of 3 replicas as 3 Running pods on simulated nodes', async () => {
    const { client } = env;
    await client.create(deployment('web', 3, { namespace: env.ns }));
    const running = await eventually('3 running web pods', async () => {
      const ps = (await pods(client, 'app=web', env.ns)).filter((p) => p.status?.phase === 'Running' && isReady(p));
      return ps.length === 3 ? ps : undefined;
    });
    const nodes = new Map(((await client.list<Obj>(NodeKind)).items as Obj[]).map((n) => [n.metadata.name!, n]));
    const ips = new Set<string>();
    for (const p of running) {
      const node = nodes.get(p.spec.nodeName);
      assert.ok(node, `pod ${p.metadata.name} is on a known node`);
      assert.equal(p.status.hostIP, node!.status.addresses.find((a: any) => a.type === 'InternalIP').address);
      const prefix = node!.spec.podCIDR.split('.').slice(0, 3).join('.') + '.';
      assert.ok(p.status.podIP.startsWith(prefix), `${p.status.podIP} is in ${node!.spec.podCIDR}`);
      ips.add(p.status.podIP);
      const cs = p.status.containerStatuses[0];
      assert.equal(cs.ready, true);
      assert.equal(cs.started, true);
      assert.equal(cs.restartCount, 0);
      assert.ok(cs.state.running.startedAt);
      assert.match(cs.imageID, /@sha256:[0-9a-f]{64}$/);
      for (const t of ['PodScheduled', 'Initialized', 'ContainersReady', 'Ready']) {
        assert.equal(p.status.conditions.find((c: any) => c.type === t)?.status, 'True', t);
      }
      assert.equal(p.metadata.ownerReferences?.[0]?.kind, 'ReplicaSet');
      // events are recorded asynchronously, like client-go's broadcaster
      await eventually(`events of ${p.metadata.name}`, async () => {
        const reasons = (await eventsFor(client, p.metadata.name!, env.ns)).map((e) => e.reason);
        // on a shared cluster another suite may have pulled the image onto the node already: then
        // the kubelet reports Pulled ("already present on machine") without Pulling
        const missing = [...(EXTERNAL ? [] : ['Pulling']), 'Scheduled', 'Pulled', 'Created', 'Started'].filter((r) => !reasons.includes(r));
        if (missing.length) throw new Error(`no ${missing.join(', ')} event yet (got ${reasons.join(', ') || 'none'})`);
        return true;
      });
    }
    assert.equal(ips.size, 3, 'pod IPs are unique');
    // on its own cluster the scheduler's spreading puts one replica per node; a shared cluster's
    // nodes are as full as the other suites left them, so there only the pods' placement is checked
    if (!EXTERNAL) assert.equal(new Set(running.map((p) => p.spec.nodeName)).size, 3, 'replicas spread over the nodes');
    const d = await eventually('deployment status', async () => {
      const d = await client.get<Obj>({ apiVersion: 'apps/v1', kind: 'Deployment' }, 'web', { namespace: env.ns });
      return d.status?.availableReplicas === 3 && d.status?.updatedReplicas === 3 ? d : undefined;
    });
    assert.equal(d.metadata.annotations!['deployment.kubernetes.io/revision'], '1');
    // the controller sets the revision through the status subresource (as upstream's does), so
    // the Deployment stays at the generation of its one spec
    assert.equal(d.metadata.generation, 1);
    assert.equal(d.status.observedGeneration, 1);
    assert.equal(d.status.conditions.find((c: any) => c.type === 'Available').status, 'True');
    assert.equal(d.status.conditions.find((c: any) => c.type === 'Progressing').reason, 'NewReplicaSetAvailable');
    const rsList = (await client.list<Obj>({ apiVersion: 'apps/v1', kind: 'ReplicaSet' }, { namespace: env.ns, labelSelector: 'app=web' })).items as Obj[];
    assert.equal(rsList.length, 1);
    assert.equal(rsList[0].status.readyReplicas, 3);
    assert.equal(rsList[0].metadata.labels!['pod-template-hash'], rsList[0].metadata.name!.slice('web-'.length));
  });

  it('marks a pod asking for more cpu than any node has Unschedulable with the scheduler message', async () => {
    const { client } = env;
    await client.create({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'huge', namespace: env.ns },
      spec: { containers: [{ name: 'c', image: 'busybox', resources: { requests: { cpu: '64' } } }] } });
    const n = EXTERNAL ? ((await client.list<Obj>(NodeKind)).items as Obj[]).length : 3;
    const want = `0/${n} nodes are available: ${n} Insufficient cpu. preemption: 0/${n} nodes are available: ${n} No preemption victims found for incoming pod.`;
    const p = await eventually('PodScheduled=False', async () => {
      const p = await client.get<Obj>(PodKind, 'huge', { namespace: env.ns });
      return p.status?.conditions?.find((c: any) => c.type === 'PodScheduled' && c.status === 'False') ? p : undefined;
    });
    const cond = p.status.conditions.find((c: any) => c.type === 'PodScheduled');
    assert.equal(cond.reason, 'Unschedulable');
    assert.equal(cond.message, want);
    assert.equal(p.status.phase, 'Pending');
    assert.equal(p.spec.nodeName, undefined);
    const ev = await eventually('FailedScheduling event', async () => (await eventsFor(client, 'huge', env.ns)).find((e) => e.reason === 'FailedScheduling'));
    assert.equal(ev.type, 'Warning');
    assert.equal(ev.message, want);
  });

  it('leaves a pod with scheduling gates alone until they are removed', async () => {
    const { client } = env;
    await client.create({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'gated', namespace: env.ns },
      spec: { schedulingGates: [{ name: 'example.com/wait' }], containers: [{ name: 'c', image: 'busybox' }] } });
    // a pod created after it is scheduled; the gated one is still waiting, as the API server marked it
    await client.create({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'after-gated', namespace: env.ns }, spec: { containers: [{ name: 'c', image: 'busybox' }] } });
    await eventually('the later pod bound', async () => (await client.get<Obj>(PodKind, 'after-gated', { namespace: env.ns })).spec.nodeName);
    const waiting = await client.get<Obj>(PodKind, 'gated', { namespace: env.ns });
    assert.equal(waiting.spec.nodeName, undefined);
    assert.equal(waiting.status.conditions.find((c: any) => c.type === 'PodScheduled')?.reason, 'SchedulingGated');
    await client.patch(PodKind, 'gated', { spec: { schedulingGates: null } }, { namespace: env.ns, type: 'merge' });
    await eventually('bound once ungated', async () => (await client.get<Obj>(PodKind, 'gated', { namespace: env.ns })).spec.nodeName);
  });

  inProcessOnly('counts and sorts mixed reasons like kube-scheduler', OWN_NODES, async () => {
    const { client } = env;
    await client.create({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'picky', namespace: env.ns },
      spec: { nodeSelector: { disktype: 'ssd' }, containers: [{ name: 'c', image: 'busybox', resources: { requests: { memory: '100Gi' } } }] } });
    const p = await eventually('picky unschedulable', async () => {
      const p = await client.get<Obj>(PodKind, 'picky', { namespace: env.ns });
      return p.status?.conditions?.find((c: any) => c.type === 'PodScheduled' && c.status === 'False') ? p : undefined;
    });
    assert.equal(p.status.conditions.find((c: any) => c.type === 'PodScheduled').message,
      "0/3 nodes are available: 1 Insufficient memory, 2 node(s) didn't match Pod's node affinity/selector. " +
      'preemption: 0/3 nodes are available: 1 No preemption victims found for incoming pod, 2 Preemption is not helpful for scheduling.');
  });

  inProcessOnly('places a pod with a nodeSelector on the matching node', OWN_NODES, async () => {
    const { client } = env;
    for (const i of [1, 2, 3]) {
      await client.create({ apiVersion: 'v1', kind: 'Pod', metadata: { name: `ssd-${i}`, namespace: env.ns },
        spec: { nodeSelector: { disktype: 'ssd' }, containers: [{ name: 'c', image: 'busybox:1.36' }] } });
    }
    for (const i of [1, 2, 3]) {
      const p = await eventually(`ssd-${i} running`, async () => {
        const p = await client.get<Obj>(PodKind, `ssd-${i}`, { namespace: env.ns });
        return p.status?.phase === 'Running' ? p : undefined;
      });
      assert.equal(p.spec.nodeName, 'node-a');
    }
  });

  inProcessOnly('honours taints, tolerations and cordoned nodes', OWN_NODES, async () => {
    const { client } = env;
    await client.patch(NodeKind, 'node-b', { spec: { taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] } });
    await client.patch(NodeKind, 'node-c', { spec: { unschedulable: true } });
    await client.patch(NodeKind, 'node-a', { spec: { taints: [{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }] } });
    try {
      await client.create({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'untolerated', namespace: env.ns }, spec: { containers: [{ name: 'c', image: 'busybox' }] } });
      const p = await eventually('untolerated unschedulable', async () => {
        const p = await client.get<Obj>(PodKind, 'untolerated', { namespace: env.ns });
        return p.status?.conditions?.find((c: any) => c.type === 'PodScheduled' && c.status === 'False') ? p : undefined;
      });
      assert.equal(p.status.conditions.find((c: any) => c.type === 'PodScheduled').message,
        '0/3 nodes are available: 1 node(s) had untolerated taint {dedicated: db}, 1 node(s) had untolerated taint {dedicated: gpu}, 1 node(s) were unschedulable. ' +
        'preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.');
      await client.create({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'tolerant', namespace: env.ns },
        spec: { tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' }], containers: [{ name: 'c', image: 'busybox' }] } });
      const t = await eventually('tolerant scheduled', async () => {
        const p = await client.get<Obj>(PodKind, 'tolerant', { namespace: env.ns });
        return p.spec.nodeName ? p : undefined;
      });
      assert.equal(t.spec.nodeName, 'node-b');
    } finally {
      await client.patch(NodeKind, 'node-b', { spec: { taints: null } });
      await client.patch(NodeKind, 'node-c', { spec: { unschedulable: null } });
      await client.patch(NodeKind, 'node-a', { spec: { taints: null } });
    }
    // once the nodes are usable again the pending pod is retried and placed
    await eventually('untolerated pod placed after the nodes changed', async () => {
      const p = await client.get<Obj>(PodKind, 'untolerated', { namespace: env.ns });
      return !!p.spec.nodeName;
    });
  });

  inProcessOnly('spreads pods with required anti-affinity on kubernetes.io/hostname, one per node', 'the cluster\'s autoscaler adds a node for the pod left pending', async () => {
    const { client } = env;
    const term = { labelSelector: { matchLabels: { app: 'spread' } }, topologyKey: 'kubernetes.io/hostname' };
    for (const i of [1, 2, 3, 4]) {
      await client.create({ apiVersion: 'v1', kind: 'Pod', metadata: { name: `spread-${i}`, namespace: env.ns, labels: { app: 'spread' } },
        spec: { affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term] } }, containers: [{ name: 'c', image: 'busybox' }] } });
    }
    const placed = await eventually('3 spread pods placed, 1 pending', async () => {
      const ps = await pods(client, 'app=spread', env.ns);
      const bound = ps.filter((p) => p.spec.nodeName);
      const pending = ps.filter((p) => p.status?.conditions?.some((c: any) => c.type === 'PodScheduled' && c.status === 'False'));
      return bound.length === 3 && pending.length === 1 ? { bound, pending } : undefined;
    });
    assert.equal(new Set(placed.bound.map((p) => p.spec.nodeName)).size, 3);
    assert.match(placed.pending[0].status.conditions.find((c: any) => c.type === 'PodScheduled').message, /3 node\(s\) didn't match pod anti-affinity rules/);
  });

  it('replaces a deleted pod of a ReplicaSet and adopts matching orphans', async () => {
    const { client } = env;
    await client.create({ apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'rs1', namespace: env.ns },
      spec: { replicas: 2, selector: { matchLabels: { app: 'rs1' } }, template: { metadata: { labels: { app: 'rs1' } },
        spec: { terminationGracePeriodSeconds: 1, containers: [{ name: 'c', image: 'busybox' }] } } } });
    const first = await eventually('2 running', async () => {
      const ps = (await pods(client, 'app=rs1', env.ns)).filter((p) => p.status?.phase === 'Running');
      return ps.length === 2 ? ps : undefined;
    });
    const victim = first[0].metadata.name!;
    await client.delete(PodKind, victim, { namespace: env.ns });
    const after = await eventually('replacement running and victim gone', async () => {
      const ps = await pods(client, 'app=rs1', env.ns);
      const running = ps.filter((p) => p.status?.phase === 'Running' && !p.metadata.deletionTimestamp);
      return !ps.some((p) => p.metadata.name === victim) && running.length === 2 ? running : undefined;
    });
    assert.ok(after.every((p) => p.metadata.name !== victim));
    const rs = await eventually('rs status', async () => {
      const rs = await client.get<Obj>({ apiVersion: 'apps/v1', kind: 'ReplicaSet' }, 'rs1', { namespace: env.ns });
      return rs.status?.readyReplicas === 2 ? rs : undefined;
    });
    assert.equal(rs.status.replicas, 2);
    assert.equal(rs.status.fullyLabeledReplicas, 2);
    assert.equal(rs.status.availableReplicas, 2);
    assert.equal(rs.status.observedGeneration, rs.metadata.generation);
    // an orphan with matching labels is adopted, and the surplus is removed
    await client.create({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'orphan', namespace: env.ns, labels: { app: 'rs1' } },
      spec: { terminationGracePeriodSeconds: 0, containers: [{ name: 'c', image: 'busybox' }] } });
    await eventually('back to 2 pods, all owned by rs1', async () => {
      const ps = (await pods(client, 'app=rs1', env.ns)).filter((p) => !p.metadata.deletionTimestamp);
      return ps.length === 2 && ps.every((p) => p.metadata.ownerReferences?.[0]?.name === 'rs1');
    });
  });

  it('rolls a Deployment to a new template with a new ReplicaSet and revision', async () => {
    const { client } = env;
    await client.create(deployment('roll', 3, { namespace: env.ns }));
    await eventually('roll available', async () => {
      const d = await client.get<Obj>({ apiVersion: 'apps/v1', kind: 'Deployment' }, 'roll', { namespace: env.ns });
      return d.status?.availableReplicas === 3;
    });
    await client.patch({ apiVersion: 'apps/v1', kind: 'Deployment' }, 'roll',
      { spec: { template: { spec: { containers: [{ name: 'app', image: 'nginx:1.28', resources: { requests: { cpu: '100m' } } }] } } } },
      { namespace: env.ns, type: 'strategic' });
    const d = await eventually('rollout complete', async () => {
      const d = await client.get<Obj>({ apiVersion: 'apps/v1', kind: 'Deployment' }, 'roll', { namespace: env.ns });
      const ps = (await pods(client, 'app=roll', env.ns)).filter((p) => !p.metadata.deletionTimestamp);
      return d.status?.updatedReplicas === 3 && d.status?.availableReplicas === 3 && d.status?.replicas === 3
        && ps.length === 3 && ps.every((p) => p.spec.containers[0].image === 'nginx:1.28') ? d : undefined;
    }, 30_000);
    assert.equal(d.metadata.annotations!['deployment.kubernetes.io/revision'], '2');
    const rsList = (await client.list<Obj>({ apiVersion: 'apps/v1', kind: 'ReplicaSet' }, { namespace: env.ns, labelSelector: 'app=roll' })).items as Obj[];
    assert.equal(rsList.length, 2);
    const byRev = Object.fromEntries(rsList.map((rs) => [rs.metadata.annotations!['deployment.kubernetes.io/revision'], rs]));
    assert.equal(byRev['1'].spec.replicas, 0);
    assert.equal(byRev['2'].spec.replicas, 3);
  });

  inProcessOnly('schedules GPU pods only where nvidia.com/gpu is allocatable, and retries when such a node joins', OWN_NODES, async () => {
    const { client, sim } = env;
    await client.create({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'trainer', namespace: env.ns },
      spec: { containers: [{ name: 'c', image: 'busybox', resources: { limits: { 'nvidia.com/gpu': '1' } } }] } });
    const p = await eventually('trainer unschedulable', async () => {
      const p = await client.get<Obj>(PodKind, 'trainer', { namespace: env.ns });
      return p.status?.conditions?.find((c: any) => c.type === 'PodScheduled' && c.status === 'False') ? p : undefined;
    });
    assert.equal(p.status.conditions.find((c: any) => c.type === 'PodScheduled').message,
      '0/3 nodes are available: 3 Insufficient nvidia.com/gpu. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.');
    await sim.addNode({ name: 'gpu-1', gpus: 1, cpu: 8, memory: '30Gi' });
    const placed = await eventually('trainer placed on gpu-1', async () => {
      const p = await client.get<Obj>(PodKind, 'trainer', { namespace: env.ns });
      return p.status?.phase === 'Running' ? p : undefined;
    });
    assert.equal(placed.spec.nodeName, 'gpu-1');
    const n = await client.get<Obj>(NodeKind, 'gpu-1');
    assert.equal(n.status.capacity['nvidia.com/gpu'], '1');
    await client.delete(PodKind, 'trainer', { namespace: env.ns, gracePeriodSeconds: 0 });
    await sim.removeNode('gpu-1');
  });

  it('replaces all pods at once with the Recreate strategy', async () => {
    const { client } = env;
    const d = deployment('recreate', 2, { namespace: env.ns });
    d.spec.strategy = { type: 'Recreate' };
    await client.create(d);
    const first = await eventually('2 running', async () => {
      const ps = (await pods(client, 'app=recreate', env.ns)).filter((p) => p.status?.phase === 'Running');
      return ps.length === 2 ? ps.map((p) => p.metadata.name!) : undefined;
    });
    await client.patch({ apiVersion: 'apps/v1', kind: 'Deployment' }, 'recreate',
      { spec: { template: { metadata: { annotations: { rev: '2' } } } } }, { namespace: env.ns });
    await eventually('2 new pods running, none of the old', async () => {
      const ps = (await pods(client, 'app=recreate', env.ns)).filter((p) => !p.metadata.deletionTimestamp);
      return ps.length === 2 && ps.every((p) => p.status?.phase === 'Running' && !first.includes(p.metadata.name!) && p.metadata.annotations?.rev === '2');
    });
    const rsList = (await client.list<Obj>({ apiVersion: 'apps/v1', kind: 'ReplicaSet' }, { namespace: env.ns, labelSelector: 'app=recreate' })).items as Obj[];
    assert.deepEqual(rsList.map((rs) => rs.spec.replicas).sort(), [0, 2]);
  });

  it('runs a StatefulSet in order with stable names, scales down from the highest ordinal and rolls updates', async () => {
    const { client } = env;
    await client.create({ apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'db', namespace: env.ns },
      spec: { replicas: 3, serviceName: 'db', selector: { matchLabels: { app: 'db' } },
        template: { metadata: { labels: { app: 'db' } }, spec: { terminationGracePeriodSeconds: 0, containers: [{ name: 'c', image: 'postgres:16' }] } } } });
    const created: string[] = [];
    await eventually('db-0..2 running', async () => {
      const ps = await pods(client, 'app=db', env.ns);
      for (const p of [...ps].sort((a, b) => Date.parse(a.metadata.creationTimestamp!) - Date.parse(b.metadata.creationTimestamp!))) {
        if (!created.includes(p.metadata.name!)) created.push(p.metadata.name!);
      }
      return ps.filter((p) => p.status?.phase === 'Running' && isReady(p)).length === 3;
    });
    assert.deepEqual(created, ['db-0', 'db-1', 'db-2'], 'created in ordinal order');
    const db1 = await client.get<Obj>(PodKind, 'db-1', { namespace: env.ns });
    assert.equal(db1.metadata.labels!['statefulset.kubernetes.io/pod-name'], 'db-1');
    assert.equal(db1.metadata.labels!['apps.kubernetes.io/pod-index'], '1');
    assert.equal(db1.spec.hostname, 'db-1');
    await client.patch({ apiVersion: 'apps/v1', kind: 'StatefulSet' }, 'db', { spec: { replicas: 2 } }, { namespace: env.ns });
    await eventually('db-2 removed', async () => (await pods(client, 'app=db', env.ns)).map((p) => p.metadata.name).sort().join() === 'db-0,db-1');
    await client.patch({ apiVersion: 'apps/v1', kind: 'StatefulSet' }, 'db', { spec: { template: { metadata: { annotations: { v: '2' } } } } }, { namespace: env.ns });
    const sts = await eventually('rolled out', async () => {
      const s = await client.get<Obj>({ apiVersion: 'apps/v1', kind: 'StatefulSet' }, 'db', { namespace: env.ns });
      const ps = await pods(client, 'app=db', env.ns);
      return s.status?.updatedReplicas === 2 && s.status?.readyReplicas === 2 && ps.length === 2 && ps.every((p) => p.metadata.annotations?.v === '2' && isReady(p)) ? s : undefined;
    });
    assert.equal(sts.status.currentRevision, sts.status.updateRevision);
    assert.equal(sts.status.replicas, 2);
  });

  it('runs Jobs to completion, and fails them past the backoff limit', async () => {
    const { client } = env;
    const job = (name: string, extra: Record<string, unknown>, annotations: Record<string, string> = {}): Obj => ({
      apiVersion: 'batch/v1', kind: 'Job', metadata: { name, namespace: env.ns },
      spec: { ...extra, template: { metadata: { annotations: { 'sim.kubeloop.io/run-seconds': '0.2', ...annotations } },
        spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'perl:5.34' }] } } },
    });
    await client.create(job('pi', { completions: 3, parallelism: 2 }));
    const done = await eventually('pi complete', async () => {
      const j = await client.get<Obj>({ apiVersion: 'batch/v1', kind: 'Job' }, 'pi', { namespace: env.ns });
      return j.status?.conditions?.some((c: any) => c.type === 'Complete' && c.status === 'True') ? j : undefined;
    });
    assert.equal(done.status.succeeded, 3);
    assert.equal(done.status.active, 0);
    assert.ok(done.status.completionTime);
    const ps = await pods(client, 'batch.kubernetes.io/job-name=pi', env.ns);
    assert.equal(ps.length, 3);
    assert.ok(ps.every((p) => p.status.phase === 'Succeeded' && p.status.containerStatuses[0].state.terminated.exitCode === 0));
    await client.create(job('broken', { backoffLimit: 1 }, { 'sim.kubeloop.io/exit-code': '2' }));
    const failed = await eventually('broken failed', async () => {
      const j = await client.get<Obj>({ apiVersion: 'batch/v1', kind: 'Job' }, 'broken', { namespace: env.ns });
      return j.status?.conditions?.some((c: any) => c.type === 'Failed' && c.status === 'True') ? j : undefined;
    });
    assert.equal(failed.status.failed, 2);
    assert.equal(failed.status.conditions.find((c: any) => c.type === 'Failed').reason, 'BackoffLimitExceeded');
  });

  inProcessOnly('runs one DaemonSet pod per eligible node', OWN_NODES, async () => {
    const { client } = env;
    await client.create({ apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: 'agent', namespace: env.ns },
      spec: { selector: { matchLabels: { app: 'agent' } }, template: { metadata: { labels: { app: 'agent' } },
        spec: { nodeSelector: { 'kubernetes.io/os': 'linux' }, containers: [{ name: 'c', image: 'busybox' }] } } } });
    const ps = await eventually('3 agent pods running', async () => {
      const ps = (await pods(client, 'app=agent', env.ns)).filter((p) => p.status?.phase === 'Running');
      return ps.length === 3 ? ps : undefined;
    });
    assert.deepEqual(ps.map((p) => p.spec.nodeName).sort(), ['node-a', 'node-b', 'node-c']);
    const ds = await eventually('ds status', async () => {
      const ds = await client.get<Obj>({ apiVersion: 'apps/v1', kind: 'DaemonSet' }, 'agent', { namespace: env.ns });
      return ds.status?.numberReady === 3 ? ds : undefined;
    });
    assert.equal(ds.status.desiredNumberScheduled, 3);
    assert.equal(ds.status.currentNumberScheduled, 3);
    assert.equal(ds.status.numberAvailable, 3);
    assert.equal(ds.status.numberMisscheduled, 0);
    // a new node gets its daemon pod
    await env.sim.addNode({ name: 'node-d' });
    await eventually('agent pod on node-d', async () => (await pods(client, 'app=agent', env.ns)).some((p) => p.spec.nodeName === 'node-d' && p.status?.phase === 'Running'));
    await env.sim.removeNode('node-d');
  });
});
