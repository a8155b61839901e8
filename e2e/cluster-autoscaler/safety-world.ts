/**
 * The world of the controller-level safety test (safety.test.ts): the real cluster autoscaler
 * controller, the built-in API server (evictions honour PDBs there) and the cloud emulator
 * (ESS with its removal policies and fault injection), with the rest of the cluster played
 * step by step from a seeded random source instead of by the simulated cluster's real-time
 * controllers, so that a seed replays and hours of scans take a second:
 *
 *   - ACK's node bootstrap: an instance that became InService registers a Node (as the
 *     simulated cluster builds it: nodeFromInstance, ACK's allocatable, either providerID
 *     form) after a per-instance delay, or never; its system DaemonSet pods start with it;
 *     a removed instance's Node and pods go (the cloud controller manager, pod GC);
 *   - a scheduler (resources, node selectors, taints, readiness), a kubelet (pods Running,
 *     terminating pods gone after their grace), ReplicaSets replacing pods, the disruption
 *     controller's PDB status;
 *   - the autoscaler is driven through its reconcile entry point on a FakeClock, with caches
 *     read from the server (sometimes one step stale), and can be restarted gracefully or
 *     crash: a crashed instance's clients hang forever, as a killed process does nothing more.
 *
 * The invariants are checked when they could break, synchronously from the API server's
 * store: on every instance the emulator starts to remove (every non-DaemonSet pod that ran on
 * its node was evicted — the eviction API, which honours PDBs, put DisruptionTarget on it —
 * and the autoscaler named the instance: ESS's removal policy never picks one), on every pod
 * deletion (never bypassing the eviction API), and on every ESS call the autoscaler makes
 * (group min/max, and --max-nodes-total counting the nodes outside the groups the loop's caches
 * showed).
 */
import type { ApiServer } from '../../src/apiserver/index.js';
import { KubeClient, loadKubeConfig } from '../../src/client/index.js';
import { FakeClock } from '../../src/queue/index.js';
import { EventRecorder, type Logger } from '../../src/controller/index.js';
import { createRegistry } from '../../src/observability/index.js';
import { reconcileContext } from '../../src/testing/index.js';
import { nodeFromInstance } from '../../src/simcluster/cloudnodes.js';
import { nodeAllocatable, nodeCapacity } from '../../src/simcluster/nodes.js';
import type { KubeObject } from '../../src/api/index.js';
import { startCloudSim, type CloudSim, type CloudState, type InstanceEvent } from '@kubeloop/ack/cloudsim';
import { createAlibabaCloud, type ScalingApi } from '@kubeloop/ack/cloud';
import {
  autoscalerMetrics, ClusterAutoscalerController, LOOP_KEY, parseAutoscalerConfig, type AutoscalerConfig,
} from '@kubeloop/ack/cluster-autoscaler';
import { customize, REGION, silent, type GroupSpec } from './harness.js';

type Obj = KubeObject & { spec?: any; status?: any };
export const TICK_MS = 10_000;

/** How a group's instances come up. */
export type Provisioning = 'fast' | 'slow' | 'flaky' | 'broken' | 'stuck';

export interface WorldGroup extends GroupSpec { provisioning: Provisioning }

export type AppKind = 'plain' | 'pdb' | 'unsafe' | 'system' | 'local' | 'bare';
export interface App {
  name: string;
  kind: AppKind;
  replicas: number;
  cpuMillis: number;
  memMiB: number;
  /** pods keep this grace period; evicted ones take `slowTermination` steps to go */
  grace: number;
  nodeSelector?: Record<string, string>;
  rsUid?: string;
}

const hasCondition = (p: Obj, type: string) => (p.status?.conditions ?? []).some((c: any) => c.type === type && c.status === 'True');
const isDaemonSetPod = (p: Obj) => (p.metadata.ownerReferences ?? []).some((r: any) => r.controller && r.kind === 'DaemonSet');
const isMirror = (p: Obj) => !!p.metadata.annotations?.['kubernetes.io/config.mirror'];
const finished = (p: Obj) => p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed';
const quantityMillis = (q: string) => (q.endsWith('m') ? Number(q.slice(0, -1)) : Number(q) * 1000);
const quantityBytes = (q: string) => {
  const m = /^(\d+)(Ki|Mi|Gi)?$/.exec(q);
  if (!m) throw new Error(`unexpected quantity ${q}`);
  return Number(m[1]) * ({ Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30 }[m[2] as 'Ki'] ?? 1);
};

/** One run of the autoscaler process: its controller, clients and whether it was killed. */
interface Life {
  id: number;
  ctl: ClusterAutoscalerController;
  client: KubeClient;
  abort: AbortController;
  dead: boolean;
}

