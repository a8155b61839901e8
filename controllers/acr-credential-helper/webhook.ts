/**
 * The ACR credential helper's webhook mode (`--acr-webhook`, active while the ConfigMap's
 * `webhook-configuration` has `enable: true`): mutating admission webhooks that give objects
 * the pull Secret when they are created, so nothing created together with its namespace or
 * ServiceAccount (a Helm release, `kubectl apply -f dir/`) waits for the controller.
 *
 * - **ServiceAccounts (CREATE)**: a selected ServiceAccount in a watched namespace gets our
 *   Secret in `imagePullSecrets` at creation. This is what ACK documents for its webhook
 *   ("ServiceAccount创建即时使用": "when a new ServiceAccount is created, the component injects
 *   the Secret into it immediately", for "Helm charts creating a ServiceAccount and a Deployment
 *   together"; its `failure-policy` is what happens to the ServiceAccount's creation when the
 *   webhook fails, `Ignore` recommended) — help.aliyun.com/zh/ack/ack-managed-and-ack-dedicated/
 *   user-guide/non-secret-pulling-container-image, FAQ "如何开启ServiceAccount创建即时使用功能".
 * - **Pods (CREATE)**: a pod in a watched namespace whose ServiceAccount is selected gets our
 *   Secret in `spec.imagePullSecrets` — exactly the pods the ServiceAccount path would give it
 *   to. This covers what the ServiceAccount path cannot: a pod admitted before its
 *   ServiceAccount referenced the Secret (a pod's list is fixed at admission and the kubelet's
 *   retries never read the ServiceAccount), and a pod with its own `imagePullSecrets` (the
 *   ServiceAccount admission plugin copies the ServiceAccount's only into pods without any).
 *   A kubeloop addition beyond ACK's webhook. Runs after the ServiceAccount admission plugin
 *   (webhooks come last), so a pod that got ours from its ServiceAccount is left as it is.
 *
 * Both only ever add one reference (never a duplicate, never removing anything) and never to a
 * namespace where a Secret of our name belongs to someone else. The Secret must exist when the
 * kubelet pulls: if it is missing (a namespace created a moment ago), the webhook creates it
 * synchronously with the shared token cache's credentials (not on a dry run: `sideEffects:
 * NoneOnDryRun`); if no credentials come within a few seconds the reference is still added
 * and the controller creates the Secret moments later (the kubelet's pull retries read the
 * Secret afresh). `failurePolicy: Ignore`, as ACK recommends: the helper being down never
 * blocks a pod or ServiceAccount, it only falls back to the controller's path.
 */
import {
  ConfigMap, Pod, Secret, ServiceAccount, TOKENS, Webhook, inject, isAlreadyExists, isNotFound,
  type AdmissionRequestInfo, type CacheReader, type ConfigMapObject, type Defaulter, type KindLike, type KubeClient, type KubeObject,
  type PodObject, type SecretObject, type ServiceAccountObject,
} from 'kubeloop';
import { namespaceWatched, serviceAccountSelected, type AcrConfig } from './config.js';
import { ACR_DEPS, MANAGED_LABEL, mergePullSecrets, newPullSecret, type AcrDeps } from './controller.js';
import type { RegistryCredentials } from './credentials.js';

const MIRROR_POD_ANNOTATION = 'kubernetes.io/config.mirror';
/** How long admission waits for registry credentials before adding the reference without creating the Secret. */
export const CREDENTIALS_WAIT_MS = 4_000;
/** The API server's timeout for one call (ACK's `timeout-seconds` default). */
export const WEBHOOK_TIMEOUT_SECONDS = 10;

export type WebhookVerdict = { verdict: 'add' } | { verdict: 'skip'; reason: string };

/**
 * Whether an object created in `namespace` for ServiceAccount `serviceAccount` should get our
 * Secret at admission: the webhook is enabled in the ConfigMap, the namespace is watched, the
 * ServiceAccount selected, and `current` (its imagePullSecrets) lacks ours.
 */
