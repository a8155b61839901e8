/**
 * The ACR credential helper: per watched namespace one `kubernetes.io/dockerconfigjson`
 * Secret (labelled `acr.kubeloop.io/managed=true`) with fresh temporary credentials for
 * every configured registry, referenced exactly once from each selected ServiceAccount's
 * `imagePullSecrets` (the user's own entries are kept).
 *
 * Keys on the queue:
 *   - a Namespace name: make that namespace right — Secret content, SA references, or
 *     clean-up when it is not (or no longer) watched; requeued for the next token refresh;
 *   - `<cm namespace>/<cm name>` (namespaced, so never a Namespace key): the ConfigMap
 *     changed — report a bad key, and queue every namespace.
 * The configuration is derived from the cached ConfigMap wherever it is needed (memoized by
 * resourceVersion), so order of keys never matters: absent = nothing wanted (clean up),
 * invalid = the last good configuration (or, with none yet, change nothing).
 *
 * Credentials never reach a log line, an Event or an error message from here: they only
 * travel from the CredentialStore into Secret data.
 */
import {
  ConfigMap, Controller, Namespace, Pod, Secret, ServiceAccount, inject, optional, patchWithRetry, queueOf, watch,
  type ControllerQueue,
  type ConfigMapObject, type Logger, type NamespaceObject, type PodObject, type Predicate, type ReconcileContext,
  type Reconciler, type Request, type Result, type SecretObject, type ServiceAccountObject,
} from 'kubeloop';
import { isAlreadyExists, isConflict, isNotFound } from 'kubeloop';
import { parseImageReference } from '../cloud/index.js';
import {
  AcrConfigError, FLAG_DEFAULTS, namespaceWatched, parseAcrConfig, serviceAccountSelected, type AcrConfig, type AcrFlags,
} from './config.js';
import { dockerConfigJson, type CredentialStore, type RegistryCredentials } from './credentials.js';

export const CONTROLLER_NAME = 'acr-credential-helper';
export const STUCK_POD_CONTROLLER_NAME = 'acr-stuck-pods';
/** Marks the Secrets this controller owns; clean-up only ever deletes Secrets carrying it. */
export const MANAGED_LABEL = 'acr.kubeloop.io/managed';
export const DOCKER_CONFIG_KEY = '.dockerconfigjson';
export const SECRET_TYPE = 'kubernetes.io/dockerconfigjson';
/** Requeue bounds: never spin, never sleep past a day. */
const MIN_REQUEUE_MS = 200;
const MAX_REQUEUE_MS = 12 * 3_600_000;
/** How soon a namespace is retried when some (not all) registries failed. */
const PARTIAL_RETRY_MS = 5_000;
/** How soon a namespace is retried when no registry gave credentials (API calls are still paced by the store's back-off). */
const NO_CREDENTIALS_RETRY_MS = 2_000;

export type ConfigView =
  | { kind: 'absent' }
  | { kind: 'active'; config: AcrConfig; error?: AcrConfigError; stale: boolean }
  /** invalid, and no good configuration seen since start: change nothing */
  | { kind: 'unknown'; error: AcrConfigError };

/** The configuration as derived from the ConfigMap, with the last good one kept. */
export class ConfigState {
  private lastGood?: AcrConfig;
  private rv?: string;
  private view: ConfigView = { kind: 'absent' };

  /** What to apply, given the cached ConfigMap (undefined when it does not exist). */
  current(cm: ConfigMapObject | undefined): ConfigView {
    if (!cm) {
      // deleted: nothing is wanted, and an invalid ConfigMap created later must not revive the old setup
      this.lastGood = undefined;
      this.rv = undefined;
      this.view = { kind: 'absent' };
      return this.view;
    }
    const rv = `${cm.metadata.uid}/${cm.metadata.resourceVersion}`;
    if (rv === this.rv) return this.view;
    try {
      this.lastGood = parseAcrConfig(cm.data);
      this.view = { kind: 'active', config: this.lastGood, stale: false };
    } catch (err) {
      const error = err instanceof AcrConfigError ? err : new AcrConfigError('acr-registry-info', String((err as Error)?.message ?? err));
      this.view = this.lastGood ? { kind: 'active', config: this.lastGood, error, stale: true } : { kind: 'unknown', error };
    }
    this.rv = rv;
    return this.view;
  }
}

/** Everything both controllers need, bound by the plugin's setup (one per manager). */
export interface AcrDeps {
  flags: AcrFlags;
  store: CredentialStore;
  state: ConfigState;
  log: Logger;
}
export const ACR_DEPS = Symbol.for('kubeloop.acr-credential-helper.deps');