/** What the scenarios of one lane share: an API server (with ACK's system DaemonSets) and a client of it. */
export interface Shared {
  server: ApiServer;
  client: KubeClient;
}

const never = () => new Promise<never>(() => {});

export class World {
  readonly clock = new FakeClock(Date.parse('2026-12-07T00:00:00Z'));
  readonly violations: string[] = [];
  readonly trace: string[] = [];
  tick = 0;
  cloud!: CloudSim;
  config!: AutoscalerConfig;
  private ess!: ScalingApi;
  private life?: Life;
  private lives = 0;
  private inflight = 0;
  /** invariants are checked (not while the scenario is set up or torn down) */
  private active = false;
  /** Active instance events not yet a Node, with the step each registers at (Infinity: never) */
  private readonly booting = new Map<string, { ev: InstanceEvent; at: number }>();
  /** instance id -> its Node */
  private readonly nodeOf = new Map<string, string>();
  private readonly removed = new Set<string>();
  /** instances removed behind everyone's back by the test (not the autoscaler's doing) */
  private readonly external = new Set<string>();
  /** instances the autoscaler named in RemoveInstances */
  private readonly named = new Set<string>();
  /** pods the test deleted itself (kubelet, pod GC, pods leaving) */
  private readonly ourDeletes = new Set<string>();
  /** terminating pod uid -> step it is finally gone at */
  private readonly terminating = new Map<string, number>();
  private readonly unready = new Map<string, number>();
  private lastObjects: Obj[] = [];
  /** the Nodes outside every group in the caches of the running loop */
  private outsideSeen: Obj[] = [];
  private unsubscribe: () => void = () => {};
  readonly apps: App[] = [];
  private podSeq = 0;
  private staticSeq = 0;

  constructor(
    readonly shared: Shared,
    private readonly random: () => number,
    readonly groups: WorldGroup[],
    private readonly flags: Record<string, unknown>,
    private readonly providerIdForm: 'ack' | 'alicloud',
  ) {}

  // ---------------------------------------------------------------- helpers

  private chance(p: number): boolean { return this.random() < p; }
  private int(lo: number, hi: number): number { return lo + Math.floor(this.random() * (hi - lo + 1)); }
  private pick<T>(xs: readonly T[]): T { return xs[Math.floor(this.random() * xs.length)]; }
  note(line: string): void {
    this.trace.push(`[${this.tick}] ${line}`);
    if (this.trace.length > 80) this.trace.shift();
  }
  private violation(message: string): void {
    if (!this.active) return;
    this.violations.push(`step ${this.tick}: ${message}`);
    this.note(`VIOLATION ${message}`);
  }
  private type(group: string, resource: string) {
    const t = this.shared.server.registry.get(group, 'v1', resource);
    if (!t) throw new Error(`no resource ${group}/${resource}`);
    return t;
  }
  /** The server's committed objects now (synchronous: nothing can interleave). */
  private stored(group: string, resource: string, namespace?: string): Obj[] {
    return this.shared.server.ops.list(this.type(group, resource), namespace).items.map((s: { obj: KubeObject }) => s.obj as Obj);
  }
  private pods(): Obj[] { return this.stored('', 'pods'); }
  // the world's own writes go through the server's object operations in-process (admission,
  // validation and the store as over HTTP, without the round trip); the autoscaler uses HTTP
  private async create(group: string, resource: string, obj: Obj): Promise<Obj> {
    return (await this.shared.server.ops.create(this.type(group, resource), obj.metadata.namespace, obj)).object as Obj;
  }
  private async patchStatus(group: string, resource: string, namespace: string | undefined, name: string, status: unknown): Promise<void> {
    try {
      await this.shared.server.ops.patch(this.type(group, resource), namespace, name, 'application/merge-patch+json', { status }, { subresource: 'status' });
    } catch { /* gone meanwhile */ }
  }
  private async remove(group: string, resource: string, namespace: string | undefined, name: string): Promise<void> {
    try { await this.shared.server.ops.delete(this.type(group, resource), namespace, name, { gracePeriodSeconds: 0 }); } catch { /* gone already */ }
  }
  private async bind(pod: Obj, node: string): Promise<boolean> {
    const bindPod = this.shared.server.ops.subresourceHandlers.get('/pods/binding')!;
    const binding = { apiVersion: 'v1', kind: 'Binding', metadata: { name: pod.metadata.name }, target: { apiVersion: 'v1', kind: 'Node', name: node } };
    try { await bindPod(this.shared.server.ops, this.type('', 'pods'), pod.metadata.namespace, pod.metadata.name!, binding as Obj, {}); return true; } catch { return false; }
  }
  private nodes(): Obj[] { return this.stored('', 'nodes'); }

