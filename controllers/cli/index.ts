/**
 * `@kubeloop/ack` as a kubeloop CLI extension (package.json `"kubeloop": {"cliExtension":
 * "./dist/cli/index.js"}`): in a project that has this package — this repository, the
 * container image — `kubeloop run <controller>|all` runs the four ACK controllers,
 * `kubeloop cloudsim` runs the Alibaba Cloud emulator, and `kubeloop dev` adds the emulator
 * and the controllers to the built-in cluster.
 */
import type { CliExtension } from 'kubeloop/cli';
import { plugins } from '../index.js';
import { register as registerCloudsim } from './cloudsim.js';
import { ackDevHook, CLOUD_PORT_OPTION, FLAG_OPTION } from './dev.js';

const extension: CliExtension = {
  name: '@kubeloop/ack',
  plugins,
  register(program) {
    registerCloudsim(program);
    const dev = program.commands.find((c) => c.name() === 'dev');
    dev?.option(...CLOUD_PORT_OPTION);
    dev?.option(...FLAG_OPTION);
  },
  dev: ackDevHook(),
};

export default extension;
export { ACK_SYSTEM_DAEMONSETS, installAckSystemDaemonSets, systemDaemonSet } from './ack-system.js';