const errText = (err: unknown) => (err instanceof Error ? err.message : String(err));
const refNames = (l: Array<{ name?: string }> | undefined) => (l ?? []).map((r) => r?.name ?? '');

/**
 * The ServiceAccount's `imagePullSecrets` with ours present exactly once (`want`) or not at
 * all: the user's entries keep their order; a reference already there keeps its place.
 */
export function mergePullSecrets(list: Array<{ name: string }> | undefined, ours: string, want: boolean): Array<{ name: string }> {
  const out: Array<{ name: string }> = [];
  let seen = false;
  for (const r of list ?? []) {
    if (r?.name === ours) {
      if (!want || seen) continue;
      seen = true;
    }
    out.push(r);
  }
  if (want && !seen) out.push({ name: ours });
  return out;
}

const WAITING_PULL = new Set(['ErrImagePull', 'ImagePullBackOff']);

/** Images of containers waiting on a failed pull. */
export function stuckImages(pod: PodObject): string[] {
  const st = pod.status as { containerStatuses?: Array<{ image?: string; name: string; state?: { waiting?: { reason?: string } } }>; initContainerStatuses?: Array<{ image?: string; name: string; state?: { waiting?: { reason?: string } } }> } | undefined;
  const all = [...(st?.initContainerStatuses ?? []), ...(st?.containerStatuses ?? [])];
  const specs = [...(((pod.spec as { initContainers?: Array<{ name: string; image?: string }> })?.initContainers) ?? []), ...(pod.spec?.containers ?? [])];
  return all.filter((s) => WAITING_PULL.has(s.state?.waiting?.reason ?? ''))
    .map((s) => specs.find((c) => c.name === s.name)?.image ?? s.image ?? '').filter(Boolean);
}

/** Our `kubernetes.io/dockerconfigjson` Secret for `namespace` with these credentials (the controller's and the webhook's). */
export function newPullSecret(namespace: string, name: string, creds: RegistryCredentials[]): SecretObject {
  return {
    apiVersion: 'v1', kind: 'Secret', type: SECRET_TYPE,
    metadata: { name, namespace, labels: { [MANAGED_LABEL]: 'true', 'app.kubernetes.io/managed-by': 'kubeloop' } },
    data: { [DOCKER_CONFIG_KEY]: Buffer.from(dockerConfigJson(creds)).toString('base64') },
  };
}

export function registryHost(image: string): string | undefined {
  try { return parseImageReference(image).registry; } catch { return undefined; }
}

const nsChanged: Predicate<NamespaceObject> = {
  update: (o, n) => !!o.metadata.deletionTimestamp !== !!n.metadata.deletionTimestamp || o.status?.phase !== n.status?.phase,
};

const pullSecretsChanged: Predicate<ServiceAccountObject> = {
  update: (o, n) => JSON.stringify(refNames(o.imagePullSecrets)) !== JSON.stringify(refNames(n.imagePullSecrets)),
};

const secretChanged: Predicate<SecretObject> = {
  update: (o, n) => JSON.stringify(o.data ?? {}) !== JSON.stringify(n.data ?? {}) || JSON.stringify(o.metadata.labels ?? {}) !== JSON.stringify(n.metadata.labels ?? {}),
};

/** The namespace controller's constructor type (its members are its own business). */
export type AcrCredentialControllerClass = new (deps: AcrDeps, stuckPods?: ControllerQueue) => Reconciler<NamespaceObject>;

