/**
 * The contract between a controller package in `controllers/<name>/` and the programs
 * that run it: `kubeloop run <name>` (and `run all`), `kubeloop dev`, the generators and
 * the Helm chart. A controller folder exports one `ControllerPlugin` from its index.ts
 * and is listed once in `controllers/index.ts`.
 */
import type { Option } from 'commander';
import type { Manager, Logger } from '../../src/controller/index.js';
import type { AlibabaCloud } from '../../src/cloud/index.js';

/** What `setup` receives from the program that runs the controller. */
export interface PluginEnv {
  /**
   * Parsed values of the plugin's own flags, keyed by commander's camelCase attribute
   * names (`--cluster-cidr` -> `clusterCidr`), defaults applied.
   */
  readonly flags: Readonly<Record<string, unknown>>;
  /** The cloud APIs (real Alibaba Cloud or the emulator); present when `needsCloud`. */
  readonly cloud?: AlibabaCloud;
  /** The program's logger; derive children with `logger.child({ component })`. */
  readonly logger: Logger;
}

/** Extra work a plugin started besides its registered controllers (e.g. a periodic loop). */
export interface PluginHandle {
  stop(): Promise<void>;
}

export interface ControllerPlugin {
  /** `kubeloop run <name>`; also the prefix of the plugin's ConfigMaps and metrics where it has any. */
  readonly name: string;
  /** One line for `kubeloop run --help`. */
  readonly description: string;
  /**
   * The plugin's flags. `kubeloop run all` offers the flags of every plugin on one
   * command, so names must be unique across plugins. Document defaults in the Option.
   */
  flags(): Option[];
  /**
   * Checks the plugin's flags (the same parsing `setup` does first) without side effects
   * and throws an Error saying how to fix a bad value. `kubeloop run` calls it for every
   * selected plugin before it reads a kubeconfig or builds cloud clients, so a flag error
   * is reported first instead of hiding behind a connection error.
   */
  validateFlags(flags: Readonly<Record<string, unknown>>): void;
  /** Whether `setup` needs `env.cloud` (cloud credentials/endpoint must then be configured). */
  readonly needsCloud: boolean;
  /** The `@Controller` classes it registers (the RBAC and CRD generators read them). */
  readonly controllers: readonly Function[];
  /**
   * Registers the controllers and their dependencies on `manager` (before `manager.start`).
   * Validates flags and throws an Error whose message says how to fix a bad value.
   * May start extra work that needs no leader election, returned as a handle to stop.
   */
  setup(manager: Manager, env: PluginEnv): Promise<PluginHandle | void> | PluginHandle | void;
}

export { parseDuration, type ParseDurationOptions } from './duration.js';
