import assert from 'node:assert/strict';
import { connect, createServer, type Server, type Socket } from 'node:net';

/** A TCP proxy to a server (PostgreSQL, Redis) that a test can pull out, silence, and put back. */
export interface Proxy {
  port: number;
  /** stops listening and cuts every connection, as a lost server would */
  cut(): Promise<void>;
  /**
   * Every open connection goes silent for good, without closing (as when a NAT or load balancer forgets
   * it), and connections opened from now on are accepted but silent too, until `heal`.
   */
  blackhole(): void;
  /**
   * As `blackhole`, but only for the connections whose client has sent `marker` among its first bytes
   * (`LISTEN` picks PostgreSQL's listening connections), or sends it before `heal`; the others flow on.
   */
  blackholeWhere(marker: string): void;
  /** New connections reach the server again; the ones silenced stay silent, as they would in a network. */
  heal(): void;
}

interface Pair {
  client: Socket;
  upstream: Socket;
  /** the start of what the client sent, as latin1 text: how the connection introduced itself */
  opening: string;
}

// Enough for a PostgreSQL client's start-up and its first statements.
const openingLength = 4096;

/** Listens on 127.0.0.1 (`port`, or any free one) and forwards every connection to `target`. */
export async function startProxy(target: { host: string; port: number }, port = 0): Promise<Proxy> {
  const sockets = new Set<Socket>();
  const forwarding = new Set<Pair>();
  let silent = false;
  let silentMarker: string | undefined;

  const isMarked = (pair: Pair) => silentMarker !== undefined && pair.opening.includes(silentMarker);

  function silence(pair: Pair): void {
    forwarding.delete(pair);
    pair.client.unpipe(pair.upstream);
    pair.upstream.unpipe(pair.client);
    // read and drop whatever arrives, so that neither side sees the connection close or back up
    pair.client.on('data', () => undefined);
    pair.upstream.on('data', () => undefined);
  }

  const server: Server = createServer((client) => {
    const upstream = connect(target.port, target.host);
    const pair: Pair = { client, upstream, opening: '' };
    client.on('data', (chunk: Buffer) => {
      if (pair.opening.length >= openingLength) return;
      pair.opening += chunk.toString('latin1', 0, openingLength - pair.opening.length);
      if (forwarding.has(pair) && isMarked(pair)) silence(pair);
    });
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.once('close', () => {
        sockets.delete(socket);
        forwarding.delete(pair);
      });
      socket.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    if (silent) {
      silence(pair);
      return;
    }
    forwarding.add(pair);
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
    blackhole() {
      silent = true;
      for (const pair of [...forwarding]) silence(pair);
    },
    blackholeWhere(marker) {
      silentMarker = marker;
      for (const pair of [...forwarding].filter(isMarked)) silence(pair);
    },
    heal() {
      silent = false;
      silentMarker = undefined;
    },
  };
}

/** A proxy in front of the PostgreSQL database at `url`, and the URL that reaches it through the proxy. */
export async function startDatabaseProxy(url: string, port = 0): Promise<{ proxy: Proxy; url: string }> {
  const direct = new URL(url);
  const proxy = await startProxy({ host: direct.hostname, port: Number(direct.port || '5432') }, port);
  const proxied = new URL(url);
  proxied.hostname = '127.0.0.1';
  proxied.port = String(proxy.port);
  return { proxy, url: proxied.toString() };
}
