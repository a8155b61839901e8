/**
 * How packages extend the `kubeloop` command, the way kubectl plugins and Helm plugins extend
 * theirs: a package names a module in its package.json,
 *
 *   "kubeloop": { "cliExtension": "./dist/cli/index.js" }
 *
 * and that module's default export is a `CliExtension`. The CLI loads the extensions of the
 * project it runs in (see ./extensions.ts): their controllers become `kubeloop run <name>`, their
 * commands are added, and their `dev` hook joins `kubeloop dev`. kubeloop's own ACK controllers
 * (`@kubeloop/ack`, the repository's controllers/ workspace) are such an extension; nothing in
 * the framework names them.
 */
import type { Command, Option } from 'commander';
import type { Logger, Manager } from '../controller/index.js';
import type { RemoteApiServer } from '../apiserver/index.js';
import type { SimCloudOptions, SimCluster } from '../simcluster/index.js';
import type { ConsoleExtension, MetricsTarget } from '../console/index.js';

/** What a plugin's `setup` receives from the program that runs it. */
export interface PluginEnv {
  /**
   * Parsed values of the plugin's own flags, keyed by commander's camelCase attribute names
   * (`--cluster-cidr` -> `clusterCidr`), defaults applied.
   */
  readonly flags: Readonly<Record<string, unknown>>;
  /** The program's logger; derive children with `logger.child({ component })`. */
  readonly logger: Logger;
}

/** Extra work a plugin started besides its registered controllers (e.g. a periodic loop). */
export interface PluginHandle {
  stop(): Promise<void>;
}

/**
 * A named set of controllers `kubeloop run <name>` (and `run all`) starts on one Manager. `E`
 * is the environment its `setup` reads: a package may hand its own plugins more than
 * `PluginEnv` (ready-made clients in its tests), the CLI hands them `PluginEnv`.
 */
export interface ControllerPlugin<E extends PluginEnv = PluginEnv> {
  /** `kubeloop run <name>`; also the prefix of the plugin's ConfigMaps and metrics where it has any. */
  readonly name: string;
  /** One line for `kubeloop run --help`. */
  readonly description: string;
  /**
   * The plugin's flags. `kubeloop run all` offers the flags of every plugin on one command, so
   * a flag two plugins share must mean the same in both. Document defaults in the Option.
   */
  flags(): Option[];
  /**
   * Checks the plugin's flags without side effects and throws an Error saying how to fix a bad
   * value. `kubeloop run` calls it for every selected plugin before it reads a kubeconfig, so a
   * flag error is reported first instead of hiding behind a connection error.
   */
  validateFlags(flags: Readonly<Record<string, unknown>>): void;
  /** The `@Controller` classes it registers (`kubeloop generate` reads them). */
  readonly controllers: readonly Function[];
  /** The `@Webhook` and `@Conversion` classes it registers (`kubeloop generate` reads them). Default none. */
  readonly webhooks?: readonly Function[];
  /**
   * Registers the controllers and their dependencies on `manager` (before `manager.start`).
   * May start extra work that needs no leader election, returned as a handle to stop.
   */
  setup(manager: Manager, env: E): Promise<PluginHandle | void> | PluginHandle | void;
}

/** What `kubeloop dev` has running when an extension's `dev.start` is called. */
export interface DevEnvironment {
  /**
   * The built-in API server, which runs on a thread of its own (as kube-apiserver is a process
   * of its own): its URL and kubeconfig; reach it over HTTP, as the cluster's components do.
   */
  apiServer: RemoteApiServer;
  sim: SimCluster;
  /** kubeconfig (file path) of the built-in API server */
  kubeconfigPath: string;
  /** `--state-dir` (absolute), or undefined when state is in memory */
  stateDir?: string;
  /** address the servers listen on (`--bind`) */
  bind: string;
  /** every parsed `kubeloop dev` option, including those an extension added in `register` */
  options: Readonly<Record<string, unknown>>;
  /** aborted when `kubeloop dev` stops */
  signal: AbortSignal;
  /** logs to `<state-dir or .kubeloop>/dev.log` */
  logger: Logger;
  /**
   * false with `kubeloop dev --no-controllers`: the hook prepares the cluster as usual (its
   * cluster-wide settings, system workloads) but runs no controller — they run as separate
   * `kubeloop run` processes (the e2e suites' external mode does this).
   */
  controllers: boolean;
}

