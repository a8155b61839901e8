/**
 * The log-config controller: every AliyunLogConfig becomes, in SLS, a project (created when
 * absent), a logstore (ttl, shards, auto split, mode), a default index, a logtail config
 * kept equal to the spec (any remote drift is undone), a machine group per entry and the
 * config applied to each; deleting the object removes the config (finalizer).
 *
 * Keys on the queue:
 *   - `namespace/name` of an AliyunLogConfig: one full pass; success requeues after the
 *     drift-check period, failure after base x consecutive failures (capped);
 *   - `~config-name/<configName>` (pseudo-namespace: '~' is never in a namespace name): an
 *     object claiming that config name appeared, left or changed its claim; every claimant
 *     is queued, so a loser takes over when the winner goes;
 *   - `~cluster-defaults/configmap`: the defaults ConfigMap changed; objects using a default
 *     are queued.
 * Two objects claiming one (project, config name): the oldest (creationTimestamp, then uid)
 * owns it, the others get status `Conflict` and leave SLS alone.
 */
import {
  Controller, ConfigMap, Index, Namespace, generationChanged, inject, or, patchWithRetry, setCondition, watch,
  type ConfigMapObject, type NamespaceObject, type ControllerOptions, type Logger, type Predicate, type ReconcileContext, type Reconciler, type Request, type Result,
} from 'kubeloop';
import { isAlreadyExists, isCloudError, isForbidden, isInvalidParameter, isNotFound, isQuotaExceeded, type SlsApi } from '../cloud/index.js';
import { isNotFound as isApiNotFound } from 'kubeloop';
import { AliyunLogConfig, type AliyunLogConfigStatus } from './types.js';
import { DEFAULTS, backoffDelay, type LogConfigSettings } from './config.js';
import {
  SpecError, claimWinner, configDrift, defaultIndex, defaultsFromConfigMap, desiredState, logstoreDrift, refOf,
  type ClusterDefaults, type DesiredState,
} from './desired.js';
import type { LogConfigMetrics } from './metrics.js';

export const CONTROLLER_NAME = 'log-config';
export const FINALIZER = 'log.alibabacloud.com/sls';
/** Cache index of AliyunLogConfigs by `spec.logtailConfig.configName`. */
export const CONFIG_NAME_INDEX = 'spec.logtailConfig.configName';
export const PEERS_NAMESPACE = '~config-name';
export const DEFAULTS_REQUEST: Request = { namespace: '~cluster-defaults', name: 'configmap' };
/** Tag put on projects the controller uses. */
export const MANAGED_TAG = { key: 'log.alibabacloud.com/managed-by', value: 'kubeloop' } as const;
export const EVENT_PREFIX = 'SLS.LogController';
export const CONDITION_READY = 'Ready';
/** statusCode of an object that lost a config-name claim. */
export const CONFLICT_CODE = 'Conflict';
/**
 * Set to "true" on an AliyunLogConfig to let it go without removing its logtail config from
 * SLS (when the cleanup cannot succeed, e.g. the controller's RAM policy no longer allows it).
 */
export const SKIP_CLEANUP_ANNOTATION = 'log.alibabacloud.com/skip-cloud-cleanup';

/** Everything the controller needs, bound by the plugin's setup. */
export interface LogConfigDeps {
  settings: LogConfigSettings;
  sls: SlsApi;
  metrics: LogConfigMetrics;
  log: Logger;
}
export const LOG_CONFIG_DEPS = Symbol.for('kubeloop.log-config.deps');

type State = 'ok' | 'error' | 'conflict';

/** A failed SLS step: the action names the Event and the status. */
export class StepError extends Error {
  constructor(readonly action: string, readonly code: string, message: string, options?: { cause?: unknown }) {
    super(`${action} failed: ${code}: ${message}`, options);
    this.name = 'StepError';
  }
}

const claim = (o: AliyunLogConfig) => o.spec?.logtailConfig?.configName;

const skipsCleanup = (o: AliyunLogConfig) => o.metadata.annotations?.[SKIP_CLEANUP_ANNOTATION] === 'true';

