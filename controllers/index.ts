/**
 * The four ACK controllers, in the order `kubeloop run all` starts them. Importing
 * this module registers their `@Controller` classes and custom resources, which is what
 * `kubeloop generate crds|rbac` relies on (its default module).
 */
import type { ControllerPlugin } from './shared/index.js';
import { plugin as acrCredentialHelper } from './acr-credential-helper/index.js';
import { plugin as clusterAutoscaler } from './cluster-autoscaler/index.js';
import { plugin as logConfig } from './log-config/index.js';
import { plugin as route } from './route/index.js';

export type { ControllerPlugin, PluginHandle, AckPluginEnv } from './shared/index.js';

// One line per controller; keep alphabetical.
export const plugins: readonly ControllerPlugin[] = [
  acrCredentialHelper,
  clusterAutoscaler,
  logConfig,
  route,
];

/** The plugin named `name`, or an Error listing the available ones. */
export function pluginByName(name: string): ControllerPlugin {
  const p = plugins.find((x) => x.name === name);
  if (!p) {
    throw new Error(`unknown controller "${name}"; available: ${plugins.map((x) => x.name).join(', ') || '(none)'}, or "all"`);
  }
  return p;
}
