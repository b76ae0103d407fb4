// Every wait on PostgreSQL is bounded, and a connection that went silent never serves again. PostgreSQL
// only: SQLite is a file in the process, with no connection to lose or pool to wait for.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { openDatabase, type Database } from '../../src/store/database.ts';
import { createTestDatabase, type TestDatabase } from '../support/databases.ts';
import { startDatabaseProxy, type Proxy } from '../support/tcp-proxy.ts';

const poolSize = 3;
const connectTimeout = 500;
const statementTimeout = 400;
const queryTimeout = 700;
// what a busy machine of 2 cores may add to a timer
const slack = 400;

/** How long `work` took to settle, and how it settled. */
async function timed<T>(work: Promise<T>) {
  const started = performance.now();
  const outcome = await work.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
  return { ...outcome, elapsed: performance.now() - started };
}

const backendPid = async (database: Database) =>
  (await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(database.db)).rows[0]?.pid;

describe('PostgreSQL waits under a connection gone silent', () => {
  let testDatabase: TestDatabase;
  let proxy: Proxy;
  let proxiedUrl: string;
  let database: Database;
  before(async () => {
    testDatabase = await createTestDatabase('postgres');
    ({ proxy, url: proxiedUrl } = await startDatabaseProxy(testDatabase.url));
    database = openDatabase({ url: proxiedUrl, poolSize, connectTimeout, statementTimeout, queryTimeout });
  });
  after(async () => {
    await database.close();
    await proxy.cut();
    await testDatabase.drop();
  });

  it('fails every query at its deadline as unavailable, then serves from fresh connections after healing', async (t) => {
    const { poolStats } = database;
    assert.ok(poolStats !== undefined);
    // every pooled connection open and idle
    await Promise.all(
      Array.from({ length: poolSize }, () => sql`select pg_sleep(0.05)`.execute(database.db)),
    );
    assert.equal(poolStats().total, poolSize);

    proxy.blackhole();
    // as many queries as connections, and two more that must wait for one
    const attempts = await Promise.all(
      Array.from({ length: poolSize + 2 }, () => timed(sql`select 1`.execute(database.db))),
    );
    for (const attempt of attempts) {
      assert.ok(!attempt.ok, 'a query through a silent connection succeeded');
      assert.ok(database.isUnavailableError(attempt.error), String(attempt.error));
      assert.ok(attempt.elapsed < Math.max(queryTimeout, connectTimeout) + slack, `${attempt.elapsed} ms`);
    }
    const ping = await timed(database.ping());
    assert.equal(ping.ok && ping.value, false);
    assert.ok(ping.elapsed < queryTimeout + slack, `readiness ping took ${ping.elapsed} ms`);
    t.diagnostic(
      `blackholed: queries failed after ${attempts.map((each) => Math.round(each.elapsed)).join(', ')} ms; ` +
        `ping after ${Math.round(ping.elapsed)} ms`,
    );

    proxy.heal();
    // a silenced connection handed out again would wait out its deadline and fail
    const healed = await Promise.all(Array.from({ length: poolSize }, () => timed(backendPid(database))));
    for (const each of healed) {
      assert.ok(each.ok, String(!each.ok && each.error));
      assert.ok(each.elapsed < queryTimeout, `${each.elapsed} ms`);
    }
    assert.ok(poolStats().total <= poolSize);
    assert.equal(await database.ping(), true);
    t.diagnostic(
      `healed: first queries answered in ${healed.map((each) => Math.round(each.elapsed)).join(', ')} ms`,
    );
  });

  it('rolls back a transaction whose connection went silent without waiting out a second deadline', async () => {
    // one connection, so that the next query after healing can only be served by a fresh one
    const single = openDatabase({
      url: proxiedUrl,
      poolSize: 1,
      connectTimeout,
      statementTimeout,
      queryTimeout,
    });
    try {
      const attempt = await timed(
        single.db.transaction().execute(async (transaction) => {
          await sql`select 1`.execute(transaction);
          proxy.blackhole();
          await sql`select 1`.execute(transaction);
        }),
      );
      proxy.heal();
      assert.ok(!attempt.ok);
      assert.ok(single.isUnavailableError(attempt.error), String(attempt.error));
      assert.ok(attempt.elapsed < queryTimeout + slack, `${attempt.elapsed} ms`);
      assert.equal(await single.ping(), true);
    } finally {
      await single.close();
    }
  });
});

describe('PostgreSQL connection lost while lent out', () => {
  let testDatabase: TestDatabase;
  before(async () => {
    testDatabase = await createTestDatabase('postgres');
  });
  after(() => testDatabase.drop());

  it('fails the transaction as unavailable, never the process, and serves from a fresh connection after', async () => {
    const started = await startDatabaseProxy(testDatabase.url);
    const { url } = started;
    let { proxy } = started;
    const single = openDatabase({ url, poolSize: 1, connectTimeout, statementTimeout, queryTimeout });
    try {
      // between two statements the connection is the transaction's, and pg-pool no longer listens to it
      const attempt = await timed(
        single.db.transaction().execute(async (transaction) => {
          await sql`select 1`.execute(transaction);
          await proxy.cut();
          await new Promise((resolve) => setTimeout(resolve, 100));
          await sql`select 1`.execute(transaction);
        }),
      );
      assert.ok(!attempt.ok);
      assert.ok(single.isUnavailableError(attempt.error), String(attempt.error));
      ({ proxy } = await startDatabaseProxy(testDatabase.url, Number(new URL(url).port)));
      assert.equal(await single.ping(), true);
    } finally {
      await single.close();
      await proxy.cut();
    }
  });
});

describe('PostgreSQL statement timeout', () => {
  let testDatabase: TestDatabase;
  let database: Database;
  before(async () => {
    testDatabase = await createTestDatabase('postgres');
    database = openDatabase({
      url: testDatabase.url,
      poolSize: 1,
      connectTimeout,
      statementTimeout,
      queryTimeout,
    });
  });
  after(async () => {
    await database.close();
    await testDatabase.drop();
  });

  it('ends a slow statement on the server first, and keeps the connection, which is still good', async () => {
    const pid = await backendPid(database);
    const slow = await timed(sql`select pg_sleep(5)`.execute(database.db));
    assert.ok(!slow.ok);
    assert.equal((slow.error as { code?: string }).code, '57014', String(slow.error));
    assert.ok(database.isUnavailableError(slow.error));
    assert.ok(slow.elapsed < queryTimeout, `${slow.elapsed} ms: the client's deadline came first`);
    assert.equal(await backendPid(database), pid);
  });
});