/** The release annotation was just set (an annotation does not change the generation). */
export const cleanupSkipped: Predicate<AliyunLogConfig> = { update: (o, n) => !skipsCleanup(o) && skipsCleanup(n) };

/**
 * A cloud error that retrying cannot fix: a RAM refusal (SLS 401 `Unauthorized` "denied by sts
 * or ram"), an invalid request, a used-up quota. Retried anyway (someone may fix the policy),
 * but the user is told what blocks the object and how to let it go.
 */
function isPermanent(err: unknown): boolean {
  const cause = err instanceof StepError ? err.cause : err;
  return isForbidden(cause) || isInvalidParameter(cause) || isQuotaExceeded(cause);
}

/** Updates of the `for` kind that change who claims which config (status writes do not). */
export const claimChanged: Predicate<AliyunLogConfig> = {
  create: () => true,
  delete: () => true,
  update: (o, n) => claim(o) !== claim(n) || o.spec?.project !== n.spec?.project || !!o.metadata.deletionTimestamp !== !!n.metadata.deletionTimestamp,
  generic: () => true,
};

/** The @Controller options for the given settings (the ConfigMap watch and workers are flags). */
export function controllerOptions(s: Pick<LogConfigSettings, 'configMapName' | 'configMapNamespace' | 'maxConcurrentReconciles'>): ControllerOptions<AliyunLogConfig> {
  return {
    for: AliyunLogConfig,
    name: CONTROLLER_NAME,
    finalizer: FINALIZER,
    predicates: [or(generationChanged(), cleanupSkipped)],
    maxConcurrentReconciles: s.maxConcurrentReconciles,
    // namespaces get: a namespace being deleted is never held by a cleanup that cannot succeed
    rbac: [{ apiGroups: [''], resources: ['namespaces'], verbs: ['get'] }],
    watches: [
      watch(AliyunLogConfig, (o) => (claim(o) ? { namespace: PEERS_NAMESPACE, name: claim(o)! } : undefined), { predicates: [claimChanged] }),
      watch(ConfigMap, (cm: ConfigMapObject) => (cm.metadata.name === s.configMapName ? DEFAULTS_REQUEST : undefined), { namespace: s.configMapNamespace }),
    ],
  };
}

const configNameIndex = { kind: AliyunLogConfig, name: CONFIG_NAME_INDEX, extract: (o: AliyunLogConfig) => (claim(o) ? [claim(o)!] : []) };

/** An error's message; a CloudError's without the `service:Action: Code:` prefixes the step message already has. */
const errText = (err: unknown): string => {
  if (isCloudError(err)) {
    let m = err.message;
    for (const prefix of [`${err.service}:${err.action}: `, `${err.code}: `, `${err.code}: `]) if (m.startsWith(prefix)) m = m.slice(prefix.length);
    return m;
  }
  return err instanceof Error ? err.message : String(err);
};
/** A condition reason from an action: CamelCase, no dots. */
const reasonOf = (s: string) => s.replace(/[^A-Za-z0-9_]/g, '_');

@Index(configNameIndex)
@Controller(controllerOptions({
  configMapName: DEFAULTS.configMapName, configMapNamespace: DEFAULTS.configMapNamespace, maxConcurrentReconciles: DEFAULTS.maxConcurrentReconciles,
}))
export class LogConfigController implements Reconciler<AliyunLogConfig> {
  /** consecutive failures per object key (the backoff counter; requeueAfter resets the queue's own) */
  private readonly failures = new Map<string, number>();
  private readonly states = new Map<string, State>();

  constructor(@inject(LOG_CONFIG_DEPS) protected readonly deps: LogConfigDeps) {}

  private get configMapRef(): string {
    return `${this.deps.settings.configMapNamespace}/${this.deps.settings.configMapName}`;
  }