  // ---------------------------------------------------------------- start / stop

  async start(): Promise<void> {
    this.config = parseAutoscalerConfig(this.flags);
    // the groups start empty and are brought to their desired capacity once the world listens
    // boots and ESS removals at once: the world's steps run on a fake clock, and a replayed seed
    // must not depend on the emulator's wall-clock timers
    this.cloud = await startCloudSim({ port: 0, regionId: REGION, timings: { bootDelayMs: 0, removeDelayMs: 0 }, customize: (s) => customize(s, this.groups.map((g) => ({ ...g, desired: 0 }))) });
    const api = createAlibabaCloud({
      regionId: this.cloud.regionId, emulator: this.cloud.url,
      credentials: { accessKeyId: this.cloud.accessKeyId, accessKeySecret: this.cloud.accessKeySecret },
      retry: { baseDelayMs: 1, maxDelayMs: 4, maxAttempts: 3 },
    });
    this.ess = api.scaling;
    this.cloud.events.on('instance', (ev: InstanceEvent) => this.onInstance(ev));
    this.cloud.events.on('changed', () => this.checkGroups());
    this.unsubscribe = this.shared.server.onChange((c) => {
      if (c.type !== 'DELETED') return;
      const o = c.object as Obj;
      if (o.kind === 'Pod') this.onPodDeleted(o);
      else if (o.kind === 'Node') this.onNodeDeleted(o);
    });
    for (const g of this.groups) {
      const id = this.groupId(g.name);
      if (g.desired) await this.ess.setDesiredCapacity(id, g.desired);
      this.note(`group ${id}: ${g.instanceType} min ${g.min} max ${g.max} desired ${g.desired} ${g.provisioning}${g.bootDelayMs! < 0 ? ' (never boots)' : ''}`);
    }
    await this.settle();
    this.active = true;
    this.startLife();
  }

  groupId(name: string): string {
    return this.cloud.state.scalingGroups.find((g) => g.scalingGroupName === name)!.scalingGroupId;
  }

  /** Stops the autoscaler, the emulator and deletes what this scenario left in the server. */
  async stop(): Promise<void> {
    await this.stopLife(false);
    this.active = false;
    this.unsubscribe();
    await this.cloud.stop();
    for (const [group, resource] of [['', 'pods'], ['policy', 'poddisruptionbudgets'], ['apps', 'replicasets'], ['', 'nodes']]) {
      for (const o of this.stored(group, resource)) await this.remove(group, resource, o.metadata.namespace, o.metadata.name!);
    }
  }

  // ---------------------------------------------------------------- the autoscaler's lives

  private startLife(): void {
    const id = ++this.lives;
    // no transport retries of 429s (they sleep in real time): the controller's own eviction
    // retries, on the FakeClock, are what the scenarios exercise
    const client = new KubeClient(loadKubeConfig({ kubeconfig: this.shared.server.kubeconfig }), { maxRetries: 0 });
    const life = { id, client, abort: new AbortController(), dead: false } as Life;
    // every call counted while in flight (the world waits for quiet); a dead process's calls never return
    const t = client.transport as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>;
    for (const m of ['request', 'requestJSONWithHead']) {
      const orig = t[m].bind(t);
      t[m] = async (...a: unknown[]) => {
        if (life.dead) return never();
        this.inflight++;
        try { return await orig(...a); } finally { this.inflight--; }
      };
    }
    const ess = this.observedEss(life);
    const recorder = new (class extends EventRecorder {
      constructor(private readonly w: World) { super(); }
      record(o: { metadata?: { name?: string } }, type: string, reason: string, message: string) {
        if (reason !== 'NotTriggerScaleUp' && reason !== 'TriggeredScaleUp') this.w.note(`event ${type} ${reason} ${o.metadata?.name}: ${message}`);
      }
      recordAnnotated(o: { metadata?: { name?: string } }, _a: Record<string, string>, type: string, reason: string, message: string) { this.record(o, type, reason, message); }
    })(this);
    const deps = {
      config: this.config, ess, region: REGION, metrics: autoscalerMetrics(createRegistry()), log: silent() as Logger,
      random: this.random, clock: this.clock,
    };
    life.ctl = new ClusterAutoscalerController(deps, recorder);
    life.ctl.onStart({ controller: 'cluster-autoscaler', enqueue: () => {}, signal: life.abort.signal });
    this.life = life;
    this.note(`autoscaler #${id} starts`);
  }

