import assert from 'node:assert/strict';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createTestDatabase, type TestDatabase } from '../support/databases.ts';
import {
  processEnvironment,
  startServer,
  type HttpResponse,
  type ServerProcess,
} from '../support/server-process.ts';
import { newUser } from '../support/test-app.ts';

/** A TCP proxy to PostgreSQL that the test can pull out, and put back on the same port. */
interface Proxy {
  port: number;
  /** stops listening and cuts every connection, as a lost database would */
  cut(): Promise<void>;
}

async function startProxy(target: { host: string; port: number }, port = 0): Promise<Proxy> {
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

/** Asks until `done` holds, at most `timeout` ms; returns the last answer either way. */
async function poll(
  ask: () => Promise<HttpResponse>,
  done: (response: HttpResponse) => boolean,
  timeout = 10_000,
): Promise<HttpResponse> {
  const deadline = Date.now() + timeout;
  for (;;) {
    const response = await ask();
    if (done(response) || Date.now() > deadline) return response;
    await sleep(100);
  }
}

function assertUnavailable(response: HttpResponse): void {
  assert.equal(response.status, 503, response.text);
  assert.match(response.headers.get('retry-after') ?? '', /^\d+$/);
  const body = response.body as { errors?: Record<string, string[]> };
  assert.ok(body.errors !== undefined && Object.keys(body.errors).length > 0, response.text);
}

describe('PostgreSQL going away and coming back', () => {
  let database: TestDatabase;
  let proxy: Proxy;
  let server: ServerProcess;
  before(async () => {
    database = await createTestDatabase('postgres');
    const direct = new URL(database.url);
    proxy = await startProxy({ host: direct.hostname, port: Number(direct.port || '5432') });
    const proxied = new URL(database.url);
    proxied.hostname = '127.0.0.1';
    proxied.port = String(proxy.port);
    server = await startServer({
      env: processEnvironment({
        DATABASE_URL: proxied.toString(),
        DATABASE_CONNECT_TIMEOUT: '1s',
        SESSION_CACHE_TTL: '0',
      }),
    });
  });
  after(async () => {
    await server.stop();
    await proxy.cut();
    await database.drop();
  });

  it('answers 503 with Retry-After while the database is gone, and recovers without a restart', async () => {
    const user = newUser('outage');
    const registered = await server.request('POST', '/api/users', { body: { user } });
    assert.equal(registered.status, 201, registered.text);
    const { token } = (registered.body as { user: { token: string } }).user;
    const logIn = () =>
      server.request('POST', '/api/users/login', {
        body: { user: { email: user.email, password: user.password } },
      });

    await proxy.cut();
    const down = await poll(
      () => server.request('GET', '/readyz'),
      (response) => response.status === 503,
    );
    assert.equal(down.status, 503, down.text);
    assert.equal((down.body as { status: string }).status, 'unavailable');
    assert.equal((await server.request('GET', '/healthz')).status, 200);

    assertUnavailable(await server.request('GET', '/api/user', { token }));
    assertUnavailable(await logIn());
    assertUnavailable(
      await server.request('POST', '/api/users', { body: { user: newUser('during-outage') } }),
    );
    assertUnavailable(await server.request('GET', `/api/profiles/${user.username}`));
    // the djoser dialect says it in DRF's words
    const djoser = await server.request('POST', '/auth/jwt/create/', {
      body: { email: user.email, password: user.password },
    });
    assert.equal(djoser.status, 503, djoser.text);
    assert.match(djoser.headers.get('retry-after') ?? '', /^\d+$/);
    assert.deepEqual(djoser.body, { detail: 'Service temporarily unavailable, try again later.' });

    proxy = await startProxy(
      { host: new URL(database.url).hostname, port: Number(new URL(database.url).port || '5432') },
      proxy.port,
    );
    const up = await poll(
      () => server.request('GET', '/readyz'),
      (response) => response.status === 200,
    );
    assert.equal(up.status, 200, up.text);
    assert.equal((await server.request('GET', '/api/user', { token })).status, 200);
    assert.equal((await logIn()).status, 200);

    assert.equal(server.child.exitCode, null, 'the server died');
    for (const line of server.stdout) {
      assert.doesNotMatch(line, /"statusCode":500/, line);
      assert.ok(!line.includes('    at '), line);
    }
  });
});