/** The controller class for a ConfigMap location (decorators need the namespace to watch up front). */
export function acrControllerClass(configMap: { namespace: string; name: string }): AcrCredentialControllerClass {
  const configKey: Request = { namespace: configMap.namespace, name: configMap.name };

  @Controller({
    for: Namespace,
    name: CONTROLLER_NAME,
    predicates: [nsChanged],
    maxConcurrentReconciles: 4,
    watches: [
      watch(ServiceAccount, (sa) => ({ name: sa.metadata.namespace! }), { predicates: [pullSecretsChanged] }),
      watch(Secret, (s) => ({ name: s.metadata.namespace! }), { labelSelector: `${MANAGED_LABEL}=true`, predicates: [secretChanged] }),
      watch(ConfigMap, (cm) => (cm.metadata.name === configMap.name ? configKey : undefined), { namespace: configMap.namespace }),
    ],
    rbac: [
      { apiGroups: [''], resources: ['serviceaccounts'], verbs: ['patch', 'update'] },
      { apiGroups: [''], resources: ['secrets'], verbs: ['create', 'update', 'patch', 'delete'] },
    ],
  })
  class AcrCredentialController implements Reconciler<NamespaceObject> {
    /** last reported problem per subject, so resyncs do not repeat Events */
    private readonly reported = new Map<string, string>();
    private appliedConfig?: AcrConfig;

    constructor(
      @inject(ACR_DEPS) readonly deps: AcrDeps,
      // the stuck-pod controller's queue, when --recreate-stuck-pods registered it
      @inject(queueOf(STUCK_POD_CONTROLLER_NAME)) @optional() private readonly stuckPods?: ControllerQueue,
    ) {}

    private configMap(ctx: ReconcileContext<NamespaceObject>): ConfigMapObject | undefined {
      return ctx.cache<ConfigMapObject>(ConfigMap).get(configMap.namespace, configMap.name);
    }

    private reportOnce(ctx: ReconcileContext<NamespaceObject>, subject: { obj: ConfigMapObject | NamespaceObject; key: string }, type: 'Normal' | 'Warning', reason: string, message: string): void {
      if (this.reported.get(subject.key) === `${reason}|${message}`) return;
      this.reported.set(subject.key, `${reason}|${message}`);
      if (type === 'Warning') this.deps.log.warn({ reason, object: subject.key }, message);
      else this.deps.log.info({ reason, object: subject.key }, message);
      ctx.recorder.event(subject.obj, type, reason, message);
    }

    // ---------------- the ConfigMap key ----------------

    private reconcileConfig(ctx: ReconcileContext<NamespaceObject>): void {
      const cm = this.configMap(ctx);
      const view = this.deps.state.current(cm);
      const subject = { obj: cm!, key: `configmap/${configMap.namespace}/${configMap.name}` };
      if (view.kind !== 'absent' && view.error && cm) {
        const keep = view.kind === 'active'
          ? 'keeping the last good configuration'
          : 'no valid configuration seen since start: nothing is changed until it is fixed';
        this.reportOnce(ctx, subject, 'Warning', 'InvalidConfiguration', `${view.error.message}; ${keep}`);
      }
      if (view.kind === 'active' && !view.error) {
        if (this.reported.get(subject.key)?.startsWith('InvalidConfiguration|')) this.reported.delete(subject.key);
        if (view.config.unknownKeys.length) {
          this.reportOnce(ctx, { obj: cm!, key: `${subject.key}/unknown` }, 'Warning', 'UnknownConfigurationKey',
            `ignored, not known to this helper: ${view.config.unknownKeys.join('; ')} (the rest of the configuration is applied)`);
        } else this.reported.delete(`${subject.key}/unknown`);
        if (view.config.webhook.enable && !this.deps.flags.webhook) {
          // ACK: the webhook is a component of its own (acr-credential-helper-webhook) besides the ConfigMap key
          this.reportOnce(ctx, { obj: cm!, key: `${subject.key}/webhook` }, 'Warning', 'WebhookNotServed',
            'webhook-configuration.enable: true, but this helper does not serve the admission webhook: start it with --acr-webhook '
            + '(chart: controllers.acrCredentialHelper.config.webhook.enable=true); until then pods created together with their ServiceAccount '
            + 'are covered only by --recreate-stuck-pods (see docs/controllers/acr-credential-helper.md)');
        } else this.reported.delete(`${subject.key}/webhook`);
      }
      const next = view.kind === 'active' ? view.config : undefined;
      if (view.kind === 'unknown') return;
      if (JSON.stringify(next) === JSON.stringify(this.appliedConfig) && next !== undefined) return;
      this.appliedConfig = next;
      this.deps.store.forgetResolutions();
      this.deps.log.info({
        configured: view.kind === 'active',
        watchNamespace: next ? (next.allNamespaces ? 'all' : next.namespaces.join(',')) : undefined,
        serviceAccount: next ? (next.allServiceAccounts ? '*' : next.serviceAccounts.join(',')) : undefined,
        registries: next?.registries.map((r) => r.instanceId ?? `(Personal Edition of ${r.regionId ?? 'the cluster region'})`),
      }, view.kind === 'active' ? 'configuration applied' : 'configuration absent: removing our Secrets and ServiceAccount references');
      for (const ns of ctx.cache<NamespaceObject>(Namespace).list()) ctx.enqueue({ name: ns.metadata.name! });
    }

    reconcileDeleted(req: Request, ctx: ReconcileContext<NamespaceObject>) {
      if (req.namespace === configKey.namespace && req.name === configKey.name) return this.reconcileConfig(ctx);
      // a Namespace went away: its Secrets and ServiceAccounts went with it
      for (const k of this.reported.keys()) if (k.startsWith(`namespace/${req.name}/`)) this.reported.delete(k);
      return undefined;
    }

    // ---------------- namespace keys ----------------

    async reconcile(ns: NamespaceObject, ctx: ReconcileContext<NamespaceObject>): Promise<Result | void> {
      const view = this.deps.state.current(this.configMap(ctx));
      if (view.kind === 'unknown') return;
      const name = ns.metadata.name!;
      const terminating = !!ns.metadata.deletionTimestamp || ns.status?.phase === 'Terminating';
      if (view.kind === 'absent' || !namespaceWatched(view.config, name) || terminating) {
        if (!terminating) await this.cleanup(name, ctx);
        return;
      }
      return this.configure(ns, view.config, ctx);
    }

    private async configure(ns: NamespaceObject, config: AcrConfig, ctx: ReconcileContext<NamespaceObject>): Promise<Result> {
      const name = ns.metadata.name!;
      const { store } = this.deps;
      const creds: RegistryCredentials[] = [];
      const failures: string[] = [];
      for (const entry of config.registries) {
        try {
          creds.push(await store.credentials(entry, config.expiringThresholdMs));
        } catch (err) {
          failures.push(errText(err));
        }
      }
      const cm = this.configMap(ctx);
      if (failures.length && cm) {
        this.reportOnce(ctx, { obj: cm, key: `configmap/${configMap.namespace}/${configMap.name}/credentials` }, 'Warning', 'RefreshFailed',
          `could not obtain registry credentials: ${failures.join('; ')}`);
      } else if (!failures.length && cm) {
        this.reported.delete(`configmap/${configMap.namespace}/${configMap.name}/credentials`);
      }
      if (!creds.length) {
        // the store backs off between API attempts; retry soon rather than on the queue's growing back-off
        this.deps.log.warn({ namespace: name, errors: failures }, 'no registry credentials yet; retrying');
        return { requeueAfter: NO_CREDENTIALS_RETRY_MS };
      }

      const secretOk = await this.ensureSecret(ns, creds, ctx);
      if (!secretOk) return { requeueAfter: 60_000 };
      await this.ensureServiceAccounts(name, config, ctx);

      const now = Date.now();
      let next = Math.min(...creds.map((c) => c.refreshAt)) - now;
      if (failures.length) next = Math.min(next, PARTIAL_RETRY_MS);
      return { requeueAfter: Math.max(MIN_REQUEUE_MS, Math.min(MAX_REQUEUE_MS, next)) };
    }

    /** Creates or refreshes our Secret; false when a Secret of that name belongs to someone else. */
    private async ensureSecret(ns: NamespaceObject, creds: RegistryCredentials[], ctx: ReconcileContext<NamespaceObject>): Promise<boolean> {
      const name = ns.metadata.name!;
      const secretName = this.deps.flags.secretName;
      const secret = newPullSecret(name, secretName, creds);
      const data = secret.data!;
      const cached = ctx.cache<SecretObject>(Secret).get(name, secretName);
      if (cached) {
        if (cached.data?.[DOCKER_CONFIG_KEY] === data[DOCKER_CONFIG_KEY]) return true;
        await ctx.client.patch(Secret, secretName, { data }, { namespace: name, signal: ctx.signal });
        return true;
      }
      try {
        await ctx.client.create(secret, { signal: ctx.signal });
        ctx.recorder.event(ns, 'Normal', 'SecretCreated', `created ${SECRET_TYPE} Secret ${name}/${secretName} for ${creds.flatMap((c) => c.registry.domains).join(', ')}`);
        return true;
      } catch (err) {
        if (!isAlreadyExists(err)) throw err;
      }
      const existing = await ctx.client.get<SecretObject>(Secret, secretName, { namespace: name, signal: ctx.signal });
      if (existing.metadata.labels?.[MANAGED_LABEL] !== 'true') {
        this.reportOnce(ctx, { obj: ns, key: `namespace/${name}/foreign-secret` }, 'Warning', 'SecretNameTaken',
          `Secret ${name}/${secretName} exists and is not managed by the ACR credential helper (no ${MANAGED_LABEL}=true label); `
          + 'leaving it and the ServiceAccounts of this namespace alone (rename it, or choose another name with --acr-secret-name)');
        return false;
      }
      // ours, not in the cache yet
      if (existing.data?.[DOCKER_CONFIG_KEY] !== data[DOCKER_CONFIG_KEY]) await ctx.client.patch(Secret, secretName, { data }, { namespace: name, signal: ctx.signal });
      return true;
    }

    private async ensureServiceAccounts(ns: string, config: AcrConfig | undefined, ctx: ReconcileContext<NamespaceObject>): Promise<void> {
      const ours = this.deps.flags.secretName;
      let added = false;
      for (const sa of ctx.cache<ServiceAccountObject>(ServiceAccount).list({ namespace: ns })) {
        if (sa.metadata.deletionTimestamp) continue;
        const want = !!config && serviceAccountSelected(config, sa.metadata.name!);
        const next = mergePullSecrets(sa.imagePullSecrets, ours, want);
        if (JSON.stringify(next) === JSON.stringify(sa.imagePullSecrets ?? [])) continue;
        try {
          // merge patch of the whole list with a resourceVersion precondition; on a conflict (a
          // concurrent edit, or our cache behind our own last write) re-read and merge again
          await patchWithRetry(ctx.client, sa, (o) => {
            const l = mergePullSecrets(o.imagePullSecrets, ours, want);
            o.imagePullSecrets = l.length ? l : undefined;
          }, { signal: ctx.signal });
        } catch (err) {
          if (isNotFound(err)) continue;
          throw err;
        }
        this.deps.log.info({ namespace: ns, serviceAccount: sa.metadata.name, added: want }, want ? 'referenced the pull secret' : 'removed the pull secret reference');
        added ||= want;
      }
      if (added) this.nudgeStuckPods(ns, ctx);
    }

    /**
     * Pods stuck before their ServiceAccount referenced our Secret may not change for minutes
     * (the kubelet's back-off): hand them to the stuck-pod controller now.
     */
    private nudgeStuckPods(ns: string, ctx: ReconcileContext<NamespaceObject>): void {
      if (!this.stuckPods) return;
      for (const p of ctx.cache<PodObject>(Pod).list({ namespace: ns })) {
        if (stuckImages(p).length) this.stuckPods.enqueue({ namespace: ns, name: p.metadata.name! }, 500);
      }
    }

    /** Our Secret and references out of a namespace that is not (or no longer) watched. */
    private async cleanup(ns: string, ctx: ReconcileContext<NamespaceObject>): Promise<void> {
      await this.ensureServiceAccounts(ns, undefined, ctx);
      for (const s of ctx.cache<SecretObject>(Secret).list({ namespace: ns })) {
        if (s.metadata.labels?.[MANAGED_LABEL] !== 'true') continue;
        try {
          await ctx.client.delete(Secret, s.metadata.name!, { namespace: ns, preconditions: { uid: s.metadata.uid }, signal: ctx.signal });
          this.deps.log.info({ namespace: ns, secret: s.metadata.name }, 'deleted the pull secret of a namespace no longer watched');
        } catch (err) {
          if (!isNotFound(err) && !isConflict(err)) throw err;
        }
      }
    }
  }
  return AcrCredentialController;
}

