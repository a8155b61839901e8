import type { Command } from 'commander';
import { DEFAULT_ACCESS_KEY_ID, DEFAULT_ACCESS_KEY_SECRET } from '../cloudsim/defaults.js';
import { registerRam } from './cloudsim-ram.js';

function intOption(name: string, v: string | undefined, min = 0, max = Number.MAX_SAFE_INTEGER): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(`invalid ${name}: ${v}`);
  return n;
}

/** `kubeloop cloudsim`: runs the Alibaba Cloud emulator (imported by the action) until SIGINT/SIGTERM; `kubeloop cloudsim ram ...` edits a running one's RAM policies. */
export function register(program: Command): void {
  const cloudsim = program
    .command('cloudsim')
    .description('run the Alibaba Cloud emulator (VPC, ESS/ECS, Container Registry + registry v2, SLS) on one HTTP port')
    .option('--port <n>', 'port to listen on (0 = any free port)', '8090')
    .option('--host <addr>', 'address to listen on', '127.0.0.1')
    .option('--state <file>', 'persist the emulated cloud here (loaded at start, written atomically on change)')
    .option('--access-key-id <id>', 'the AccessKeyId the emulator accepts', DEFAULT_ACCESS_KEY_ID)
    .option('--access-key-secret <secret>', 'the AccessKeySecret the emulator accepts', DEFAULT_ACCESS_KEY_SECRET)
    .option('--region <id>', 'region of the default cloud', 'cn-hangzhou')
    .option('--boot-delay-ms <n>', 'how long new instances stay Pending', '500')
    .option('--route-settle-ms <n>', 'how long written route entries stay Pending', '50')
    .option('--remove-delay-ms <n>', 'how long instances ESS removes stay Removing', '200')
    .option('--registry-token-lifetime-ms <n>', 'lifetime of GetAuthorizationToken credentials', '3600000')
    .option('--validate-next-hop', 'refuse routes to instances the emulator does not know', false)
    .option('--route-entry-quota <n>', 'custom route entries per route table (the VPC default quota; raised quotas exist)', '200')
    .action(async (o: {
      port: string; host: string; state?: string; accessKeyId: string; accessKeySecret: string; region: string;
      bootDelayMs: string; routeSettleMs: string; removeDelayMs: string; registryTokenLifetimeMs: string; validateNextHop: boolean; routeEntryQuota: string;
    }) => {
      const { startCloudSim } = await import('../cloudsim/index.js');
      const sim = await startCloudSim({
        port: intOption('--port', o.port, 0, 65535),
        host: o.host,
        stateFile: o.state,
        accessKeyId: o.accessKeyId,
        accessKeySecret: o.accessKeySecret,
        regionId: o.region,
        validateNextHop: o.validateNextHop,
        routeEntryQuota: intOption('--route-entry-quota', o.routeEntryQuota, 1),
        timings: {
          bootDelayMs: intOption('--boot-delay-ms', o.bootDelayMs),
          routeSettleMs: intOption('--route-settle-ms', o.routeSettleMs),
          removeDelayMs: intOption('--remove-delay-ms', o.removeDelayMs),
          registryTokenLifetimeMs: intOption('--registry-token-lifetime-ms', o.registryTokenLifetimeMs, 1),
        },
      });
      if (!['127.0.0.1', 'localhost', '::1'].includes(o.host)) {
        process.stderr.write(`kubeloop cloudsim: warning: listening on ${o.host}; the /_sim API has no authentication\n`);
      }
      process.stdout.write([
        `kubeloop cloudsim listening on ${sim.url} (region ${sim.regionId}${o.state ? `, state ${o.state}` : ''})`,
        `# point the controllers at it:`,
        `export KUBELOOP_CLOUD_EMULATOR=${sim.url}`,
        `export ALIBABA_CLOUD_REGION_ID=${sim.regionId}`,
        `export ALIBABA_CLOUD_ACCESS_KEY_ID=${sim.accessKeyId}`,
        `export ALIBABA_CLOUD_ACCESS_KEY_SECRET=${sim.accessKeySecret}`,
        `# inspect: curl ${sim.url}/_sim/state   faults: curl -XPOST ${sim.url}/_sim/faults -d '{"service":"vpc","throttleRate":0.5}'`,
        `# RAM policies: kubeloop cloudsim ram --url ${sim.url} show   (docs/cloud.md)`,
        '',
      ].join('\n'));
      let stopping = false;
      const stop = () => {
        if (stopping) return;
        stopping = true;
        sim.stop().then(() => process.exit(0), (err: unknown) => {
          process.stderr.write(`kubeloop cloudsim: ${String(err)}\n`);
          process.exit(1);
        });
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
  registerRam(cloudsim);
}
