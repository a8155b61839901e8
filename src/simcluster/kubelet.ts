/**
 * The kubelet of every hosted node, as one controller: for pods bound to a live hosted node
 * it pulls images (registry token flow with the pod's imagePullSecrets, back-off on
 * failure: ErrImagePull -> ImagePullBackOff), "creates" and "starts" the containers, gives
 * the pod an IP from the node's podCIDR and reports status like a kubelet; for pods being
 * deleted it stops the containers and, once the grace period is over, deletes the pod with
 * gracePeriodSeconds 0.
 */
import { isNotFound, objectKey, rfc3339 } from '../api/index.js';
import {
  Controller, Index, Node, Pod, inject,
  type NodeObject, type PodObject, type ReconcileContext, type Reconciler, type Request, type Result, type SecretObject,
} from '../controller/index.js';
import { hostInCidr, parseCidr } from './cidr.js';
import { SIM, type SimContext } from './config.js';
import { ImagePuller, emulatorRegistries, parseDockerConfig, type DockerConfigAuths } from './pull.js';
import { isTerminated } from './quantity.js';
import { POD_NODE_INDEX, podNodeIndex } from './scheduler.js';

interface Container { name: string; image?: string; imagePullPolicy?: string }
interface Backoff { failures: number; failedAt: number; nextAt: number; message: string }

const bound = (p: PodObject) => !!p.spec?.nodeName;
/** Annotations steering a simulated container's run: how long it runs and how it exits. */
export const RUN_SECONDS = 'sim.kubeloop.io/run-seconds';
export const EXIT_CODE = 'sim.kubeloop.io/exit-code';

@Controller({
  for: Pod,
  name: 'kubelet',
  fieldManager: 'kubelet',
  needLeaderElection: false,
  maxConcurrentReconciles: 8,
  predicates: [{ create: bound, update: (_o: PodObject, n: PodObject) => bound(n), delete: () => true, generic: bound }],
})
@Index({ kind: Pod, name: POD_NODE_INDEX, extract: podNodeIndex })
export class KubeletController implements Reconciler<PodObject> {
  private readonly puller: ImagePuller;
  /** images present per node */
  private readonly images = new Map<string, Map<string, string>>();
  /** `ns/pod/uid/container` -> pull back-off */
  private readonly backoff = new Map<string, Backoff>();
  /** node -> (pod key -> host index in the podCIDR) */
  private readonly ips = new Map<string, { cidr: string; used: Map<string, number>; next: number }>();
  private readonly podNode = new Map<string, string>();
  private readonly killing = new Set<string>();
  /** pod uid -> when its containers were started (for containerStartMs) */
  private readonly startedAt = new Map<string, number>();

  constructor(@inject(SIM) private readonly sim: SimContext) {
    const cloud = sim.config.cloud;
    this.puller = new ImagePuller(cloud ? emulatorRegistries(cloud.url) : async () => new Set<string>(), cloud?.pullManifest);
  }

  async reconcile(pod: PodObject, ctx: ReconcileContext<PodObject>): Promise<Result | void> {
    try {
      return await this.sync(pod, ctx);
    } catch (err) {
      if (isNotFound(err)) return; // the pod went away while we worked on it
      throw err;
    }
  }

