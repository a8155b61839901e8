/**
 * The scheduler's inter-pod filters for the scale-up simulation: required pod affinity and
 * anti-affinity (InterPodAffinity, both directions: the incoming pod's terms and the terms of
 * pods already placed) and topology spread constraints with whenUnsatisfiable DoNotSchedule
 * (PodTopologySpread), over the existing nodes and the nodes the simulation adds. It follows
 * the kube-scheduler plugins' rules as documented
 * (https://kubernetes.io/docs/concepts/scheduling-eviction/assign-pod-node/#inter-pod-affinity-and-anti-affinity,
 * https://kubernetes.io/docs/concepts/scheduling-eviction/topology-spread-constraints/):
 * a node without the topology key passes anti-affinity but fails affinity and spread; the
 * first pod of a group whose affinity term matches its own labels may go anywhere; skew =
 * matching pods in the node's domain (+1 when the pod matches itself) - the fewest in any domain of the nodes that pass the
 * pod's node selector and affinity. Not read: namespaceSelector, matchLabelKeys, minDomains,
 * node inclusion policies other than the defaults.
 */
import type { NodeInfo, PodAffinityTerm, PodInfo } from './model.js';
import { matchesNodeSelector } from './predicates.js';

export const REASON_AFFINITY = "node(s) didn't match pod affinity rules";
export const REASON_ANTI_AFFINITY = "node(s) didn't match pod anti-affinity rules";
export const REASON_EXISTING_ANTI_AFFINITY = "node(s) didn't satisfy existing pods anti-affinity rules";
export const REASON_SPREAD = "node(s) didn't match pod topology spread constraints";

type Placed = Pick<PodInfo, 'namespace' | 'labels' | 'podAntiAffinity'>;

const matches = (term: PodAffinityTerm, pod: Placed) => term.namespaces.includes(pod.namespace) && term.selector.matches(pod.labels);

/** True when the pod has constraints of its own that the tracker must check. */
export function hasInterPodConstraints(p: PodInfo): boolean {
  return !!(p.podAffinity || p.podAntiAffinity || p.spread);
}

export class InterPodTracker {
  private readonly nodes = new Map<string, NodeInfo>();
  private readonly pods = new Map<string, Placed[]>();
  /** placed pods with anti-affinity terms (they constrain every incoming pod) */
  private antiPods: Array<{ pod: Placed; node: string }> = [];

  /** `pods`: the bound, not finished pods of `nodes`. */
  constructor(nodes: readonly NodeInfo[] = [], pods: readonly PodInfo[] = []) {
    for (const n of nodes) this.addNode(n);
    for (const p of pods) if (p.nodeName && !p.gone && this.nodes.has(p.nodeName)) this.place(p, p.nodeName);
  }

  clone(): InterPodTracker {
    const c = new InterPodTracker();
    for (const [k, n] of this.nodes) c.nodes.set(k, n);
    for (const [k, l] of this.pods) c.pods.set(k, [...l]);
    c.antiPods = [...this.antiPods];
    return c;
  }

  /** Whether placing `p` needs checking at all (own constraints or anti-affinity of placed pods). */
  constrains(p: PodInfo): boolean {
    return hasInterPodConstraints(p) || this.antiPods.length > 0;
  }

  addNode(n: NodeInfo): void {
    this.nodes.set(n.name, n);
    if (!this.pods.has(n.name)) this.pods.set(n.name, []);
  }

  removeNode(name: string): void {
    this.nodes.delete(name);
    this.pods.delete(name);
    this.antiPods = this.antiPods.filter((x) => x.node !== name);
  }

  place(p: Placed, node: string): void {
    this.pods.get(node)?.push(p);
    if (p.podAntiAffinity) this.antiPods.push({ pod: p, node });
  }

  /** Pods in `node`'s domain of `key` (undefined: the node has no such label). */
  private inDomain(node: NodeInfo, key: string): Placed[] | undefined {
    const domain = node.labels[key];
    if (domain === undefined) return undefined;
    const out: Placed[] = [];
    for (const [name, n] of this.nodes) if (n.labels[key] === domain) out.push(...(this.pods.get(name) ?? []));
    return out;
  }

  /** Why `p` may not go to `node` now; undefined when it may. */
  violation(p: PodInfo, node: NodeInfo): string | undefined {
    for (const term of p.podAntiAffinity ?? []) {
      if (this.inDomain(node, term.topologyKey)?.some((q) => matches(term, q))) return REASON_ANTI_AFFINITY;
    }
    for (const { pod: q, node: where } of this.antiPods) {
      const qNode = this.nodes.get(where);
      for (const term of q.podAntiAffinity ?? []) {
        const d = node.labels[term.topologyKey];
        if (d !== undefined && qNode?.labels[term.topologyKey] === d && matches(term, p)) return REASON_EXISTING_ANTI_AFFINITY;
      }
    }
    for (const term of p.podAffinity ?? []) {
      const there = this.inDomain(node, term.topologyKey);
      if (there === undefined) return REASON_AFFINITY;
      if (there.some((q) => matches(term, q))) continue;
      // no matching pod anywhere and the pod matches its own term: the first of its kind may go anywhere
      const anywhere = [...this.pods.values()].some((l) => l.some((q) => matches(term, q)));
      if (anywhere || !matches(term, p)) return REASON_AFFINITY;
    }
    for (const c of p.spread ?? []) {
      const domain = node.labels[c.topologyKey];
      if (domain === undefined) return REASON_SPREAD;
      const counts = new Map<string, number>();
      for (const [name, n] of this.nodes) {
        const d = n.labels[c.topologyKey];
        if (d === undefined || !matchesNodeSelector(p, n)) continue;
        const here = (this.pods.get(name) ?? []).filter((q) => q.namespace === p.namespace && c.selector.matches(q.labels)).length;
        counts.set(d, (counts.get(d) ?? 0) + here);
      }
      if (!counts.has(domain)) counts.set(domain, 0);
      const min = Math.min(...counts.values());
      const self = c.selector.matches(p.labels) ? 1 : 0;
      if (counts.get(domain)! + self - min > c.maxSkew) return REASON_SPREAD;
    }
    return undefined;
  }
}
