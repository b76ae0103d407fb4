import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createMetrics } from '../../src/metrics/prometheus.ts';
import { createOutboxRepository } from '../../src/store/outbox-repository.ts';
import { dialects } from '../support/databases.ts';
import { parseExposition, type Exposition } from '../support/exposition.ts';
import { createFakeClock } from '../support/fake-clock.ts';
import { poll } from '../support/poll.ts';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.ts';
import { openMigratedDatabase, type MigratedDatabase } from '../store/migrated-database.ts';
import { resetMail, startOutbox, type OutboxUnderTest } from './outbox.ts';

for (const dialect of dialects) {
  describe(`the mail outbox delivering to a real SMTP server, on ${dialect}`, () => {
    let database: MigratedDatabase;
    let smtp: SmtpSink;
    let outbox: OutboxUnderTest;
    const tokens: string[] = [];
    before(async () => {
      database = await openMigratedDatabase(dialect);
      smtp = await startSmtpSink();
      outbox = startOutbox(database.database, { SMTP_URL: smtp.url, APP_NAME: 'Acme <Login>' });
    });
    after(async () => {
      await outbox.stop();
      await smtp.stop();
      await database.close();
    });

    /** Queues a reset mail and remembers its token, which no log line may hold. */
    async function queueReset() {
      const mail = resetMail();
      tokens.push(mail.token);
      await outbox.queue(mail);
      return mail;
    }

    const deliveredTo = (address: string) => smtp.received.filter((mail) => mail.to.includes(address));
    /** The audit events of the mail with this outbox id. */
    const auditedMails = async (mailId: string) =>
      (
        await database.database.db
          .selectFrom('audit_events')
          .select(['type', 'detail'])
          .where('type', 'in', ['mail_sent', 'mail_failed'])
          .execute()
      ).filter((event) => (JSON.parse(event.detail) as { mail?: string }).mail === mailId);

    it('delivers a queued mail with a text and an HTML body, the product name and the reset link', async () => {
      const before = smtp.received.length;
      const mail = await queueReset();
      await smtp.waitFor(before + 1);
      const [received] = deliveredTo(mail.to);
      assert.ok(received !== undefined);
      const link = `http://gatehouse.test/reset-password?token=${mail.token}`;
      assert.equal(received.subject, 'Reset your Acme <Login> password');
      assert.equal(received.from, 'noreply@gatehouse.test');
      assert.ok(received.text.includes(`\n${link}\n`), received.text);
      assert.ok(received.html.includes(`<a href="${link}">${link}</a>`), received.html);
      // the product name is escaped in HTML, and only there
      assert.ok(received.html.includes('Acme &lt;Login&gt;'));
      assert.ok(!received.html.includes('Acme <Login>'));
      assert.ok(received.text.includes('— Acme <Login>'));
      // the server has the mail a moment before the relay records it
      const [row] = await poll(
        () => outbox.rowsTo(mail.to),
        (rows) => rows[0]?.state === 'sent',
      );
      assert.equal(row?.state, 'sent');
      assert.equal(row.attempts, 1);
      assert.equal(row.hasPayload, false, 'a sent mail keeps no payload');
      assert.equal(typeof row.sentAt, 'number');
      // and the audit log has its event, with no token in it
      const [event] = await poll(
        () => auditedMails(row.id),
        (events) => events.length > 0,
      );
      assert.equal(event?.type, 'mail_sent');
      assert.deepEqual(JSON.parse(event.detail), {
        mail: row.id,
        kind: 'password-reset',
        to: mail.to,
        attempts: 1,
      });
    });

    it('stores what a mail says sealed: neither its token nor its uid is readable in the row', async () => {
      const idle = startOutbox(database.database, { SMTP_URL: smtp.url }, { start: false });
      const mail = resetMail();
      await idle.queue(mail);
      const row = await database.database.db
        .selectFrom('mail_outbox')
        .selectAll()
        .where('recipient', '=', mail.to)
        .executeTakeFirstOrThrow();
      assert.ok(row.payload_sealed?.startsWith('v1.'));
      assert.ok(!JSON.stringify(row).includes(mail.token));
      assert.ok(!JSON.stringify(row).includes(mail.uid));
      assert.equal(row.kind, 'password-reset');
      // the running relay (under another SECRET_KEY) cannot open it: failed at once, not sent
      const [failed] = await poll(
        () => outbox.rowsTo(mail.to),
        (rows) => rows[0]?.state !== 'queued',
      );
      assert.equal(failed?.state, 'failed');
      assert.match(failed.lastError ?? '', /could not be opened/);
      // kept sealed for a retry once the right SECRET_KEY is back
      assert.equal(failed.hasPayload, true);
      assert.equal(deliveredTo(mail.to).length, 0);
    });

    it('never sends a mail queued in a unit of work that rolled back', async () => {
      const rolledBack = resetMail();
      tokens.push(rolledBack.token);
      await assert.rejects(
        outbox.store.transaction(async (unit) => {
          await outbox.mail.queue.queue(unit, rolledBack);
          throw new Error('the change failed');
        }),
        /the change failed/,
      );
      // a mail queued after it goes out; by then the relay has long looked for the other
      const committed = await queueReset();
      await poll(
        () => Promise.resolve(deliveredTo(committed.to).length),
        (count) => count === 1,
      );
      assert.equal(deliveredTo(committed.to).length, 1);
      assert.equal(deliveredTo(rolledBack.to).length, 0);
      assert.deepEqual(await outbox.rowsTo(rolledBack.to), []);
    });

    it('keeps a mail while the SMTP server is down and delivers it once it is back, without a restart', async () => {
      await smtp.stop();
      const mail = await queueReset();
      const [waiting] = await poll(
        () => outbox.rowsTo(mail.to),
        (rows) => (rows[0]?.attempts ?? 0) >= 1,
      );
      assert.equal(waiting?.state, 'queued');
      assert.match(waiting.lastError ?? '', /ECONNREFUSED|ESOCKET|ECONNECTION/);
      await smtp.start();
      const [sent] = await poll(
        () => outbox.rowsTo(mail.to),
        (rows) => rows[0]?.state === 'sent',
      );
      assert.equal(sent?.state, 'sent');
      assert.equal(deliveredTo(mail.to).length, 1);
    });

    it('keeps a mail the server refuses for now (4xx) and delivers it once the server takes mail again', async () => {
      smtp.refuse(451, 'Try again later');
      const mail = await queueReset();
      const [waiting] = await poll(
        () => outbox.rowsTo(mail.to),
        (rows) => (rows[0]?.attempts ?? 0) >= 2,
      );
      assert.equal(waiting?.state, 'queued');
      assert.match(waiting.lastError ?? '', /^451 /);
      smtp.accept();
      const [sent] = await poll(
        () => outbox.rowsTo(mail.to),
        (rows) => rows[0]?.state === 'sent',
      );
      assert.equal(sent?.state, 'sent');
      assert.equal(deliveredTo(mail.to).length, 1);
    });

    it('fails a mail after MAIL_MAX_ATTEMPTS refusals, keeping the SMTP reason and the sealed payload for a retry', async () => {
      smtp.refuse(452, 'Mailbox full');
      const mail = await queueReset();
      const [failed] = await poll(
        () => outbox.rowsTo(mail.to),
        (rows) => rows[0]?.state === 'failed',
      );
      smtp.accept();
      assert.equal(failed?.state, 'failed');
      assert.equal(failed.attempts, 6);
      assert.match(failed.lastError ?? '', /^452 .*Mailbox full/);
      assert.equal(failed.hasPayload, true);
      assert.equal(deliveredTo(mail.to).length, 0);
    });

    it('fails a mail at once when the server refuses it for good (5xx)', async () => {
      smtp.refuse(550, 'No such user here');
      const mail = await queueReset();
      const [failed] = await poll(
        () => outbox.rowsTo(mail.to),
        (rows) => rows[0]?.state === 'failed',
      );
      smtp.accept();
      assert.equal(failed?.attempts, 1);
      assert.match(failed.lastError ?? '', /^550 .*No such user here/);
      const [event] = await poll(
        () => auditedMails(failed.id),
        (events) => events.length > 0,
      );
      assert.equal(event?.type, 'mail_failed');
      assert.match(event.detail, /"reason":"550 .*No such user here/);
    });

    it('logs each send and failure without the body, the link or the token', () => {
      assert.ok(outbox.logs.some((line) => line.includes('"msg":"mail sent"')));
      assert.ok(outbox.logs.some((line) => line.includes('will be tried again')));
      assert.ok(outbox.logs.some((line) => line.includes('will not be tried again')));
      for (const line of outbox.logs) {
        for (const token of tokens) assert.ok(!line.includes(token), line);
        assert.ok(!line.includes('reset-password'), line);
        assert.ok(!line.includes('Hello'), line);
      }
    });
  });

  describe(`pruning and counting the outbox, on ${dialect}`, () => {
    let database: MigratedDatabase;
    let smtp: SmtpSink;
    before(async () => {
      database = await openMigratedDatabase(dialect);
      smtp = await startSmtpSink();
    });
    after(async () => {
      await smtp.stop();
      await database.close();
    });

    it('deletes sent and failed mails older than OUTBOX_RETENTION, and keeps the rest', async () => {
      const day = 86_400_000;
      const clock = createFakeClock();
      const repository = createOutboxRepository(database.database);
      const insert = async (id: string, createdAt: number) => {
        await repository.insert({
          id,
          kind: 'password-changed',
          recipient: `${id}@example.com`,
          payloadSealed: 'v1.x.y.z',
          createdAt,
        });
      };
      const old = clock.now() - 31 * day;
      await insert('old-sent', old);
      await repository.markSent('old-sent', old);
      await insert('old-failed', old);
      await repository.recordFailure('old-failed', '550 no', undefined);
      await insert('recent-sent', clock.now() - 29 * day);
      await repository.markSent('recent-sent', clock.now() - 29 * day);
      // never sent: not the relay's to delete, however old (it cannot open it, so fails it, after pruning)
      await insert('old-queued', old);
      const outbox = startOutbox(
        database.database,
        { SMTP_URL: smtp.url, OUTBOX_RETENTION: '30d' },
        { clock },
      );
      try {
        const ids = await poll(
          async () =>
            await database.database.db
              .selectFrom('mail_outbox')
              .select(['id', 'state'])
              .orderBy('id')
              .execute(),
          (rows) => rows.length === 2 && rows.every((row) => row.state !== 'queued'),
        );
        assert.deepEqual(ids, [
          { id: 'old-queued', state: 'failed' },
          { id: 'recent-sent', state: 'sent' },
        ]);
        assert.ok(outbox.logs.some((line) => line.includes('"deleted":2')));
      } finally {
        await outbox.stop();
      }
    });

    it('counts mails queued, sent, retried and failed by kind, and the outbox depth', async () => {
      const metrics = createMetrics();
      const outbox = startOutbox(
        database.database,
        { SMTP_URL: smtp.url, MAIL_MAX_ATTEMPTS: '2' },
        { metrics: metrics.events, start: false },
      );
      metrics.watchOutbox(outbox.mail.depth);
      const read = async () => parseExposition(await metrics.exposition());
      const count = (exposition: Exposition, event: string) =>
        exposition.value('gatehouse_mails_total', { kind: 'password-reset', event });
      const depth = (exposition: Exposition) => exposition.value('gatehouse_mail_outbox_depth');
      try {
        await outbox.queue(resetMail());
        await outbox.queue(resetMail());
        // the depth shown is the one the previous scrape counted
        let samples = await poll(read, (now) => depth(now) === 2);
        assert.equal(count(samples, 'queued'), 2);
        assert.equal(depth(samples), 2);
        smtp.refuse(451, 'Not now');
        outbox.mail.relay.start();
        samples = await poll(read, (now) => count(now, 'failed') === 2 && depth(now) === 0);
        smtp.accept();
        assert.equal(count(samples, 'retried'), 2);
        assert.equal(count(samples, 'failed'), 2);
        assert.equal(depth(samples), 0);
        await outbox.queue(resetMail());
        samples = await poll(read, (now) => count(now, 'sent') === 1 && depth(now) === 0);
        assert.equal(count(samples, 'queued'), 3);
        assert.equal(depth(samples), 0);
      } finally {
        smtp.accept();
        await outbox.stop();
      }
    });
  });
}
