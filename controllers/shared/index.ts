/**
 * The contract between a controller package in `controllers/<name>/` and the programs that run
 * it (`kubeloop run <name>` and `run all`, `kubeloop dev`, the generators and the Helm chart):
 * a controller folder exports one `ControllerPlugin` (the framework's, from `kubeloop/cli`)
 * from its index.ts and is listed once in `controllers/index.ts`. The ACK controllers also
 * share how they reach Alibaba Cloud: ./cloud.ts.
 */
import type { ControllerPlugin as FrameworkPlugin } from 'kubeloop/cli';
import type { AckPluginEnv } from './cloud.js';

export type { PluginHandle } from 'kubeloop/cli';
export { cloudFlags, cloudOf, validateCloudFlags, type AckPluginEnv } from './cloud.js';
/** An ACK controller plugin: `setup` accepts ready-made cloud clients (`env.cloud`). */
export type ControllerPlugin = FrameworkPlugin<AckPluginEnv>;
export { parseDuration, type ParseDurationOptions } from './duration.js';
export { parseYaml } from './yaml.js';
export { Option } from './commander.js';