  /**
   * The defaults ConfigMap's data, from the cache. The manager's cache of a kind is the first
   * informer started for it, which in `run all` may be another controller's informer for
   * another namespace: when the cache does not have the ConfigMap it is read from the API
   * server (absent = no defaults).
   */
  private async clusterDefaults(ctx: ReconcileContext<AliyunLogConfig>): Promise<ClusterDefaults> {
    const { configMapNamespace: ns, configMapName: name } = this.deps.settings;
    let cm = ctx.cache<ConfigMapObject>(ConfigMap).get(ns, name);
    if (!cm) {
      try {
        cm = await ctx.client.get<ConfigMapObject>(ConfigMap, name, { namespace: ns, signal: ctx.signal });
      } catch (err) {
        if (!isApiNotFound(err)) throw err;
      }
    }
    return defaultsFromConfigMap(cm?.data);
  }

  private setState(key: string, state: State | undefined): void {
    if (state) this.states.set(key, state);
    else this.states.delete(key);
    const counts: Record<State, number> = { ok: 0, error: 0, conflict: 0 };
    for (const s of this.states.values()) counts[s]++;
    for (const [s, n] of Object.entries(counts)) this.deps.metrics.objects.set({ state: s }, n);
  }

  // ---------------- reconcile ----------------

  async reconcile(obj: AliyunLogConfig, ctx: ReconcileContext<AliyunLogConfig>): Promise<Result | void> {
    const defaults = await this.clusterDefaults(ctx);
    let desired: DesiredState;
    try {
      desired = desiredState(obj, defaults, this.configMapRef);
    } catch (err) {
      if (!(err instanceof SpecError)) throw err;
      // only a change of the object or of the ConfigMap can help: both re-queue it
      this.setState(ctx.key, 'error');
      this.failures.delete(ctx.key);
      const changed = await this.writeStatus(obj, ctx, { ok: false, code: err.code, reason: err.code, text: err.message });
      if (changed) ctx.recorder.event(obj, 'Warning', `${EVENT_PREFIX}.ResolveSpec.Fail`, err.message);
      return undefined;
    }

    try {
      await this.releasePrevious(obj, desired, defaults, ctx);
    } catch (err) {
      return this.failed(obj, ctx, err);
    }

    const winner = this.owner(obj, desired.project, desired.config.configName, defaults, ctx);
    if (winner.metadata.uid !== obj.metadata.uid) {
      const text = `logtail config ${desired.config.configName} in project ${desired.project} is managed by AliyunLogConfig ${refOf(winner)}; `
        + 'choose another logtailConfig.configName';
      this.setState(ctx.key, 'conflict');
      const changed = await this.writeStatus(obj, ctx, { ok: false, code: CONFLICT_CODE, reason: CONFLICT_CODE, text, release: true });
      if (changed) ctx.recorder.event(obj, 'Warning', `${EVENT_PREFIX}.ClaimConfig.Fail`, text);
      this.failures.delete(ctx.key);
      return undefined; // re-queued when the claimants change
    }

    try {
      const summary = await this.sync(obj, desired, ctx);
      this.failures.delete(ctx.key);
      this.setState(ctx.key, 'ok');
      await this.writeStatus(obj, ctx, { ok: true, text: summary, desired });
      const period = this.deps.settings.driftCheckPeriodMs;
      return { requeueAfter: Math.round(period * (1 + Math.random() * 0.1)) };
    } catch (err) {
      return this.failed(obj, ctx, err);
    }
  }

  private async failed(obj: AliyunLogConfig, ctx: ReconcileContext<AliyunLogConfig>, err: unknown): Promise<Result> {
    const n = (this.failures.get(ctx.key) ?? 0) + 1;
    this.failures.set(ctx.key, n);
    this.setState(ctx.key, 'error');
    const step = err instanceof StepError ? err : new StepError('Reconcile', isCloudError(err) ? err.code : 'Error', errText(err), { cause: err });
    const delay = backoffDelay(this.deps.settings, n);
    ctx.log.warn({ err: step.message, failures: n, retryInMs: delay }, 'reconcile failed');
    await this.writeStatus(obj, ctx, { ok: false, code: step.code, reason: `${reasonOf(step.action)}Failed`, text: step.message });
    return { requeueAfter: delay };
  }