  private async sync(pod: PodObject, ctx: ReconcileContext<PodObject>): Promise<Result | void> {
    const nodeName = pod.spec!.nodeName!;
    const pool = this.sim.pool;
    if (!pool.hosts(nodeName)) return;
    if (!pool.isAlive(nodeName)) return { requeueAfter: this.sim.config.timings.leaseRenewIntervalMs };
    const key = objectKey(pod);
    if (pod.metadata.deletionTimestamp) return this.terminate(pod, key, ctx);
    if (isTerminated(pod)) { this.releaseIP(key); return; }
    const containers = (pod.spec!.containers ?? []) as Container[];
    const statuses = (pod.status?.containerStatuses ?? []) as Array<{ name: string; ready?: boolean; state?: { running?: { startedAt?: string } } }>;
    const allRunning = pod.status?.phase === 'Running' && containers.every((c) => statuses.find((s) => s.name === c.name)?.state?.running);
    if (allRunning) {
      const notReady = statuses.filter((s) => !s.ready);
      if (notReady.length === 0) {
        // the node lifecycle controller marks pods NotReady while the node is unreachable
        if (pod.status?.conditions?.find((c) => c.type === 'Ready')?.status !== 'True') await this.postStatus(pod, ctx, { ready: true });
        return this.maybeExit(pod, ctx);
      }
      // containers started but not Ready yet (containerStartMs)
      // when this kubelet started them (startedAt has whole seconds only), else the status
      const started = this.startedAt.get(pod.metadata.uid ?? '') ?? Math.min(...notReady.map((s) => Date.parse(s.state?.running?.startedAt ?? '') || 0));
      const wait = started + this.sim.config.timings.containerStartMs - Date.now();
      if (wait > 0) return { requeueAfter: wait };
      await this.postStatus(pod, ctx, { ready: true });
      this.startedAt.delete(pod.metadata.uid ?? '');
      return;
    }

    // image pulls
    const initContainers = ((pod.spec as { initContainers?: Container[] }).initContainers ?? []);
    let auths: DockerConfigAuths | undefined;
    const imageIDs = new Map<string, string>();
    for (const c of [...initContainers, ...containers]) {
      if (!c.image) continue;
      const nodeImages = this.images.get(nodeName) ?? new Map<string, string>();
      this.images.set(nodeName, nodeImages);
      const policy = c.imagePullPolicy ?? (/(:latest$)|(^[^:@]*(\/[^:@]*)*$)/.test(c.image.split('/').pop() ?? '') ? 'Always' : 'IfNotPresent');
      const present = nodeImages.get(c.image);
      if (present && policy !== 'Always') {
        // the kubelet's image manager reports a cached image too (kubernetes/kubernetes
        // pkg/kubelet/images/image_manager.go: event reason Pulled, "Container image %q already present on machine")
        imageIDs.set(c.name, present);
        ctx.recorder.event(pod, 'Normal', 'Pulled', `Container image "${c.image}" already present on machine`);
        continue;
      }
      // `Always` pulls once per container start with the pod's own credentials; a container
      // that is only waiting (ErrImagePull) has not pulled yet and must not borrow another
      // pod's pull from the node's image cache.
      if (present && policy === 'Always' && statuses.some((s) => s.name === c.name && s.state?.running)) { imageIDs.set(c.name, present); continue; }
      if (policy === 'Never') {
        await this.postWaiting(pod, ctx, c.name, 'ErrImageNeverPull', `Container image "${c.image}" is not present with pull policy of Never`);
        ctx.recorder.event(pod, 'Warning', 'ErrImageNeverPull', `Container image "${c.image}" is not present with pull policy of Never`);
        return;
      }
      const bkey = `${key}/${pod.metadata.uid}/${c.name}`;
      const bo = this.backoff.get(bkey);
      if (bo && bo.nextAt > Date.now()) {
        // like the kubelet: ErrImagePull stays until its next sync, then ImagePullBackOff until the retry
        const flip = bo.failedAt + (bo.nextAt - bo.failedAt) / 2;
        if (Date.now() < flip) return { requeueAfter: flip - Date.now() };
        await this.postWaiting(pod, ctx, c.name, 'ImagePullBackOff', `Back-off pulling image "${c.image}": ${bo.message}`);
        ctx.recorder.event(pod, 'Normal', 'BackOff', `Back-off pulling image "${c.image}"`);
        return { requeueAfter: bo.nextAt - Date.now() };
      }
      auths ??= await this.pullSecrets(pod, ctx);
      ctx.recorder.event(pod, 'Normal', 'Pulling', `Pulling image "${c.image}"`);
      const t0 = Date.now();
      try {
        const r = await this.puller.pull(c.image, auths);
        nodeImages.set(c.image, r.imageID);
        imageIDs.set(c.name, r.imageID);
        this.backoff.delete(bkey);
        const ms = Date.now() - t0;
        ctx.recorder.event(pod, 'Normal', 'Pulled', `Successfully pulled image "${c.image}" in ${ms}ms (${ms}ms including waiting). Image size: 0 bytes.`);
      } catch (err) {
        const message = (err as Error).message;
        const failures = (bo?.failures ?? 0) + 1;
        const t = this.sim.config.timings;
        const delay = Math.min(t.imagePullBackoffMaxMs, t.imagePullBackoffMs * 2 ** (failures - 1));
        this.backoff.set(bkey, { failures, failedAt: Date.now(), nextAt: Date.now() + delay, message });
        ctx.recorder.event(pod, 'Warning', 'Failed', `Failed to pull image "${c.image}": ${message}`);
        ctx.recorder.event(pod, 'Warning', 'Failed', 'Error: ErrImagePull');
        await this.postWaiting(pod, ctx, c.name, 'ErrImagePull', message);
        return { requeueAfter: delay };
      }
    }

    // network: an address from the node's pod range
    const node = ctx.cache<NodeObject>(Node).get(nodeName);
    const cidr = node?.spec?.podCIDR;
    const hostNetwork = !!(pod.spec as { hostNetwork?: boolean }).hostNetwork;
    if (!hostNetwork && !cidr) return { requeueAfter: 200 }; // IPAM has not assigned the node's range yet
    const hostIP = pool.get(nodeName)?.internalIP ?? '';
    const podIP = hostNetwork ? hostIP : this.allocateIP(key, nodeName, cidr!, ctx);
    for (const c of [...initContainers, ...containers]) {
      ctx.recorder.event(pod, 'Normal', 'Created', `Created container ${c.name}`);
      ctx.recorder.event(pod, 'Normal', 'Started', `Started container ${c.name}`);
    }
    if (this.sim.config.timings.containerStartMs > 0) this.startedAt.set(pod.metadata.uid ?? '', Date.now());
    await this.postStatus(pod, ctx, { ready: this.sim.config.timings.containerStartMs <= 0, podIP, hostIP, imageIDs });
    if (this.sim.config.timings.containerStartMs > 0) return { requeueAfter: this.sim.config.timings.containerStartMs };
  }

