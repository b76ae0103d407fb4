import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { createTestDatabase, type TestDatabase } from '../support/databases.ts';
import { parseExposition } from '../support/exposition.ts';
import { poll } from '../support/poll.ts';
import { processEnvironment, startServer, type ServerProcess } from '../support/server-process.ts';
import { startDatabaseProxy, type Proxy } from '../support/tcp-proxy.ts';
import { newUser } from '../support/test-app.ts';

interface PairBody {
  access_token: string;
  refresh_token: string;
}

// Long enough that only a notification can explain a revocation seen on the other instance in time.
const cacheTtl = '10m';
// How long the test waits for instance B to notice; the contract's bound is 1 s, bench/ measures it.
const patience = 5_000;

// Instances share state only through PostgreSQL; SQLite is one process's database.
describe('revocation across two server processes on one PostgreSQL database', () => {
  let database: TestDatabase;
  let a: ServerProcess;
  let b: ServerProcess;
  before(async () => {
    database = await createTestDatabase('postgres');
    const env = processEnvironment({ DATABASE_URL: database.url, SESSION_CACHE_TTL: cacheTtl });
    a = await startServer({ env });
    b = await startServer({ env: { ...env, MIGRATE_ON_START: 'false' } });
    for (const server of [a, b])
      await server.waitForLine((line) => line.includes('listening for other instances'));
  });
  after(async () => {
    await Promise.all([a.stop(), b.stop()]);
    await database.drop();
  });

  async function signedInTwice() {
    const user = newUser('cross');
    assert.equal((await a.request('POST', '/api/users', { body: { user } })).status, 201);
    const pairs: PairBody[] = [];
    for (let index = 0; index < 2; index += 1) {
      const response = await a.request('POST', '/api/tokens', {
        body: { email: user.email, password: user.password },
      });
      assert.equal(response.status, 200, response.text);
      pairs.push(response.body as PairBody);
    }
    // B has verified each token and cached its session
    for (const pair of pairs) assert.equal(await statusOn(b, pair.access_token), 200);
    return { user, pairs };
  }

  const statusOn = async (server: ServerProcess, token: string) =>
    (await server.request('GET', '/api/user', { headers: { authorization: `Bearer ${token}` } })).status;

  /** Polls B until the token is refused; fails if it never is. */
  async function refusedOnB(token: string): Promise<void> {
    const deadline = Date.now() + patience;
    while (Date.now() < deadline) {
      if ((await statusOn(b, token)) === 401) return;
      await sleep(20);
    }
    assert.fail(`instance B still accepts the token after ${patience} ms`);
  }

  it('a logout on A is refused on B, while the other session lives on', async () => {
    const { pairs } = await signedInTwice();
    const [first, second] = pairs as [PairBody, PairBody];
    const logout = await a.request('POST', '/api/users/logout', {
      headers: { authorization: `Bearer ${first.access_token}` },
    });
    assert.equal(logout.status, 204);
    await refusedOnB(first.access_token);
    assert.equal(await statusOn(b, second.access_token), 200);
  });

  it('a password change on A ends the other sessions on B', async () => {
    const { user, pairs } = await signedInTwice();
    const [first, second] = pairs as [PairBody, PairBody];
    const change = await a.request('POST', '/api/user/password', {
      headers: { authorization: `Bearer ${first.access_token}` },
      body: { current_password: user.password, new_password: 'another-long-passphrase' },
    });
    assert.equal(change.status, 204, change.text);
    await refusedOnB(second.access_token);
    assert.equal(await statusOn(b, first.access_token), 200);
  });

  it('a refresh-token reuse on A ends the session on B', async () => {
    const { pairs } = await signedInTwice();
    const [first] = pairs as [PairBody];
    const rotated = await a.request('POST', '/api/tokens/refresh', {
      body: { refresh_token: first.refresh_token },
    });
    assert.equal(rotated.status, 200);
    const { access_token: current, refresh_token: next } = rotated.body as PairBody;
    assert.equal(await statusOn(b, current), 200);
    // the grandparent is reuse whatever the grace period
    const second = await a.request('POST', '/api/tokens/refresh', { body: { refresh_token: next } });
    assert.equal(second.status, 200);
    const reuse = await a.request('POST', '/api/tokens/refresh', {
      body: { refresh_token: first.refresh_token },
    });
    assert.equal(reuse.status, 401);
    await refusedOnB((second.body as PairBody).access_token);
  });

  it('a deactivation on A is refused on B', async () => {
    const { user, pairs } = await signedInTwice();
    const [first, second] = pairs as [PairBody, PairBody];
    const gone = await a.request('DELETE', '/api/user', {
      headers: { authorization: `Bearer ${first.access_token}` },
      body: { current_password: user.password },
    });
    assert.equal(gone.status, 204, gone.text);
    await refusedOnB(second.access_token);
  });

  it('a profile change on A is seen on B', async () => {
    const { pairs } = await signedInTwice();
    const [first] = pairs as [PairBody];
    const bio = 'changed on A';
    const update = await a.request('PUT', '/api/user', {
      headers: { authorization: `Bearer ${first.access_token}` },
      body: { user: { bio } },
    });
    assert.equal(update.status, 200, update.text);
    const deadline = Date.now() + patience;
    let seen: string | null = null;
    while (Date.now() < deadline && seen !== bio) {
      const me = await b.request('GET', '/api/user', {
        headers: { authorization: `Bearer ${first.access_token}` },
      });
      seen = (me.body as { user: { bio: string | null } }).user.bio;
      if (seen !== bio) await sleep(20);
    }
    assert.equal(seen, bio);
  });
});

