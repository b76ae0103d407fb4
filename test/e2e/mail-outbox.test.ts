import assert from 'node:assert/strict';
import { readFile, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import type { OutgoingMail } from '../../src/accounts/ports.ts';
import { openDatabase, type Database } from '../../src/store/database.ts';
import { createTestDatabase, dialects, type TestDatabase } from '../support/databases.ts';
import { poll } from '../support/poll.ts';
import { processEnvironment, startServer, type ServerProcess } from '../support/server-process.ts';
import { startSmtpSink, type ReceivedMail, type SmtpSink } from '../support/smtp-sink.ts';
import { quickMailSettings, resetMail, startOutbox } from '../mail/outbox.ts';

/** The server's database, opened by the test to queue mails as a flow would (in a unit of work). */
function openShared(url: string): Database {
  return openDatabase({
    url,
    poolSize: 2,
    connectTimeout: 5000,
    statementTimeout: 5000,
    queryTimeout: 6000,
  });
}

/** Queues `mails` in one unit of work, sealed under the server's SECRET_KEY. */
async function queueAll(database: Database, env: Record<string, string>, mails: OutgoingMail[]) {
  const outbox = startOutbox(database, env, { secretKey: env.SECRET_KEY ?? '', start: false });
  await outbox.store.transaction(async (unit) => {
    for (const mail of mails) await outbox.mail.queue.queue(unit, mail);
  });
}

/** How many times each token arrived. */
function deliveries(received: readonly ReceivedMail[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const mail of received) {
    const token = /token=([\w-]+)/.exec(mail.text)?.[1] ?? '';
    counts.set(token, (counts.get(token) ?? 0) + 1);
  }
  return counts;
}

function assertNoSecretsLogged(server: ServerProcess, mails: OutgoingMail[]) {
  for (const line of [...server.stdout, ...server.stderr]) {
    for (const mail of mails) {
      if ('token' in mail) assert.ok(!line.includes(mail.token), `a token in the log: ${line}`);
    }
    assert.ok(!line.includes('reset-password'), `a link in the log: ${line}`);
  }
}

const relaySettings = {
  ...quickMailSettings,
  MAIL_RETRY_DELAY: '100ms',
  MAIL_MAX_ATTEMPTS: '50',
  // a claim is leased for ten times this: 3 s after a crash, another relay may take it
  MAIL_TIMEOUT: '300ms',
};

for (const dialect of dialects) {
  describe(`the outbox across a kill -9 of the server, on ${dialect}`, () => {
    let database: TestDatabase;
    let shared: Database;
    let smtp: SmtpSink;
    let server: ServerProcess | undefined;
    before(async () => {
      database = await createTestDatabase(dialect);
      smtp = await startSmtpSink();
    });
    after(async () => {
      await server?.stop();
      await shared.close();
      await smtp.stop();
      await database.drop();
    });

    it('delivers each mail queued before the crash exactly once after a restart', async () => {
      const env = processEnvironment({ DATABASE_URL: database.url, SMTP_URL: smtp.url, ...relaySettings });
      smtp.refuse(451, 'Greylisted, try again later');
      server = await startServer({ env });
      shared = openShared(database.url);
      const mails = Array.from({ length: 20 }, () => resetMail('crash'));
      await queueAll(shared, env, mails);
      // every mail has been tried and refused, and is waiting for its next attempt
      await poll(
        () => Promise.resolve(smtp.refusals),
        (refusals) => refusals >= mails.length,
      );
      assert.ok(smtp.refusals >= mails.length);
      server.child.kill('SIGKILL');
      assert.equal((await server.exited()).signal, 'SIGKILL');
      assertNoSecretsLogged(server, mails);

      smtp.accept();
      server = await startServer({ env });
      await smtp.waitFor(mails.length, 15_000);
      // a second delivery of any of them would arrive within this
      await sleep(1000);
      const counts = deliveries(smtp.received);
      assert.equal(smtp.received.length, mails.length);
      for (const mail of mails) assert.equal(counts.get(mail.token), 1);
      const states = await shared.db.selectFrom('mail_outbox').select('state').execute();
      assert.deepEqual(new Set(states.map((row) => row.state)), new Set(['sent']));
      assertNoSecretsLogged(server, mails);
    });
  });
}

// Instances share mail only through PostgreSQL; SQLite is one process's database.
describe('two server processes on one PostgreSQL database and 200 queued mails', () => {
  let database: TestDatabase;
  let shared: Database;
  let smtp: SmtpSink;
  let servers: ServerProcess[] = [];
  before(async () => {
    database = await createTestDatabase('postgres');
    smtp = await startSmtpSink();
  });
  after(async () => {
    await Promise.all(servers.map((server) => server.stop()));
    await shared.close();
    await smtp.stop();
    await database.drop();
  });

  it('delivers each mail exactly once, both relays sending', async (t) => {
    const env = processEnvironment({ DATABASE_URL: database.url, SMTP_URL: smtp.url, ...relaySettings });
    // slow enough that one relay cannot send them all before the other's next poll: both claim
    smtp.slowDown(20);
    const first = await startServer({ env });
    const second = await startServer({ env: { ...env, MIGRATE_ON_START: 'false' } });
    servers = [first, second];
    shared = openShared(database.url);
    const mails = Array.from({ length: 200 }, () => resetMail('pair'));
    await queueAll(shared, env, mails);
    await smtp.waitFor(mails.length, 30_000);
    await sleep(1000);
    const counts = deliveries(smtp.received);
    assert.equal(smtp.received.length, mails.length);
    for (const mail of mails) assert.equal(counts.get(mail.token), 1);
    const sentBy = servers.map(
      (server) => server.stdout.filter((line) => line.includes('"msg":"mail sent"')).length,
    );
    t.diagnostic(`mails sent by each instance: ${sentBy.join(', ')}`);
    assert.equal(
      sentBy.reduce((sum, count) => sum + count, 0),
      mails.length,
    );
    assert.ok(
      sentBy.every((count) => count > 0),
      'one relay sent every mail: the test proved nothing',
    );
    for (const server of servers) assertNoSecretsLogged(server, mails);
  });
});

describe('serve without SMTP_URL', () => {
  const opened: Array<{ database: TestDatabase; shared: Database; server: ServerProcess }> = [];
  after(async () => {
    for (const { database, shared, server } of opened) {
      await server.stop();
      await shared.close();
      await database.drop();
    }
  });

  /** A server on a database of its own, and the test's connection to that database. */
  async function serveWith(settings: Record<string, string>) {
    const database = await createTestDatabase('sqlite');
    const env = processEnvironment({ DATABASE_URL: database.url, ...quickMailSettings, ...settings });
    const server = await startServer({ env });
    const shared = openShared(database.url);
    opened.push({ database, shared, server });
    return { env, server, shared };
  }

  it('outside production writes each mail, its link included, to a file under DATA_DIR/mail, never its token to the log, and marks it sent', async () => {
    const { env, server, shared } = await serveWith({});
    const readiness = await server.request('GET', '/readyz');
    assert.equal(readiness.status, 200);
    assert.equal((readiness.body as { mail: string }).mail, 'file');
    const mail = resetMail('dev');
    await queueAll(shared, env, [mail]);
    const line = await server.waitForLine((text) => text.includes('mail written to a file'));
    const logged = JSON.parse(line) as { to: string; subject: string; file: string };
    assert.equal(logged.to, mail.to);
    assert.equal(logged.subject, 'Reset your Gatehouse password');
    assert.ok(!line.includes(mail.token), 'the token was logged');
    assert.equal(dirname(logged.file), join(env.DATA_DIR ?? '', 'mail'));
    const written = await readFile(logged.file, 'utf8');
    assert.match(written, new RegExp(`^To: ${mail.to}\nSubject: Reset your Gatehouse password\n\n`));
    assert.ok(written.includes(`http://gatehouse.test/reset-password?token=${mail.token}`), written);
    assert.equal((await stat(logged.file)).mode & 0o777, 0o600);
    const [row] = await poll(
      () => shared.db.selectFrom('mail_outbox').select(['state', 'payload_sealed']).execute(),
      (rows) => rows[0]?.state === 'sent',
    );
    assert.deepEqual(row, { state: 'sent', payload_sealed: null });
  });

  it('in production warns at start, reports mail not configured at /readyz (still ready) and keeps mails queued', async () => {
    const { env, server, shared } = await serveWith({ NODE_ENV: 'production' });
    await server.waitForLine((line) => line.includes('SMTP_URL is not set'));
    const readiness = await server.request('GET', '/readyz');
    assert.equal(readiness.status, 200);
    assert.deepEqual(readiness.body, {
      status: 'ready',
      database: true,
      migrations: true,
      mail: 'not_configured',
    });
    const mail = resetMail('prod');
    await queueAll(shared, env, [mail]);
    // ten poll intervals: a relay would have sent it by now
    await sleep(1000);
    const row = await shared.db
      .selectFrom('mail_outbox')
      .select(['state', 'attempts'])
      .where('recipient', '=', mail.to)
      .executeTakeFirstOrThrow();
    assert.deepEqual(row, { state: 'queued', attempts: 0 });
    assertNoSecretsLogged(server, [mail]);
  });
});
