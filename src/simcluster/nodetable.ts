/**
 * The numbers a decision reads for a plain pod on a plain node (see `isPlainPod` and
 * `isPlainNode`), one row per node of the scheduler's node list, in typed arrays.
 *
 * A decision visits hundreds of nodes (`percentageOfNodesToScore`); read through each node's
 * state and `NodeInfo` objects, most of its time went to memory loads scattered over the heap
 * (the info's version check, `allocatable.pods`...). A row holds those numbers side by side, is
 * written again only for the nodes whose state changed since the last decision (the scheduler
 * cache's `takeChanged`), and answers exactly what `fitReasons(...).length === 0` and
 * `scoreNode` answer there: the same reads with the same defaults, the same arithmetic in the
 * same order (so the same scores to the last bit, and the same choice among equal scores).
 */
import type { NodeObject } from '../controller/index.js';
import type { CachedNodeInfo, NodeState } from './schedcache.js';
import type { ResourceList } from './quantity.js';

/** Requests the table can check: cpu and memory (`pods` is never a request `fitReasons` checks). */
export function tableCovers(req: ResourceList): boolean {
  for (const k in req) if (k !== 'cpu' && k !== 'memory' && k !== 'pods') return false;
  return true;
}

export class NodeTable {
  /** row of each node state */
  private readonly rowOf = new Map<NodeState, number>();
  private readonly plain: Uint8Array;
  private readonly maxPods: Float64Array;
  private readonly podCount: Float64Array;
  private readonly allocCpu: Float64Array;
  private readonly allocMemory: Float64Array;
  private readonly requestedCpu: Float64Array;
  private readonly requestedMemory: Float64Array;
  private readonly nonZeroCpu: Float64Array;
  private readonly nonZeroMemory: Float64Array;

  /** Rows for `nodes`, whose states are `states` (same order), from `info`. */
  constructor(nodes: readonly NodeObject[], states: readonly NodeState[], info: (node: NodeObject, st: NodeState) => CachedNodeInfo) {
    const n = nodes.length;
    this.plain = new Uint8Array(n);
    this.maxPods = new Float64Array(n);
    this.podCount = new Float64Array(n);
    this.allocCpu = new Float64Array(n);
    this.allocMemory = new Float64Array(n);
    this.requestedCpu = new Float64Array(n);
    this.requestedMemory = new Float64Array(n);
    this.nonZeroCpu = new Float64Array(n);
    this.nonZeroMemory = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      this.rowOf.set(states[i], i);
      this.write(i, info(nodes[i], states[i]));
    }
  }

  /** The row of a node state, if the node is in the list. */
  row(st: NodeState): number | undefined {
    return this.rowOf.get(st);
  }

  /** Writes a node's row from its NodeInfo. */
  write(i: number, info: CachedNodeInfo): void {
    const a = info.allocatable;
    this.plain[i] = info.plain ? 1 : 0;
    this.maxPods[i] = a.pods ?? 110;
    this.podCount[i] = info.podCount;
    this.allocCpu[i] = a.cpu ?? 0;
    this.allocMemory[i] = a.memory ?? 0;
    this.requestedCpu[i] = info.requested.cpu ?? 0;
    this.requestedMemory[i] = info.requested.memory ?? 0;
    this.nonZeroCpu[i] = info.nonZeroRequested.cpu ?? 0;
    this.nonZeroMemory[i] = info.nonZeroRequested.memory ?? 0;
  }

  /** The node is plain (schedulable, Ready, untainted). */
  isPlain(i: number): boolean {
    return this.plain[i] === 1;
  }

  /** `fitReasons(req, info).length === 0` for a request the table covers (`cpu`, `memory` of `req`). */
  fits(i: number, cpu: number | undefined, memory: number | undefined): boolean {
    if (this.podCount[i] + 1 > this.maxPods[i]) return false;
    // as fitReasons: a positive request must not exceed allocatable minus requested
    if (cpu !== undefined && !(cpu <= 0) && cpu > this.allocCpu[i] - this.requestedCpu[i]) return false;
    if (memory !== undefined && !(memory <= 0) && memory > this.allocMemory[i] - this.requestedMemory[i]) return false;
    return true;
  }

  /**
   * `scoreNode` of a plain pod on a plain node: least allocated over cpu, then memory, with the
   * pod's non-zero requests, minus the spreading term (no preferred affinity, no taints there).
   */
  score(i: number, nonZero: ResourceList, sameOwner: number): number {
    let least = 0;
    let n = 0;
    const cpu = this.allocCpu[i];
    if (cpu > 0) {
      least += Math.max(0, (cpu - this.nonZeroCpu[i] - (nonZero.cpu ?? 0)) / cpu) * 100;
      n++;
    }
    const memory = this.allocMemory[i];
    if (memory > 0) {
      least += Math.max(0, (memory - this.nonZeroMemory[i] - (nonZero.memory ?? 0)) / memory) * 100;
      n++;
    }
    const score = n ? least / n : 0;
    return score - 10 * sameOwner;
  }
}