describe('an instance whose change listener was cut off', () => {
  let database: TestDatabase;
  let proxy: Proxy;
  let a: ServerProcess;
  let c: ServerProcess;
  before(async () => {
    database = await createTestDatabase('postgres');
    const viaProxy = await startDatabaseProxy(database.url);
    proxy = viaProxy.proxy;
    const env = processEnvironment({ DATABASE_URL: database.url, SESSION_CACHE_TTL: cacheTtl });
    a = await startServer({ env });
    c = await startServer({ env: { ...env, DATABASE_URL: viaProxy.url, MIGRATE_ON_START: 'false' } });
    await c.waitForLine((line) => line.includes('listening for other instances'));
  });
  after(async () => {
    await Promise.all([a.stop(), c.stop()]);
    await proxy.cut();
    await database.drop();
  });

  it('drops everything it cached when it reconnects, so a revocation it missed still counts', async () => {
    const user = newUser('gap');
    assert.equal((await a.request('POST', '/api/users', { body: { user } })).status, 201);
    const pair = await a.request('POST', '/api/tokens', {
      body: { email: user.email, password: user.password },
    });
    const token = (pair.body as PairBody).access_token;
    const auth = { headers: { authorization: `Bearer ${token}` } };
    assert.equal((await c.request('GET', '/api/user', auth)).status, 200);

    // /metrics reads no database: it tells that the listener is down
    const listenerUp = async () =>
      parseExposition((await c.request('GET', '/metrics')).text).value('gatehouse_change_listener_up');
    assert.equal(await listenerUp(), 1);
    await proxy.cut();
    assert.equal(await poll(listenerUp, (up) => up === 0), 0);
    assert.equal((await a.request('POST', '/api/users/logout', auth)).status, 204);
    // the notification went out while C could not hear it
    ({ proxy } = await startDatabaseProxy(database.url, proxy.port));
    // listening again: the second such line in C's log
    const listening = () => c.stdout.filter((line) => line.includes('listening for other instances')).length;
    const reconnectDeadline = Date.now() + 15_000;
    while (listening() < 2 && Date.now() < reconnectDeadline) await sleep(50);
    assert.equal(listening(), 2, 'the listener never reconnected');
    assert.equal(await listenerUp(), 1);
    const deadline = Date.now() + patience;
    let status = 0;
    while (Date.now() < deadline && status !== 401) {
      status = (await c.request('GET', '/api/user', auth)).status;
      if (status !== 401) await sleep(50);
    }
    assert.equal(status, 401);
  });
});

// The listener's heartbeat on instance B below; a silent listener is noticed within two of them.
const heartbeat = 500;

