/**
 * The manager's plumbing to observability: the default logger, the event recorder bound to
 * the API server (core/v1 Events, aggregated), and the probe/metrics HTTP server.
 */
import { createServer, type Server } from 'node:http';
import { randomBytes } from 'node:crypto';
import { pino } from 'pino';
import { rfc3339, isNotFound, type KubeObject } from '../api/index.js';
import type { KubeClient } from '../client/index.js';
import type { Registry } from '../observability/index.js';
import type { Logger, Recorder } from './context.js';
import { errorMessage } from './errors.js';
import type { EventObject } from './kinds.js';

/** JSON logs on stderr at $LOG_LEVEL (default info). */
export function defaultLogger(): Logger {
  return pino({ level: process.env.LOG_LEVEL ?? 'info', base: undefined }, pino.destination(2)) as unknown as Logger;
}

interface Aggregate {
  name: string;
  namespace: string;
  count: number;
  firstTimestamp: string;
}

/**
 * Recorders that write core/v1 Events through the client. An event identical to one
 * already written (same object, type, reason, message and source) bumps that Event's
 * `count` and `lastTimestamp` instead of creating a new one, as client-go's correlator does,
 * so `kubectl describe` shows "x5 over 2m". Writes are asynchronous; failures are logged.
 */
export function makeRecorderFactory(client: KubeClient, log: Logger): (component: string) => Recorder {
  const cache = new Map<string, Aggregate>();
  const host = process.env.NODE_NAME ?? '';
  return (component: string): Recorder => ({
    event(obj: KubeObject, type: 'Normal' | 'Warning', reason: string, message: string): void {
      const meta = obj?.metadata ?? {};
      if (!meta.name) {
        log.warn({ reason }, 'event recorder: object without a name, event dropped');
        return;
      }
      const namespace = meta.namespace || 'default';
      const involved = {
        apiVersion: obj.apiVersion,
        kind: obj.kind,
        name: meta.name,
        namespace: meta.namespace,
        uid: meta.uid,
        resourceVersion: meta.resourceVersion,
      };
      const key = JSON.stringify([component, host, involved.apiVersion, involved.kind, namespace, meta.name, meta.uid, type, reason, message]);
      const now = rfc3339();
      const agg = cache.get(key);
      const write = async () => {
        if (agg) {
          agg.count++;
          try {
            await client.patch({ apiVersion: 'v1', kind: 'Event' }, agg.name, { count: agg.count, lastTimestamp: now }, { namespace: agg.namespace, type: 'merge' });
            return;
          } catch (err) {
            if (!isNotFound(err)) throw err;
            cache.delete(key);
          }
        }
        const name = `${meta.name}.${Date.now().toString(16)}${randomBytes(2).toString('hex')}`;
        const ev: EventObject = {
          apiVersion: 'v1',
          kind: 'Event',
          metadata: { name, namespace },
          involvedObject: involved,
          reason,
          message,
          type,
          count: 1,
          firstTimestamp: now,
          lastTimestamp: now,
          source: { component, ...(host ? { host } : {}) },
          reportingComponent: component,
          reportingInstance: host,
        } as EventObject;
        await client.create(ev, { namespace });
        cache.set(key, { name, namespace, count: 1, firstTimestamp: now });
        if (cache.size > 4096) cache.delete(cache.keys().next().value as string);
      };
      write().catch((err) => log.warn({ err: errorMessage(err), reason, object: `${namespace}/${meta.name}` }, 'event recorder: write failed'));
    },
  });
}

export interface ProbeHandle {
  url: string;
  serves: Array<'metrics' | 'healthz'>;
  close(): Promise<void>;
}

export interface ProbeServerOptions {
  host: string;
  port: number;
  registry: Registry;
  serves: Array<'metrics' | 'healthz'>;
  healthz?: () => boolean;
  readyz?: () => boolean;
}

/** Serves /metrics and/or /healthz + /readyz (200 "ok" or 500 with the failing check). */
export async function serveProbes(o: ProbeServerOptions): Promise<ProbeHandle> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const check = (name: string, ok: boolean | undefined) => {
      res.writeHead(ok ? 200 : 500, { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff' });
      res.end(ok ? 'ok' : `[-]${name} failed: reason withheld\n${name} check failed`);
    };
    if (o.serves.includes('metrics') && path === '/metrics') {
      o.registry.metrics().then(
        (text) => {
          res.writeHead(200, { 'content-type': o.registry.contentType });
          res.end(text);
        },
        (err) => {
          res.writeHead(500);
          res.end(errorMessage(err));
        },
      );
      return;
    }
    if (o.serves.includes('healthz') && (path === '/healthz' || path === '/livez')) return check('ping', o.healthz?.());
    if (o.serves.includes('healthz') && path === '/readyz') return check('readyz', o.readyz?.());
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('404 page not found\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => resolve());
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : o.port;
  const host = o.host === '0.0.0.0' ? '127.0.0.1' : o.host;
  return {
    url: `http://${host}:${port}`,
    serves: o.serves,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}
