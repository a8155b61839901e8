/**
 * The human-readable status the upstream autoscaler writes to
 * `kube-system/cluster-autoscaler-status` (key `status`): cluster-wide health, scale-up and
 * scale-down state, then the same per node group. States keep their LastTransitionTime
 * between loops (the {@link StatusTracker} remembers when each one last changed).
 */

export interface NodeCounts {
  ready: number;
  unready: number;
  /** desired but not registered yet, within --max-node-provision-time */
  notStarted: number;
  registered: number;
  /** desired and not registered past --max-node-provision-time */
  longUnregistered: number;
}

export interface GroupStatus {
  id: string;
  counts: NodeCounts;
  min: number;
  max: number;
  target: number;
  /** error reading the group */
  unhealthy?: string;
  scaleUp: 'InProgress' | 'NoActivity' | 'Backoff';
  backoffUntil?: number;
  candidates: number;
}

export interface ClusterStatus {
  now: number;
  counts: NodeCounts;
  scaleUp: 'InProgress' | 'NoActivity';
  scaleDown: 'CandidatesPresent' | 'NoCandidates';
  candidates: number;
  groups: GroupStatus[];
}

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** Healthy unless more than 45% of the nodes (and at least 3) are unready, as upstream. */
export function healthOf(c: NodeCounts): 'Healthy' | 'Unhealthy' {
  const bad = c.unready + c.longUnregistered;
  return bad > 3 && bad > 0.45 * (c.registered + c.longUnregistered) ? 'Unhealthy' : 'Healthy';
}

export class StatusTracker {
  private readonly since = new Map<string, { value: string; at: number }>();

  /** When `key` last changed to `value` (now if it just did). */
  transition(key: string, value: string, now: number): number {
    const have = this.since.get(key);
    if (have && have.value === value) return have.at;
    this.since.set(key, { value, at: now });
    return now;
  }

  render(s: ClusterStatus): string {
    const lines: string[] = [`Cluster-autoscaler status at ${iso(s.now)}:`];
    const probe = (key: string, value: string) => [
      `               LastProbeTime:      ${iso(s.now)}`,
      `               LastTransitionTime: ${iso(this.transition(key, value, s.now))}`,
    ];
    const counts = (c: NodeCounts) => `ready=${c.ready} unready=${c.unready} notStarted=${c.notStarted} registered=${c.registered} longUnregistered=${c.longUnregistered}`;
    const health = healthOf(s.counts);
    lines.push('Cluster-wide:');
    lines.push(`  Health:      ${health} (${counts(s.counts)})`, ...probe('health', health));
    lines.push(`  ScaleUp:     ${s.scaleUp} (ready=${s.counts.ready} registered=${s.counts.registered})`, ...probe('scaleUp', s.scaleUp));
    lines.push(`  ScaleDown:   ${s.scaleDown} (candidates=${s.candidates})`, ...probe('scaleDown', s.scaleDown));
    lines.push('', 'NodeGroups:');
    for (const g of s.groups) {
      const gh = g.unhealthy ? 'Unhealthy' : healthOf(g.counts);
      lines.push(`  Name:        ${g.id}`);
      lines.push(`  Health:      ${gh} (${counts(g.counts)} cloudProviderTarget=${g.target} (minSize=${g.min}, maxSize=${g.max}))${g.unhealthy ? ` error: ${g.unhealthy}` : ''}`,
        ...probe(`${g.id}/health`, gh));
      const up = g.scaleUp === 'Backoff' && g.backoffUntil ? `Backoff (ready=${g.counts.ready} cloudProviderTarget=${g.target}) until ${iso(g.backoffUntil)}`
        : `${g.scaleUp} (ready=${g.counts.ready} cloudProviderTarget=${g.target})`;
      lines.push(`  ScaleUp:     ${up}`, ...probe(`${g.id}/scaleUp`, g.scaleUp));
      const down = g.candidates > 0 ? 'CandidatesPresent' : 'NoCandidates';
      lines.push(`  ScaleDown:   ${down} (candidates=${g.candidates})`, ...probe(`${g.id}/scaleDown`, down), '');
    }
    return lines.join('\n');
  }
}