export function webhookVerdict(a: {
  config: AcrConfig | undefined; namespace: string | undefined; serviceAccount: string; current: Array<{ name?: string }> | undefined; secretName: string;
}): WebhookVerdict {
  if (!a.config) return { verdict: 'skip', reason: 'no valid configuration' };
  if (!a.config.webhook.enable) return { verdict: 'skip', reason: 'webhook-configuration.enable is false' };
  if (!a.namespace || !namespaceWatched(a.config, a.namespace)) return { verdict: 'skip', reason: 'namespace not watched' };
  if (!serviceAccountSelected(a.config, a.serviceAccount)) return { verdict: 'skip', reason: 'ServiceAccount not selected' };
  if ((a.current ?? []).some((r) => r?.name === a.secretName)) return { verdict: 'skip', reason: 'has our Secret already' };
  return { verdict: 'add' };
}

type CacheFactory = <T extends KubeObject>(kind: KindLike<T>) => CacheReader<T>;

/** What both webhooks share: the configuration from the cache, and our Secret made sure of. */
class PullSecretAdmission {
  constructor(private readonly deps: AcrDeps, private readonly caches: CacheFactory, private readonly client: KubeClient) {}

  config(): AcrConfig | undefined {
    const { flags, state } = this.deps;
    let cm: ConfigMapObject | undefined;
    try {
      cm = this.caches<ConfigMapObject>(ConfigMap).get(flags.configMapNamespace, flags.configMapName);
    } catch {
      return undefined; // not watched (cannot happen with the controller registered): act as if unconfigured
    }
    const view = state.current(cm);
    return view.kind === 'active' ? view.config : undefined;
  }

  /**
   * Whether our Secret may be referenced in `namespace`, creating it when missing: false when a
   * Secret of our name belongs to someone else, or when the API server could not tell (then the
   * object is admitted unchanged, as if the webhook were down: a thrown error would deny it).
   */
  async ensureSecret(namespace: string, config: AcrConfig, req: AdmissionRequestInfo): Promise<boolean> {
    try {
      return await this.makeSureOfSecret(namespace, config, req);
    } catch (err) {
      req.log.warn({ namespace, err: (err as Error).message }, 'could not check the pull secret at admission: admitted unchanged, the controller takes over');
      return false;
    }
  }

  private async makeSureOfSecret(namespace: string, config: AcrConfig, req: AdmissionRequestInfo): Promise<boolean> {
    const name = this.deps.flags.secretName;
    try {
      if (this.caches<SecretObject>(Secret).get(namespace, name)) return true; // the cache holds only ours (label selector)
    } catch { /* not watched: ask the server */ }
    const existing = await this.get(namespace, name);
    if (existing) return this.ours(existing, req);
    if (req.dryRun) return true;
    const creds = await this.credentials(config, req);
    if (!creds.length) {
      req.log.info({ namespace }, 'no registry credentials within the admission budget: referencing the pull secret, the controller creates it');
      return true;
    }
    try {
      await this.client.create(newPullSecret(namespace, name, creds));
      req.log.info({ namespace, secret: name, registries: creds.flatMap((c) => c.registry.domains) }, 'created the pull secret at admission');
      return true;
    } catch (err) {
      if (!isAlreadyExists(err)) {
        req.log.warn({ namespace, err: (err as Error).message }, 'could not create the pull secret at admission: referencing it, the controller creates it');
        return true;
      }
    }
    const raced = await this.get(namespace, name);
    return !raced || this.ours(raced, req);
  }

  private ours(s: SecretObject, req: AdmissionRequestInfo): boolean {
    if (s.metadata.labels?.[MANAGED_LABEL] === 'true') return true;
    req.log.info({ namespace: s.metadata.namespace, secret: s.metadata.name }, `a Secret of our name without ${MANAGED_LABEL}=true exists: admitted unchanged`);
    return false;
  }

