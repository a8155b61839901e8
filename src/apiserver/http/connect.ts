/**
 * CONNECT requests. Node hands them to a 'connect' listener as a raw socket and, without
 * one, resets the connection; Go's server routes them like any method, and kube-apiserver
 * serves no CONNECT route outside proxying (not modelled), so the client gets a 405 Status.
 */
import type { Server } from 'node:https';
import type { Duplex } from 'node:stream';
import type { Status } from '../../api/index.js';

/** Upstream's generic 405 (NewGenericServerResponse). */
const METHOD_NOT_ALLOWED: Status = {
  kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'the server does not allow this method on the requested resource', reason: 'MethodNotAllowed', code: 405,
};

export function refuseConnect(server: Server): void {
  server.on('connect', (_req: unknown, socket: Duplex) => {
    const body = JSON.stringify(METHOD_NOT_ALLOWED);
    socket.on('error', () => undefined);
    socket.end(`HTTP/1.1 405 Method Not Allowed\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nCache-Control: no-cache, private\r\nConnection: close\r\n\r\n${body}`);
  });
}
