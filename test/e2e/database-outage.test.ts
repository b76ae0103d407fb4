import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestDatabase, type TestDatabase } from '../support/databases.ts';
import { poll } from '../support/poll.ts';
import {
  processEnvironment,
  startServer,
  type HttpResponse,
  type ServerProcess,
} from '../support/server-process.ts';
import { startProxy, type Proxy } from '../support/tcp-proxy.ts';
import { newUser } from '../support/test-app.ts';

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