  private async get(namespace: string, name: string): Promise<SecretObject | undefined> {
    try {
      return await this.client.get<SecretObject>(Secret, name, { namespace });
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  /** Credentials of every registry that answers within CREDENTIALS_WAIT_MS (the token cache is shared with the controller). */
  private async credentials(config: AcrConfig, req: AdmissionRequestInfo): Promise<RegistryCredentials[]> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'timeout'>((r) => { timer = setTimeout(() => r('timeout'), CREDENTIALS_WAIT_MS); });
    try {
      const all = Promise.allSettled(config.registries.map((e) => this.deps.store.credentials(e, config.expiringThresholdMs)));
      const res = await Promise.race([all, deadline]);
      if (res === 'timeout') return [];
      const failed = res.filter((r) => r.status === 'rejected').length;
      if (failed) req.log.info({ failed }, 'some registries gave no credentials at admission');
      return res.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    } finally {
      clearTimeout(timer);
    }
  }
}

const common = {
  failurePolicy: 'Ignore', sideEffects: 'NoneOnDryRun', timeoutSeconds: WEBHOOK_TIMEOUT_SECONDS, mutatingOperations: ['CREATE'],
} as const;

/** Pods created in watched namespaces with a selected ServiceAccount get our Secret in `spec.imagePullSecrets`. */
@Webhook({ for: Pod, ...common, mutatingName: 'pods.acr-credential-helper.kubeloop.io', mutatingPath: '/mutate-acr-credential-helper-v1-pod' })
export class AcrPodWebhook implements Defaulter<PodObject> {
  private readonly admission: PullSecretAdmission;

  constructor(
    @inject(ACR_DEPS) private readonly deps: AcrDeps,
    @inject(TOKENS.CacheReaderFactory) caches: CacheFactory,
    @inject(TOKENS.KubeClient) client: KubeClient,
  ) {
    this.admission = new PullSecretAdmission(deps, caches, client);
  }

  async default(pod: PodObject, req: AdmissionRequestInfo): Promise<void> {
    // mirror pods (a kubelet's static pods) may reference no API objects; the ServiceAccount plugin skips them too
    if (pod.metadata.annotations?.[MIRROR_POD_ANNOTATION] !== undefined) return;
    const namespace = req.namespace || pod.metadata.namespace;
    const config = this.admission.config();
    const secretName = this.deps.flags.secretName;
    const spec = (pod.spec ?? {}) as NonNullable<PodObject['spec']> & { serviceAccount?: string };
    const v = webhookVerdict({
      config, namespace, serviceAccount: spec.serviceAccountName || spec.serviceAccount || 'default', current: spec.imagePullSecrets, secretName,
    });
    if (v.verdict !== 'add' || !config || !namespace) return;
    if (!(await this.admission.ensureSecret(namespace, config, req))) return;
    pod.spec = { ...spec, imagePullSecrets: mergePullSecrets(spec.imagePullSecrets, secretName, true) };
    req.log.debug({ namespace, pod: pod.metadata.name || pod.metadata.generateName }, 'added the pull secret to the pod');
  }
}

/** ServiceAccounts created in watched namespaces and selected get our Secret in `imagePullSecrets` (ACK's webhook). */
@Webhook({ for: ServiceAccount, ...common, mutatingName: 'serviceaccounts.acr-credential-helper.kubeloop.io', mutatingPath: '/mutate-acr-credential-helper-v1-serviceaccount' })
export class AcrServiceAccountWebhook implements Defaulter<ServiceAccountObject> {
  private readonly admission: PullSecretAdmission;

  constructor(
    @inject(ACR_DEPS) private readonly deps: AcrDeps,
    @inject(TOKENS.CacheReaderFactory) caches: CacheFactory,
    @inject(TOKENS.KubeClient) client: KubeClient,
  ) {
    this.admission = new PullSecretAdmission(deps, caches, client);
  }

  async default(sa: ServiceAccountObject, req: AdmissionRequestInfo): Promise<void> {
    const namespace = req.namespace || sa.metadata.namespace;
    const config = this.admission.config();
    const secretName = this.deps.flags.secretName;
    const v = webhookVerdict({ config, namespace, serviceAccount: sa.metadata.name ?? '', current: sa.imagePullSecrets, secretName });
    if (v.verdict !== 'add' || !config || !namespace) return;
    if (!(await this.admission.ensureSecret(namespace, config, req))) return;
    sa.imagePullSecrets = mergePullSecrets(sa.imagePullSecrets, secretName, true);
    req.log.debug({ namespace, serviceAccount: sa.metadata.name }, 'added the pull secret to the ServiceAccount');
  }
}

export const ACR_WEBHOOKS = [AcrPodWebhook, AcrServiceAccountWebhook] as const;