/** The controller for the default ConfigMap location (what the RBAC generator reads). */
export const AcrCredentialController: AcrCredentialControllerClass = acrControllerClass({ namespace: FLAG_DEFAULTS.configMapNamespace, name: FLAG_DEFAULTS.configMapName });

export type StuckPodVerdict =
  | { verdict: 'recreate'; owner: NonNullable<PodObject['metadata']['ownerReferences']>[number]; images: string[] }
  | { verdict: 'wait' | 'skip'; reason: string };

/**
 * Whether deleting a pod stuck on a pull lets its owner make one that pulls: the pod must
 * wait on an image of a registry we serve, in a watched namespace with a selected
 * ServiceAccount, lack our Secret, have a controller owner, and a replacement must get our
 * Secret from admission (the SA references it, it exists, and the pod's own list is empty
 * or a copy of part of the SA's — admission copies only into pods without a list).
 */
export function stuckPodVerdict(a: {
  pod: PodObject; config: AcrConfig | undefined; secretName: string; served: ReadonlySet<string>;
  serviceAccount: ServiceAccountObject | undefined; secretExists: boolean;
}): StuckPodVerdict {
  const { pod, config, secretName } = a;
  const images = stuckImages(pod);
  if (!images.length) return { verdict: 'skip', reason: 'not waiting on a pull' };
  if (pod.metadata.deletionTimestamp) return { verdict: 'skip', reason: 'being deleted' };
  if (!config || !namespaceWatched(config, pod.metadata.namespace!)) return { verdict: 'skip', reason: 'namespace not watched' };
  if (!serviceAccountSelected(config, pod.spec?.serviceAccountName || 'default')) return { verdict: 'skip', reason: 'ServiceAccount not selected' };
  const podRefs = refNames(pod.spec?.imagePullSecrets);
  if (podRefs.includes(secretName)) return { verdict: 'skip', reason: 'has our Secret already' };
  const ours = images.filter((i) => { const h = registryHost(i); return h !== undefined && a.served.has(h); });
  if (!ours.length) return { verdict: 'skip', reason: 'no image of a registry we serve' };
  const owner = pod.metadata.ownerReferences?.find((o) => o.controller);
  if (!owner) return { verdict: 'skip', reason: 'no controller owner (a bare pod would be lost)' };
  const saRefs = refNames(a.serviceAccount?.imagePullSecrets);
  if (!a.serviceAccount || !a.secretExists || !saRefs.includes(secretName)) return { verdict: 'wait', reason: 'the ServiceAccount does not reference our Secret yet' };
  if (podRefs.some((n) => !saRefs.includes(n))) return { verdict: 'skip', reason: 'explicit imagePullSecrets: a replacement would not get ours' };
  return { verdict: 'recreate', owner, images: ours };
}