  /** The object owning (project, configName) among the live claimants (obj included). */
  private owner(obj: AliyunLogConfig, project: string, configName: string, defaults: ClusterDefaults, ctx: ReconcileContext<AliyunLogConfig>): AliyunLogConfig {
    const claimants = ctx.cache<AliyunLogConfig>(AliyunLogConfig).byIndex(CONFIG_NAME_INDEX, configName)
      .filter((o) => o.metadata.uid !== obj.metadata.uid && (o.spec?.project || defaults.project) === project);
    return claimWinner([obj, ...claimants], project, configName);
  }

  /** Runs one SLS call as a step: an Event on failure (and on success for writes), metrics, a StepError. */
  private async step<T>(obj: AliyunLogConfig, ctx: ReconcileContext<AliyunLogConfig>, action: string, fn: () => Promise<T>, success?: string): Promise<T> {
    const write = success !== undefined;
    try {
      const v = await fn();
      if (write) {
        this.deps.metrics.operations.inc({ action, result: 'success' });
        ctx.recorder.event(obj, 'Normal', `${EVENT_PREFIX}.${action}.Success`, success);
        ctx.log.info({ action }, success);
      }
      return v;
    } catch (err) {
      if (err instanceof StepError) throw err;
      if (write) this.deps.metrics.operations.inc({ action, result: 'error' });
      const code = isCloudError(err) ? err.code : (err as { code?: string })?.code ?? 'Error';
      const e = new StepError(action, code, errText(err), { cause: err });
      ctx.recorder.event(obj, 'Warning', `${EVENT_PREFIX}.${action}.Fail`, e.message);
      throw e;
    }
  }

  /** A read whose NotFound answer is a normal outcome (undefined). */
  private async lookup<T>(obj: AliyunLogConfig, ctx: ReconcileContext<AliyunLogConfig>, action: string, fn: () => Promise<T>): Promise<T | undefined> {
    return this.step(obj, ctx, action, async () => {
      try {
        return await fn();
      } catch (err) {
        if (isNotFound(err)) return undefined;
        throw err;
      }
    });
  }

