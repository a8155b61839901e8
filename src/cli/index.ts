// `kubeloop/cli`: what a package needs to extend the `kubeloop` command (see ./extension.ts):
// controllers for `kubeloop run`, commands of its own, and hooks into `kubeloop dev`.
export type {
  CliExtension,
  ControllerPlugin,
  PluginEnv,
  PluginHandle,
  DevHook,
  DevEnvironment,
  DevPrepared,
  DevStarted,
} from './extension.js';
export type { ConsoleExtension, ConsoleUpstream, MetricsTarget } from '../console/index.js';
export { flagDefaults } from './extension.js';
export { discoverExtensions, loadExtensions, findProjectDir } from './extensions.js';
export { startDev, type DevStartOptions, type DevSession } from './commands/dev.js';
