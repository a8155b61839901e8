/**
 * The console panels of @kubeloop/ack: the emulated cloud (the cloud emulator's `/_sim/state`,
 * read through the console's `cloud` upstream) beside what the controllers made of it —
 * the VPC route tables against the nodes, the ESS scaling groups, SLS against the
 * AliyunLogConfig objects, the registries and their tokens — and the emulator's fault and RAM
 * policy switches.
 * Loaded by the console page as `/ext/ack.js`; `kubeloop-console` and `preact` are the page's.
 */
import { useState } from 'preact/hooks';
import { age, useKube, useSend, useNow, usePoll, type ConsoleApi, type KubeObject } from 'kubeloop-console';

const CLOUD = '/api/up/ack/cloud';

// The parts of the emulator's state document (controllers/cloudsim/state.ts) the panels read.
interface RouteEntry { routeEntryId: string; destinationCidrBlock: string; nextHopType: string; nextHopId: string; routeEntryName: string; description: string; type: string; status: string }
interface Instance { instanceId: string; instanceName: string; instanceType: string; status: string; scalingGroupId?: string; lifecycleState?: string; creationTime: string }
interface ScalingActivity {
  scalingActivityId: string; scalingGroupId: string; description: string; cause: string; startTime: string; endTime?: string;
  progress: number; statusCode: string; statusMessage: string;
}
interface CloudState {
  regionId: string;
  routeTables: Array<{ routeTableId: string; routeTableName: string; vpcId: string; entries: RouteEntry[] }>;
  scalingGroups: Array<{ scalingGroupId: string; scalingGroupName: string; minSize: number; maxSize: number; desiredCapacity?: number; lifecycleState: string }>;
  instances: Instance[];
  /** absent from an emulator older than scaling activities */
  scalingActivities?: ScalingActivity[];
  registries: Array<{ instanceId: string; instanceName: string; regionId: string; domains: string[]; repositories: unknown[] }>;
  registryCredentials: Array<{ instanceId: string; expiresAt: number }>;
  slsProjects: Array<{ projectName: string; logstores: Array<{ logstoreName: string; ttl: number; shardCount: number }>; configs: Array<{ configName: string; outputDetail: { logstoreName?: string } }>; machineGroups: Array<{ groupName: string; configs: string[] }> }>;
}

interface Node extends KubeObject { spec?: { providerID?: string; podCIDR?: string } }
interface LogConfig extends KubeObject {
  spec?: { project?: string; logstore?: string; logtailConfig?: { configName?: string } };
  status?: { status?: string; statusCode?: string | number; project?: string };
}

/** `alicloud://<region>.<instance-id>` or ACK's `<region>.<instance-id>` -> the instance id. */
function instanceOf(providerID: string | undefined): string | undefined {
  const m = /^(?:alicloud:\/\/)?[a-z0-9-]+\.([A-Za-z0-9-]+)$/.exec(providerID?.trim() ?? '');
  return m?.[1];
}

function useCloud() {
  return usePoll<CloudState>(`${CLOUD}/_sim/state`, 2000);
}

function Unavailable({ error }: { error?: string }) {
  return <p class={error ? 'error' : 'muted'}>{error ? `cloud emulator: ${error}` : 'loading…'}</p>;
}

type RouteMark = 'ok' | 'missing' | 'stale' | 'foreign';

/**
 * Each route table's custom entries against the nodes: `ok` (a node's podCIDR to its
 * instance), `stale` (kubeloop's or ACK CCM's, but no node has that podCIDR on that instance),
 * `foreign` (someone else's, e.g. another cluster's or a person's), and a `missing` row for each
 * node with a podCIDR and no entry.
 */
