import assert from 'node:assert/strict';
import { connect, createServer, type Server, type Socket } from 'node:net';

/** A TCP proxy to a server (PostgreSQL, Redis) that a test can pull out, and put back on the same port. */
export interface Proxy {
  port: number;
  /** stops listening and cuts every connection, as a lost server would */
  cut(): Promise<void>;
}

/** Listens on 127.0.0.1 (`port`, or any free one) and forwards every connection to `target`. */
export async function startProxy(target: { host: string; port: number }, port = 0): Promise<Proxy> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(target.port, target.host);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
      socket.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  const address = server.address();
  assert.ok(address !== null && typeof address === 'object');
  return {
    port: address.port,
    cut: () =>
      new Promise((resolve) => {
        server.close(() => {
          resolve();
        });
        for (const socket of sockets) socket.destroy();
      }),
  };
}
