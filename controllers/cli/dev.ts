/**
 * How `@kubeloop/ack` joins `kubeloop dev`: before the simulated cluster it starts the Alibaba
 * Cloud emulator (whose scaling-group instances become nodes and whose registries serve the
 * kubelets' pulls); once the cluster is up it applies the cluster-wide settings an ACK cluster
 * has and runs the four controllers on one Manager, with the cloud adapters pointed at the
 * emulator and flags at their defaults (the route controller's --cluster-cidr is the simulated
 * cluster's, the autoscaler discovers the emulator's tagged scaling group). A controller whose
 * setup fails is reported and skipped. With `kubeloop dev --no-controllers` only the cluster-wide
 * settings and system DaemonSets are applied; the controllers run as `kubeloop run` processes.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Manager, isAlreadyExists } from 'kubeloop';
import type { Option } from 'commander';
import { flagDefaults, type DevEnvironment, type DevHook, type DevPrepared, type PluginHandle } from 'kubeloop/cli';
import { createAlibabaCloud, pullManifest } from '../cloud/index.js';
import { podAddressReachable, startCloudSim, type CloudSim } from '../cloudsim/index.js';
import { plugins } from '../index.js';
import { installAckMetricsServer } from './ack-metrics-server.js';
import { installAckSystemDaemonSets } from '../ack-system/index.js';

/** The ECS instance id in a node's providerID (`<region>.<id>` or `alicloud://<region>.<id>`). */
function instanceIdOf(providerID: string | undefined): string | undefined {
  const rest = (providerID ?? '').replace(/^alicloud:\/\//, '');
  const dot = rest.indexOf('.');
  return dot > 0 ? rest.slice(dot + 1) : undefined;
}

/**
 * Cluster-wide settings an ACK cluster has and the controllers read: the log-config
 * controller's default project and machine group (ConfigMap kube-system/alibaba-log-configuration),
 * pointing at the emulator's default SLS project, and the ACR credential helper's settings
 * (CONTROLLERS.md defaults: the default namespace's default ServiceAccount gets pull credentials
 * for the emulator's registry instance). Created only when absent, so a user's edits (kept with
 * --state-dir) win. Both are created side by side.
 */
async function installClusterDefaults(manager: Manager, cloud: CloudSim): Promise<void> {
  const project = cloud.state.slsProjects[0]?.projectName;
  const registry = cloud.state.registries[0]?.instanceId;
  const configMaps = [
    ...(project ? [{ name: 'alibaba-log-configuration', data: { 'log-project': project, 'log-machine-group': 'k8s-group-kubeloop' } }] : []),
    // the emulator's Enterprise instance by id: an empty acr-registry-info means the Personal Edition, as on ACK
    { name: 'acr-configuration', data: { 'watch-namespace': 'default', 'service-account': 'default', 'expiring-threshold': '15m', ...(registry ? { 'acr-registry-info': `- instanceId: ${registry}\n` } : {}) } },
  ];
  await Promise.all(configMaps.map(async (cm) => {
    try {
      await manager.client.create({
        apiVersion: 'v1', kind: 'ConfigMap',
        metadata: { name: cm.name, namespace: 'kube-system', labels: { 'app.kubernetes.io/managed-by': 'kubeloop-dev' } },
        data: cm.data,
      });
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
    }
  }));
}

/**
 * The `--flag name=value` settings as each plugin's parsed flags (commander attribute names,
 * values through the option's own parser); a name no plugin defines is an error listing them.
 */
export function devFlagOverrides(settings: readonly string[], plugin: { flags(): Option[] }, all: ReadonlyArray<{ flags(): Option[] }>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const known = new Set(all.flatMap((p) => p.flags().map((o) => o.long?.replace(/^--/, '') ?? '')));
  for (const s of settings) {
    const eq = s.indexOf('=');
    const name = (eq < 0 ? s : s.slice(0, eq)).replace(/^--/, '');
    if (!known.has(name)) throw new Error(`--flag ${s}: no controller has a flag --${name} (known: ${[...known].sort().join(', ')})`);
    const o = plugin.flags().find((x) => x.long === `--${name}`);
    if (!o) continue;
    const raw = eq < 0 ? 'true' : s.slice(eq + 1);
    const parse = (o as unknown as { parseArg?: (v: string, prev: unknown) => unknown }).parseArg;
    // as commander does: the previous value is this flag's earlier setting, else its default (a repeatable flag accumulates)
    const attr = o.attributeName();
    out[attr] = parse ? parse(raw, attr in out ? out[attr] : o.defaultValue) : raw;
  }
  return out;
}

export function ackDevHook(): DevHook {
  let cloud: CloudSim | undefined;
  return {
    description: `the Alibaba Cloud emulator and the ACK controllers (${plugins.map((p) => p.name).join(', ')})`,
    async prepare(env): Promise<DevPrepared> {
      const port = Number(env.options.cloudPort ?? 0);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`invalid --cloud-port: ${String(env.options.cloudPort)} (expected an integer between 0 and 65535)`);
      const sim = await startCloudSim({ port, host: env.bind, stateFile: env.stateDir ? join(env.stateDir, 'cloud.json') : undefined });
      cloud = sim;
      return {
        // The API server is on the host network: it reaches a pod only through the VPC route
        // of the pod's node (the emulator's route table is the truth).
        simCloud: {
          url: sim.url, pullManifest,
          podReachable: ({ podIP, node }) => {
            const id = instanceIdOf((node.spec as { providerID?: string } | undefined)?.providerID);
            return !!id && podAddressReachable(sim.state, id, podIP);
          },
        },
        simRegion: sim.regionId,
        banner: [`cloud emulator   ${sim.url} (region ${sim.regionId}, AccessKey ${sim.accessKeyId} = RAM user kubeloop, no policies: kubeloop cloudsim ram)`],
        devJson: {
          cloud: { url: sim.url, accessKeyId: sim.accessKeyId, accessKeySecret: sim.accessKeySecret, regionId: sim.regionId, slsEndpoint: sim.slsEndpoint },
          // the `--flag name=value` settings the controllers run with (scripts/demo reads them)
          controllerFlags: (env.options.flag as string[] | undefined) ?? [],
        },
        // the console's cloud panels (controllers/console, bundled by scripts/build-console.mjs
        // into dist/console/ of this package, found by its package.json whether this module is
        // tsc's or the bundle's) read the emulator's /_sim/ API and may flip its fault switches and RAM policies
        console: {
          name: 'ack',
          module: fileURLToPath(new URL('dist/console/panels.js', import.meta.resolve('@kubeloop/ack/package.json'))),
          upstreams: { cloud: { url: sim.url, writable: ['/_sim/faults', '/_sim/ram'] } },
        },
        stop: () => sim.stop(),
      };
    },
    async start(env: DevEnvironment) {
      if (!cloud) throw new Error('the cloud emulator did not start');
      // Anything a controller builds from the environment (e.g. the ACR helper's clients for
      // registries in other regions) must reach the emulator too, never the real cloud.
      process.env.KUBELOOP_CLOUD_EMULATOR = cloud.url;
      process.env.ALIBABA_CLOUD_REGION_ID = cloud.regionId;
      process.env.ALIBABA_CLOUD_ACCESS_KEY_ID = cloud.accessKeyId;
      process.env.ALIBABA_CLOUD_ACCESS_KEY_SECRET = cloud.accessKeySecret;
      delete process.env.ALIBABA_CLOUD_SECURITY_TOKEN;
      const api = createAlibabaCloud({
        regionId: cloud.regionId, emulator: cloud.url,
        credentials: { accessKeyId: cloud.accessKeyId, accessKeySecret: cloud.accessKeySecret },
      });
      const manager = new Manager({
        // metrics (and /debug/controllers) and probes on free loopback ports, for the console
        // and dev.json (the route controller's readiness says when a route table has not been
        // fully synced for --route-sync-max-age)
        logger: env.logger, metricsBindAddress: '127.0.0.1:0', healthProbeBindAddress: '127.0.0.1:0', handleSignals: false,
        cacheSyncTimeoutMs: 30_000,
        // the simulated cluster's informers and client (the same admin credentials as
        // env.kubeconfigPath): the nodes, pods, DaemonSets and PodDisruptionBudgets both watch
        // are listed and watched once, and the controllers' requests reuse its connections
        informers: env.sim.manager.informers,
      });
      // the controllers read the cluster defaults: they are there before the controllers start
      // (manager.start below); the plugins' setup does not read them, so they are created meanwhile
      const defaults = installClusterDefaults(manager, cloud);
      defaults.catch(() => undefined); // awaited below: not an unhandled rejection meanwhile
      // The add-ons' workloads (system DaemonSets, metrics-server; the two side by side) are
      // created once the controllers' caches synced, before this resolves: their pods
      // (scheduling, pulls, status) then start while the rest of `kubeloop dev` comes up, not in
      // the way of the controllers' initial lists. What the metrics-server's pods use (its
      // ServiceAccount, binding and Service, which start no pods) is created meanwhile, with the
      // cluster defaults: the workloads' creates then go out in one round after the caches
      // synced instead of waiting there for a first one (~110 ms of CPU less before dev.json:
      // that round was answered behind the controllers' first reconciles).
      const prerequisites = installAckMetricsServer(manager.client, cloud.regionId, 'prerequisites');
      prerequisites.catch(() => undefined); // awaited below: not an unhandled rejection meanwhile
      const installAddOns = async () => {
        await prerequisites;
        await Promise.all([installAckSystemDaemonSets(manager.client), installAckMetricsServer(manager.client, cloud!.regionId, 'workload')]);
      };
      // --no-controllers: the cluster is set up as ACK's would be; the controllers run elsewhere
      // (`kubeloop run`), pointed at this emulator
      if (!env.controllers) {
        await defaults;
        await installAddOns();
        return async () => undefined; // the client is the simulated cluster's
      }
      const settings = (env.options.flag as string[] | undefined) ?? [];
      try {
        devFlagOverrides(settings, { flags: () => [] }, plugins); // an unknown name stops `kubeloop dev` here, once
      } catch (err) {
        await defaults; // a failure of the defaults is reported first, as when they were created before
        throw err;
      }
      const handles: PluginHandle[] = [];
      for (const p of plugins) {
        try {
          const flags = flagDefaults(p.flags(), {
            clusterCidr: env.sim.config.clusterCidr,
            // the emulator's default scaling group carries this tag
            nodeGroupAutoDiscovery: ['tag:k8s.io/cluster-autoscaler/enabled=true'],
            ...devFlagOverrides(settings, p, plugins),
          });
          p.validateFlags(flags);
          const h = await p.setup(manager, { flags, cloud: api, logger: env.logger.child({ controller: p.name }) });
          if (h) handles.push(h);
        } catch (err) {
          process.stderr.write(`kubeloop dev: controller ${p.name} not started: ${(err as Error).message}\n`);
        }
      }
      const stopAll = async () => {
        await manager.stop();
        for (const h of handles.reverse()) await h.stop();
      };
      try {
        await defaults;
      } catch (err) {
        for (const h of handles.reverse()) await h.stop().catch(() => undefined);
        throw err;
      }
      await manager.start(env.signal);
      try {
        await installAddOns();
      } catch (err) {
        await stopAll().catch(() => undefined);
        throw err;
      }
      return {
        metrics: manager.metricsUrl ? [{ name: 'ack-controllers', url: manager.metricsUrl, health: manager.healthProbeUrl }] : [],
        stop: stopAll,
      };
    },
  };
}