  /** Brings SLS in line with `d`; returns a one-line summary for the status. */
  private async sync(obj: AliyunLogConfig, d: DesiredState, ctx: ReconcileContext<AliyunLogConfig>): Promise<string> {
    const { sls, metrics } = this.deps;
    const p = d.project;
    const ignoreExists = async (fn: () => Promise<void>) => { try { await fn(); } catch (err) { if (!isAlreadyExists(err)) throw err; } };

    // project
    if (!(await this.lookup(obj, ctx, 'GetProject', () => sls.getProject(p)))) {
      await this.step(obj, ctx, 'CreateProject', () => ignoreExists(() => sls.createProject(p, `log collection of Kubernetes (kubeloop log-config)`)),
        `created project ${p}`);
    }
    // The managed-by tag is a courtesy, not part of log collection: ACK's own log roles grant no
    // log:ListTagResources / log:TagResources (e.g. RAM system policy AliyunCCKubernetesAuditRolePolicy
    // lists the project, logstore, config and machine-group actions only), so a RAM refusal of the tag
    // calls is reported (the step's Warning Event) and the sync goes on.
    try {
      const tags = await this.step(obj, ctx, 'ListTagResources', () => sls.listProjectTags(p));
      if (tags[MANAGED_TAG.key] !== MANAGED_TAG.value) {
        await this.step(obj, ctx, 'TagProject', () => sls.tagProject(p, { [MANAGED_TAG.key]: MANAGED_TAG.value }), `tagged project ${p} ${MANAGED_TAG.key}=${MANAGED_TAG.value}`);
      }
    } catch (err) {
      if (!(err instanceof StepError && isForbidden(err.cause))) throw err;
      ctx.log.warn({ project: p, err: err.message }, 'project not tagged: RAM refuses the tag calls; continuing');
    }

    // logstore
    const ls = d.logstore;
    const remoteLs = await this.lookup(obj, ctx, 'GetLogStore', () => sls.getLogStore(p, ls.logstoreName));
    if (!remoteLs) {
      await this.step(obj, ctx, 'CreateLogstore', () => ignoreExists(() => sls.createLogStore(p, ls)),
        `created logstore ${ls.logstoreName} in project ${p} (ttl ${ls.ttl} days, ${ls.shardCount} shards, auto split)`);
    } else {
      const drift = logstoreDrift(ls, remoteLs);
      if (drift.length) {
        await this.step(obj, ctx, 'UpdateLogstore', () => sls.updateLogStore(p, {
          ...remoteLs, ttl: ls.ttl, autoSplit: true, maxSplitShard: remoteLs.maxSplitShard || ls.maxSplitShard, ...(ls.mode ? { mode: ls.mode } : {}),
        }), `updated logstore ${ls.logstoreName} (${drift.join(', ')})`);
        metrics.driftRepairs.inc({ resource: 'logstore' });
      }
    }

    // index: created when absent; an existing index is the user's to tune
    if (!(await this.lookup(obj, ctx, 'GetIndex', () => sls.getIndex(p, ls.logstoreName)))) {
      await this.step(obj, ctx, 'CreateIndex', () => ignoreExists(() => sls.createIndex(p, ls.logstoreName, defaultIndex())),
        `created the default index of logstore ${ls.logstoreName}`);
    }

    // logtail config
    const c = d.config;
    const remote = await this.lookup(obj, ctx, 'GetConfig', () => sls.getConfig(p, c.configName));
    if (!remote) {
      await this.step(obj, ctx, 'CreateConfig', async () => {
        try {
          await sls.createConfig(p, c);
        } catch (err) {
          if (!isAlreadyExists(err)) throw err;
          await sls.updateConfig(p, c); // created meanwhile (e.g. our earlier answer was lost): make it ours
        }
      }, `created logtail config ${c.configName} in project ${p}`);
    } else {
      const drift = configDrift(c, remote);
      if (drift.length) {
        await this.step(obj, ctx, 'UpdateConfig', () => sls.updateConfig(p, c), `updated logtail config ${c.configName} (differed in ${drift.join(', ')})`);
        metrics.driftRepairs.inc({ resource: 'config' });
      }
    }

    // machine groups and bindings
    for (const g of d.machineGroups) {
      if (!(await this.lookup(obj, ctx, 'GetMachineGroup', () => sls.getMachineGroup(p, g)))) {
        await this.step(obj, ctx, 'CreateMachineGroup', () => ignoreExists(() => sls.createMachineGroup(p, {
          groupName: g, machineIdentifyType: 'userdefined', machineList: [g], groupType: '',
        })), `created machine group ${g} (user-defined identity ${g})`);
      }
    }
    const applied = await this.step(obj, ctx, 'GetAppliedMachineGroups', () => sls.getAppliedMachineGroups(p, c.configName));
    for (const g of d.machineGroups) {
      if (applied.includes(g)) continue;
      await this.step(obj, ctx, 'ApplyConfig', () => sls.applyConfigToMachineGroup(p, g, c.configName), `applied logtail config ${c.configName} to machine group ${g}`);
      if (remote) metrics.driftRepairs.inc({ resource: 'binding' });
    }
    for (const g of applied) {
      if (d.machineGroups.includes(g)) continue;
      await this.step(obj, ctx, 'RemoveConfig', async () => {
        try { await sls.removeConfigFromMachineGroup(p, g, c.configName); } catch (err) { if (!isNotFound(err)) throw err; }
      }, `removed logtail config ${c.configName} from machine group ${g} (not in spec.machineGroups)`);
    }
    return `logtail config ${c.configName} in project ${p} (logstore ${ls.logstoreName}) applied to ${d.machineGroups.join(', ')}`;
  }

  /**
   * When the object's project or config name changed since it last owned a config, removes
   * the old config (unless another object claims it now).
   */
  private async releasePrevious(obj: AliyunLogConfig, d: DesiredState, defaults: ClusterDefaults, ctx: ReconcileContext<AliyunLogConfig>): Promise<void> {
    const prevProject = obj.status?.project;
    const prevName = obj.status?.configName;
    if (!prevProject || !prevName) return;
    if (prevProject === d.project && prevName === d.config.configName) return;
    const others = ctx.cache<AliyunLogConfig>(AliyunLogConfig).byIndex(CONFIG_NAME_INDEX, prevName)
      .filter((o) => o.metadata.uid !== obj.metadata.uid && (o.spec?.project || defaults.project) === prevProject);
    // another object claims the old config now: it is theirs to keep
    if (others.length === 0) await this.removeConfig(obj, ctx, prevProject, prevName);
    await this.writeStatus(obj, ctx, { clear: true });
  }