  /**
   * Containers of pods that do not restart (restartPolicy Never/OnFailure, e.g. Job pods)
   * "exit" after `sim.kubeloop.io/run-seconds` (default timings.podRunMs) with exit code
   * `sim.kubeloop.io/exit-code` (default 0): the pod turns Succeeded or Failed.
   */
  private async maybeExit(pod: PodObject, ctx: ReconcileContext<PodObject>): Promise<Result | void> {
    const policy = (pod.spec as { restartPolicy?: string }).restartPolicy ?? 'Always';
    if (policy === 'Always') return;
    const ann = pod.metadata.annotations ?? {};
    const runMs = ann[RUN_SECONDS] !== undefined && Number.isFinite(Number(ann[RUN_SECONDS])) ? Number(ann[RUN_SECONDS]) * 1000 : this.sim.config.timings.podRunMs;
    const statuses = (pod.status?.containerStatuses ?? []) as Array<{ name: string; image?: string; imageID?: string; containerID?: string; state?: { running?: { startedAt?: string } } }>;
    const started = Math.max(...statuses.map((s) => Date.parse(s.state?.running?.startedAt ?? '') || 0));
    const wait = started + runMs - Date.now();
    if (wait > 0) return { requeueAfter: wait };
    const code = Number.parseInt(ann[EXIT_CODE] ?? '0', 10) || 0;
    const now = rfc3339();
    const reason = code === 0 ? 'Completed' : 'Error';
    await ctx.client.patch(Pod, pod.metadata.name!, {
      status: {
        phase: code === 0 ? 'Succeeded' : 'Failed',
        conditions: (pod.status?.conditions ?? []).map((c) => (c.type === 'Ready' || c.type === 'ContainersReady')
          ? { ...c, status: 'False', reason: 'PodCompleted', lastTransitionTime: now } : c),
        containerStatuses: statuses.map((s) => ({
          ...s, ready: false, started: false,
          state: { terminated: { exitCode: code, reason, startedAt: s.state?.running?.startedAt, finishedAt: now, containerID: s.containerID } },
        })),
      },
    }, { namespace: pod.metadata.namespace, subresource: 'status' });
    this.releaseIP(objectKey(pod));
  }

  reconcileDeleted(req: Request) {
    const key = req.namespace ? `${req.namespace}/${req.name}` : req.name;
    this.releaseIP(key);
    this.killing.delete(key);
    if (this.startedAt.size > 10_000) this.startedAt.clear(); // entries of pods deleted before Ready
    for (const k of this.backoff.keys()) if (k.startsWith(`${key}/`)) this.backoff.delete(k);
  }

