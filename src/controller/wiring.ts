/**
 * The manager's plumbing to observability: the default logger, event recording through
 * observability's EventBroadcaster (client-go correlator semantics) with a sink that writes
 * core/v1 Events with the KubeClient, and probe/metrics servers on observability's probe
 * server.
 */
import { hostname } from 'node:os';
import type { KubeClient } from '../client/index.js';
import {
  createLogger,
  EventBroadcaster,
  startProbeServer,
  type CoreEvent,
  type EventPatch,
  type EventSink,
  type Registry,
  type Logger as PinoLogger,
} from '../observability/index.js';
import { EventRecorder, type Logger } from './context.js';

/** JSON logs on stdout; level from KUBELOOP_LOG_LEVEL (default info), secrets redacted. */
export function defaultLogger(): Logger {
  return createLogger() as unknown as Logger;
}

/** Writes core/v1 Events with the client (observability's EventSink). */
export class ClientEventSink implements EventSink {
  constructor(private readonly client: KubeClient) {}
  create(namespace: string, event: CoreEvent): Promise<CoreEvent> {
    return this.client.create<CoreEvent>(event, { namespace });
  }
  patch(namespace: string, name: string, patch: EventPatch): Promise<CoreEvent> {
    return this.client.patch<CoreEvent>({ apiVersion: 'v1', kind: 'Event' }, name, patch, { namespace, type: 'merge' });
  }
}

export interface EventRecording {
  /**
   * A recorder reporting as `component` (host: $POD_NAME / $NODE_NAME / the host name), writing
   * `concurrentWrites` events at once (EventBroadcasterOptions.concurrency; default 1, one
   * after the other), through the client's field manager or `fieldManager` (a controller's
   * events are written as its other writes are: kube-scheduler's Events name `kube-scheduler`
   * in their managedFields, as its client's User-Agent does upstream).
   */
  recorder(component: string, concurrentWrites?: number, fieldManager?: string): EventRecorder;
  /** Waits until queued events are written. */
  flush(): Promise<void>;
  /** Writes what is queued (or drops it) and stops. */
  shutdown(drop?: boolean): Promise<void>;
}

/**
 * Event recording for one client: one broadcaster (exact repeats patch `count`, similar
 * messages are combined, spam is filtered) shared by every recorder it hands out that writes
 * one event at a time through the client's field manager, and one per other number of
 * concurrent writes and per other field manager (as client-go's
 * tools/record and tools/events broadcasters are two, each with its own queue and cache).
 */
export function createEventRecording(client: KubeClient, log: Logger): EventRecording {
  const broadcasters = new Map<string, EventBroadcaster>();
  const broadcaster = (concurrency: number, fieldManager: string | undefined) => {
    const key = `${concurrency}\u0000${fieldManager ?? ''}`;
    let b = broadcasters.get(key);
    if (!b) {
      const sink = new ClientEventSink(fieldManager === undefined ? client : client.withFieldManager(fieldManager));
      broadcasters.set(key, (b = new EventBroadcaster({ sink, logger: log as unknown as PinoLogger, concurrency })));
    }
    return b;
  };
  const host = process.env.POD_NAME || process.env.NODE_NAME || hostname();
  const recorders = new Map<string, EventRecorder>();
  return {
    recorder(component: string, concurrentWrites = 1, fieldManager?: string): EventRecorder {
      const key = `${concurrentWrites}\u0000${fieldManager ?? ''}\u0000${component}`;
      let r = recorders.get(key);
      if (!r) {
        r = broadcaster(concurrentWrites, fieldManager).recorder({ component, host });
        recorders.set(key, r);
      }
      return r;
    },
    flush: async () => {
      await Promise.all([...broadcasters.values()].map((b) => b.flush()));
    },
    shutdown: async (drop = false) => {
      await Promise.all([...broadcasters.values()].map((b) => b.shutdown({ drop })));
    },
  };
}

export interface ProbeHandle {
  url: string;
  serves: Array<'metrics' | 'healthz'>;
  /** Adds (or replaces) a /readyz check of a running server. */
  addReadyCheck(name: string, check: () => unknown): void;
  close(): Promise<void>;
}

export interface ProbeOptions {
  host: string;
  port: number;
  /** Served on /metrics; null = no /metrics. */
  registry: Registry | null;
  serves: Array<'metrics' | 'healthz'>;
  healthChecks?: Record<string, () => unknown>;
  readyChecks?: Record<string, () => unknown>;
  /** Read-only JSON documents by path (observability's `jsonRoutes`). */
  jsonRoutes?: Record<string, () => unknown>;
}

/** One observability probe server (/metrics, /healthz, /readyz). */
export async function serveProbes(o: ProbeOptions): Promise<ProbeHandle> {
  const server = await startProbeServer({
    port: o.port,
    bind: o.host,
    registry: o.registry,
    healthChecks: o.healthChecks,
    readyChecks: o.readyChecks,
    jsonRoutes: o.jsonRoutes,
  });
  return { url: server.url, serves: o.serves, addReadyCheck: (name, check) => server.addReadyCheck(name, check), close: () => server.stop() };
}