/** What an extension's `dev.prepare` started before the simulated cluster. */
export interface DevPrepared {
  /**
   * A cloud the simulated cluster follows: its instances become nodes, its registries serve
   * images, and its `podReachable` decides which pod addresses the API server (on the host
   * network) reaches — e.g. only through a VPC route to the pod's node. `kubeloop dev` gives the
   * API server the simulated pod network as its dialer for aggregated API servers.
   */
  simCloud?: SimCloudOptions;
  /** The region the simulated nodes report (topology labels), e.g. the cloud's. */
  simRegion?: string;
  /** Lines for the `kubeloop dev` banner, e.g. `['cloud emulator   http://…']`. */
  banner?: string[];
  /** Fields merged into `.kubeloop/dev.json`. */
  devJson?: Record<string, unknown>;
  /**
   * Panels for the console (`kubeloop dev`'s page): a browser module that registers them and
   * the upstream APIs they read, e.g. the cloud emulator's `/_sim/` (see src/console).
   */
  console?: ConsoleExtension;
  stop(): Promise<void>;
}

/**
 * What an extension's `dev.start` returns: how to stop what it started, and (optionally) the
 * metrics servers (and probe servers) of its controller processes, which the console shows and
 * `dev.json` lists under `controllers`. A bare stop function is accepted too.
 */
export type DevStarted = (() => Promise<void>) | { stop(): Promise<void>; metrics?: readonly MetricsTarget[] };

/** How an extension joins `kubeloop dev`. */
export interface DevHook {
  /** Starts what the simulated cluster needs first (e.g. a cloud emulator). */
  prepare?(env: Omit<DevEnvironment, 'sim'>): Promise<DevPrepared>;
  /** Starts the extension's controllers once the cluster is up; returns how to stop them. */
  start?(env: DevEnvironment): Promise<DevStarted>;
  /** One line for the banner's "running" entry. */
  readonly description: string;
}

/**
 * The default export of a package's `kubeloop.cliExtension` module.
 *
 * The CLI imports this module for every command but `apiserver` and `init`, `kubeloop --help`
 * included, so it should be cheap to import. An extension whose controllers pull in large
 * libraries (cloud SDKs) keeps them out of it with `load`: the module then holds only `name`,
 * `register` (whose command actions `import()` what they run) and `devDescription`, and `load`
 * imports `plugins` and `dev`, which the CLI calls only for the commands that use them
 * (`run`, `dev`, `generate`). An extension without `load` gives everything directly, as before.
 */
export interface CliExtension {
  /** The extension's name (its package name), shown in `kubeloop --help`. */
  readonly name: string;
  /** Controllers `kubeloop run <name>` can start; also what `kubeloop generate` reads by default. */
  readonly plugins?: readonly ControllerPlugin[];
  /**
   * Adds commands of its own (e.g. `kubeloop cloudsim`), after the built-in ones; it may also
   * add options to a built-in command it joins (find it in `program.commands`, e.g. `dev`).
   * Called for every command that loads extensions (only the command being run is defined
   * then, besides for `--help`), so it should define commands without importing what they run.
   */
  register?(program: Command): void;
  /** Joins `kubeloop dev`. */
  readonly dev?: DevHook;
  /**
   * The expensive parts, imported on demand (see above): what it resolves to is merged over
   * this object's `plugins` and `dev` before `run`, `dev` or `generate` use the extension.
   */
  load?(): Promise<Pick<CliExtension, 'plugins' | 'dev'>>;
  /**
   * What the dev hook adds, for `kubeloop dev`'s one-line description without calling `load`
   * (default: `dev.description`).
   */
  readonly devDescription?: string;
  /**
   * Called as `kubeloop dev` begins, with its parsed options, before `load` and while the API
   * server starts on its own thread: the extension may begin what its dev hook will need and
   * takes time, so that it runs beside the server's start (a thread of its own, or this thread
   * while it waits for the server) — `@kubeloop/ack` schedules the loading of the modules its
   * controllers' first calls load. Keep what it imports small (it is the light entry's). The
   * hook's `prepare` takes over what it began (and must work when it was not called). Returns
   * how to stop what it began when `prepare` never comes (the API server failed to start, the
   * extension's parts did not load).
   */
  preloadDev?(env: Pick<DevEnvironment, 'options' | 'stateDir' | 'bind'>): (() => Promise<void>) | void;
}

/** Commander option defaults of a plugin's flags, keyed like parsed flags, with `overrides` on top. */
export function flagDefaults(options: Option[], overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const o of options) {
    const key = o.attributeName();
    if (key in overrides) out[key] = overrides[key];
    else if (o.defaultValue !== undefined) out[key] = o.defaultValue;
  }
  return out;
}
