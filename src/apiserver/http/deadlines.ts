/**
 * The first request's header deadline. Node enforces `headersTimeout` only once a request has
 * started to arrive on a connection, so a client that completes the TLS handshake and then
 * sends nothing, or only part of its first request's headers, would hold the connection (and
 * a file descriptor) forever. kube-apiserver's ReadHeaderTimeout covers that time too: the
 * connection is closed unless a request's headers are complete within `ms` of the handshake.
 * Later requests on a kept-alive connection are Node's `headersTimeout` and `keepAliveTimeout`.
 * Returns what the server's request handler must call for every request.
 */
import type { Server } from 'node:https';
import type { TLSSocket } from 'node:tls';

export function enforceFirstRequestDeadline(server: Server, ms: number): (req: { socket: object }) => void {
  server.on('secureConnection', (socket: TLSSocket) => {
    const timer = setTimeout(() => socket.destroy(), ms);
    timer.unref();
    (socket as Deadlined)[DEADLINE] = timer;
    socket.once('close', () => clearTimeout(timer));
  });
  return firstRequest;
}

/** A connection's first-request timer, kept on its socket (no map lookup for every request). */
const DEADLINE = Symbol('kubeloop.apiserver.firstRequestDeadline');
type Deadlined = { [DEADLINE]?: NodeJS.Timeout };

/**
 * What the server's request handler calls for every request: the first one on a connection
 * stops its deadline. (A second 'request' listener instead made Node copy the listener list,
 * and look the socket up, on every request.)
 */
function firstRequest(req: { socket: object }): void {
  const s = req.socket as Deadlined;
  const timer = s[DEADLINE];
  if (timer === undefined) return;
  clearTimeout(timer);
  s[DEADLINE] = undefined;
}
