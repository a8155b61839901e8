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
} from './extension.js';
export { flagDefaults } from './extension.js';
export { discoverExtensions, loadExtensions, loadExtensionParts, findProjectDir } from './extensions.js';
