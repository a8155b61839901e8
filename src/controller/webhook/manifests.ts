/**
 * The manifests that make the API server call a Manager's webhooks: the
 * MutatingWebhookConfiguration and ValidatingWebhookConfiguration from the @Webhook
 * declarations (what kubebuilder's webhook markers and controller-gen produce), and the
 * `spec.conversion` stanza of a CRD whose versions have @Conversion classes.
 *
 * Every webhook answers AdmissionReview v1 only and `sideEffects`/`failurePolicy` come from
 * the declaration (defaults None and Fail). The `caBundle` is left out unless given:
 * cert-manager's CA injector fills it (see `injectCaFrom`) or a Helm chart templates it.
 */
import { conversionSets, isConversion, isWebhook, webhookMetadata, CONVERSION_PATH, type AdmissionOperation, type WebhookMetadata } from './metadata.js';
import type { KindRef } from '../kinds.js';

/** Where the API server reaches the webhook server. */
export type WebhookEndpoint =
  /** A Service in the cluster; `port` default 443 (the Service port, which forwards to the manager's 9443). */
  | { service: { name: string; namespace: string; port?: number } }
  /** A base URL (`https://host:port`); each webhook's path is appended. */
  | { url: string };

export interface WebhookManifestOptions {
  endpoint: WebhookEndpoint;
  /** PEM CA bundle that signed the serving certificate, base64-encoded into every clientConfig. Default: none (injected later). */
  caBundle?: string;
  /** `cert-manager.io/inject-ca-from` annotation value (`<namespace>/<Certificate>`). Default: none. */
  injectCaFrom?: string;
}

/** A webhook's `clientConfig` for `path`. */
export function clientConfig(path: string, o: WebhookManifestOptions): Record<string, unknown> {
  const config: Record<string, unknown> =
    'service' in o.endpoint
      ? { service: { name: o.endpoint.service.name, namespace: o.endpoint.service.namespace, path, ...(o.endpoint.service.port && o.endpoint.service.port !== 443 ? { port: o.endpoint.service.port } : {}) } }
      : { url: o.endpoint.url.replace(/\/+$/, '') + path };
  if (o.caBundle) config.caBundle = Buffer.from(o.caBundle).toString('base64');
  return config;
}

function rules(kind: KindRef, operations: AdmissionOperation[]): Record<string, unknown>[] {
  return [{ apiGroups: [kind.group], apiVersions: [kind.version], operations, resources: [kind.plural] }];
}

function entry(m: WebhookMetadata, which: 'mutating' | 'validating', o: WebhookManifestOptions): Record<string, unknown> {
  const w = m[which]!;
  const e: Record<string, unknown> = {
    name: w.name,
    admissionReviewVersions: ['v1'],
    clientConfig: clientConfig(w.path, o),
    rules: rules(m.for, w.operations),
    failurePolicy: m.failurePolicy,
    sideEffects: m.sideEffects,
  };
  if (m.timeoutSeconds !== undefined) e.timeoutSeconds = m.timeoutSeconds;
  if (m.matchPolicy) e.matchPolicy = m.matchPolicy;
  if (m.namespaceSelector) e.namespaceSelector = m.namespaceSelector;
  if (m.objectSelector) e.objectSelector = m.objectSelector;
  if (which === 'mutating' && m.reinvocationPolicy) e.reinvocationPolicy = m.reinvocationPolicy;
  return e;
}

/**
 * The configurations for the @Webhook classes among `targets` (others are skipped), named
 * `name`; a kind with no webhook of that type is left out (undefined). Webhooks are sorted by
 * name; two with the same name are an error.
 */
export function webhookConfigurations(
  targets: readonly Function[],
  name: string,
  o: WebhookManifestOptions,
): { mutating?: Record<string, unknown>; validating?: Record<string, unknown> } {
  const metas = targets.filter(isWebhook).map(webhookMetadata);
  const build = (which: 'mutating' | 'validating', kind: string) => {
    const webhooks = metas.filter((m) => m[which]).map((m) => entry(m, which, o)).sort((a, b) => String(a.name).localeCompare(String(b.name)));
    if (webhooks.length === 0) return undefined;
    for (let i = 1; i < webhooks.length; i++) {
      if (webhooks[i].name === webhooks[i - 1].name) throw new TypeError(`two ${which} webhooks are named ${String(webhooks[i].name)}; set mutatingName/validatingName in @Webhook`);
    }
    const metadata: Record<string, unknown> = { name };
    if (o.injectCaFrom) metadata.annotations = { 'cert-manager.io/inject-ca-from': o.injectCaFrom };
    return { apiVersion: 'admissionregistration.k8s.io/v1', kind, metadata, webhooks };
  };
  return { mutating: build('mutating', 'MutatingWebhookConfiguration'), validating: build('validating', 'ValidatingWebhookConfiguration') };
}

/**
 * Adds `spec.conversion` (strategy Webhook, ConversionReview v1, path /convert) to a CRD
 * manifest when the @Conversion classes among `conversions` (others are skipped) cover its
 * group and kind; checks that
 * every version of the CRD is the hub or has a conversion. Returns the CRD unchanged otherwise.
 */
export function withConversionWebhook(crd: Record<string, unknown>, conversions: readonly Function[], o: WebhookManifestOptions | undefined): Record<string, unknown> {
  const spec = crd.spec as { group: string; names: { kind: string }; versions: Array<{ name: string }> };
  const set = conversionSets(conversions.filter(isConversion)).get(`${spec.group}/${spec.names.kind}`);
  if (!set) return crd;
  const name = (crd.metadata as { name: string }).name;
  const missing = spec.versions.map((v) => v.name).filter((v) => v !== set.hub.version && !set.spokes.has(v));
  if (missing.length) throw new TypeError(`CRD ${name}: version(s) ${missing.join(', ')} have no @Conversion to the hub ${set.hub.version}`);
  if (!o) throw new TypeError(`CRD ${name} declares conversions: say where the conversion webhook is served (kubeloop generate crds --service NAME --namespace NS, or --url https://host:port)`);
  const webhook: Record<string, unknown> = { clientConfig: clientConfig(CONVERSION_PATH, o), conversionReviewVersions: ['v1'] };
  const metadata = o.injectCaFrom
    ? { ...(crd.metadata as object), annotations: { 'cert-manager.io/inject-ca-from': o.injectCaFrom } }
    : crd.metadata;
  return { ...crd, metadata, spec: { ...spec, conversion: { strategy: 'Webhook', webhook } } };
}
