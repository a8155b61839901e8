// What one process spent during a measured window: its GC pauses, from perf_hooks 'gc' entries
// (how many, how many over 2 ms — the ones that show in a millisecond latency tail —, their
// total and the longest, by kind) and its CPU time (user + system).
import { PerformanceObserver, constants } from 'node:perf_hooks';

export interface WindowSummary {
  /** CPU time of the process in the window, ms */
  cpu_ms: number;
  gc: { count: number; over_2ms: number; total_ms: number; max_ms: number; over_2ms_by_kind: Record<string, number> };
}

const kinds: Record<number, string> = {
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb',
};

export class ProcessWindow {
  private pauses: { ms: number; kind: string }[] = [];
  private cpu = process.cpuUsage();
  private readonly observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const kind = (e as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind ?? 0;
      this.pauses.push({ ms: e.duration, kind: kinds[kind] ?? String(kind) });
    }
  });

  constructor() {
    this.observer.observe({ entryTypes: ['gc'] });
  }

  /** Starts a new window. */
  reset(): void {
    this.pauses = [];
    this.cpu = process.cpuUsage();
  }

  /** The window so far. GC entries arrive asynchronously: await `settled()` after the work first. */
  summary(): WindowSummary {
    const byKind: Record<string, number> = {};
    let total = 0;
    let max = 0;
    let over = 0;
    for (const p of this.pauses) {
      total += p.ms;
      if (p.ms > max) max = p.ms;
      if (p.ms > 2) {
        over++;
        byKind[p.kind] = (byKind[p.kind] ?? 0) + 1;
      }
    }
    const cpu = process.cpuUsage(this.cpu);
    const r = (v: number) => Math.round(v * 100) / 100;
    return {
      cpu_ms: r((cpu.user + cpu.system) / 1000),
      gc: { count: this.pauses.length, over_2ms: over, total_ms: r(total), max_ms: r(max), over_2ms_by_kind: byKind },
    };
  }

  stop(): void {
    this.observer.disconnect();
  }
}

/** Resolves after the pending perf_hooks entries have been delivered. */
export function settled(): Promise<void> {
  return new Promise((r) => setTimeout(r, 20));
}
