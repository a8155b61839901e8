/**
 * Node IPAM (the range allocator of kube-controller-manager): every node gets
 * `spec.podCIDR`/`spec.podCIDRs` from the cluster CIDR. The allocation bitmap is rebuilt from
 * the existing nodes before the first allocation, so a restart never hands out a range twice;
 * a deleted node's range is released.
 */
import {
  Controller, Node, inject, patchObject,
  type NodeObject, type ReconcileContext, type Reconciler, type Request,
} from '../controller/index.js';
import { CidrAllocator } from './cidr.js';
import { SIM, type SimContext } from './config.js';

@Controller({ for: Node, name: 'node-ipam', fieldManager: 'kube-controller-manager', needLeaderElection: false })
export class NodeIpamController implements Reconciler<NodeObject> {
  private allocator: CidrAllocator | undefined;
  /** node name -> the range it holds (to release it once the node is gone) */
  private readonly owners = new Map<string, string>();
  /**
   * node name -> the uid of the Node this controller patched a range into. A reconcile may
   * run again before the cache has the patched Node (another event of the node came first):
   * that Node has its range, so none is allocated twice (handing it a second one would leak
   * the first: the patch overwrites it).
   */
  private readonly assigned = new Map<string, string | undefined>();

  constructor(@inject(SIM) private readonly sim: SimContext) {}

  private init(ctx: ReconcileContext<NodeObject>): CidrAllocator {
    if (this.allocator) return this.allocator;
    const a = new CidrAllocator(this.sim.config.clusterCidr, this.sim.config.nodeCidrMaskSize);
    for (const n of ctx.cache<NodeObject>(Node).list()) {
      const cidr = n.spec?.podCIDR;
      if (cidr && a.occupy(cidr)) this.owners.set(n.metadata.name!, cidr);
    }
    this.allocator = a;
    return a;
  }

  async reconcile(node: NodeObject, ctx: ReconcileContext<NodeObject>) {
    const a = this.init(ctx);
    const name = node.metadata.name!;
    const have = node.spec?.podCIDR;
    if (have) {
      if (this.owners.get(name) !== have) {
        if (a.isUsed(have) && [...this.owners.entries()].some(([n, c]) => c === have && n !== name)) {
          ctx.log.warn({ node: name, cidr: have }, 'node carries a podCIDR already allocated to another node');
        }
        a.occupy(have);
        this.owners.set(name, have);
      }
      return;
    }
    if (node.metadata.deletionTimestamp) return;
    const held = this.owners.get(name);
    if (held !== undefined) {
      if (this.assigned.get(name) === node.metadata.uid) return; // patched; the cache is behind
      // a Node of the same name, re-created before the old one's deletion was reconciled
      this.owners.delete(name);
      this.assigned.delete(name);
      if (![...this.owners.values()].includes(held)) a.release(held);
    }
    let cidr: string;
    try {
      cidr = a.allocate();
    } catch (err) {
      ctx.recorder.event(node, 'Normal', 'CIDRNotAvailable', `Node ${name} status is now: CIDRNotAvailable`);
      throw err;
    }
    try {
      await patchObject(ctx.client, node, (o) => {
        o.spec = { ...o.spec, podCIDR: cidr, podCIDRs: [cidr] };
      }, { optimisticLock: false }); // podCIDR is set once; other writers never touch it
    } catch (err) {
      a.release(cidr);
      throw err;
    }
    this.owners.set(name, cidr);
    this.assigned.set(name, node.metadata.uid);
    ctx.recorder.event(node, 'Normal', 'CIDRAssignmentSucceeded', `Node ${name} was assigned podCIDR ${cidr}`);
  }

  reconcileDeleted(req: Request) {
    const cidr = this.owners.get(req.name);
    this.assigned.delete(req.name);
    if (cidr === undefined) return;
    this.owners.delete(req.name);
    if (![...this.owners.values()].includes(cidr)) this.allocator?.release(cidr);
  }
}
