/**
 * A TCP proxy for fault injection in front of an API server: TLS passes through
 * untouched, so clients see the real server. It can cut every connection (a server
 * or network drop), stall them (bytes stop flowing, sockets stay open — a dead
 * network path), and count connections whose first request is a watch.
 */
import net from 'node:net';

export interface FaultProxy {
  readonly port: number;
  /** Connections currently open. */
  readonly open: number;
  /** Destroys every open connection (clients see ECONNRESET / an ended stream). */
  cutAll(): void;
  /** Stops forwarding bytes in both directions on existing and new connections. */
  stall(): void;
  /** Forwards again (buffered bytes are delivered). */
  resume(): void;
  /** Sends new connections to another port (a restarted server). */
  retarget(port: number): void;
  close(): Promise<void>;
}

export async function startFaultProxy(target: { host: string; port: number }): Promise<FaultProxy> {
  const pairs = new Set<{ a: net.Socket; b: net.Socket }>();
  let stalled = false;
  let targetPort = target.port;
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, target.host);
    const pair = { a: client, b: upstream };
    pairs.add(pair);
    const forward = (from: net.Socket, to: net.Socket) => {
      from.on('data', (d) => {
        if (stalled) from.pause();
        to.write(d);
      });
    };
    forward(client, upstream);
    forward(upstream, client);
    if (stalled) {
      client.pause();
      upstream.pause();
    }
    const done = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('close', done).on('error', done);
    upstream.on('close', done).on('error', done);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  const cutAll = () => {
    for (const p of [...pairs]) {
      p.a.destroy();
      p.b.destroy();
    }
    pairs.clear();
  };
  return {
    port,
    get open() {
      return pairs.size;
    },
    cutAll,
    retarget(p: number) {
      targetPort = p;
    },
    stall() {
      stalled = true;
      for (const p of pairs) {
        p.a.pause();
        p.b.pause();
      }
    },
    resume() {
      stalled = false;
      for (const p of pairs) {
        p.a.resume();
        p.b.resume();
      }
    },
    async close() {
      cutAll();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
