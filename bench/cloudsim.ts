// Throughput and latency of cloud calls through the official SDK clients against the
// emulator: signed RPC reads (DescribeRouteEntryList), serialized route writes,
// paged ESS listings, SLS reads, and the registry token flow.
// Usage: npm run bench -- cloudsim [--seconds 3] [--concurrency 8]
import { startCloudSim } from '@kubeloop/ack/cloudsim';
import { createAlibabaCloud, pullManifest } from '@kubeloop/ack/cloud';

function arg(args: string[], name: string, def: number): number {
  const i = args.indexOf(`--${name}`);
  const v = i >= 0 ? Number(args[i + 1]) : def;
  if (!Number.isFinite(v) || v <= 0) throw new Error(`invalid --${name}`);
  return v;
}

function emit(metric: string, value: number, unit: string): void {
  process.stdout.write(JSON.stringify({ bench: 'cloudsim', metric, value: Math.round(value * 100) / 100, unit }) + '\n');
}

async function measure(name: string, seconds: number, concurrency: number, op: (i: number) => Promise<unknown>): Promise<void> {
  const lat: number[] = [];
  const until = Date.now() + seconds * 1000;
  let n = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (Date.now() < until) {
      const i = n++;
      const t = process.hrtime.bigint();
      await op(i);
      lat.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
  }));
  lat.sort((a, b) => a - b);
  emit(`${name}_ops_per_sec`, lat.length / seconds, 'ops/s');
  emit(`${name}_p50_ms`, lat[Math.floor(lat.length * 0.5)] ?? 0, 'ms');
  emit(`${name}_p99_ms`, lat[Math.floor(lat.length * 0.99)] ?? 0, 'ms');
}

export async function main(args: string[]): Promise<void> {
  const seconds = arg(args, 'seconds', 3);
  const concurrency = arg(args, 'concurrency', 8);
  const sim = await startCloudSim({ timings: { routeSettleMs: 0, bootDelayMs: 0 }, cloud: { groupMaxSize: 500 } });
  try {
    const cloud = createAlibabaCloud({ regionId: sim.regionId, emulator: sim.url, credentials: { accessKeyId: sim.accessKeyId, accessKeySecret: sim.accessKeySecret } });
    const [table] = await cloud.vpc.listRouteTables();
    await measure('rpc_describe_route_entries', seconds, concurrency, () => cloud.vpc.listRouteEntries(table.routeTableId));
    await measure('rpc_create_route_serialized', seconds, concurrency, (i) => cloud.vpc.createRouteEntry({
      routeTableId: table.routeTableId, destinationCidrBlock: `10.${(i >> 8) & 255}.${i & 255}.0/24`, nextHopId: `i-${i}`,
    }));
    const [group] = await cloud.scaling.listScalingGroups();
    await cloud.scaling.setDesiredCapacity(group.scalingGroupId, 400);
    await measure('ess_list_400_instances', seconds, Math.min(concurrency, 4), () => cloud.scaling.listScalingInstances(group.scalingGroupId));
    await measure('sls_get_project', seconds, concurrency, () => cloud.sls.getProject('k8s-log-kubeloop'));
    const [reg] = await cloud.registry.listInstances();
    const domain = (await cloud.registry.registryDomains(reg.instanceId))[0];
    const tok = await cloud.registry.getAuthorizationToken(reg.instanceId);
    const auths = { [domain]: { username: tok.tempUsername, password: tok.authorizationToken } };
    await measure('registry_pull_manifest', seconds, concurrency, () => pullManifest(`${domain}/kubeloop/app:latest`, auths));
  } finally {
    await sim.stop();
  }
}
