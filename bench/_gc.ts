// What one process spent during a measured window: its GC pauses, from perf_hooks 'gc' entries
// (how many, how many over 2 ms — the ones that show in a millisecond latency tail —, their
// total and the longest, by kind), its CPU time (user + system), and the bytes it allocated
// and promoted to the old generation (from v8.GCProfiler's heap statistics around each GC):
// the last two do not depend on how busy the machine is, so they compare runs on a shared one.
import { PerformanceObserver, constants } from 'node:perf_hooks';
import v8 from 'node:v8';

export interface WindowSummary {
  /** CPU time of the process in the window, ms */
  cpu_ms: number;
  gc: {
    count: number; over_2ms: number; total_ms: number; max_ms: number; over_2ms_by_kind: Record<string, number>;
    /** MB allocated on the JS heap in the window */
    allocated_mb: number;
    /** MB that young-generation GCs moved to the old generation (objects kept a while) */
    promoted_mb: number;
  };
}

type GCStats = { gcType: string; beforeGC: HeapAt; afterGC: HeapAt };
type HeapAt = { heapStatistics: { usedHeapSize: number }; heapSpaceStatistics: { spaceName: string; spaceUsedSize: number }[] };
/** Bytes in the spaces young-generation GCs promote into. */
const oldBytes = (h: HeapAt) => {
  let n = 0;
  for (const s of h.heapSpaceStatistics) if (s.spaceName === 'old_space' || s.spaceName === 'large_object_space') n += s.spaceUsedSize;
  return n;
};

const kinds: Record<number, string> = {
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb',
};

export class ProcessWindow {
  private pauses: { ms: number; kind: string }[] = [];
  private cpu = process.cpuUsage();
  private profiler = new v8.GCProfiler();
  private heapAtStart = v8.getHeapStatistics().used_heap_size;
  /** What the window allocated and promoted before the last `summary()`. */
  private carried = { allocated: 0, promoted: 0 };
  private readonly observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const kind = (e as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind ?? 0;
      this.pauses.push({ ms: e.duration, kind: kinds[kind] ?? String(kind) });
    }
  });

  constructor() {
    this.observer.observe({ entryTypes: ['gc'] });
    this.profiler.start();
  }

  /** Starts a new window. */
  reset(): void {
    this.pauses = [];
    this.cpu = process.cpuUsage();
    this.profiler.stop();
    this.profiler = new v8.GCProfiler();
    this.profiler.start();
    this.heapAtStart = v8.getHeapStatistics().used_heap_size;
    this.carried = { allocated: 0, promoted: 0 };
  }

  /** Allocated and promoted bytes since the window started (the profiler restarts: the window goes on). */
  private heapBytes(): { allocated: number; promoted: number } {
    const stats = (this.profiler.stop()?.statistics ?? []) as unknown as GCStats[];
    this.profiler = new v8.GCProfiler();
    this.profiler.start();
    let allocated = 0;
    let promoted = 0;
    let after = this.heapAtStart;
    for (const s of stats) {
      allocated += Math.max(0, s.beforeGC.heapStatistics.usedHeapSize - after);
      after = s.afterGC.heapStatistics.usedHeapSize;
      if (s.gcType === 'Scavenge' || s.gcType === 'MinorMarkCompact') promoted += Math.max(0, oldBytes(s.afterGC) - oldBytes(s.beforeGC));
    }
    const now = v8.getHeapStatistics().used_heap_size;
    allocated += Math.max(0, now - after);
    this.heapAtStart = now;
    this.carried.allocated += allocated;
    this.carried.promoted += promoted;
    return { ...this.carried };
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
    const heap = this.heapBytes();
    return {
      cpu_ms: r((cpu.user + cpu.system) / 1000),
      gc: { count: this.pauses.length, over_2ms: over, total_ms: r(total), max_ms: r(max), over_2ms_by_kind: byKind, allocated_mb: r(heap.allocated / 1e6), promoted_mb: r(heap.promoted / 1e6) },
    };
  }

  stop(): void {
    this.observer.disconnect();
    this.profiler.stop();
  }
}

/** Resolves after the pending perf_hooks entries have been delivered. */
export function settled(): Promise<void> {
  return new Promise((r) => setTimeout(r, 20));
}