const stuck: Predicate<PodObject> = {
  create: (p) => stuckImages(p).length > 0,
  update: (_o, n) => stuckImages(n).length > 0,
  delete: () => false,
  generic: (p) => stuckImages(p).length > 0,
};

/**
 * `--recreate-stuck-pods`: a pod created before its ServiceAccount referenced our Secret
 * never gets it (pods' imagePullSecrets are fixed at admission; the kubelet's retries read
 * the pod, not the ServiceAccount). When such a pod is stuck pulling from a registry we
 * serve and a controller owns it, deleting it lets the owner create a replacement, which
 * admission gives the ServiceAccount's current imagePullSecrets — ours included.
 */
@Controller({
  for: Pod,
  name: STUCK_POD_CONTROLLER_NAME,
  predicates: [stuck],
  maxConcurrentReconciles: 2,
  rbac: [{ apiGroups: [''], resources: ['pods'], verbs: ['delete'] }],
})
export class AcrStuckPodController implements Reconciler<PodObject> {
  constructor(@inject(ACR_DEPS) private readonly deps: AcrDeps) {}

  async reconcile(pod: PodObject, ctx: ReconcileContext<PodObject>): Promise<Result | void> {
    const { flags, state, store } = this.deps;
    if (!stuckImages(pod).length) return;
    const ns = pod.metadata.namespace!;
    const view = state.current(ctx.cache<ConfigMapObject>(ConfigMap).get(flags.configMapNamespace, flags.configMapName));
    const saName = pod.spec?.serviceAccountName || 'default';
    const v = stuckPodVerdict({
      pod, config: view.kind === 'active' ? view.config : undefined, secretName: flags.secretName, served: store.servedDomains(),
      serviceAccount: ctx.cache<ServiceAccountObject>(ServiceAccount).get(ns, saName),
      secretExists: !!ctx.cache<SecretObject>(Secret).get(ns, flags.secretName),
    });
    // waiting for the reference: the namespace controller also nudges stuck pods when it adds one
    if (v.verdict === 'wait') return { requeue: true };
    if (v.verdict !== 'recreate') return;
    const owner = v.owner;
    const images = v.images;
    try {
      await ctx.client.delete(Pod, pod.metadata.name!, { namespace: ns, preconditions: { uid: pod.metadata.uid }, signal: ctx.signal });
    } catch (err) {
      if (isNotFound(err) || isConflict(err)) return;
      throw err;
    }
    this.deps.log.info({ namespace: ns, pod: pod.metadata.name, owner: `${owner.kind}/${owner.name}` }, 'deleted a pod stuck pulling without our pull secret; its owner recreates it');
    ctx.recorder.event(
      { apiVersion: owner.apiVersion, kind: owner.kind, metadata: { name: owner.name, namespace: ns, uid: owner.uid } },
      'Normal', 'RecreatingStuckPod',
      `Deleted pod ${pod.metadata.name}: it was created before ServiceAccount ${saName} referenced the pull secret ${flags.secretName} and cannot pull ${images[0]}`,
    );
  }
}