  /** Ends the running autoscaler: a graceful stop (its drains give up and untaint) or a crash. */
  async stopLife(crash: boolean): Promise<void> {
    const life = this.life;
    if (!life) return;
    this.life = undefined;
    if (crash) {
      life.dead = true;
      this.note(`autoscaler #${life.id} crashes${life.ctl.state.deleting.size ? ` mid-drain of ${[...life.ctl.state.deleting.keys()].join(', ')}` : ''}`);
      return;
    }
    life.abort.abort();
    this.note(`autoscaler #${life.id} stops`);
    const done = life.ctl.idle().then(() => true);
    for (let i = 0; i < 200; i++) {
      if (await Promise.race([done, this.settle().then(() => false)])) break;
      this.clock.step(1_000);
    }
    life.client.close();
  }

  /** The ESS client as the autoscaler sees it, with every call checked before it goes out. */
  private observedEss(life: Life): ScalingApi {
    const inner = this.ess;
    const call = async <T>(what: () => Promise<T>): Promise<T> => {
      if (life.dead) return never();
      this.inflight++;
      try { return await what(); } finally { this.inflight--; }
    };
    return {
      listScalingGroups: (f) => call(() => inner.listScalingGroups(f)),
      getScalingGroup: (id) => call(() => inner.getScalingGroup(id)),
      listScalingConfigurations: (id) => call(() => inner.listScalingConfigurations(id)),
      listScalingInstances: (id, f) => call(() => inner.listScalingInstances(id, f)),
      describeInstanceTypes: (ids) => call(() => inner.describeInstanceTypes(ids)),
      describeInstances: (f) => call(() => inner.describeInstances(f)),
      listScalingActivities: (id, f) => call(() => inner.listScalingActivities(id, f)),
      setDesiredCapacity: (id, n) => call(() => { if (!life.dead) this.checkCapacity(id, n); return inner.setDesiredCapacity(id, n); }),
      scaleToTotalCapacity: (id, n) => call(() => { if (!life.dead) this.checkCapacity(id, n); return inner.scaleToTotalCapacity(id, n); }),
      modifyScalingGroup: (id, change) => call(() => {
        if (!life.dead && change.desiredCapacity !== undefined) this.checkCapacity(id, change.desiredCapacity);
        if (!life.dead && (change.minSize !== undefined || change.maxSize !== undefined)) this.violation(`the autoscaler changed the bounds of ${id}`);
        return inner.modifyScalingGroup(id, change);
      }),
      removeInstances: (id, ids, opts) => call(() => {
        if (!life.dead) {
          const g = this.cloud.state.scalingGroups.find((x) => x.scalingGroupId === id);
          const members = this.cloud.state.instances.filter((i) => i.scalingGroupId === id).length;
          if (g && members - ids.length < g.minSize) this.violation(`RemoveInstances ${ids.join(',')} would take ${id} below its min ${g.minSize} (${members} members)`);
          for (const x of ids) this.named.add(x);
          this.note(`autoscaler #${life.id}: RemoveInstances ${id} ${ids.join(',')}`);
        }
        return inner.removeInstances(id, ids, opts);
      }),
    };
  }

  /** A desired capacity the autoscaler sets: within the group's min/max; growth within --max-nodes-total. */
  private checkCapacity(groupId: string, n: number): void {
    const st = this.cloud.state;
    const g = st.scalingGroups.find((x) => x.scalingGroupId === groupId);
    if (!g) return;
    this.note(`autoscaler: desired capacity of ${groupId} ${g.desiredCapacity} -> ${n}`);
    if (n < g.minSize || n > g.maxSize) this.violation(`desired capacity ${n} of ${groupId} outside [${g.minSize}, ${g.maxSize}]`);
    const limit = this.config.maxNodesTotal;
    if (limit > 0 && n > this.sizeOf(g)) {
      // the nodes outside the groups as the loop's caches showed them: one that joined while the
      // caches lagged is not the autoscaler's to count (upstream's limit has the same horizon)
      const outside = this.outsideSeen.length;
      const total = outside + st.scalingGroups.reduce((sum, x) => sum + (x === g ? n : this.sizeOf(x)), 0);
      if (total > limit) this.violation(`growing ${groupId} to ${n} makes ${total} nodes, over --max-nodes-total ${limit}`);
    }
  }

  // ---------------------------------------------------------------- invariants

