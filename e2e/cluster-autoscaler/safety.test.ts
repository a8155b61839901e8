// Randomized, seeded safety of the cluster autoscaler controller itself (issue #16, item 4):
// the real controller against the built-in API server and the cloud emulator (safety-world.ts),
// through scenarios where nodes join and leave, instances boot slowly or never register, ESS
// calls fail, the autoscaler restarts or crashes (also mid-drain) and pods come and go. In every
// scenario an instance hosting non-DaemonSet pods is never removed before those pods were
// evicted (through the eviction API, which honours PDBs), ESS never picks an instance by its
// removal policy, and group min/max and --max-nodes-total are never crossed.
//
// CA_SAFETY_SEED=<n> replays one scenario (its seed is printed on failure, with the last steps);
// CA_SAFETY_SCENARIOS=<n> runs more (`npm run test:ca-safety` runs 2000); CA_SAFETY_STEPS=<n>
// makes each longer (default 20 scan intervals of 10 s); CA_SAFETY_LANES=<n> scenarios run side by side (4);
// CA_SAFETY_SKIP=<n> starts past the first n seeds (to split or resume a long run).
import { after, before, describe, it } from 'node:test';
import { startApiServer } from '../../src/apiserver/index.js';
import { seededRandom } from '../../src/testing/index.js';
import { installAckSystemDaemonSets } from '@kubeloop/ack/ack-system';
import { KubeClient, loadKubeConfig } from '../../src/client/index.js';
import { World, type Provisioning, type Shared, type WorldGroup } from './safety-world.js';

const FIRST_SEED = 20_261_207;
const envInt = (name: string, dflt: number) => {
  const v = process.env[name];
  if (v === undefined || v === '') return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name}: "${v}" is not a non-negative integer`);
  return n;
};

function scenario(shared: Shared, seed: number): World {
  const r = seededRandom(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)];
  const groups: WorldGroup[] = [];
  for (let i = 0; i < int(1, 3); i++) {
    const min = pick([0, 0, 0, 1, 2]);
    const max = min + int(1, 5);
    const provisioning = pick<Provisioning>(['fast', 'fast', 'fast', 'slow', 'slow', 'flaky', 'flaky', 'broken', 'stuck']);
    groups.push({
      name: `pool${i}`, instanceType: pick(['ecs.g7.large', 'ecs.g7.xlarge', 'ecs.c7.xlarge']), min, max, desired: int(min, Math.min(max, min + 2)),
      zone: pick(['cn-hangzhou-k', 'cn-hangzhou-j']), provisioning,
      bootstrapFails: provisioning === 'broken', bootDelayMs: provisioning === 'stuck' ? -1 : 0,
    });
  }
  const initial = groups.reduce((n, g) => n + g.desired!, 0);
  const flags = {
    nodes: groups.map((g, i) => `${g.min}:${g.max}:asg-test${i}${g.name}`),
    scanInterval: '10s', expander: pick(['least-waste', 'most-pods', 'random']), maxNodesTotal: String(r() < 0.5 ? 0 : initial + int(0, 4)),
    maxNodeProvisionTime: pick(['30s', '1m', '2m']), initialNodeGroupBackoffDuration: '30s', maxNodeGroupBackoffDuration: '2m',
    scaleDownUtilizationThreshold: String(pick([0.5, 0.7, 0.9])), scaleDownUnneededTime: pick(['0s', '10s', '30s']),
    scaleDownDelayAfterAdd: pick(['0s', '20s']), scaleDownDelayAfterFailure: '10s', maxEmptyBulkDelete: String(int(1, 10)),
    maxGracefulTerminationSec: '30', maxPodEvictionTime: pick(['20s', '1m']), balanceSimilarNodeGroups: r() < 0.5,
  };
  return new World(shared, r, groups, flags, pick(['ack', 'alicloud'] as const));
}

async function run(shared: Shared, seed: number, steps: number): Promise<void> {
  const w = scenario(shared, seed);
  try {
    await w.start();
    for (let i = 0; i < steps && w.violations.length === 0; i++) await w.step();
  } catch (err) {
    w.violations.push(`the scenario failed: ${(err as Error).stack ?? err}`);
  } finally {
    await w.stop().catch((err) => { w.violations.push(`cleanup failed: ${(err as Error).message}`); });
  }
  if (w.violations.length) {
    throw new Error([
      `autoscaler safety violated in scenario seed ${seed} (replay: CA_SAFETY_SEED=${seed} node scripts/run-tests.mjs cluster-autoscaler/safety):`,
      ...w.violations.map((v) => `  ${v}`), `groups: ${w.summary()}`, 'last steps:', ...w.trace.map((t) => `  ${t}`),
    ].join('\n'));
  }
}

describe('cluster autoscaler controller safety (randomized, seeded)', () => {
  // Scenarios mostly wait on the cloud SDK's HTTP round trips: a few lanes, each with its own
  // API server (a scenario owns every Node and Pod of its server), run side by side.
  const lanes: Shared[] = [];
  const only = process.env.CA_SAFETY_SEED;
  const replay = only !== undefined && only !== '';
  before(async () => {
    for (let i = 0; i < (replay ? 1 : Math.max(1, envInt('CA_SAFETY_LANES', 4))); i++) {
      const server = await startApiServer({ port: 0 });
      const client = new KubeClient(loadKubeConfig({ kubeconfig: server.kubeconfig }));
      await installAckSystemDaemonSets(client);
      lanes.push({ server, client });
    }
  });
  after(async () => {
    for (const { server, client } of lanes) {
      client.close();
      await server.stop();
    }
  });

  it('never removes an instance with unevicted pods, nor crosses group bounds or --max-nodes-total', async () => {
    const steps = envInt('CA_SAFETY_STEPS', 20);
    const seeds = replay ? [envInt('CA_SAFETY_SEED', 0)] : Array.from({ length: envInt('CA_SAFETY_SCENARIOS', 200) }, (_, i) => FIRST_SEED + (i + envInt('CA_SAFETY_SKIP', 0)) * 7919);
    let next = 0;
    let done = 0;
    const failures: string[] = [];
    await Promise.all(lanes.map(async (lane) => {
      while (next < seeds.length && failures.length === 0) {
        const seed = seeds[next++];
        try {
          await run(lane, seed, steps);
        } catch (err) {
          failures.push((err as Error).message);
        }
        // a long run says how far it got
        if (++done % 250 === 0 && seeds.length > 250) console.log(`${done}/${seeds.length} scenarios`);
      }
    }));
    if (failures.length) throw new Error(failures.join('\n\n'));
  });
});
