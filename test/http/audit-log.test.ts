import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { dialects } from '../support/databases.ts';
import { newUser, registerUser, request } from '../support/test-app.ts';
import { linkIn, startMailingApp, subjects, type MailingApp } from './mail-shapes.ts';

interface OwnEvent {
  type: string;
  at: string;
  ip: string | null;
  userAgent: string | null;
  current: boolean;
  detail: Record<string, unknown>;
}

const newPassword = 'a-brand-new-passphrase-9';

for (const dialect of dialects) {
  describe(`audit log on ${dialect}`, () => {
    let mailing: MailingApp;
    before(async () => {
      mailing = await startMailingApp(dialect, { LOGIN_FAILURES_PER_EMAIL: '3' });
    });
    after(() => mailing.close());

    const app = () => mailing.test.app;
    const rows = async (userId: string | null, type?: string) => {
      let query = mailing.test.database.db.selectFrom('audit_events').selectAll().orderBy('created_at');
      query = userId === null ? query.where('user_id', 'is', null) : query.where('user_id', '=', userId);
      if (type !== undefined) query = query.where('type', '=', type);
      return query.execute();
    };
    const idOf = async (email: string) =>
      (
        await mailing.test.database.db
          .selectFrom('users')
          .select('id')
          .where('email', '=', email)
          .executeTakeFirstOrThrow()
      ).id;
    const login = (email: string, password: string) =>
      request(app(), 'POST', '/api/users/login', {
        body: { user: { email, password } },
        headers: { 'user-agent': 'audit-test/1.0' },
      });

    it('records a registration with who asked, from where, under which request id', async () => {
      const user = newUser('audited');
      const response = await request(app(), 'POST', '/api/users', {
        body: { user },
        headers: { 'user-agent': 'audit-test/1.0' },
      });
      assert.equal(response.status, 201, response.text);
      const [event] = await rows(await idOf(user.email), 'registered');
      assert.ok(event !== undefined);
      assert.equal(event.actor, 'self');
      assert.equal(event.ip, '127.0.0.1');
      assert.equal(event.user_agent, 'audit-test/1.0');
      assert.equal(event.request_id, response.headers['x-request-id']);
    });

    it('records each failed sign-in with its reason, the one that locks the email, and a success', async () => {
      const user = await registerUser(app());
      const userId = await idOf(user.email);
      assert.equal((await login(user.email, 'wrong-guess-001')).status, 401);
      assert.equal((await login(`nobody-${user.email}`, 'wrong-guess-001')).status, 401);
      assert.equal((await login(user.email, user.password)).status, 200);

      const failures = await rows(userId, 'sign_in_failed');
      assert.deepEqual(
        failures.map((row) => JSON.parse(row.detail) as unknown),
        [{ reason: 'wrong_password' }],
      );
      assert.equal((await rows(userId, 'sign_in_succeeded')).length, 1);
      const unknown = (await rows(null, 'sign_in_failed')).map((row) => JSON.parse(row.detail) as unknown);
      assert.ok(unknown.some((detail) => JSON.stringify(detail) === '{"reason":"unknown_email"}'));

      // the third wrong guess of three locks the email: one locked_out, and a warning in the log
      for (let guess = 0; guess < 3; guess += 1) await login(user.email, `wrong-guess-10${guess}`);
      assert.equal((await login(user.email, user.password)).status, 429);
      assert.equal((await rows(userId, 'locked_out')).length, 1);
      const refusedByLock = (await rows(null, 'sign_in_failed')).filter(
        (row) => row.detail === '{"reason":"locked"}',
      );
      assert.ok(refusedByLock.length >= 1, "the locked email's refusal recorded as locked");
      const warning = mailing.test.logs.find((line) => line.includes('security event: locked out'));
      assert.ok(warning !== undefined, 'a locked_out line in the log');
      assert.equal((JSON.parse(warning) as { userId: string }).userId, userId);
    });

    it("shows people their own events, newest first, and nobody else's", async () => {
      const user = await registerUser(app());
      const other = await registerUser(app());
      await login(user.email, 'wrong-guess-001');
      const signedIn = await login(user.email, user.password);
      const { token } = (signedIn.body as { user: { token: string } }).user;
      await request(app(), 'POST', '/api/user/password', {
        token,
        body: { current_password: user.password, new_password: newPassword },
      });
      await login(other.email, 'wrong-guess-001');

      const response = await request(app(), 'GET', '/api/user/events', { token });
      assert.equal(response.status, 200, response.text);
      const { events } = response.body as { events: OwnEvent[] };
      assert.deepEqual(
        events.map((event) => event.type),
        ['password_changed', 'sign_in_succeeded', 'sign_in_failed', 'registered'],
      );
      const [changed, succeeded] = events;
      assert.ok(changed !== undefined && succeeded !== undefined);
      assert.equal(changed.current, true, 'changed from this session');
      assert.equal(succeeded.current, true, 'the sign-in that opened this session');
      assert.equal(succeeded.userAgent, 'audit-test/1.0');
      assert.equal(succeeded.ip, '127.0.0.1');
      // a sign-in elsewhere is recorded under its own session: not this one
      assert.equal((await login(user.email, newPassword)).status, 200);
      const later = await request(app(), 'GET', '/api/user/events?limit=1', { token });
      assert.deepEqual(
        (later.body as { events: OwnEvent[] }).events.map(({ type, current }) => ({ type, current })),
        [{ type: 'sign_in_succeeded', current: false }],
      );
      const sessionIds = (await rows(await idOf(user.email), 'sign_in_succeeded')).map(
        (row) => row.session_id,
      );
      assert.equal(new Set(sessionIds).size, 2);
      assert.ok(sessionIds.every((id) => id !== null));

      const limited = await request(app(), 'GET', '/api/user/events?limit=2', { token });
      assert.equal((limited.body as { events: OwnEvent[] }).events.length, 2);
      for (const limit of ['0', '101', 'many']) {
        const refused = await request(app(), 'GET', `/api/user/events?limit=${limit}`, { token });
        assert.equal(refused.status, 422, refused.text);
      }
      assert.equal((await request(app(), 'GET', '/api/user/events')).status, 401);
    });

    it('records sign-outs, a revoked session and refresh-token reuse, each in the commit that ends the session', async () => {
      const user = await registerUser(app());
      const userId = await idOf(user.email);
      const pair = async () => {
        const response = await request(app(), 'POST', '/api/tokens', {
          body: { email: user.email, password: user.password },
        });
        assert.equal(response.status, 200, response.text);
        return response.body as { access_token: string; refresh_token: string };
      };
      const phone = await pair();
      const laptop = await pair();
      const sessionsOf = await request(app(), 'GET', '/api/user/sessions', {
        headers: { authorization: `Bearer ${phone.access_token}` },
      });
      const laptopSession = (
        sessionsOf.body as { sessions: Array<{ id: string; current: boolean }> }
      ).sessions.find((session) => !session.current);
      assert.ok(laptopSession !== undefined);
      const revoked = await request(app(), 'DELETE', `/api/user/sessions/${laptopSession.id}`, {
        headers: { authorization: `Bearer ${phone.access_token}` },
      });
      assert.equal(revoked.status, 204, revoked.text);
      assert.equal((await rows(userId, 'session_revoked')).length, 1);
      // refusing a revoked session's refresh writes nothing
      assert.equal(
        (
          await request(app(), 'POST', '/api/tokens/refresh', {
            body: { refresh_token: laptop.refresh_token },
          })
        ).status,
        401,
      );

      // a token two rotations old presented again (the grace covers only the parent): the session ends,
      // and the history and the log say why
      const refresh = (token: string) =>
        request(app(), 'POST', '/api/tokens/refresh', { body: { refresh_token: token } });
      const first = await refresh(phone.refresh_token);
      assert.equal(first.status, 200, first.text);
      const second = await refresh((first.body as { refresh_token: string }).refresh_token);
      assert.equal(second.status, 200, second.text);
      const reuse = await request(app(), 'POST', '/api/tokens/refresh', {
        body: { refresh_token: phone.refresh_token },
      });
      assert.equal(reuse.status, 401, reuse.text);
      const [detected] = await rows(userId, 'refresh_reuse_detected');
      assert.ok(detected !== undefined, 'reuse recorded');
      assert.ok(mailing.test.logs.some((line) => line.includes('security event: refresh reuse detected')));

      const third = await pair();
      const out = await request(app(), 'POST', '/api/users/logout', {
        headers: { authorization: `Bearer ${third.access_token}` },
        body: { scope: 'all' },
      });
      assert.equal(out.status, 204, out.text);
      const [signedOut] = await rows(userId, 'signed_out');
      assert.equal(signedOut?.detail, '{"scope":"all"}');
    });

    it('records a password reset and an address verification, and keeps no secret in any event', async () => {
      const user = await registerUser(app());
      const userId = await idOf(user.email);
      const verify = linkIn(await mailing.nextMail(user.email, subjects.verify));
      assert.equal(
        (await request(app(), 'POST', '/api/users/verification/confirm', { body: { token: verify.token } }))
          .status,
        200,
      );
      await request(app(), 'POST', '/api/users/password-reset', { body: { email: user.email } });
      const reset = linkIn(await mailing.nextMail(user.email, subjects.reset));
      const done = await request(app(), 'POST', '/api/users/password-reset/confirm', {
        body: { token: reset.token, new_password: newPassword },
      });
      assert.equal(done.status, 204, done.text);
      assert.equal((await rows(userId, 'email_verified')).length, 1);
      assert.equal((await rows(userId, 'password_reset')).length, 1);
      assert.ok(mailing.test.logs.some((line) => line.includes('security event: password reset')));

      const everything = JSON.stringify(
        await mailing.test.database.db.selectFrom('audit_events').selectAll().execute(),
      );
      const hash = (
        await mailing.test.database.db
          .selectFrom('users')
          .select('password_hash')
          .where('id', '=', userId)
          .executeTakeFirstOrThrow()
      ).password_hash;
      for (const secret of [user.password, newPassword, verify.token, reset.token, user.token, hash]) {
        assert.ok(!everything.includes(secret), 'a secret in the audit log');
      }
      for (const line of mailing.test.logs) {
        for (const secret of [user.password, newPassword, verify.token, reset.token]) {
          assert.ok(!line.includes(secret), `a secret in the log: ${line}`);
        }
      }
    });
  });
}
