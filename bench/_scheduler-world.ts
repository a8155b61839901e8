// The scheduler bench's world, shared by its one-process rounds (scheduler.ts) and its server
// child (_scheduler-child.ts): `nodeCount` Ready nodes and `podCount` pending pods written through
// a client, and the bounded-concurrency loop both use. Type-only imports: the child loads the
// framework from the built files it chooses.
import type { KubeClient } from '../src/client/index.js';

/** Runs `fn(0..n-1)` with at most `parallel` calls in flight. */
export async function inBatches(n: number, parallel: number, fn: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: parallel }, async () => { while (next < n) await fn(next++); }));
}

/** Waits for the server's default ServiceAccount, then writes the nodes and the pending pods. */
export async function seedWorld(client: KubeClient, podCount: number, nodeCount: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    try { await client.get({ apiVersion: 'v1', kind: 'ServiceAccount' }, 'default', { namespace: 'default' }); break; } catch { await new Promise((r) => setTimeout(r, 50)); }
  }
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  await inBatches(nodeCount, 32, async (i) => {
    const name = `bench-node-${i}`;
    await client.create({ apiVersion: 'v1', kind: 'Node', metadata: { name, labels: { 'kubernetes.io/hostname': name, 'topology.kubernetes.io/zone': `zone-${i % 3}` } } });
    const cap = { cpu: '32', memory: '128Gi', pods: '110' };
    await client.patch({ apiVersion: 'v1', kind: 'Node' }, name, {
      status: { capacity: cap, allocatable: cap, conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', lastHeartbeatTime: now, lastTransitionTime: now }] },
    }, { subresource: 'status' });
  });
  await inBatches(podCount, 64, (i) => client.create({
    apiVersion: 'v1', kind: 'Pod', metadata: { name: `bench-pod-${i}`, namespace: 'default', labels: { app: `app-${i % 20}` } },
    spec: { containers: [{ name: 'c', image: 'busybox', resources: { requests: { cpu: '100m', memory: '128Mi' } } }] },
  }));
}