  private onInstance(ev: InstanceEvent): void {
    if (ev.type === 'Active') {
      const g = this.groups.find((x) => ev.scalingGroupId && this.groupId(x.name) === ev.scalingGroupId);
      const delay = !ev.registers ? Infinity : !g ? 0 : {
        fast: () => this.int(0, 1), slow: () => this.int(2, 14), flaky: () => (this.chance(0.35) ? Infinity : this.int(0, 2)),
        broken: () => Infinity, stuck: () => 0,
      }[g.provisioning]();
      this.booting.set(ev.instanceId, { ev, at: this.tick + delay });
      return;
    }
    if (ev.type !== 'Removing') return;
    this.booting.delete(ev.instanceId);
    this.removed.add(ev.instanceId);
    if (this.external.has(ev.instanceId)) return;
    if (!this.named.has(ev.instanceId)) this.violation(`ESS removed instance ${ev.instanceId} the autoscaler never named (its removal policy picked it after a desired-capacity cut)`);
    this.checkEmptied(ev.instanceId, `instance ${ev.instanceId} removed`);
  }

  /** Every non-DaemonSet pod on the instance's node was evicted (a DisruptionTarget from the eviction API). */
  private checkEmptied(instanceId: string, what: string): void {
    const node = this.nodeOf.get(instanceId);
    if (!node) return;
    for (const p of this.pods()) {
      if (p.spec?.nodeName !== node || isDaemonSetPod(p) || isMirror(p) || finished(p)) continue;
      if (!hasCondition(p, 'DisruptionTarget')) this.violation(`${what} (node ${node}) while pod ${p.metadata.namespace}/${p.metadata.name} ran there unevicted`);
    }
  }

  private onPodDeleted(p: Obj): void {
    if (this.ourDeletes.has(p.metadata.uid!) || isDaemonSetPod(p)) return;
    if (!hasCondition(p, 'DisruptionTarget')) this.violation(`pod ${p.metadata.namespace}/${p.metadata.name} was deleted without the eviction API`);
  }

  private onNodeDeleted(n: Obj): void {
    const id = [...this.nodeOf.entries()].find(([, name]) => name === n.metadata.name)?.[0];
    if (id && !this.external.has(id)) this.checkEmptied(id, `node ${n.metadata.name} deleted`);
  }

  /** A group's desired capacity, or for one without, its instances that stay. */
  private sizeOf(g: CloudState['scalingGroups'][number]): number {
    return g.desiredCapacity ?? this.cloud.state.instances.filter((i) => i.scalingGroupId === g.scalingGroupId && i.lifecycleState !== 'Removing').length;
  }

  private checkGroups(): void {
    for (const g of this.cloud.state.scalingGroups) {
      const size = this.sizeOf(g);
      if (size < g.minSize || size > g.maxSize) this.violation(`group ${g.scalingGroupId} at ${size}, outside [${g.minSize}, ${g.maxSize}]`);
    }
  }

  // ---------------------------------------------------------------- quiet and steps

  /** Waits until no call of the autoscaler is in flight and no instance is about to boot. */
  async settle(): Promise<void> {
    let quiet = 0;
    for (let i = 0; quiet < 3; i++) {
      if (i > 200_000) throw new Error('the world never became quiet');
      await new Promise((r) => setImmediate(r));
      const booting = this.cloud.state.instances.some((x) => x.bootsAt !== undefined);
      quiet = this.inflight === 0 && !booting ? quiet + 1 : 0;
    }
  }

  /** One scan interval: the world changes, the cluster reacts, the autoscaler runs once. */
  async step(): Promise<void> {
    this.tick++;
    await this.randomEvents();
    await this.clusterStep();
    await this.settle();
    await this.runAutoscaler();
    await this.settle();
    this.clock.step(TICK_MS);
    await this.settle();
  }

  private async runAutoscaler(): Promise<void> {
    const life = this.life;
    if (!life) return;
    // the informers' caches: now, or (sometimes) what they showed a step ago
    const fresh = [...this.nodes(), ...this.pods(), ...this.stored('policy', 'poddisruptionbudgets'), ...this.stored('apps', 'daemonsets')];
    const objects = this.chance(0.15) && this.lastObjects.length ? this.lastObjects : fresh;
    this.lastObjects = fresh;
    const groupIds = new Set(this.cloud.state.scalingGroups.map((x) => x.scalingGroupId));
    this.outsideSeen = objects.filter((o) => o.kind === 'Node' && !groupIds.has(o.metadata.labels?.['alibabacloud.com/scaling-group-id'] ?? ''));
    const ctx = reconcileContext({ request: LOOP_KEY, objects, client: life.client, controller: 'cluster-autoscaler', signal: life.abort.signal, log: silent() });
    await life.ctl.reconcileDeleted(LOOP_KEY, ctx as never);
  }

  // ---------------------------------------------------------------- what happens to the cluster

