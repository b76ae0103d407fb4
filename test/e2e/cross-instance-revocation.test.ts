import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { createTestDatabase, type TestDatabase } from '../support/databases.ts';
import { parseExposition } from '../support/exposition.ts';
import { poll } from '../support/poll.ts';
import { processEnvironment, startServer, type ServerProcess } from '../support/server-process.ts';
import { startProxy, type Proxy } from '../support/tcp-proxy.ts';
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
    const direct = new URL(database.url);
    proxy = await startProxy({ host: direct.hostname, port: Number(direct.port || '5432') });
    const viaProxy = new URL(database.url);
    viaProxy.hostname = '127.0.0.1';
    viaProxy.port = String(proxy.port);
    const env = processEnvironment({ DATABASE_URL: database.url, SESSION_CACHE_TTL: cacheTtl });
    a = await startServer({ env });
    c = await startServer({ env: { ...env, DATABASE_URL: viaProxy.toString(), MIGRATE_ON_START: 'false' } });
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
    proxy = await startProxy(
      { host: new URL(database.url).hostname, port: Number(new URL(database.url).port || '5432') },
      proxy.port,
    );
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
