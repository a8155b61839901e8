/**
 * The cluster as a picture: one card per node (identity, conditions, what is reserved, requested
 * and free of its CPU and memory) holding its pods, and the pods no node took yet.
 */
import { formatBytes, formatCores, quantity, useKube, type KubeObject } from 'kubeloop-console';

export interface Node extends KubeObject {
  spec?: { providerID?: string; podCIDR?: string; unschedulable?: boolean; taints?: Array<{ key: string; effect: string }> };
  status?: {
    capacity?: Record<string, string>;
    allocatable?: Record<string, string>;
    conditions?: Array<{ type: string; status: string; reason?: string; message?: string }>;
  };
}

export interface Pod extends KubeObject {
  spec?: { nodeName?: string; containers?: Array<{ resources?: { requests?: Record<string, string> } }> };
  status?: { phase?: string; reason?: string; podIP?: string; conditions?: Array<{ type: string; status: string; reason?: string; message?: string }> };
}

/** The pod's CPU (cores) and memory (bytes) requests, summed over its containers. */
export function podRequests(p: Pod): { cpu: number; memory: number } {
  let cpu = 0;
  let memory = 0;
  for (const c of p.spec?.containers ?? []) {
    cpu += quantity(c.resources?.requests?.cpu);
    memory += quantity(c.resources?.requests?.memory);
  }
  return { cpu, memory };
}

const terminated = (p: Pod) => p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed';
const isDaemon = (p: Pod) => (p.metadata.ownerReferences ?? []).some((o) => o.kind === 'DaemonSet');

function Bar({ label, capacity, allocatable, requested, format }: { label: string; capacity: number; allocatable: number; requested: number; format: (n: number) => string }) {
  const pct = (n: number) => (capacity > 0 ? `${Math.max(0, Math.min(100, (n / capacity) * 100))}%` : '0%');
  const reserved = Math.max(0, capacity - allocatable);
  return (
    <div class="bar" data-resource={label} title={`${label}: capacity ${format(capacity)}, reserved ${format(reserved)}, requested ${format(requested)}, allocatable ${format(allocatable)}`}>
      <span class="bar-label">{label}</span>
      <span class="bar-track">
        <span class="bar-reserved" style={{ width: pct(reserved) }} />
        <span class={requested > allocatable ? 'bar-used over' : 'bar-used'} style={{ width: pct(Math.min(requested, allocatable)) }} />
      </span>
      <span class="bar-text">{format(requested)} / {format(allocatable)}</span>
    </div>
  );
}

function NodeCard({ node, pods }: { node: Node; pods: Pod[] }) {
  const conds = node.status?.conditions ?? [];
  const ready = conds.find((c) => c.type === 'Ready');
  const netDown = conds.find((c) => c.type === 'NetworkUnavailable' && c.status === 'True');
  const req = pods.filter((p) => !terminated(p)).map(podRequests).reduce((a, b) => ({ cpu: a.cpu + b.cpu, memory: a.memory + b.memory }), { cpu: 0, memory: 0 });
  const cap = node.status?.capacity ?? {};
  const alloc = node.status?.allocatable ?? {};
  const state = ready?.status === 'True' ? (netDown ? 'degraded' : 'ready') : 'notready';
  return (
    <div class={`node ${state}`} data-node={node.metadata.name} data-state={state}>
      <div class="node-head">
        <strong>{node.metadata.name}</strong>
        {node.spec?.unschedulable ? <span class="badge warn">cordoned</span> : null}
        <span class={`badge ${ready?.status === 'True' ? 'ok' : 'bad'}`}>{ready?.status === 'True' ? 'Ready' : 'NotReady'}</span>
        {netDown ? <span class="badge bad" data-condition="NetworkUnavailable" title={netDown.message}>NetworkUnavailable: {netDown.reason}</span> : null}
      </div>
      <div class="node-meta">
        <span title="spec.providerID">{node.spec?.providerID ?? 'no providerID'}</span>
        <span title="spec.podCIDR" data-podcidr={node.spec?.podCIDR ?? ''}>{node.spec?.podCIDR ?? 'no podCIDR'}</span>
      </div>
      <Bar label="cpu" capacity={quantity(cap.cpu)} allocatable={quantity(alloc.cpu)} requested={req.cpu} format={formatCores} />
      <Bar label="memory" capacity={quantity(cap.memory)} allocatable={quantity(alloc.memory)} requested={req.memory} format={formatBytes} />
      <div class="pods">
        {pods.sort((a, b) => Number(isDaemon(b)) - Number(isDaemon(a)) || a.metadata.name.localeCompare(b.metadata.name)).map((p) => (
          <span
            key={p.metadata.uid}
            class={`pod ${(p.status?.phase ?? 'Unknown').toLowerCase()}${isDaemon(p) ? ' daemon' : ''}${p.metadata.deletionTimestamp ? ' terminating' : ''}`}
            data-pod={`${p.metadata.namespace}/${p.metadata.name}`}
            data-phase={p.status?.phase ?? 'Unknown'}
            title={`${p.metadata.namespace}/${p.metadata.name} ${p.status?.phase ?? ''} ${p.status?.podIP ?? ''}`}
          >{p.metadata.name}</span>
        ))}
      </div>
    </div>
  );
}

export function ClusterPanel() {
  const nodes = useKube<Node>('/api/v1/nodes');
  const pods = useKube<Pod>('/api/v1/pods');
  const byNode = new Map<string, Pod[]>();
  const pending: Pod[] = [];
  for (const p of pods.items) {
    const n = p.spec?.nodeName;
    if (!n) {
      if (!terminated(p)) pending.push(p);
      continue;
    }
    const list = byNode.get(n) ?? [];
    list.push(p);
    byNode.set(n, list);
  }
  const sorted = [...nodes.items].sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
  return (
    <div>
      {nodes.error ? <p class="error">{nodes.error}</p> : null}
      <p class="summary" data-summary="cluster">
        {sorted.length} nodes, {pods.items.filter((p) => !terminated(p)).length} pods, <span data-pending={pending.length}>{pending.length} pending</span>
      </p>
      <div class="nodes">
        {sorted.map((n) => <NodeCard key={n.metadata.uid} node={n} pods={byNode.get(n.metadata.name) ?? []} />)}
      </div>
      {pending.length ? (
        <div class="pending">
          <h3>Unscheduled</h3>
          {pending.map((p) => {
            const why = p.status?.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'False');
            return <div key={p.metadata.uid} class="pod pending" data-pod={`${p.metadata.namespace}/${p.metadata.name}`} data-phase="Pending" title={why?.message}>{p.metadata.namespace}/{p.metadata.name} <small>{why?.reason ?? ''}</small></div>;
          })}
        </div>
      ) : null}
    </div>
  );
}
