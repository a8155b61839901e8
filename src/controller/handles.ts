/**
 * Typed handles on controllers' queues, so one controller can make another reconcile something
 * (the route controller asking its route-table controller for a pass, a table pass asking the
 * node controller to re-check nodes) without reaching into the Manager for runners:
 *
 *   @Controller({ for: Node })
 *   class NodeRoutes {
 *     constructor(@inject(queueOf('route-tables')) private readonly tables: ControllerQueue) {}
 *     reconcile(node: NodeObject) { ...; this.tables.enqueue({ name: tableId }); }
 *   }
 *
 * The Manager binds one handle per registered controller (by its name); requests enqueued
 * before that controller's runner exists (in a constructor) are kept and added once it does.
 */
import type { Request } from './metadata.js';
import { controllerMetadata } from './metadata.js';

export interface ControllerQueue {
  /** The controller this handle feeds. */
  readonly controller: string;
  /** Adds a request to that controller's queue (now, or after `afterMs`). */
  enqueue(request: Request, afterMs?: number): void;
}

/** The injection token of the queue handle of a controller (its class or its name). */
export function queueOf(controller: Function | string): symbol {
  const name = typeof controller === 'string' ? controller : controllerMetadata(controller).name;
  return Symbol.for(`kubeloop.ControllerQueue:${name}`);
}

/** The handle the Manager binds; `attach` connects it to the runner once created. */
export class QueueHandle implements ControllerQueue {
  private target: ((request: Request, afterMs?: number) => void) | undefined;
  private pending: Array<[Request, number | undefined]> = [];

  constructor(readonly controller: string) {}

  enqueue(request: Request, afterMs?: number): void {
    if (!request || typeof request.name !== 'string' || request.name === '') throw new TypeError(`enqueue into ${this.controller}: a request needs a name`);
    if (this.target) this.target(request, afterMs);
    else this.pending.push([request, afterMs]);
  }

  attach(target: (request: Request, afterMs?: number) => void): void {
    this.target = target;
    for (const [r, ms] of this.pending.splice(0)) target(r, ms);
  }
}
