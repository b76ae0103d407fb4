import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { createTestDatabase, type TestDatabase } from '../support/databases.ts';
import { poll } from '../support/poll.ts';
import {
  processEnvironment,
  startServer,
  type HttpResponse,
  type ServerProcess,
} from '../support/server-process.ts';
import { startDatabaseProxy, type Proxy } from '../support/tcp-proxy.ts';
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
    const proxied = await startDatabaseProxy(database.url);
    proxy = proxied.proxy;
    server = await startServer({
      env: processEnvironment({
        DATABASE_URL: proxied.url,
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
    assert.equal(down.headers.get('retry-after'), '5');
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

    ({ proxy } = await startDatabaseProxy(database.url, proxy.port));
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

// Every database wait of the server below: a query's answer, a connection, a pooled one.
const databaseDeadline = 1_000;
// Waits add up (a pooled connection, then a new connection, then a query), so what bounds a request's
// answer is its own deadline, the server's RESPONSE_TIMEOUT.
const responseDeadline = 2 * databaseDeadline;
// What a loaded machine may add to that deadline before the answer reaches the client.
const grace = 1_000;

interface Timed {
  response: HttpResponse;
  /** when it was sent and answered (performance.now()) */
  sent: number;
  answered: number;
}

async function timed(send: () => Promise<HttpResponse>): Promise<Timed> {
  const sent = performance.now();
  const response = await send();
  return { response, sent, answered: performance.now() };
}

describe('PostgreSQL going silent without closing, and healing', () => {
  let database: TestDatabase;
  let proxy: Proxy;
  let server: ServerProcess;
  before(async () => {
    database = await createTestDatabase('postgres');
    const proxied = await startDatabaseProxy(database.url);
    proxy = proxied.proxy;
    server = await startServer({
      env: processEnvironment({
        DATABASE_URL: proxied.url,
        DATABASE_QUERY_TIMEOUT: `${databaseDeadline}ms`,
        DATABASE_STATEMENT_TIMEOUT: '800ms',
        DATABASE_CONNECT_TIMEOUT: `${databaseDeadline}ms`,
        RESPONSE_TIMEOUT: `${responseDeadline}ms`,
        CHANGE_LISTENER_HEARTBEAT: '500ms',
        // every authenticated request reads its session
        SESSION_CACHE_TTL: '0',
        LOGIN_ATTEMPTS_PER_IP: '100000',
        REGISTRATIONS_PER_IP: '100000',
      }),
    });
  });
  after(async () => {
    await server.stop();
    await proxy.cut();
    await database.drop();
  });

  // a server that hangs fails here rather than at the file's timeout
  it(
    'answers every request within its deadline while silent, and serves every user again after healing',
    { timeout: 30_000 },
    async (t) => {
      const users: (ReturnType<typeof newUser> & { token: string })[] = [];
      for (let index = 0; index < 6; index += 1) {
        const user = newUser('silent');
        const registered = await server.request('POST', '/api/users', { body: { user } });
        assert.equal(registered.status, 201, registered.text);
        users.push({ ...user, token: (registered.body as { user: { token: string } }).user.token });
      }
      const current = (token: string) => server.request('GET', '/api/user', { token });
      for (const user of users) assert.equal((await current(user.token)).status, 200);
      const traffic = () => [
        ...users.map((user) => timed(() => current(user.token))),
        ...users.slice(0, 3).map((user) =>
          timed(() =>
            server.request('POST', '/api/users/login', {
              body: { user: { email: user.email, password: user.password } },
            }),
          ),
        ),
        ...[1, 2, 3].map(() =>
          timed(() => server.request('POST', '/api/users', { body: { user: newUser('silent') } })),
        ),
      ];

      const inFlight = traffic();
      // some reach the database before it goes silent
      await sleep(20);
      proxy.blackhole();
      const silencedAt = performance.now();
      const duringSilence = traffic();
      const readiness = poll(
        () => timed(() => server.request('GET', '/readyz')),
        (probe) => probe.response.status === 503,
      );

      // answered late, a request counts from the moment the database went silent
      const overrun = ({ sent, answered }: Timed) => answered - Math.max(sent, silencedAt);
      const answers = await Promise.all([...inFlight, ...duringSilence]);
      for (const answer of answers) {
        assert.ok(overrun(answer) < responseDeadline + grace, `answered after ${overrun(answer)} ms`);
        if (answer.response.status >= 300) assertUnavailable(answer.response);
      }
      for (const answer of await Promise.all(duringSilence)) assertUnavailable(answer.response);
      const notReady = await readiness;
      assert.equal(notReady.response.status, 503, notReady.response.text);
      const notReadyAfter = notReady.answered - silencedAt;
      assert.ok(notReadyAfter < 3 * databaseDeadline, `/readyz said 503 only after ${notReadyAfter} ms`);
      assert.ok(notReady.answered - notReady.sent < databaseDeadline + grace, 'a /readyz probe hung');
      assert.equal((await server.request('GET', '/healthz')).status, 200);

      proxy.heal();
      const healedAt = performance.now();
      const servedAgainAfter = await Promise.all(
        users.map(async (user) => {
          const served = await poll(
            () => timed(() => current(user.token)),
            (answer) => answer.response.status === 200,
          );
          assert.equal(served.response.status, 200, served.response.text);
          return served.answered - healedAt;
        }),
      );
      const recovery = Math.max(...servedAgainAfter);
      assert.ok(recovery < databaseDeadline + 3_000, `the last user was served again after ${recovery} ms`);
      const login = await server.request('POST', '/api/users/login', {
        body: { user: { email: users[0]?.email, password: users[0]?.password } },
      });
      assert.equal(login.status, 200, login.text);
      assert.equal(
        (await server.request('POST', '/api/users', { body: { user: newUser('healed') } })).status,
        201,
      );
      assert.equal((await server.request('GET', '/readyz')).status, 200);

      t.diagnostic(
        `silent: ${answers.length} requests answered at most ${Math.round(Math.max(...answers.map(overrun)))} ms ` +
          `after the database went silent (${answers.filter((each) => each.response.status === 503).length} ` +
          `of them 503); /readyz 503 after ${Math.round(notReadyAfter)} ms`,
      );
      t.diagnostic(
        `healed: every user served again within ${Math.round(recovery)} ms ` +
          `(${servedAgainAfter.map((each) => Math.round(each)).join(', ')})`,
      );
      assert.equal(server.child.exitCode, null, 'the server died');
      for (const line of server.stdout) {
        assert.doesNotMatch(line, /"statusCode":500/, line);
        assert.ok(!line.includes('    at '), line);
      }
    },
  );
});