  private async randomEvents(): Promise<void> {
    if (this.chance(0.25) || this.apps.length === 0) await this.changeApps();
    if (this.chance(0.06) && this.staticSeq < 2) await this.staticNodeJoins();
    if (this.chance(0.05)) await this.instanceDies();
    if (this.chance(0.04)) this.nodeGoesNotReady();
    if (this.chance(0.08)) {
      const rule = this.chance(0.5)
        ? { service: 'ess' as const, errorCount: this.int(1, 6) }
        : { action: this.pick(['RemoveInstances', 'ModifyScalingGroup', 'DescribeScalingInstances', 'DescribeScalingGroups']), errorCount: this.int(1, 4) };
      this.cloud.faults.set(rule);
      this.note(`ESS fault ${JSON.stringify(rule)}`);
    }
    const draining = (this.life?.ctl.state.deleting.size ?? 0) > 0;
    if (this.chance(draining ? 0.15 : 0.03)) {
      const crash = this.chance(0.6);
      await this.stopLife(crash);
      this.startLife();
    }
  }

  private async changeApps(): Promise<void> {
    if (this.apps.length < 5 && (this.apps.length === 0 || this.chance(0.4))) {
      const kind = this.pick<AppKind>(['plain', 'plain', 'plain', 'pdb', 'pdb', 'unsafe', 'system', 'local', 'bare']);
      const app: App = {
        name: `app${this.apps.length}`, kind, replicas: kind === 'bare' ? 1 : this.int(1, 6), cpuMillis: this.pick([100, 250, 500, 900, 1500, 3000]),
        memMiB: this.pick([64, 256, 1024, 3000]), grace: this.pick([0, 0, 30]),
        nodeSelector: this.chance(0.15) ? { pool: this.pick(this.groups).name } : undefined,
      };
      const ns = kind === 'system' ? 'kube-system' : 'default';
      if (kind !== 'bare') {
        const rs = await this.create('apps', 'replicasets', {
          apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: app.name, namespace: ns },
          spec: { replicas: app.replicas, selector: { matchLabels: { app: app.name } }, template: { metadata: { labels: { app: app.name } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } } },
        } as Obj);
        app.rsUid = rs.metadata.uid;
      }
      if (kind === 'pdb' || (kind === 'system' && this.chance(0.5))) {
        await this.create('policy', 'poddisruptionbudgets', {
          apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: app.name, namespace: ns },
          spec: { minAvailable: this.int(0, Math.max(0, app.replicas - 1)), selector: { matchLabels: { app: app.name } } },
        } as Obj);
      }
      this.apps.push(app);
      this.note(`new app ${app.name} (${kind}) x${app.replicas} ${app.cpuMillis}m ${app.memMiB}Mi${app.nodeSelector ? ` on ${app.nodeSelector.pool}` : ''}`);
      return;
    }
    const app = this.pick(this.apps.filter((a) => a.kind !== 'bare').concat(this.apps[0]));
    if (app.kind === 'bare') return;
    app.replicas = this.int(0, 8);
    this.note(`${app.name} scaled to ${app.replicas}`);
  }

  private async staticNodeJoins(): Promise<void> {
    const key = `static-${++this.staticSeq}`;
    const res = await fetch(`${this.cloud.url}/_sim/instances`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ key, cpuCoreCount: 4, memoryGiB: 16 }),
    });
    if (!res.ok) throw new Error(`static instance: ${res.status} ${await res.text()}`);
    this.note(`a static node joins (${key})`);
  }

  /** An instance dies behind everyone's back (ESS then launches a replacement). */
  private async instanceDies(): Promise<void> {
    const candidates = this.cloud.state.instances.filter((i) => i.scalingGroupId && i.lifecycleState !== 'Removing' && !this.removed.has(i.instanceId));
    if (!candidates.length) return;
    const inst = this.pick(candidates);
    this.external.add(inst.instanceId);
    const res = await fetch(`${this.cloud.url}/_sim/instances/${inst.instanceId}`, { method: 'DELETE' });
    if (!res.ok) throw new Error(`instance ${inst.instanceId} would not die: ${res.status}`);
    this.note(`instance ${inst.instanceId} dies (node ${this.nodeOf.get(inst.instanceId) ?? 'none'})`);
  }

  private nodeGoesNotReady(): void {
    const names = [...this.nodeOf.values()].filter((n) => !this.unready.has(n));
    if (!names.length) return;
    const n = this.pick(names);
    this.unready.set(n, this.tick + this.int(1, 4));
    this.note(`node ${n} NotReady for a while`);
  }

  private async clusterStep(): Promise<void> {
    // removed instances: their Nodes and pods go
    for (const id of [...this.removed]) {
      const node = this.nodeOf.get(id);
      this.removed.delete(id);
      if (!node) continue;
      for (const p of this.pods().filter((x) => x.spec?.nodeName === node)) await this.deletePod(p);
      await this.remove('', 'nodes', undefined, node);
      this.nodeOf.delete(id);
      this.unready.delete(node);
    }
    // instances that boot into Nodes now (with their system DaemonSet pods)
    for (const [id, b] of [...this.booting]) {
      if (b.at > this.tick) continue;
      const inst = this.cloud.state.instances.find((i) => i.instanceId === id);
      if (!inst || inst.status !== 'Running') continue;
      this.booting.delete(id);
      await this.register(b.ev);
    }
    // readiness
    for (const node of this.nodes()) {
      const name = node.metadata.name!;
      const until = this.unready.get(name);
      const ready = until === undefined || until <= this.tick;
      if (until !== undefined && until <= this.tick) this.unready.delete(name);
      if (hasCondition(node, 'Ready') !== ready) {
        await this.patchStatus('', 'nodes', undefined, name, { conditions: [readyCondition(ready, this.clock.now())] });
      }
    }
    // the kubelet: terminating pods go once their grace passed
    for (const p of this.pods()) {
      if (!p.metadata.deletionTimestamp) continue;
      const at = this.terminating.get(p.metadata.uid!) ?? this.tick + (Number(p.metadata.deletionGracePeriodSeconds ?? 0) > 0 ? this.pick([0, 1, 1, 2, 6]) : 0);
      this.terminating.set(p.metadata.uid!, at);
      if (at <= this.tick) await this.deletePod(p);
    }
    // ReplicaSets keep their replicas; pods leave when scaled down
    for (const app of this.apps) {
      const ns = app.kind === 'system' ? 'kube-system' : 'default';
      const live = this.pods().filter((p) => p.metadata.namespace === ns && p.metadata.labels?.app === app.name && !p.metadata.deletionTimestamp);
      for (let i = live.length; i < app.replicas; i++) await this.createPod(app, ns);
      if (app.kind === 'bare') continue;
      for (const p of live.slice(app.replicas)) await this.deletePod(p);
    }
    await this.schedule();
    await this.updatePdbs();
  }

  private async register(ev: InstanceEvent): Promise<void> {
    const h = nodeFromInstance(ev, this.providerIdForm);
    await this.create('', 'nodes', {
      apiVersion: 'v1', kind: 'Node', metadata: { name: h.name, labels: h.labels },
      spec: { providerID: h.providerID, ...(h.taints.length ? { taints: h.taints } : {}) },
    } as Obj);
    await this.patchStatus('', 'nodes', undefined, h.name, { capacity: nodeCapacity(h), allocatable: nodeAllocatable(h), conditions: [readyCondition(true, this.clock.now())] });
    this.nodeOf.set(ev.instanceId, h.name);
    this.note(`node ${h.name} registers (instance ${ev.instanceId}${ev.scalingGroupId ? ` of ${ev.scalingGroupId}` : ', static'})`);
    for (const ds of this.stored('apps', 'daemonsets', 'kube-system')) {
      const pod = await this.create('', 'pods', {
        apiVersion: 'v1', kind: 'Pod',
        metadata: {
          name: `${ds.metadata.name}-${++this.podSeq}`, namespace: 'kube-system', labels: ds.spec.template.metadata.labels,
          ownerReferences: [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: ds.metadata.name, uid: ds.metadata.uid, controller: true }],
        },
        // a copy: the server's in-process create mutates the object it is given (defaults,
        // ServiceAccount admission's token mount), and this one is the stored DaemonSet's
        spec: { ...structuredClone(ds.spec.template.spec), nodeName: h.name },
      } as Obj);
      await this.running(pod);
    }
  }

  private async createPod(app: App, ns: string): Promise<void> {
    await this.create('', 'pods', {
      apiVersion: 'v1', kind: 'Pod',
      metadata: {
        name: `${app.name}-${++this.podSeq}`, namespace: ns, labels: { app: app.name },
        annotations: app.kind === 'unsafe' ? { 'cluster-autoscaler.kubernetes.io/safe-to-evict': 'false' } : undefined,
        ownerReferences: app.rsUid ? [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: app.name, uid: app.rsUid, controller: true }] : undefined,
      },
      spec: {
        terminationGracePeriodSeconds: app.grace, nodeSelector: app.nodeSelector,
        volumes: app.kind === 'local' ? [{ name: 'data', hostPath: { path: '/var/data' } }] : undefined,
        containers: [{ name: 'c', image: 'nginx', resources: { requests: { cpu: `${app.cpuMillis}m`, memory: `${app.memMiB}Mi` } } }],
      },
    } as Obj);
  }

  private async deletePod(p: Obj): Promise<void> {
    this.ourDeletes.add(p.metadata.uid!);
    await this.remove('', 'pods', p.metadata.namespace, p.metadata.name!);
  }

  private async running(p: Obj): Promise<void> {
    await this.patchStatus('', 'pods', p.metadata.namespace, p.metadata.name!, {
      phase: 'Running', conditions: [{ type: 'PodScheduled', status: 'True' }, { type: 'Ready', status: 'True' }],
    });
  }

  /** Binds pending pods first-fit, reading the server's nodes and pods right before each binding. */
  private async schedule(): Promise<void> {
    const pending = this.pods().filter((p) => !p.spec?.nodeName && !p.metadata.deletionTimestamp);
    for (const pod of pending) {
      const nodes = this.nodes();
      const pods = this.pods();
      const req = requests(pod);
      const fits = nodes.filter((n) => {
        if (!hasCondition(n, 'Ready') || n.spec?.unschedulable) return false;
        if ((n.spec?.taints ?? []).some((t: any) => t.effect !== 'PreferNoSchedule')) return false;
        if (Object.entries(pod.spec?.nodeSelector ?? {}).some(([k, v]) => n.metadata.labels?.[k] !== v)) return false;
        const on = pods.filter((p) => p.spec?.nodeName === n.metadata.name && !finished(p));
        const used = on.reduce((s, p) => { const r = requests(p); return { cpu: s.cpu + r.cpu, mem: s.mem + r.mem }; }, { cpu: 0, mem: 0 });
        const alloc = n.status?.allocatable ?? {};
        return used.cpu + req.cpu <= quantityMillis(String(alloc.cpu ?? '0')) && used.mem + req.mem <= quantityBytes(String(alloc.memory ?? '0')) && on.length < 110;
      });
      if (!fits.length) {
        if (!(pod.status?.conditions ?? []).some((c: any) => c.type === 'PodScheduled' && c.reason === 'Unschedulable')) {
          await this.patchStatus('', 'pods', pod.metadata.namespace, pod.metadata.name!, {
            phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/n nodes are available' }],
          });
        }
        continue;
      }
      const node = this.pick(fits).metadata.name!;
      if (!(await this.bind(pod, node))) continue;
      await this.running({ ...pod, spec: { ...pod.spec, nodeName: node } });
    }
  }

  /** The disruption controller: each PDB's status from the pods it selects now. */
  private async updatePdbs(): Promise<void> {
    for (const pdb of [...this.stored('policy', 'poddisruptionbudgets')]) {
      const ns = pdb.metadata.namespace!;
      const sel = pdb.spec.selector.matchLabels as Record<string, string>;
      const matching = this.pods().filter((p) => p.metadata.namespace === ns && Object.entries(sel).every(([k, v]) => p.metadata.labels?.[k] === v));
      const healthy = matching.filter((p) => !p.metadata.deletionTimestamp && p.status?.phase === 'Running' && hasCondition(p, 'Ready')).length;
      const desired = Number(pdb.spec.minAvailable ?? 0);
      await this.patchStatus('policy', 'poddisruptionbudgets', ns, pdb.metadata.name!, {
        observedGeneration: pdb.metadata.generation ?? 1, currentHealthy: healthy, desiredHealthy: desired, expectedPods: matching.length,
        disruptionsAllowed: Math.max(0, healthy - desired), disruptedPods: null,
      });
    }
  }

  /** How the groups stand now, for the failure report. */
  summary(): string {
    return this.cloud.state.scalingGroups.map((g) => `${g.scalingGroupId} desired ${g.desiredCapacity} [${g.minSize},${g.maxSize}] members ${this.cloud.state.instances.filter((i) => i.scalingGroupId === g.scalingGroupId).length}`).join('; ');
  }
}

function readyCondition(ready: boolean, now: number) {
  const t = new Date(now).toISOString().replace(/\.\d{3}Z$/, 'Z');
  return { type: 'Ready', status: ready ? 'True' : 'False', reason: ready ? 'KubeletReady' : 'NodeStatusUnknown', lastHeartbeatTime: t, lastTransitionTime: t };
}

function requests(p: Obj): { cpu: number; mem: number } {
  let cpu = 0;
  let mem = 0;
  for (const c of p.spec?.containers ?? []) {
    const r = c.resources?.requests ?? {};
    if (r.cpu) cpu += quantityMillis(String(r.cpu));
    if (r.memory) mem += quantityBytes(String(r.memory));
  }
  return { cpu, mem };
}

