/**
 * The semantics layer of the built-in API server: what kube-apiserver admission and
 * kube-controller-manager add on top of plain storage. Wired through the server's extension
 * points (admission plugins, change bus, in-process ops, run-time types, OpenAPI documents,
 * subresource handlers):
 * - gc/              garbage collection by ownerReferences (Background, Foreground, Orphan)
 * - namespaces/      namespace lifecycle (system namespaces, Terminating, content deletion, /finalize)
 * - crd/             CustomResourceDefinitions: validation, types in discovery/OpenAPI, custom resource strategy
 * - serviceaccounts/ the `default` ServiceAccount per namespace, the ServiceAccount pod admission
 *                    (projected token volume), the `kube-root-ca.crt` ConfigMap per namespace
 * - podadmission/    the Priority and DefaultTolerationSeconds pod admission plugins
 * - limitranger/     the LimitRanger admission plugin (LimitRange defaults and min/max)
 * - quota/           the ResourceQuota admission plugin and kube-controller-manager's quota
 *                    controller (status.hard/used), like the ServiceAccount controller in process:
 *                    a quota limits nothing until the controller has synced its status
 * - policy/          pods/eviction with PodDisruptionBudgets, pods/binding with PodScheduled
 *
 * `installSemantics` must run before the server serves (and before it creates the system
 * namespaces), so persisted CRDs are served from the first request.
 */
import { startCrdController } from './crd/index.js';
import { gcAdmission, startGarbageCollector } from './gc/index.js';
import { namespaceAdmission, setupNamespaceType, startNamespaceController } from './namespaces/index.js';
import { bindPod, evictPod } from './policy/index.js';
import { limitRangerAdmission } from './limitranger/index.js';
import { defaultTolerationSecondsAdmission, priorityAdmission } from './podadmission/index.js';
import { QuotaIndex, resourceQuotaAdmission, startQuotaController } from './quota/index.js';
import type { AdmissionPlugin } from './admission/index.js';
import { serviceAccountAdmission, startRootCaPublisher, startServiceAccountController } from './serviceaccounts/index.js';
import type { Controller, SemanticsHost } from './semantics-kit.js';

export type { SemanticsHost } from './semantics-kit.js';

export interface SemanticsOptions {
  /** Delay before the namespace controller deletes a Terminating namespace's content (default 5000 ms, as upstream). */
  namespaceDeletionGracePeriodMs?: number;
  /** The cluster CA (PEM) published as `kube-root-ca.crt` in every namespace; none published when unset. */
  rootCaPem?: string;
  /** The quota controller's full resync period (default 5 minutes). */
  quotaResyncMs?: number;
}

export interface Semantics {
  /** Stops the in-process controllers (their queues and retry timers). */
  stop(): void;
  /** Resolves when every controller has no queued work (tests). */
  idle(): Promise<void>;
  /** Resolves when the existing namespaces have their `default` ServiceAccount and `kube-root-ca.crt` (server start). */
  namespacesSeeded(): Promise<void>;
  /**
   * The ResourceQuota admission plugin, which upstream runs after the validating webhooks:
   * the server adds it once they are installed.
   */
  resourceQuotaAdmission: AdmissionPlugin;
}

export function installSemantics(host: SemanticsHost, opts: SemanticsOptions = {}): Semantics {
  const controllers: Controller[] = [];
  // Admission order as upstream: namespace lifecycle first, then the rest.
  const nsType = setupNamespaceType(host);
  host.admission.add(namespaceAdmission(host));
  // Persisted CRDs are served from here on (synchronously), before any controller runs.
  const crds = startCrdController(host);
  controllers.push(crds.controller);
  for (const a of crds.admission) host.admission.add(a);
  host.admission.add(gcAdmission);
  controllers.push(startGarbageCollector(host));
  controllers.push(startNamespaceController(host, nsType, { gracePeriodMs: opts.namespaceDeletionGracePeriodMs }));
  // ... LimitRanger, ServiceAccount, ... (AllOrderedPlugins)
  host.admission.add(limitRangerAdmission(host));
  const sa = startServiceAccountController(host);
  controllers.push(sa);
  host.admission.add(serviceAccountAdmission(host, sa));
  const seeders: Controller[] = [sa];
  if (opts.rootCaPem) {
    const publisher = startRootCaPublisher(host, opts.rootCaPem);
    controllers.push(publisher);
    seeders.push(publisher);
  }
  // kube-apiserver's plugin order (pkg/kubeapiserver/options/plugins.go AllOrderedPlugins):
  // ... ServiceAccount, ..., Priority, DefaultTolerationSeconds, ...
  host.admission.add(priorityAdmission(host));
  host.admission.add(defaultTolerationSecondsAdmission());
  const quotas = new QuotaIndex(host);
  controllers.push(startQuotaController(host, quotas, { resyncMs: opts.quotaResyncMs }));
  host.ops.subresourceHandlers.set('/pods/eviction', evictPod);
  host.ops.subresourceHandlers.set('/pods/binding', bindPod);
  return {
    resourceQuotaAdmission: resourceQuotaAdmission(host, quotas),
    stop() {
      for (const c of controllers) c.stop();
      quotas.stop();
    },
    async namespacesSeeded() {
      await Promise.all(seeders.map((c) => c.idle()));
    },
    async idle() {
      // Controllers feed each other (a namespace deletion feeds the GC...): settle until a
      // pass finds every one of them idle.
      for (let i = 0; i < 100; i++) {
        await Promise.all(controllers.map((c) => c.idle()));
        await new Promise((r) => setImmediate(r));
        if (controllers.every((c) => !c.busy())) return;
      }
    },
  };
}
