/** The cluster's Events, newest first, filterable by object (kind, namespace/name) or text. */
import { useState } from 'preact/hooks';
import { age, useKube, useNow, type KubeObject } from 'kubeloop-console';

interface CoreEvent extends KubeObject {
  type?: string;
  reason?: string;
  message?: string;
  count?: number;
  involvedObject?: { kind?: string; namespace?: string; name?: string };
  source?: { component?: string };
  reportingComponent?: string;
  lastTimestamp?: string;
  eventTime?: string;
}

/** `Kind/namespace/name` (or `Kind/name`), as shown and as the filter matches it. */
const objectOf = (e: CoreEvent) => {
  const o = e.involvedObject ?? {};
  return `${o.kind ?? ''}/${o.namespace ? `${o.namespace}/` : ''}${o.name ?? ''}`;
};
const when = (e: CoreEvent) => e.lastTimestamp ?? e.eventTime ?? e.metadata.creationTimestamp ?? '';

export function EventsPanel() {
  const events = useKube<CoreEvent>('/api/v1/events');
  const [filter, setFilter] = useState('');
  const now = useNow(5000);
  const words = filter.toLowerCase().split(/\s+/).filter(Boolean);
  const shown = events.items
    .filter((e) => {
      const o = e.involvedObject ?? {};
      const text = `${objectOf(e)} ${e.reason ?? ''} ${e.message ?? ''} ${e.source?.component ?? e.reportingComponent ?? ''}`.toLowerCase();
      return words.every((w) => text.includes(w));
    })
    .sort((a, b) => when(b).localeCompare(when(a)))
    .slice(0, 200);
  return (
    <div>
      <input
        class="filter" type="search" placeholder="filter: kind, namespace/name, reason, text" value={filter}
        data-filter="events" onInput={(e) => setFilter((e.target as HTMLInputElement).value)}
      />
      {events.error ? <p class="error">{events.error}</p> : null}
      <div class="scroll"><table>
        <thead><tr><th>age</th><th>type</th><th>reason</th><th>object</th><th>message</th><th>from</th></tr></thead>
        <tbody>
          {shown.map((e) => (
            <tr key={e.metadata.uid} data-event={e.reason} class={e.type === 'Warning' ? 'warning' : ''}>
              <td>{age(when(e), now)}</td>
              <td>{e.type}</td>
              <td>{e.reason}</td>
              <td>{objectOf(e)}</td>
              <td class="message">{e.message}{(e.count ?? 1) > 1 ? <small> (x{e.count})</small> : null}</td>
              <td>{e.source?.component ?? e.reportingComponent}</td>
            </tr>
          ))}
        </tbody>
      </table></div>
    </div>
  );
}
