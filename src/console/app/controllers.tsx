/**
 * Each controller process the console was given: per controller its queue depth, reconcile
 * rate and mean latency over the last poll, errors and the last error's message, and per
 * process whether it leads and when it last completed a full sync — from the same `/metrics`
 * Prometheus scrapes (controller-runtime's metric names) and `/debug/controllers`.
 */
import { useRef } from 'preact/hooks';
import { age, metricValue, parseMetrics, usePoll, useNow, type Sample } from 'kubeloop-console';

interface ControllerStatus {
  name: string;
  queueDepth: number;
  started: boolean;
  lastError?: { message: string; key: string; at: string };
  lastSuccessAt?: string;
}

interface Snapshot { at: number; samples: Sample[] }

/** Per-controller rate (per second) and mean latency (ms) between two scrapes. */
function deltas(prev: Snapshot | undefined, cur: Snapshot, controller: string): { rate?: number; latencyMs?: number } {
  if (!prev || cur.at <= prev.at) return {};
  const dt = (cur.at - prev.at) / 1000;
  const total = (s: Sample[]) => metricValue(s, 'controller_runtime_reconcile_total', { controller });
  const count = (s: Sample[]) => metricValue(s, 'controller_runtime_reconcile_time_seconds_count', { controller });
  const sum = (s: Sample[]) => metricValue(s, 'controller_runtime_reconcile_time_seconds_sum', { controller });
  const n = count(cur.samples) - count(prev.samples);
  return {
    rate: (total(cur.samples) - total(prev.samples)) / dt,
    latencyMs: n > 0 ? ((sum(cur.samples) - sum(prev.samples)) / n) * 1000 : undefined,
  };
}

function Target({ name }: { name: string }) {
  const now = useNow(2000);
  const metrics = usePoll<string>(`/api/metrics/${encodeURIComponent(name)}`, 2000, 'text');
  const debug = usePoll<{ controllers: ControllerStatus[] }>(`/api/metrics/${encodeURIComponent(name)}/controllers`, 2000);
  const snaps = useRef<{ prev?: Snapshot; cur?: Snapshot }>({});
  if (metrics.data !== undefined && metrics.at !== snaps.current.cur?.at) {
    snaps.current = { prev: snaps.current.cur, cur: { at: metrics.at!, samples: parseMetrics(metrics.data) } };
  }
  const samples = snaps.current.cur?.samples ?? [];
  const leases = samples.filter((s) => s.name === 'leader_election_master_status');
  const syncs = samples.filter((s) => s.name.endsWith('_last_full_sync_timestamp_seconds') && s.value > 0);
  const lastSync = syncs.length ? Math.max(...syncs.map((s) => s.value)) * 1000 : undefined;
  const controllers = debug.data?.controllers ?? [];
  return (
    <div class="target" data-target={name}>
      <div class="target-head">
        <strong>{name}</strong>
        {leases.length
          ? leases.map((l) => <span key={l.labels.name} class={`badge ${l.value === 1 ? 'ok' : 'warn'}`} data-leader={l.value === 1 ? 'true' : 'false'}>{l.value === 1 ? 'leader' : 'standby'} ({l.labels.name})</span>)
          : <span class="badge ok" data-leader="true">no leader election</span>}
        <span class="muted" data-last-full-sync={lastSync ? String(lastSync) : ''}>last full sync: {lastSync ? `${age(lastSync, now)} ago` : 'none reported'}</span>
        {metrics.error ? <span class="error">{metrics.error}</span> : null}
      </div>
      <table>
        <thead><tr><th>controller</th><th>queue</th><th>reconciles/s</th><th>latency</th><th>errors</th><th>last error</th><th>last success</th></tr></thead>
        <tbody>
          {controllers.map((c) => {
            const d = deltas(snaps.current.prev, snaps.current.cur ?? { at: 0, samples: [] }, c.name);
            const errors = metricValue(samples, 'controller_runtime_reconcile_errors_total', { controller: c.name });
            return (
              <tr key={c.name} data-controller={c.name}>
                <td>{c.name}{c.started ? '' : ' (not started)'}</td>
                <td data-queue-depth={c.queueDepth}>{c.queueDepth}</td>
                <td>{d.rate === undefined ? '…' : d.rate.toFixed(1)}</td>
                <td>{d.latencyMs === undefined ? '–' : `${d.latencyMs.toFixed(1)} ms`}</td>
                <td data-errors={errors} class={errors > 0 ? 'bad' : ''}>{errors}</td>
                <td class="message" data-last-error={c.lastError?.message ?? ''}>{c.lastError ? <span title={c.lastError.key}>{age(c.lastError.at, now)} ago: {c.lastError.message}</span> : ''}</td>
                <td>{c.lastSuccessAt ? `${age(c.lastSuccessAt, now)} ago` : ''}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

export function ControllersPanel({ targets }: { targets: readonly { name: string }[] }) {
  if (!targets.length) return <p class="muted">No controller process reports metrics to this console.</p>;
  return <div>{targets.map((t) => <Target key={t.name} name={t.name} />)}</div>;
}
