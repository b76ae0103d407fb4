import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestDatabase, type TestDatabase } from '../support/databases.ts';
import { poll } from '../support/poll.ts';
import { processEnvironment, startServer, type ServerProcess } from '../support/server-process.ts';
import { startProxy, type Proxy } from '../support/tcp-proxy.ts';
import { newUser } from '../support/test-app.ts';

const responseTimeout = 1_000;

describe('the response deadline while PostgreSQL goes silent', () => {
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
        RESPONSE_TIMEOUT: `${responseTimeout}ms`,
        SESSION_CACHE_TTL: '0',
      }),
    });
  });
  after(async () => {
    // its pool holds connections that will never answer: this process is not one to drain
    server.child.kill('SIGKILL');
    await server.exited();
    await proxy.cut();
    await database.drop();
  });

  it('answers every request 503 with Retry-After in its envelope within the deadline and a second', async () => {
    const user = newUser('silent');
    const registered = await server.request('POST', '/api/users', { body: { user } });
    assert.equal(registered.status, 201, registered.text);
    const { token } = (registered.body as { user: { token: string } }).user;

    proxy.blackhole();
    const startedAt = Date.now();
    const [current, login, djoser] = await Promise.all([
      server.request('GET', '/api/user', { token }),
      server.request('POST', '/api/users/login', {
        body: { user: { email: user.email, password: user.password } },
      }),
      server.request('POST', '/auth/jwt/create/', { body: { email: user.email, password: user.password } }),
    ]);
    const elapsed = Date.now() - startedAt;
    assert.ok(
      elapsed >= responseTimeout && elapsed < responseTimeout + 1_000,
      `answered after ${elapsed} ms`,
    );

    for (const response of [current, login]) {
      assert.equal(response.status, 503, response.text);
      assert.deepEqual(response.body, { errors: { body: ['is temporarily unavailable, retry later'] } });
    }
    assert.equal(djoser.status, 503, djoser.text);
    assert.deepEqual(djoser.body, { detail: 'Service temporarily unavailable, try again later.' });
    for (const response of [current, login, djoser]) {
      assert.match(response.headers.get('retry-after') ?? '', /^\d+$/);
    }
    // the process lives on and says so
    assert.equal((await server.request('GET', '/healthz')).status, 200);
    // the log reaches us through a pipe, a moment after the answers
    const abandoned = () =>
      server.stdout.filter((line) => line.includes('no answer in time; work abandoned')).length;
    assert.equal(
      await poll(
        () => Promise.resolve(abandoned()),
        (count) => count >= 3,
        2_000,
      ),
      3,
    );
    assert.deepEqual(server.stderr, []);
  });
});