  private async terminate(pod: PodObject, key: string, ctx: ReconcileContext<PodObject>): Promise<Result | void> {
    if (!this.killing.has(key)) {
      this.killing.add(key);
      for (const c of (pod.spec!.containers ?? []) as Container[]) ctx.recorder.event(pod, 'Normal', 'Killing', `Stopping container ${c.name}`);
    }
    const deadline = Date.parse(pod.metadata.deletionTimestamp!);
    const wait = deadline - Date.now();
    if (wait > 0) return { requeueAfter: wait };
    try {
      await ctx.client.delete(Pod, pod.metadata.name!, { namespace: pod.metadata.namespace, gracePeriodSeconds: 0, preconditions: { uid: pod.metadata.uid } });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    this.releaseIP(key);
  }

  private async pullSecrets(pod: PodObject, ctx: ReconcileContext<PodObject>): Promise<DockerConfigAuths> {
    const out: DockerConfigAuths = {};
    for (const ref of pod.spec?.imagePullSecrets ?? []) {
      try {
        const s = await ctx.client.get<SecretObject>({ apiVersion: 'v1', kind: 'Secret' }, ref.name, { namespace: pod.metadata.namespace });
        const data = s.data?.['.dockerconfigjson'] ?? s.data?.['.dockercfg'];
        if (!data) continue;
        for (const [h, a] of Object.entries(parseDockerConfig(Buffer.from(data, 'base64').toString('utf8')))) if (!(h in out)) out[h] = a;
      } catch (err) {
        // like the kubelet: a missing pull secret is logged and the pull goes on without it
        if (!isNotFound(err)) throw err;
        ctx.log.warn({ secret: ref.name }, 'unable to retrieve pull secret, the image pull may not succeed');
      }
    }
    return out;
  }

  private allocateIP(key: string, nodeName: string, cidr: string, ctx: ReconcileContext<PodObject>): string {
    let st = this.ips.get(nodeName);
    if (!st || st.cidr !== cidr) {
      // rebuild from what pods on this node already carry (restart safety)
      st = { cidr, used: new Map(), next: 2 };
      const { base } = parseCidr(cidr);
      for (const p of ctx.cache<PodObject>(Pod).byIndex(POD_NODE_INDEX, nodeName)) {
        const ip = p.status?.podIP;
        if (!ip || isTerminated(p) || (p.spec as { hostNetwork?: boolean }).hostNetwork) continue;
        const parts = ip.split('.').map(Number);
        const idx = ((parts[0] * 256 + parts[1]) * 256 + parts[2]) * 256 + parts[3] - base;
        if (idx > 0) st.used.set(objectKey(p), idx);
      }
      this.ips.set(nodeName, st);
    }
    const have = st.used.get(key);
    if (have !== undefined) return hostInCidr(cidr, have);
    const size = 2 ** (32 - parseCidr(cidr).bits);
    const taken = new Set(st.used.values());
    for (let k = 0; k < size - 3; k++) {
      const idx = 2 + ((st.next - 2 + k) % (size - 3));
      if (taken.has(idx)) continue;
      st.used.set(key, idx);
      st.next = idx + 1;
      this.podNode.set(key, nodeName);
      return hostInCidr(cidr, idx);
    }
    throw new Error(`no free pod IP left in ${cidr} on node ${nodeName}`);
  }

  private releaseIP(key: string): void {
    const node = this.podNode.get(key);
    if (node === undefined) return;
    this.podNode.delete(key);
    this.ips.get(node)?.used.delete(key);
  }

  private async postWaiting(pod: PodObject, ctx: ReconcileContext<PodObject>, name: string, reason: string, message: string): Promise<void> {
    const containers = (pod.spec!.containers ?? []) as Container[];
    const now = rfc3339();
    const conds = [
      { type: 'PodReadyToStartContainers', status: 'True' },
      { type: 'Initialized', status: 'True' },
      { type: 'Ready', status: 'False', reason: 'ContainersNotReady', message: `containers with unready status: [${containers.map((c) => c.name).join(' ')}]` },
      { type: 'ContainersReady', status: 'False', reason: 'ContainersNotReady', message: `containers with unready status: [${containers.map((c) => c.name).join(' ')}]` },
      { type: 'PodScheduled', status: 'True' },
    ];
    const prev = (pod.status?.containerStatuses ?? []) as Array<{ name: string; state?: { waiting?: { reason?: string; message?: string } } }>;
    const statuses = containers.map((c) => ({
      name: c.name, image: c.image, imageID: '', ready: false, started: false, restartCount: 0,
      state: { waiting: c.name === name ? { reason, message } : (prev.find((s) => s.name === c.name)?.state?.waiting ?? { reason: 'ContainerCreating' }) },
    }));
    const same = prev.length === statuses.length && statuses.every((s) => {
      const p = prev.find((x) => x.name === s.name);
      return p?.state?.waiting?.reason === s.state.waiting.reason && p?.state?.waiting?.message === s.state.waiting.message;
    });
    if (same && pod.status?.phase === 'Pending') return;
    await ctx.client.patch(Pod, pod.metadata.name!, {
      status: {
        phase: 'Pending', hostIP: this.sim.pool.get(pod.spec!.nodeName!)?.internalIP, startTime: pod.status?.startTime ?? now,
        conditions: conds.map((c) => ({ ...c, lastProbeTime: null, lastTransitionTime: (pod.status?.conditions?.find((x) => x.type === c.type && x.status === c.status)?.lastTransitionTime) ?? now })),
        containerStatuses: statuses,
      },
    }, { namespace: pod.metadata.namespace, subresource: 'status' });
  }

  private async postStatus(pod: PodObject, ctx: ReconcileContext<PodObject>, o: { ready: boolean; podIP?: string; hostIP?: string; imageIDs?: Map<string, string> }): Promise<void> {
    const now = rfc3339();
    const containers = (pod.spec!.containers ?? []) as Container[];
    const initContainers = ((pod.spec as { initContainers?: Container[] }).initContainers ?? []);
    const prev = (pod.status?.containerStatuses ?? []) as Array<{ name: string; imageID?: string; state?: { running?: { startedAt?: string } } }>;
    const ready = o.ready ? 'True' : 'False';
    const unready: Record<string, string> = o.ready ? {} : { reason: 'ContainersNotReady', message: `containers with unready status: [${containers.map((c) => c.name).join(' ')}]` };
    const cond = (type: string, status: string, extra: Record<string, string> = {}) => ({
      type, status, lastProbeTime: null,
      lastTransitionTime: pod.status?.conditions?.find((x) => x.type === type && x.status === status)?.lastTransitionTime ?? now, ...extra,
    });
    const podIP = o.podIP ?? pod.status?.podIP;
    const hostIP = o.hostIP ?? (pod.status as { hostIP?: string } | undefined)?.hostIP;
    const status = {
      phase: 'Running',
      hostIP, hostIPs: hostIP ? [{ ip: hostIP }] : undefined,
      podIP, podIPs: podIP ? [{ ip: podIP }] : undefined,
      startTime: pod.status?.startTime ?? now,
      // set by the API server when the pod was created (podStrategy.PrepareForCreate)
      qosClass: (pod.status as { qosClass?: string } | undefined)?.qosClass,
      conditions: [
        cond('PodReadyToStartContainers', 'True'), cond('Initialized', 'True'), cond('Ready', ready, unready),
        cond('ContainersReady', ready, unready), cond('PodScheduled', 'True'),
      ],
      initContainerStatuses: initContainers.length ? initContainers.map((c) => ({
        name: c.name, image: c.image, imageID: o.imageIDs?.get(c.name) ?? '', ready: true, restartCount: 0,
        state: { terminated: { exitCode: 0, reason: 'Completed', startedAt: now, finishedAt: now, containerID: `containerd://${pod.metadata.uid}-${c.name}` } },
      })) : undefined,
      containerStatuses: containers.map((c) => {
        const p = prev.find((s) => s.name === c.name);
        return {
          name: c.name, image: c.image, imageID: o.imageIDs?.get(c.name) ?? p?.imageID ?? '',
          containerID: `containerd://${(pod.metadata.uid ?? '').replace(/-/g, '')}${c.name}`.slice(0, 77),
          ready: o.ready, started: true, restartCount: 0,
          state: { running: { startedAt: p?.state?.running?.startedAt ?? now } },
        };
      }),
    };
    await ctx.client.patch(Pod, pod.metadata.name!, { status }, { namespace: pod.metadata.namespace, subresource: 'status' });
  }
}