function RoutesPanel() {
  const cloud = useCloud();
  const nodes = useKube<Node>('/api/v1/nodes');
  if (!cloud.data) return <Unavailable error={cloud.error} />;
  const byInstance = new Map<string, Node>();
  for (const n of nodes.items) {
    const id = instanceOf(n.spec?.providerID);
    if (id) byInstance.set(id, n);
  }
  return (
    <div>
      {cloud.data.routeTables.map((t) => {
        const rows: Array<{ key: string; dest: string; hop: string; node?: string; owner: string; mark: RouteMark; status?: string }> = [];
        const custom = t.entries.filter((e) => e.type !== 'System');
        for (const e of custom) {
          const node = byInstance.get(e.nextHopId);
          const fits = node?.spec?.podCIDR === e.destinationCidrBlock;
          const ours = e.description.startsWith('kubeloop:cluster=') || e.description === '';
          const mark: RouteMark = fits ? 'ok' : ours ? 'stale' : 'foreign';
          rows.push({ key: e.routeEntryId, dest: e.destinationCidrBlock, hop: e.nextHopId, node: node?.metadata.name, owner: e.description || 'ACK CCM (no description)', mark, status: e.status });
        }
        for (const n of nodes.items) {
          const id = instanceOf(n.spec?.providerID);
          const cidr = n.spec?.podCIDR;
          if (!id || !cidr) continue;
          if (!custom.some((e) => e.destinationCidrBlock === cidr && e.nextHopId === id)) {
            rows.push({ key: `missing-${n.metadata.name}`, dest: cidr, hop: id, node: n.metadata.name, owner: '', mark: 'missing' });
          }
        }
        rows.sort((a, b) => a.dest.localeCompare(b.dest, undefined, { numeric: true }));
        return (
          <div key={t.routeTableId} data-route-table={t.routeTableId}>
            <h3>{t.routeTableId} <span class="muted">{[t.routeTableName, t.vpcId].filter(Boolean).join(', ')}</span></h3>
            <table>
              <thead><tr><th>destination</th><th>next hop</th><th>node</th><th>owner</th><th /></tr></thead>
              <tbody>
                {rows.map((r) => (
                  <tr key={r.key} class={`row-${r.mark}`} data-route={r.dest} data-mark={r.mark}>
                    <td>{r.dest}</td><td>{r.hop}</td><td>{r.node ?? ''}</td><td class="muted owner" title={r.owner}>{r.owner}</td>
                    <td><span class={`tag ${r.mark}`}>{r.mark}{r.status && r.status !== 'Available' ? ` (${r.status})` : ''}</span></td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        );
      })}
    </div>
  );
}

/** How many of a group's scaling activities the panel lists. */
const RECENT_ACTIVITIES = 6;
const ACTIVITY_BADGE: Record<string, string> = { Successful: 'ok', InProgress: 'warn', Warning: 'warn', Failed: 'bad', Rejected: 'bad' };

/** A group's recent ESS scaling activities, newest first: status, what, why, when, how far. */
function Activities({ activities, now }: { activities: ScalingActivity[]; now: number }) {
  return (
    <table data-activities="">
      <thead><tr><th>activity</th><th>status</th><th>cause</th><th>started</th><th>ended</th><th>progress</th></tr></thead>
      <tbody>
        {activities.length === 0 ? <tr><td colSpan={6} class="muted">no scaling activities</td></tr> : null}
        {activities.map((a) => (
          <tr key={a.scalingActivityId} data-activity={a.scalingActivityId} data-status={a.statusCode} data-description={a.description}>
            <td title={a.scalingActivityId}>{a.description}</td>
            <td><span class={`badge ${ACTIVITY_BADGE[a.statusCode] ?? ''}`} title={a.statusMessage}>{a.statusCode}</span></td>
            <td class="muted" style={{ fontSize: '11px' }}>{a.cause}{a.statusCode !== 'Successful' && a.statusMessage ? <div class={a.statusCode === 'InProgress' ? '' : 'bad'}>{a.statusMessage}</div> : null}</td>
            <td title={a.startTime}>{age(a.startTime, now)} ago</td>
            <td title={a.endTime ?? ''}>{a.endTime ? `${age(a.endTime, now)} ago` : '—'}</td>
            <td>{a.progress}%</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/**
 * Each scaling group: min / desired / max against its instances by lifecycle state, which
 * joined as nodes, and its recent scaling activities.
 */
function ScalingPanel() {
  const cloud = useCloud();
  const nodes = useKube<Node>('/api/v1/nodes');
  const now = useNow(5000);
  if (!cloud.data) return <Unavailable error={cloud.error} />;
  const nodeOf = new Map<string, string>();
  for (const n of nodes.items) {
    const id = instanceOf(n.spec?.providerID);
    if (id) nodeOf.set(id, n.metadata.name);
  }
  return (
    <div>
      {cloud.data.scalingGroups.map((g) => {
        const members = cloud.data!.instances.filter((i) => i.scalingGroupId === g.scalingGroupId);
        const inService = members.filter((i) => i.lifecycleState === 'InService').length;
        // the emulator keeps them oldest first; the newest are the ones to see
        const activities = (cloud.data!.scalingActivities ?? []).filter((a) => a.scalingGroupId === g.scalingGroupId).slice(-RECENT_ACTIVITIES).reverse();
        return (
          <div key={g.scalingGroupId} data-scaling-group={g.scalingGroupId} data-desired={g.desiredCapacity} data-in-service={inService}>
            <h3>{g.scalingGroupName} <span class="muted">{g.scalingGroupId}</span></h3>
            <p>
              min {g.minSize} · <strong>desired {g.desiredCapacity ?? 'none'}</strong> · max {g.maxSize} — {inService} in service
              {members.length !== inService ? `, ${members.length - inService} pending or removing` : ''}
            </p>
            <table>
              <thead><tr><th>instance</th><th>type</th><th>ECS status</th><th>ESS lifecycle</th><th>node</th><th>age</th></tr></thead>
              <tbody>
                {members.map((i) => (
                  <tr key={i.instanceId} data-instance={i.instanceId} data-lifecycle={i.lifecycleState ?? ''}>
                    <td>{i.instanceId}</td><td>{i.instanceType}</td><td>{i.status}</td><td>{i.lifecycleState}</td>
                    <td data-node={nodeOf.get(i.instanceId) ?? ''}>{nodeOf.get(i.instanceId) ?? <span class="muted">not registered</span>}</td>
                    <td>{age(i.creationTime, now)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            <h4>scaling activities</h4>
            <Activities activities={activities} now={now} />
          </div>
        );
      })}
    </div>
  );
}

/** SLS projects' logstores and logtail configs against the AliyunLogConfig objects that ask for them. */
function LogPanel() {
  const cloud = useCloud();
  const configs = useKube<LogConfig>('/apis/log.alibabacloud.com/v1alpha1/aliyunlogconfigs');
  if (!cloud.data) return <Unavailable error={cloud.error} />;
  const slsConfigs = new Map<string, { project: string; logstore?: string }>();
  for (const p of cloud.data.slsProjects) for (const c of p.configs) slsConfigs.set(`${p.projectName}/${c.configName}`, { project: p.projectName, logstore: c.outputDetail.logstoreName });
  const claimed = new Set<string>();
  return (
    <div>
      <table>
        <thead><tr><th>AliyunLogConfig</th><th>project / logstore</th><th>config</th><th>status</th><th>in SLS</th></tr></thead>
        <tbody>
          {configs.items.map((c) => {
            const project = c.status?.project ?? c.spec?.project ?? '';
            const name = c.spec?.logtailConfig?.configName ?? '';
            const inSls = slsConfigs.has(`${project}/${name}`);
            if (inSls) claimed.add(`${project}/${name}`);
            return (
              <tr key={c.metadata.uid} data-log-config={`${c.metadata.namespace}/${c.metadata.name}`} data-in-sls={String(inSls)}>
                <td>{c.metadata.namespace}/{c.metadata.name}</td><td>{project} / {c.spec?.logstore}</td><td>{name}</td>
                <td class={c.status?.status && c.status.status !== 'OK' ? 'bad' : ''}>{c.status?.status ?? 'pending'}{c.status?.statusCode && c.status.statusCode !== 200 ? ` (${c.status.statusCode})` : ''}</td>
                <td>{inSls ? <span class="tag ok">present</span> : <span class="tag missing">missing</span>}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {cloud.data.slsProjects.map((p) => (
        <div key={p.projectName} data-sls-project={p.projectName}>
          <h3>{p.projectName}</h3>
          <p class="muted">
            logstores: {p.logstores.map((l) => `${l.logstoreName} (${l.ttl}d, ${l.shardCount} shards)`).join(', ') || 'none'}<br />
            configs: {p.configs.map((c) => `${c.configName}${claimed.has(`${p.projectName}/${c.configName}`) ? '' : ' (no object)'}`).join(', ') || 'none'}<br />
            machine groups: {p.machineGroups.map((g) => `${g.groupName} [${g.configs.join(', ')}]`).join(', ') || 'none'}
          </p>
        </div>
      ))}
    </div>
  );
}

/** Registry instances with the expiry of the newest token the credential helper obtained. */
function RegistryPanel() {
  const cloud = useCloud();
  const now = useNow(1000);
  if (!cloud.data) return <Unavailable error={cloud.error} />;
  return (
    <table>
      <thead><tr><th>instance</th><th>domains</th><th>repositories</th><th>token expires</th></tr></thead>
      <tbody>
        {cloud.data.registries.map((r) => {
          const expiry = Math.max(0, ...cloud.data!.registryCredentials.filter((c) => c.instanceId === r.instanceId).map((c) => c.expiresAt));
          return (
            <tr key={r.instanceId} data-registry={r.instanceId}>
              <td>{r.instanceName} <span class="muted">{r.instanceId}</span></td>
              <td>{r.domains.join(', ')}</td>
              <td>{r.repositories.length}</td>
              <td data-token-expires={expiry || ''}>{expiry ? (expiry > now ? `in ${age(now - (expiry - now), now)}` : `expired ${age(expiry, now)} ago`) : <span class="muted">no token issued</span>}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

interface FaultRule { action?: string; service?: string; errorRate?: number; throttleRate?: number; errorCount?: number; throttleCount?: number; latencyMs?: number; outageUntil?: number | string; deny?: boolean }

/** The emulator's fault switches (`/_sim/faults`): what is injected now, and a form to break or heal. */
function FaultsPanel() {
  const faults = usePoll<{ faults: FaultRule[] }>(`${CLOUD}/_sim/faults`, 2000);
  const [rule, setRule] = useState<{ service: string; action: string; kind: string }>({ service: 'vpc', action: '', kind: 'deny' });
  const { error, run } = useSend(faults.refresh);
  const act = (method: 'POST' | 'DELETE', body?: unknown) => run(method, `${CLOUD}/_sim/faults`, body);
  const add = (e: Event) => {
    e.preventDefault();
    const r: FaultRule = { service: rule.service, ...(rule.action ? { action: rule.action } : {}) };
    if (rule.kind === 'deny') r.deny = true;
    else if (rule.kind === 'throttle') r.throttleRate = 1;
    else if (rule.kind === 'error') r.errorRate = 1;
    else r.outageUntil = Date.now() + 60_000;
    void act('POST', r);
  };
  const rules = faults.data?.faults ?? [];
  return (
    <div>
      <form class="inline" onSubmit={add} data-form="fault">
        <select value={rule.service} onChange={(e) => setRule({ ...rule, service: (e.target as HTMLSelectElement).value })}>
          {['vpc', 'ecs', 'ess', 'sls', 'cr', 'sts'].map((s) => <option key={s} value={s}>{s}</option>)}
        </select>
        <input placeholder="action (e.g. CreateRouteEntry; empty = all)" value={rule.action} onInput={(e) => setRule({ ...rule, action: (e.target as HTMLInputElement).value })} />
        <select value={rule.kind} onChange={(e) => setRule({ ...rule, kind: (e.target as HTMLSelectElement).value })}>
          <option value="deny">RAM deny</option><option value="throttle">throttle</option><option value="error">internal error</option><option value="outage">outage 60 s</option>
        </select>
        <button type="submit" class="danger">break</button>
        <button type="button" onClick={() => void act('DELETE')} data-action="heal">heal all</button>
      </form>
      {error ? <p class="error">{error}</p> : null}
      {faults.error ? <p class="error">{faults.error}</p> : null}
      <table>
        <thead><tr><th>service</th><th>action</th><th>fault</th></tr></thead>
        <tbody>
          {rules.length ? rules.map((r, i) => (
            <tr key={i} data-fault={`${r.service ?? '*'}:${r.action ?? '*'}`}>
              <td>{r.service ?? 'all'}</td><td>{r.action ?? 'all'}</td>
              <td>{[r.deny ? 'RAM deny' : '', r.errorRate ? `errors ${r.errorRate * 100}%` : '', r.throttleRate ? `throttle ${r.throttleRate * 100}%` : '', r.errorCount ? `next ${r.errorCount} fail` : '', r.throttleCount ? `next ${r.throttleCount} throttled` : '', r.latencyMs ? `+${r.latencyMs} ms` : '', r.outageUntil ? `outage until ${new Date(r.outageUntil).toLocaleTimeString()}` : ''].filter(Boolean).join(', ')}</td>
            </tr>
          )) : <tr><td colSpan={3} class="muted">no faults: the cloud is healthy</td></tr>}
        </tbody>
      </table>
    </div>
  );
}

interface PolicyStatement { Effect: 'Allow' | 'Deny'; Action?: string | string[]; NotAction?: string | string[]; Resource?: string | string[]; NotResource?: string | string[] }
interface RamView {
  accountId: string;
  policies: Array<{ policyName: string; document: { Statement: PolicyStatement[] } }>;
  attachments: Array<{ policyName: string; principalType: 'User' | 'Role'; principalName: string }>;
}

const list = (v: string | string[] | undefined) => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** The seeds' outage: the route controller's principal loses the right to write routes. */
const DENY_ROUTES = {
  Version: '1',
  Statement: [
    { Effect: 'Allow', Action: '*', Resource: '*' },
    { Effect: 'Deny', Action: ['vpc:CreateRouteEntry', 'vpc:DeleteRouteEntry'], Resource: '*' },
  ],
};
const OUTAGE_POLICY = 'console-deny-route-writes';

/**
 * RAM in the emulator (`/_sim/ram`): which policies are attached to which user or role, each
 * statement shown as Allow/Deny of actions on resources; attach a document, detach one, or flip
 * the seeds' outage (a Deny of the route writes for the controllers' user `kubeloop`) on and off.
 */
function RamPanel() {
  const ram = usePoll<RamView>(`${CLOUD}/_sim/ram`, 2000);
  const [form, setForm] = useState({ type: 'users', name: 'kubeloop', policy: 'my-policy', document: JSON.stringify(DENY_ROUTES, null, 2) });
  const { error, setError, run } = useSend(ram.refresh);
  const act = (method: 'PUT' | 'DELETE', path: string, body?: unknown) => run(method, `${CLOUD}/_sim/ram${path}`, body);
  if (!ram.data) return <Unavailable error={ram.error} />;
  const policies = new Map(ram.data.policies.map((p) => [p.policyName, p]));
  const outage = ram.data.attachments.some((a) => a.principalType === 'User' && a.principalName === 'kubeloop' && a.policyName === OUTAGE_POLICY);
  const attach = (e: Event) => {
    e.preventDefault();
    let doc: unknown;
    try {
      doc = JSON.parse(form.document);
    } catch (err) {
      setError(`the policy document is not JSON: ${(err as Error).message}`);
      return;
    }
    void act('PUT', `/${form.type}/${encodeURIComponent(form.name)}/policies/${encodeURIComponent(form.policy)}`, doc);
  };
  return (
    <div>
      <p>
        {outage
          ? <button type="button" data-action="ram-allow" onClick={() => void act('DELETE', `/users/kubeloop/policies/${OUTAGE_POLICY}`)}>Allow route writes again</button>
          : <button type="button" class="danger" data-action="ram-deny" onClick={() => void act('PUT', `/users/kubeloop/policies/${OUTAGE_POLICY}`, DENY_ROUTES)}>Deny route writes (the seeds' outage)</button>}
        <span class="muted"> for user kubeloop, whose AccessKey the controllers of kubeloop dev use</span>
      </p>
      {error ? <p class="error">{error}</p> : null}
      <table>
        <thead><tr><th>principal</th><th>policy</th><th>statements</th><th /></tr></thead>
        <tbody>
          {ram.data.attachments.length ? ram.data.attachments.map((a) => (
            <tr key={`${a.principalType}/${a.principalName}/${a.policyName}`} data-attachment={`${a.principalType}/${a.principalName}/${a.policyName}`}>
              <td>{a.principalType} {a.principalName}</td>
              <td>{a.policyName}</td>
              <td>{(policies.get(a.policyName)?.document.Statement ?? []).map((st, i) => (
                <div key={i} class={st.Effect === 'Deny' ? 'bad' : ''}>
                  {st.Effect} {list(st.Action).join(', ') || `all but ${list(st.NotAction).join(', ')}`} on {list(st.Resource).join(', ') || `all but ${list(st.NotResource).join(', ')}`}
                </div>
              ))}</td>
              <td><button type="button" onClick={() => void act('DELETE', `/${a.principalType === 'User' ? 'users' : 'roles'}/${encodeURIComponent(a.principalName)}/policies/${encodeURIComponent(a.policyName)}`)}>detach</button></td>
            </tr>
          )) : <tr><td colSpan={4} class="muted">no policy attached: every user and role may do everything</td></tr>}
        </tbody>
      </table>
      <form class="inline" onSubmit={attach} data-form="ram">
        <select value={form.type} onChange={(e) => setForm({ ...form, type: (e.target as HTMLSelectElement).value })}>
          <option value="users">user</option><option value="roles">role</option>
        </select>
        <input value={form.name} placeholder="user or role" onInput={(e) => setForm({ ...form, name: (e.target as HTMLInputElement).value })} />
        <input value={form.policy} placeholder="policy name" onInput={(e) => setForm({ ...form, policy: (e.target as HTMLInputElement).value })} />
        <button type="submit">attach</button>
      </form>
      <textarea class="policy" rows={8} value={form.document} onInput={(e) => setForm({ ...form, document: (e.target as HTMLTextAreaElement).value })} />
    </div>
  );
}

export default function register(console: ConsoleApi): void {
  console.registerPanel({ id: 'vpc-routes', title: 'VPC route tables vs nodes', order: 30, render: () => <RoutesPanel /> });
  console.registerPanel({ id: 'ess', title: 'ESS scaling groups', order: 31, render: () => <ScalingPanel /> });
  console.registerPanel({ id: 'sls', title: 'SLS vs AliyunLogConfig', order: 32, render: () => <LogPanel /> });
  console.registerPanel({ id: 'registries', title: 'Container registries', order: 33, render: () => <RegistryPanel /> });
  console.registerPanel({ id: 'faults', title: 'Cloud faults', order: 34, render: () => <FaultsPanel /> });
  console.registerPanel({ id: 'ram', title: 'RAM policies', order: 35, render: () => <RamPanel /> });
}
