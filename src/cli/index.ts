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
export { discoverExtensions, loadExtensions, loadExtensionParts, findProjectDir } from './extensions.js';
// `kubeloop dev` without its console, in this process (tests). Imported when called: importing
// `kubeloop/cli` (every extension does) stays cheap.
export type { DevStartOptions, DevSession } from './commands/dev-start.js';
export async function startDev(...args: Parameters<typeof import('./commands/dev-start.js').startDev>): ReturnType<typeof import('./commands/dev-start.js').startDev> {
  const { startDev: start } = await import('./commands/dev-start.js');
  return start(...args);
}
