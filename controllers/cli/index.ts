/**
 * `@kubeloop/ack` as a kubeloop CLI extension (package.json `"kubeloop": {"cliExtension":
 * "./dist/cli/index.js"}`): in a project that has this package — this repository, the
 * container image — `kubeloop run <controller>|all` runs the four ACK controllers,
 * `kubeloop cloudsim` runs the Alibaba Cloud emulator, and `kubeloop dev` adds the emulator
 * and the controllers to the built-in cluster.
 *
 * The CLI imports this module for `kubeloop --help` and most commands, so it imports nothing
 * heavy: the controllers and the dev hook (with the Alibaba Cloud SDKs they pull in) come from
 * `load`, which the CLI calls only for `run`, `dev` and `generate`; `cloudsim`'s action imports
 * the emulator.
 */
import type { CliExtension } from 'kubeloop/cli';
import { register as registerCloudsim } from './cloudsim.js';
import { preloadDev } from './dev-preload.js';

/** `kubeloop dev --cloud-port`, added to the built-in command by the extension's `register`. */
export const CLOUD_PORT_OPTION = ['--cloud-port <n>', 'cloud emulator port (0 = any free port)', '0'] as const;

/** The controllers `load` brings, named here for `kubeloop dev`'s description (a test keeps the two equal). */
const CONTROLLER_NAMES = ['acr-credential-helper', 'cluster-autoscaler', 'log-config', 'route'];

/** `kubeloop dev --flag name=value` (repeatable): a controller flag instead of its default, e.g. `--flag route-reconciliation-period=10s` (applied by ./dev.ts). */
export const FLAG_OPTION = ['--flag <name=value>', 'set a controller flag (as `kubeloop run` takes it) instead of its default; repeatable', (v: string, all: string[] = []) => [...all, v]] as const;

const extension: CliExtension = {
  name: '@kubeloop/ack',
  register(program) {
    registerCloudsim(program);
    const dev = program.commands.find((c) => c.name() === 'dev');
    dev?.option(...CLOUD_PORT_OPTION);
    dev?.option(...FLAG_OPTION);
  },
  devDescription: `the Alibaba Cloud emulator and the ACK controllers (${CONTROLLER_NAMES.join(', ')})`,
  // what the controllers' first calls load, loaded while `kubeloop dev` waits for its API server (./dev-preload.ts)
  preloadDev,
  async load() {
    const [{ plugins }, { ackDevHook }] = await Promise.all([import('../index.js'), import('./dev.js')]);
    return { plugins, dev: ackDevHook() };
  },
};

export default extension;