describe('an instance whose change listener went silent without closing', () => {
  let database: TestDatabase;
  let proxy: Proxy;
  let a: ServerProcess;
  let b: ServerProcess;
  before(async () => {
    database = await createTestDatabase('postgres');
    const viaProxy = await startDatabaseProxy(database.url);
    proxy = viaProxy.proxy;
    const env = processEnvironment({ DATABASE_URL: database.url, SESSION_CACHE_TTL: cacheTtl });
    a = await startServer({ env });
    b = await startServer({
      env: {
        ...env,
        DATABASE_URL: viaProxy.url,
        MIGRATE_ON_START: 'false',
        CHANGE_LISTENER_HEARTBEAT: `${heartbeat}ms`,
        DATABASE_QUERY_TIMEOUT: '1s',
        DATABASE_CONNECT_TIMEOUT: '1s',
      },
    });
    await b.waitForLine((line) => line.includes('listening for other instances'));
  });
  after(async () => {
    await Promise.all([a.stop(), b.stop()]);
    await proxy.cut();
    await database.drop();
  });

  const listenerUp = async () =>
    parseExposition((await b.request('GET', '/metrics')).text).value('gatehouse_change_listener_up');
  const auth = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });
  const statusOnB = async (token: string) => (await b.request('GET', '/api/user', auth(token))).status;

  it(
    'notices within seconds, reads every session meanwhile, and hears revocations in under 1 s again',
    { timeout: 30_000 },
    async (t) => {
      const user = newUser('silent-listener');
      assert.equal((await a.request('POST', '/api/users', { body: { user } })).status, 201);
      const tokens: string[] = [];
      for (let index = 0; index < 3; index += 1) {
        const pair = await a.request('POST', '/api/tokens', {
          body: { email: user.email, password: user.password },
        });
        assert.equal(pair.status, 200, pair.text);
        tokens.push((pair.body as PairBody).access_token);
      }
      const [duringGap, afterHeal, bystander] = tokens as [string, string, string];
      for (const token of tokens) assert.equal(await statusOnB(token), 200);
      assert.equal(await listenerUp(), 1);

      // only B's LISTEN connection goes silent; its pool goes on serving
      proxy.blackholeWhere('LISTEN');
      const silencedAt = performance.now();
      assert.equal(await poll(listenerUp, (up) => up === 0), 0, 'the silent listener was never noticed');
      const detectedAfter = performance.now() - silencedAt;
      assert.ok(detectedAfter < 4 * heartbeat + 1_000, `noticed only after ${detectedAfter} ms`);
      // noticed by its heartbeat's deadline: nothing closed the connection
      assert.ok(
        b.stdout.some(
          (line) =>
            line.includes('change listener lost its connection') && line.includes('Query read timeout'),
        ),
        'the listener was not found silent by its heartbeat',
      );

      // B caches nothing it cannot hear about: a revocation on A counts on B at once
      assert.equal(await statusOnB(duringGap), 200);
      assert.equal((await a.request('POST', '/api/users/logout', auth(duringGap))).status, 204);
      assert.equal(await statusOnB(duringGap), 401);
      assert.equal(await statusOnB(bystander), 200);
      assert.equal(await listenerUp(), 0, 'the gap ended before the revocation was checked');

      proxy.heal();
      const healedAt = performance.now();
      assert.equal(await poll(listenerUp, (up) => up === 1), 1, 'the listener never came back');
      const listeningAfter = performance.now() - healedAt;

      // cached on B again, so that only the notification can explain a refusal in time
      assert.equal(await statusOnB(afterHeal), 200);
      assert.equal(await statusOnB(afterHeal), 200);
      const logout = await a.request('POST', '/api/users/logout', auth(afterHeal));
      assert.equal(logout.status, 204);
      const revokedAt = performance.now();
      let status = 200;
      while (status !== 401 && performance.now() - revokedAt < patience) {
        status = await statusOnB(afterHeal);
        if (status !== 401) await sleep(10);
      }
      const heardAfter = performance.now() - revokedAt;
      assert.equal(status, 401);
      assert.ok(heardAfter < 1_000, `B refused the revoked token only after ${heardAfter} ms`);
      assert.equal(await statusOnB(bystander), 200);
      t.diagnostic(
        `silent listener noticed after ${Math.round(detectedAfter)} ms; listening again ` +
          `${Math.round(listeningAfter)} ms after healing; a revocation on A refused on B after ${Math.round(heardAfter)} ms`,
      );
    },
  );
});
