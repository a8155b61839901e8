// The route controller at scale: N nodes (created before the controller starts) against the
// built-in API server and the cloud emulator; reports the time until every route exists and
// every node says RouteCreated, and the cloud calls it took (emulator /_sim/calls).
// Usage: npm run bench -- routes [--nodes 500] [--batch 50] [--settle-ms 0]
import pino from 'pino';
import { startApiServer } from '../src/apiserver/index.js';
import { KubeClient, loadKubeConfig } from '../src/client/index.js';
import { startCloudSim } from '@kubeloop/ack/cloudsim';
import { createAlibabaCloud } from '@kubeloop/ack/cloud';
import { Manager, type Logger } from '../src/controller/index.js';
import { createRegistry } from '../src/observability/index.js';
import { plugin } from '@kubeloop/ack/route';

function arg(args: string[], name: string, def: number): number {
  const i = args.indexOf(`--${name}`);
  const v = i >= 0 ? Number(args[i + 1]) : def;
  if (!Number.isFinite(v) || v < 0) throw new Error(`invalid --${name}`);
  return v;
}

function emit(metric: string, value: number, unit: string): void {
  process.stdout.write(JSON.stringify({ bench: 'routes', metric, value: Math.round(value * 100) / 100, unit }) + '\n');
}

export async function main(args: string[]): Promise<void> {
  const n = arg(args, 'nodes', 500);
  const batch = arg(args, 'batch', 50);
  const settle = arg(args, 'settle-ms', 0);
  if (n > 16384) throw new Error('--nodes: at most 16384 (/26 pod ranges in 172.16.0.0/12)');
  const silent = pino({ level: 'silent' }) as unknown as Logger;
  const server = await startApiServer({ port: 0 });
  // a route table holds 200 custom entries by default; the bench assumes a raised quota
  const sim = await startCloudSim({ port: 0, timings: { routeSettleMs: settle }, routeEntryQuota: n });
  const client = new KubeClient(loadKubeConfig({ kubeconfig: server.kubeconfig }));
  const manager = new Manager({ kubeconfig: server.kubeconfig, logger: silent, registry: createRegistry(), metricsBindAddress: false, healthProbeBindAddress: false, handleSignals: false });
  try {
    const pending: Promise<unknown>[] = [];
    for (let i = 0; i < n; i++) {
      const third = 16 + (i >> 10);
      pending.push(client.create({
        apiVersion: 'v1', kind: 'Node', metadata: { name: `bench-${i}` },
        spec: { podCIDR: `172.${third}.${(i >> 2) & 255}.${(i & 3) * 64}/26`, providerID: `${sim.regionId}.i-bench-${i}` },
      }));
      if (pending.length >= 32) await Promise.all(pending.splice(0));
    }
    await Promise.all(pending);
    await fetch(`${sim.url}/_sim/calls`, { method: 'DELETE' });
    const cloud = createAlibabaCloud({ regionId: sim.regionId, emulator: sim.url, credentials: { accessKeyId: sim.accessKeyId, accessKeySecret: sim.accessKeySecret } });
    const t0 = performance.now();
    await plugin.setup(manager, {
      flags: {
        clusterCidr: '172.16.0.0/12', routeTableIds: sim.state.routeTables[0].routeTableId, routeReconcileBatchSize: String(batch),
        routeReconciliationPeriod: '5m', nodeEventAggregationWaitSeconds: '1', clusterName: 'bench',
      },
      cloud, logger: silent,
    });
    await manager.start();
    for (;;) {
      const routed = sim.state.routeTables[0].entries.filter((e) => e.type === 'Custom' && e.status === 'Available').length;
      if (routed >= n) {
        const nodes = (await client.list({ apiVersion: 'v1', kind: 'Node' })).items as Array<{ status?: { conditions?: Array<{ type: string; reason?: string }> } }>;
        if (nodes.every((x) => x.status?.conditions?.some((c) => c.type === 'NetworkUnavailable' && c.reason === 'RouteCreated'))) break;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    const ms = performance.now() - t0;
    const calls = ((await (await fetch(`${sim.url}/_sim/calls`)).json()) as { calls: Record<string, number> }).calls;
    emit('nodes', n, 'nodes');
    emit('converge_ms', ms, 'ms');
    emit('routes_per_sec', n / (ms / 1000), 'routes/s');
    emit('create_calls', calls.CreateRouteEntry ?? 0, 'calls');
    emit('describe_calls', calls.DescribeRouteEntryList ?? 0, 'calls');
    emit('vpc_calls', calls['vpc:*'] ?? 0, 'calls');
  } finally {
    await manager.stop();
    client.close();
    await sim.stop();
    await server.stop();
  }
}
