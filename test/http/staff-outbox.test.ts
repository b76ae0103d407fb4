import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { dialects } from '../support/databases.ts';
import { poll } from '../support/poll.ts';
import { bearer, registerUser, request } from '../support/test-app.ts';
import { startMailingApp, subjects, type MailingApp } from './mail-shapes.ts';
import { userIdOf } from './staff-records.ts';
import { errorCodeOf, registerStaff } from './staff-shapes.ts';

interface StaffMail {
  id: string;
  kind: string;
  to: string;
  state: string;
  attempts: number;
  lastError: string | null;
  createdAt: string;
  sentAt: string | null;
}

interface OutboxPage {
  mails: StaffMail[];
  nextCursor: string | null;
}

const base = Date.UTC(2025, 0, 10, 9);

for (const dialect of dialects) {
  describe(`the staff's outbox on ${dialect}`, () => {
    let mailing: MailingApp;
    let staffToken: string;
    let staffId: string;
    before(async () => {
      mailing = await startMailingApp(dialect);
      const staff = await registerStaff(mailing.test);
      staffToken = staff.token;
      staffId = await userIdOf(mailing.test.database, staff.email);
      // a sent mail for the lists to show
      await mailing.nextMail(staff.email, subjects.verify);
      await poll(
        () => rowTo(staff.email),
        (row) => row.state === 'sent',
      );
    });
    after(() => mailing.close());

    const db = () => mailing.test.database.db;
    const get = (url: string, token = staffToken) =>
      request(mailing.test.app, 'GET', url, { headers: bearer(token) });
    const retry = (id: string, token = staffToken) =>
      request(mailing.test.app, 'POST', `/api/admin/outbox/${id}/retry`, { headers: bearer(token) });
    const rowTo = (address: string) =>
      db().selectFrom('mail_outbox').selectAll().where('recipient', '=', address).executeTakeFirstOrThrow();
    /** A registration whose verification mail the SMTP server refuses for good: a failed mail. */
    const failedMail = async () => {
      mailing.sink.refuse(550, 'No such user here');
      try {
        const person = await registerUser(mailing.test.app);
        const row = await poll(
          () => rowTo(person.email),
          (found) => found.state === 'failed',
        );
        assert.equal(row.state, 'failed');
        return { person, row };
      } finally {
        mailing.sink.accept();
      }
    };
    /** A mail that waits in the queue, due long after the test has ended. */
    const queuedMail = async () => {
      const id = randomUUID();
      await db()
        .insertInto('mail_outbox')
        .values({
          id,
          kind: 'verify-email',
          recipient: `queued-${id}@example.com`,
          payload_sealed: 'v1.sealed',
          state: 'queued',
          attempts: 2,
          next_attempt_at: Date.now() + 3_600_000,
          claimed_until: null,
          last_error: '451 Try again later',
          created_at: Date.now(),
          sent_at: null,
        })
        .execute();
      return id;
    };

    it('lists mails by state with attempts and last error, never what they say', async () => {
      const { person } = await failedMail();
      const queuedId = await queuedMail();
      const failed = await get('/api/admin/outbox?state=failed');
      assert.equal(failed.status, 200, failed.text);
      const failedMails = (failed.body as OutboxPage).mails;
      const mail = failedMails.find((each) => each.to === person.email);
      assert.ok(mail !== undefined);
      assert.equal(mail.state, 'failed');
      assert.equal(mail.kind, 'verify-email');
      assert.equal(mail.attempts, 1);
      assert.match(mail.lastError ?? '', /^550 .*No such user here/);
      assert.equal(mail.sentAt, null);
      assert.deepEqual(Object.keys(mail).sort(), [
        'attempts',
        'createdAt',
        'id',
        'kind',
        'lastError',
        'sentAt',
        'state',
        'to',
      ]);
      assert.ok(failedMails.every((each) => each.state === 'failed'));
      assert.doesNotMatch(failed.text, /payload|sealed|v1\./);

      const queued = (await get('/api/admin/outbox?state=queued')).body as OutboxPage;
      assert.ok(queued.mails.some((each) => each.id === queuedId && each.attempts === 2));
      assert.ok(queued.mails.every((each) => each.state === 'queued'));
      const sent = (await get('/api/admin/outbox?state=sent')).body as OutboxPage;
      assert.ok(
        sent.mails.length > 0 && sent.mails.every((each) => each.state === 'sent' && each.sentAt !== null),
      );
      const all = (await get('/api/admin/outbox')).body as OutboxPage;
      assert.deepEqual(new Set(all.mails.map((each) => each.state)), new Set(['queued', 'sent', 'failed']));
    });

    it('retries a failed mail: queued again, attempts afresh, audited with the staff member, delivered', async () => {
      const { person, row } = await failedMail();
      const response = await retry(row.id);
      assert.equal(response.status, 200, response.text);
      const { mail } = response.body as { mail: StaffMail };
      assert.equal(mail.id, row.id);
      assert.equal(mail.state, 'queued');
      assert.equal(mail.attempts, 0);
      assert.equal(mail.lastError, null);

      const delivered = await mailing.nextMail(person.email, subjects.verify);
      assert.match(delivered.text, /https:\/\/app\.example\/activate\//);
      const sent = await poll(
        () => rowTo(person.email),
        (found) => found.state === 'sent',
      );
      assert.equal(sent.state, 'sent');
      assert.equal(sent.attempts, 1);
      assert.equal(sent.payload_sealed, null);

      const [audited] = await db()
        .selectFrom('audit_events')
        .selectAll()
        .where('type', '=', 'mail_retried')
        .where('actor_id', '=', staffId)
        .execute();
      assert.ok(audited !== undefined);
      assert.equal(audited.actor, 'staff');
      assert.deepEqual(JSON.parse(audited.detail), { mail: row.id, kind: 'verify-email', to: person.email });
      assert.equal(audited.ip, '127.0.0.1');
    });

    it('refuses to retry a queued or sent mail (409 not_failed) and an unknown one (404), changing nothing', async () => {
      const queuedId = await queuedMail();
      const sentRow = await db()
        .selectFrom('mail_outbox')
        .selectAll()
        .where('state', '=', 'sent')
        .executeTakeFirstOrThrow();
      const retriesBefore = await db()
        .selectFrom('audit_events')
        .select('id')
        .where('type', '=', 'mail_retried')
        .execute();
      for (const id of [queuedId, sentRow.id]) {
        const before = await db()
          .selectFrom('mail_outbox')
          .selectAll()
          .where('id', '=', id)
          .executeTakeFirstOrThrow();
        const response = await retry(id);
        assert.equal(response.status, 409, response.text);
        assert.deepEqual(response.body, {
          error: { code: 'not_failed', message: 'Only a failed mail can be retried.' },
        });
        const after = await db()
          .selectFrom('mail_outbox')
          .selectAll()
          .where('id', '=', id)
          .executeTakeFirstOrThrow();
        assert.deepEqual(after, before);
      }
      for (const id of [randomUUID(), 'x'.repeat(65), '%00']) {
        const response = await retry(id);
        assert.equal(response.status, 404, response.text);
        assert.equal(errorCodeOf(response.body), 'mail_not_found');
      }
      const retriesAfter = await db()
        .selectFrom('audit_events')
        .select('id')
        .where('type', '=', 'mail_retried')
        .execute();
      assert.equal(retriesAfter.length, retriesBefore.length);
    });

    it('pages by cursor without skipping or repeating while mails are queued meanwhile', async () => {
      const ids = Array.from({ length: 5 }, () => randomUUID());
      await db()
        .insertInto('mail_outbox')
        .values(
          ids.map((id, index) => ({
            id,
            kind: 'password-reset',
            recipient: `paged-${id}@example.com`,
            payload_sealed: null,
            state: 'sent' as const,
            attempts: 1,
            next_attempt_at: base,
            claimed_until: null,
            last_error: null,
            // two share a millisecond: the id breaks the tie
            created_at: base - (index === 2 ? 1 : index),
            sent_at: base,
          })),
        )
        .execute();
      const expected = (
        await db()
          .selectFrom('mail_outbox')
          .select('id')
          .where('state', '=', 'sent')
          .orderBy('created_at', 'desc')
          .orderBy('id', 'desc')
          .execute()
      ).map((row) => row.id);
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const query: string = cursor === null ? '' : `&cursor=${cursor}`;
        const response = await get(`/api/admin/outbox?state=sent&limit=2${query}`);
        assert.equal(response.status, 200, response.text);
        const page = response.body as OutboxPage;
        assert.ok(page.mails.length <= 2);
        seen.push(...page.mails.map((mail) => mail.id));
        cursor = page.nextCursor;
        // a newer mail sorts before the cursor and never shifts the next page
        await registerUser(mailing.test.app);
      } while (cursor !== null);
      assert.deepEqual(seen.slice(0, expected.length), expected);
      assert.equal(new Set(seen).size, seen.length);
    });

    it('caps a limit above 100 at 100 mails a page, as the contract says ("`?limit=` capped")', async () => {
      // queued long ago and due long after the test: the oldest of the list, and never sent
      const rows = Array.from({ length: 101 }, (_, index) => ({
        id: randomUUID(),
        kind: 'verify-email',
        recipient: `capped-${String(index)}@example.com`,
        payload_sealed: 'v1.sealed',
        state: 'queued' as const,
        attempts: 0,
        next_attempt_at: Date.now() + 3_600_000,
        claimed_until: null,
        last_error: null,
        created_at: base + index,
        sent_at: null,
      }));
      await db().insertInto('mail_outbox').values(rows).execute();
      for (const limit of ['100', '101', '1000', '999999999']) {
        const response = await get(`/api/admin/outbox?state=queued&limit=${limit}`);
        assert.equal(response.status, 200, `${limit}: ${response.text}`);
        const page = response.body as OutboxPage;
        assert.equal(page.mails.length, 100, limit);
        assert.notEqual(page.nextCursor, null, limit);
      }
    });

    it('refuses bad filters with 422 naming the field', async () => {
      for (const [query, field] of [
        ['state=lost', 'state'],
        ['limit=0', 'limit'],
        ['limit=-1', 'limit'],
        ['limit=1.5', 'limit'],
        ['limit=ten', 'limit'],
        ['cursor=garbage', 'cursor'],
      ] as const) {
        const response = await get(`/api/admin/outbox?${query}`);
        assert.equal(response.status, 422, `${query}: ${response.text}`);
        const { error } = response.body as { error: { code: string; fields: Record<string, string[]> } };
        assert.equal(error.code, 'validation_failed');
        assert.deepEqual(Object.keys(error.fields), [field], query);
      }
    });

    it('answers 401 to the anonymous and 403 to a non-staff account, retrying nothing', async () => {
      const { row } = await failedMail();
      const person = await registerUser(mailing.test.app);
      const anonymous = await request(mailing.test.app, 'POST', `/api/admin/outbox/${row.id}/retry`);
      assert.equal(anonymous.status, 401, anonymous.text);
      assert.equal(
        errorCodeOf((await request(mailing.test.app, 'GET', '/api/admin/outbox')).body),
        'token_missing',
      );
      const refused = await retry(row.id, person.token);
      assert.equal(refused.status, 403, refused.text);
      assert.equal(errorCodeOf(refused.body), 'forbidden');
      assert.equal((await get('/api/admin/outbox', person.token)).status, 403);
      const after = await db()
        .selectFrom('mail_outbox')
        .selectAll()
        .where('id', '=', row.id)
        .executeTakeFirstOrThrow();
      assert.equal(after.state, 'failed');
      assert.equal(after.attempts, row.attempts);
    });
  });
}
