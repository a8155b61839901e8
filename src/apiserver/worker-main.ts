/**
 * The API server's thread (./thread.ts), as its entry ./worker.ts loads it: loads the server at once, starts it when
 * told to, reports its URL and kubeconfig, asks the starting thread where each connection it
 * dials goes (when that thread set a router) and opens it, and stops the server when told to.
 */
import { connect } from 'node:net';
import type { Duplex } from 'node:stream';
import { parentPort } from 'node:worker_threads';
import { loadPatternEngine } from './schema/index.js';
import { startApiServer, type ApiServer } from './server.js';
import type { DialRoute, FromApiServerThread, ToApiServerThread } from './thread.js';

// imported outside a worker thread (by name, as any export), it does nothing
const port = parentPort;
const post = (m: FromApiServerThread) => port?.postMessage(m);

/** Dials waiting for their route from the starting thread, by id. */
const routing = new Map<number, (route: DialRoute) => void>();
let nextId = 0;

/** Opens what `route` says for `host:port`, as `SimNetwork.dial` does in one thread (src/simcluster/network.ts). */
function dialRoute(route: DialRoute, host: string, dialPort: number): Promise<Duplex> {
  if ('dropped' in route) return new Promise<Duplex>(() => { /* dropped: the caller's timeout ends it */ });
  if ('refused' in route) {
    return Promise.reject(Object.assign(new Error(`connect ECONNREFUSED ${host}:${dialPort}`), { code: 'ECONNREFUSED', syscall: 'connect', address: host, port: dialPort }));
  }
  return new Promise((resolve, reject) => {
    const s = connect({ host: route.host, port: route.port });
    s.once('connect', () => {
      s.off('error', reject);
      resolve(s);
    });
    s.once('error', reject);
  });
}

/** The server's dialer while the starting thread routes: asks it, then connects. */
function routedDial(host: string, dialPort: number): Promise<Duplex> {
  const id = nextId++;
  return new Promise<DialRoute>((resolve) => {
    routing.set(id, resolve);
    post({ type: 'dial', id, host, port: dialPort });
  }).then((route) => dialRoute(route, host, dialPort));
}

let server: ApiServer | undefined;
/** The server's start, settled (either way) once it started or failed: a stop waits for it. */
let starting: Promise<void> = Promise.resolve();
port?.on('message', (m: ToApiServerThread) => {
  if (m.type === 'start') {
    starting = startApiServer(m.options).then((s) => {
      server = s;
      post({ type: 'started', url: s.url, port: s.port, kubeconfigPath: s.kubeconfigPath, kubeconfig: s.kubeconfig, caPem: s.caPem });
      // the CRDs `kubeloop dev` applies next have patterns: their engine loads while this
      // thread waits for the first requests
      setImmediate(loadPatternEngine);
    }, (err: unknown) => {
      post({ type: 'failed', message: err instanceof Error ? err.message : String(err), code: (err as { code?: string }).code });
      port.close();
    });
  } else if (m.type === 'router') {
    server?.setDialer(m.on ? routedDial : undefined);
  } else if (m.type === 'route') {
    const resolve = routing.get(m.id);
    routing.delete(m.id);
    resolve?.(m.route);
  } else if (m.type === 'stop') {
    // a stop asked while the server starts (a Ctrl-C during `kubeloop dev`'s start) stops it once
    // started: before, the server started after the stop and held the thread until it was terminated
    starting.then(() => {
      const s = server;
      server = undefined;
      return s?.stop();
    }).then(() => post({ type: 'stopped' }), (err: unknown) => post({ type: 'stopped', error: err instanceof Error ? err.message : String(err) }))
      .finally(() => port.close());
  }
});
