/**
 * The first request's header deadline. Node enforces `headersTimeout` only once a request has
 * started to arrive on a connection, so a client that completes the TLS handshake and then
 * sends nothing, or only part of its first request's headers, would hold the connection (and
 * a file descriptor) forever. kube-apiserver's ReadHeaderTimeout covers that time too: the
 * connection is closed unless a request's headers are complete within `ms` of the handshake.
 * Later requests on a kept-alive connection are Node's `headersTimeout` and `keepAliveTimeout`.
 */
import type { Server } from 'node:https';
import type { TLSSocket } from 'node:tls';

export function enforceFirstRequestDeadline(server: Server, ms: number): void {
  const pending = new WeakMap<object, NodeJS.Timeout>();
  server.on('secureConnection', (socket: TLSSocket) => {
    const timer = setTimeout(() => socket.destroy(), ms);
    timer.unref();
    pending.set(socket, timer);
    socket.once('close', () => clearTimeout(timer));
  });
  server.on('request', (req: { socket: object }) => {
    const timer = pending.get(req.socket);
    if (timer === undefined) return;
    clearTimeout(timer);
    pending.delete(req.socket);
  });
}
