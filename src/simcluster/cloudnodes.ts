/**
 * Cloud instances become nodes: follows the emulator's instance lifecycle stream
 * (`GET /_sim/events`, NDJSON) — an instance that turns Active (InService) registers a Node
 * as ACK registers it: named `<region>.<privateIP>`, `spec.providerID` `<region>.<instanceId>`
 * (ACK's form; kubernetes/cloud-provider-alibaba-cloud's NodeFromProviderID also accepts
 * `alicloud://<region>.<instanceId>`, selectable with {@link SimCloudOptions.providerIdForm}),
 * its instance type's capacity, the allocatable the event carries (ACK's reservation) and its
 * scaling configuration's labels and taints; an instance whose bootstrap fails registers
 * nothing; a removed instance's Node is deleted. On every (re)connection the instance list
 * (`/_sim/state`) is reconciled first, so nothing is missed while disconnected.
 */
import { request, type ClientRequest } from 'node:http';
import type { Logger } from '../controller/index.js';
import type { SimCloudOptions } from './config.js';
import { emulatorJson } from './emulator-http.js';
import { baseLabels, type HostedNode, type NodePool } from './nodes.js';

/** The fields of the emulator's instance events this bridge reads. */
export interface InstanceEventView {
  type: 'Pending' | 'Active' | 'Removing' | 'Removed';
  instanceId: string;
  providerId: string;
  instanceType: string;
  cpuCoreCount: number;
  memoryGiB: number;
  gpuAmount: number;
  regionId: string;
  zoneId: string;
  privateIpAddress: string;
  scalingGroupId?: string;
  nodeLabels: Record<string, string>;
  nodeTaints: Array<{ key: string; value?: string; effect: string }>;
  /** the Node name (default `<region>.<privateIP>`) */
  nodeName?: string;
  /** allocatable after the node's reservation (default: the capacity) */
  allocatable?: { cpuMillis: number; memoryBytes: number };
  /** false: the node bootstrap failed, no Node registers */
  registers?: boolean;
  /** the node's pods capacity (default 110) */
  maxPods?: number;
}

export function nodeFromInstance(e: InstanceEventView, form: SimCloudOptions['providerIdForm'] = 'ack'): HostedNode {
  const name = e.nodeName || `${e.regionId}.${e.privateIpAddress}`;
  return {
    name,
    cpuCores: e.cpuCoreCount,
    memoryBytes: e.memoryGiB * 2 ** 30,
    pods: e.maxPods ?? 110,
    gpus: e.gpuAmount,
    labels: {
      ...baseLabels(name, e.instanceType, e.zoneId, e.regionId),
      ...(e.scalingGroupId ? { 'alibabacloud.com/scaling-group-id': e.scalingGroupId } : {}),
      ...e.nodeLabels,
    },
    taints: e.nodeTaints,
    internalIP: e.privateIpAddress,
    providerID: form === 'alicloud' ? `alicloud://${e.providerId}` : e.providerId,
    instanceId: e.instanceId,
    allocatable: e.allocatable,
  };
}

interface StateView {
  instances: Array<{ instanceId: string; status: string; lifecycleState?: string }>;
}

export class CloudNodeSource {
  private req: ClientRequest | undefined;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  private chain: Promise<void> = Promise.resolve();
  private connected!: () => void;
  private readonly firstSync = new Promise<void>((r) => (this.connected = r));

  constructor(private readonly url: string, private readonly pool: NodePool, private readonly log: Logger, private readonly form: SimCloudOptions['providerIdForm'] = 'ack') {}

  /** Asks the emulator for a worker instance outside any scaling group; resolves to its Node name once registered. */
  async addStaticInstance(req: Record<string, unknown> & { key: string }): Promise<string> {
    const inst = await emulatorJson<{ hostName: string }>(`cloud emulator: creating the instance of static node ${req.key}`, new URL('/_sim/instances', this.url), 'POST', req);
    if (!(await this.pool.whenHosted(inst.hostName, 5_000))) throw new Error(`static node ${inst.hostName} did not register from the cloud emulator's event stream`);
    return inst.hostName;
  }

  /** Connects; resolves once the current instances were reconciled (or after 5 s of trying). */
  async start(): Promise<void> {
    this.connect();
    await Promise.race([this.firstSync, new Promise((r) => setTimeout(r, 5_000).unref())]);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.req?.destroy();
    await this.chain.catch(() => undefined);
  }

  /** Serialises pool changes in event order. */
  private enqueue(fn: () => Promise<void>): void {
    this.chain = this.chain.then(fn).catch((err: unknown) => this.log.warn({ err: (err as Error).message }, 'cloud node sync failed'));
  }

  private async resync(): Promise<void> {
    const st = await emulatorJson<StateView>('cloud emulator state', new URL('/_sim/state', this.url));
    const live = new Set(st.instances.filter((i) => i.status === 'Running' && i.lifecycleState !== 'Removing').map((i) => i.instanceId));
    for (const name of this.pool.names()) {
      const n = this.pool.get(name);
      if (n?.instanceId && !live.has(n.instanceId)) await this.pool.unregister(name);
    }
  }

  private connect(): void {
    if (this.stopped) return;
    const retry = () => {
      if (this.stopped) return;
      this.timer = setTimeout(() => this.connect(), 1_000);
      this.timer.unref();
    };
    const u = new URL('/_sim/events', this.url);
    const req = request(u, { method: 'GET', headers: { accept: 'application/x-ndjson' } }, (res) => {
      if (res.statusCode !== 200) { res.resume(); retry(); return; }
      this.enqueue(() => this.resync());
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buf += chunk;
        let i: number;
        while ((i = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, i).trim();
          buf = buf.slice(i + 1);
          if (line) this.onLine(line);
        }
        this.enqueue(async () => this.connected());
      });
      res.on('end', retry);
      res.on('error', () => undefined);
    });
    req.on('error', (err) => { this.log.debug({ err: err.message }, 'cloud emulator event stream failed'); retry(); });
    req.end();
    this.req = req;
  }

  private onLine(line: string): void {
    let e: InstanceEventView;
    try { e = JSON.parse(line) as InstanceEventView; } catch { return; }
    if (e.type === 'Active') { if (e.registers !== false) this.enqueue(() => this.pool.register(nodeFromInstance(e, this.form))); }
    else if (e.type === 'Removing' || e.type === 'Removed') {
      this.enqueue(async () => {
        const n = this.pool.byInstanceId(e.instanceId);
        if (n) await this.pool.unregister(n.name);
      });
    }
  }
}