  /** Removes a config from its groups and deletes it; NotFound anywhere means done. */
  private async removeConfig(obj: AliyunLogConfig, ctx: ReconcileContext<AliyunLogConfig>, project: string, configName: string): Promise<void> {
    const { sls } = this.deps;
    const groups = await this.lookup(obj, ctx, 'GetAppliedMachineGroups', () => sls.getAppliedMachineGroups(project, configName));
    if (!groups) return; // no such config (or project): nothing to remove
    for (const g of groups) {
      await this.step(obj, ctx, 'RemoveConfig', async () => {
        try { await sls.removeConfigFromMachineGroup(project, g, configName); } catch (err) { if (!isNotFound(err)) throw err; }
      }, `removed logtail config ${configName} from machine group ${g}`);
    }
    await this.step(obj, ctx, 'DeleteConfig', async () => {
      try { await sls.deleteConfig(project, configName); } catch (err) { if (!isNotFound(err)) throw err; }
    }, `deleted logtail config ${configName} from project ${project}`);
  }

  // ---------------- status ----------------

  /**
   * Writes the status when it changes (re-reading on conflicts). `release` drops the
   * project/config the object manages (a loser owns nothing); `clear` only does that.
   * Returns whether anything was written.
   */
  private async writeStatus(
    obj: AliyunLogConfig, ctx: ReconcileContext<AliyunLogConfig>,
    s: { ok: true; text: string; desired: DesiredState } | { ok: false; code: string; reason: string; text: string; release?: boolean } | { clear: true },
  ): Promise<boolean> {
    const next = (o: AliyunLogConfig): AliyunLogConfigStatus => {
      // a deep copy: setCondition edits entries in place, and `o` may be the patch's original
      const st: AliyunLogConfigStatus = structuredClone(o.status ?? {});
      if ('clear' in s) {
        delete st.project; delete st.configName; delete st.machineGroups;
        return st;
      }
      const gen = o.metadata.generation;
      if (s.ok) {
        Object.assign(st, { status: 'OK', statusCode: 200, message: s.text, project: s.desired.project, configName: s.desired.config.configName, machineGroups: s.desired.machineGroups });
      } else {
        Object.assign(st, { status: s.text, statusCode: s.code, message: s.text });
        if (s.release) { delete st.project; delete st.configName; delete st.machineGroups; }
      }
      if (gen !== undefined) st.observedGeneration = gen;
      st.conditions = setCondition(st.conditions as never, {
        type: CONDITION_READY, status: s.ok ? 'True' : 'False', reason: s.ok ? 'Synced' : reasonOf(s.reason),
        message: s.text, observedGeneration: gen,
      }).list as AliyunLogConfigStatus['conditions'];
      return st;
    };
    if (JSON.stringify(next(obj)) === JSON.stringify(obj.status ?? {})) return false;
    const written = await patchWithRetry(ctx.client, obj, (o) => { o.status = next(o); }, { status: true, signal: ctx.signal });
    // later writes of this pass start from what the server has
    obj.metadata.resourceVersion = written.metadata.resourceVersion;
    obj.status = written.status;
    return true;
  }

  // ---------------- deletion and pseudo-keys ----------------

  async finalize(obj: AliyunLogConfig, ctx: ReconcileContext<AliyunLogConfig>): Promise<void> {
    if (skipsCleanup(obj)) {
      const what = obj.status?.configName ? `logtail config ${obj.status.configName} in project ${obj.status.project} is left in SLS` : 'nothing in SLS was touched';
      ctx.recorder.event(obj, 'Warning', `${EVENT_PREFIX}.Cleanup.Skipped`, `released without cloud cleanup (${SKIP_CLEANUP_ANNOTATION}=true): ${what}`);
      this.forget(ctx.key);
      return;
    }
    const defaults = await this.clusterDefaults(ctx);
    let project = obj.status?.project;
    let configName = obj.status?.configName;
    if (!project || !configName) {
      try {
        const d = desiredState(obj, defaults, this.configMapRef);
        project = d.project;
        configName = d.config.configName;
      } catch {
        project = undefined; // never resolvable: nothing was created
      }
    }
    if (project && configName && this.owner(obj, project, configName, defaults, ctx).metadata.uid === obj.metadata.uid) {
      try {
        await this.removeConfig(obj, ctx, project, configName);
      } catch (err) {
        const code = err instanceof StepError ? err.code : 'Error';
        if (!isPermanent(err)) {
          await this.writeStatus(obj, ctx, { ok: false, code, reason: 'DeleteFailed', text: errText(err) }).catch(() => undefined);
          throw err;
        }
        const config = `logtail config ${configName} in project ${project}`;
        if (await this.namespaceTerminating(obj, ctx)) {
          // the namespace's deletion must not wait for a cleanup that cannot succeed
          ctx.recorder.event(obj, 'Warning', `${EVENT_PREFIX}.Cleanup.Abandoned`, `namespace ${obj.metadata.namespace} is being deleted and the cleanup cannot succeed (${errText(err)}): ${config} is left in SLS`);
          this.forget(ctx.key);
          return;
        }
        const text = `${errText(err)}; the object stays until the cleanup succeeds (fix the controller's RAM policy or the project), `
          + `or annotate it ${SKIP_CLEANUP_ANNOTATION}=true to let it go (the ${config} then stays in SLS)`;
        const changed = await this.writeStatus(obj, ctx, { ok: false, code, reason: 'CleanupBlocked', text }).catch(() => false);
        if (changed) ctx.recorder.event(obj, 'Warning', `${EVENT_PREFIX}.Cleanup.Blocked`, text);
        throw err;
      }
    }
    this.forget(ctx.key);
  }

  private forget(key: string): void {
    this.failures.delete(key);
    this.setState(key, undefined);
  }

  /** Whether the object's namespace is being deleted (read from the API server: no namespace cache here). */
  private async namespaceTerminating(obj: AliyunLogConfig, ctx: ReconcileContext<AliyunLogConfig>): Promise<boolean> {
    try {
      const ns = await ctx.client.get<NamespaceObject>(Namespace, obj.metadata.namespace!, { signal: ctx.signal });
      return !!ns.metadata.deletionTimestamp;
    } catch (err) {
      return isApiNotFound(err);
    }
  }

  async reconcileDeleted(req: Request, ctx: ReconcileContext<AliyunLogConfig>): Promise<void> {
    const cache = ctx.cache<AliyunLogConfig>(AliyunLogConfig);
    if (req.namespace === PEERS_NAMESPACE) {
      for (const o of cache.byIndex(CONFIG_NAME_INDEX, req.name)) ctx.enqueue({ namespace: o.metadata.namespace, name: o.metadata.name! });
      return;
    }
    if (req.namespace === DEFAULTS_REQUEST.namespace) {
      for (const o of cache.list()) {
        if (!o.spec?.project || !o.spec?.machineGroups?.length) ctx.enqueue({ namespace: o.metadata.namespace, name: o.metadata.name! });
      }
      return;
    }
    this.failures.delete(ctx.key);
    this.setState(ctx.key, undefined);
  }
}

/**
 * The controller class for `settings`: the default-settings class itself, or a subclass
 * declared with the flag values (the ConfigMap watch and worker count live in @Controller).
 */
export function controllerFor(settings: LogConfigSettings): typeof LogConfigController {
  if (settings.configMapName === DEFAULTS.configMapName && settings.configMapNamespace === DEFAULTS.configMapNamespace
    && settings.maxConcurrentReconciles === DEFAULTS.maxConcurrentReconciles) {
    return LogConfigController;
  }
  @Index(configNameIndex)
  @Controller(controllerOptions(settings))
  class ConfiguredLogConfigController extends LogConfigController {
    constructor(@inject(LOG_CONFIG_DEPS) deps: LogConfigDeps) {
      super(deps);
    }
  }
  return ConfiguredLogConfigController;
}

