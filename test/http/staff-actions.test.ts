import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { dialects } from '../support/databases.ts';
import { bearer, registerUser, request, startTestApp, type TestApp } from '../support/test-app.ts';
import { obtainPair, sessionIdOf, statusWith } from './session-shapes.ts';
import { errorCodeOf, eventsOf, registerStaff, userIdOf, userRow } from './staff-shapes.ts';

interface StaffUserBody {
  user: {
    id: string;
    isActive: boolean;
    isStaff: boolean;
    isSuperuser: boolean;
    roles: string[];
    deactivation: { reason: string | null; until: string | null; at: string; by: string | null } | null;
  };
}

const fieldsOf = (body: unknown) => Object.keys((body as { error: { fields: object } }).error.fields);

for (const dialect of dialects) {
  describe(`staff actions on an account on ${dialect}`, () => {
    let test: TestApp;
    let staff: Awaited<ReturnType<typeof registerStaff>>;
    let superuser: Awaited<ReturnType<typeof registerStaff>>;
    let staffId: string;
    let superuserId: string;
    before(async () => {
      test = await startTestApp(dialect, { env: { LOGIN_FAILURES_PER_EMAIL: '3' } });
      staff = await registerStaff(test);
      superuser = await registerStaff(test, { superuser: true });
      staffId = await userIdOf(test.database, staff.email);
      superuserId = await userIdOf(test.database, superuser.email);
    });
    after(() => test.close());

    const person = async () => {
      const user = await registerUser(test.app);
      return { ...user, id: await userIdOf(test.database, user.email) };
    };
    const act = (
      method: 'GET' | 'POST' | 'PUT' | 'DELETE',
      path: string,
      options: { as?: { token: string }; body?: unknown } = {},
    ) =>
      request(test.app, method, `/api/admin/users/${path}`, {
        headers: bearer((options.as ?? staff).token),
        ...(options.body === undefined ? {} : { body: options.body }),
      });
    const signIn = (user: { email: string; password: string }) =>
      request(test.app, 'POST', '/api/users/login', {
        body: { user: { email: user.email, password: user.password } },
      });

    describe('deactivate and activate', () => {
      it('deactivates with a reason: every session ends, sign-in is refused, the audit log names the staff member', async () => {
        const target = await person();
        const pair = await obtainPair(test.app, target.email, target.password);
        const response = await act('POST', `${target.id}/deactivate`, {
          body: { reason: '  spam account  ' },
        });
        assert.equal(response.status, 200, response.text);
        const { user } = response.body as StaffUserBody;
        assert.equal(user.isActive, false);
        assert.equal(user.deactivation?.reason, 'spam account');
        assert.equal(user.deactivation.until, null);
        assert.equal(user.deactivation.by, staffId);
        assert.equal(await statusWith(test.app, target.token), 401);
        assert.equal(await statusWith(test.app, pair.access_token), 401);
        assert.equal((await signIn(target)).status, 401);
        const [event] = await eventsOf(test.database, target.id, 'deactivated');
        assert.ok(event);
        assert.equal(event.actor, 'staff');
        assert.equal(event.actor_id, staffId);
        assert.deepEqual(JSON.parse(event.detail), { reason: 'spam account', until: null });
        const revoked = await test.database.db
          .selectFrom('sessions')
          .select('revoked_reason')
          .where('user_id', '=', target.id)
          .execute();
        assert.ok(revoked.length >= 2 && revoked.every((row) => row.revoked_reason === 'deactivated'));
      });

      it('refuses bad input with 422 and changes nothing', async () => {
        const target = await person();
        const before = await userRow(test.database, target.id);
        const cases: Array<[unknown, string]> = [
          [{}, 'reason'],
          [{ reason: '' }, 'reason'],
          [{ reason: '   ' }, 'reason'],
          [{ reason: 'x'.repeat(501) }, 'reason'],
          [{ reason: 42 }, 'reason'],
          [{ reason: 'ok', until: 'tomorrow' }, 'until'],
          [{ reason: 'ok', until: new Date(Date.now() - 60_000).toISOString() }, 'until'],
        ];
        for (const [body, field] of cases) {
          const response = await act('POST', `${target.id}/deactivate`, { body });
          assert.equal(response.status, 422, `${JSON.stringify(body)}: ${response.text}`);
          assert.deepEqual(fieldsOf(response.body), [field], JSON.stringify(body));
        }
        assert.deepEqual(await userRow(test.database, target.id), before);
        assert.equal(await statusWith(test.app, target.token), 200);
      });

      it('refuses unknown accounts (404), oneself (403), and staff acting on a superuser (403)', async () => {
        const body = { reason: 'test' };
        const unknown = await act('POST', 'no-such-user/deactivate', { body });
        assert.equal(unknown.status, 404, unknown.text);
        assert.equal(errorCodeOf(unknown.body), 'user_not_found');
        const self = await act('POST', `${staffId}/deactivate`, { body });
        assert.equal(self.status, 403, self.text);
        assert.equal(errorCodeOf(self.body), 'cannot_change_self');
        const before = await userRow(test.database, superuserId);
        const onSuperuser = await act('POST', `${superuserId}/deactivate`, { body });
        assert.equal(onSuperuser.status, 403, onSuperuser.text);
        assert.equal(errorCodeOf(onSuperuser.body), 'forbidden');
        assert.deepEqual(await userRow(test.database, superuserId), before);
        assert.equal(await statusWith(test.app, staff.token), 200);
      });

      it('activates a deactivated account, which signs in again; an active one stays as it is', async () => {
        const target = await person();
        await act('POST', `${target.id}/deactivate`, { body: { reason: 'mistake' } });
        const response = await act('POST', `${target.id}/activate`, { body: { reason: 'appeal granted' } });
        assert.equal(response.status, 200, response.text);
        assert.equal((response.body as StaffUserBody).user.isActive, true);
        assert.equal((response.body as StaffUserBody).user.deactivation, null);
        assert.equal((await signIn(target)).status, 200);
        const row = await userRow(test.database, target.id);
        assert.equal(row.deactivated_at, null);
        assert.equal(row.deactivation_reason, null);
        const [event] = await eventsOf(test.database, target.id, 'activated');
        assert.deepEqual(JSON.parse(String(event?.detail)), { reason: 'appeal granted' });
        // bodiless, and again: nothing more to do, nothing more recorded
        const again = await request(test.app, 'POST', `/api/admin/users/${target.id}/activate`, {
          headers: bearer(staff.token),
        });
        assert.equal(again.status, 200, again.text);
        assert.equal((await eventsOf(test.database, target.id, 'activated')).length, 1);
      });

      it('activates an account its owner deactivated, calling off its erasure; an erased one is 409', async () => {
        const target = await person();
        const own = await request(test.app, 'DELETE', '/auth/users/me/', {
          headers: bearer(target.token),
          body: { current_password: target.password },
        });
        assert.equal(own.status, 204, own.text);
        const deactivated = await act('GET', target.id);
        assert.deepEqual((deactivated.body as StaffUserBody).user.deactivation?.reason, null);
        assert.equal((await act('POST', `${target.id}/activate`)).status, 200);
        assert.equal((await userRow(test.database, target.id)).deactivated_at, null);

        const erased = await person();
        await test.database.db
          .updateTable('users')
          .set({ is_active: 0, deactivated_at: 1, erased_at: 2 })
          .where('id', '=', erased.id)
          .execute();
        const before = await userRow(test.database, erased.id);
        const refused = await act('POST', `${erased.id}/activate`);
        assert.equal(refused.status, 409, refused.text);
        assert.equal(errorCodeOf(refused.body), 'account_erased');
        assert.deepEqual(await userRow(test.database, erased.id), before);
      });

      it('answers 422 to a bad activation reason and changes nothing', async () => {
        const target = await person();
        await act('POST', `${target.id}/deactivate`, { body: { reason: 'x' } });
        const before = await userRow(test.database, target.id);
        const response = await act('POST', `${target.id}/activate`, { body: { reason: 'x'.repeat(501) } });
        assert.equal(response.status, 422, response.text);
        assert.deepEqual(fieldsOf(response.body), ['reason']);
        assert.deepEqual(await userRow(test.database, target.id), before);
      });
    });

    describe('sessions', () => {
      it('revokes every session of an account', async () => {
        const target = await person();
        const pair = await obtainPair(test.app, target.email, target.password);
        const response = await act('DELETE', `${target.id}/sessions`);
        assert.equal(response.status, 204, response.text);
        assert.equal(await statusWith(test.app, target.token), 401);
        assert.equal(await statusWith(test.app, pair.access_token), 401);
        const [event] = await eventsOf(test.database, target.id, 'sessions_revoked');
        assert.equal(event?.actor, 'staff');
        // the account itself stays active
        assert.equal((await signIn(target)).status, 200);
      });

      it('revokes one session, and refuses ended, foreign and unknown ones with 404', async () => {
        const target = await person();
        const kept = await obtainPair(test.app, target.email, target.password);
        const ended = await obtainPair(test.app, target.email, target.password);
        const url = `${target.id}/sessions/${sessionIdOf(ended.access_token)}`;
        assert.equal((await act('DELETE', url)).status, 204);
        assert.equal(await statusWith(test.app, ended.access_token), 401);
        assert.equal(await statusWith(test.app, kept.access_token), 200);
        const [event] = await eventsOf(test.database, target.id, 'session_revoked');
        assert.deepEqual(JSON.parse(String(event?.detail)), { session: sessionIdOf(ended.access_token) });
        const again = await act('DELETE', url);
        assert.equal(again.status, 404, again.text);
        assert.equal(errorCodeOf(again.body), 'session_not_found');
        const other = await person();
        const foreign = await act('DELETE', `${other.id}/sessions/${sessionIdOf(kept.access_token)}`);
        assert.equal(foreign.status, 404, foreign.text);
        assert.equal(await statusWith(test.app, kept.access_token), 200);
        assert.equal((await act('DELETE', `${target.id}/sessions/no-such-session`)).status, 404);
        assert.equal((await act('DELETE', `no-such-user/sessions`)).status, 404);
      });

      it('lists the live sessions and the latest events with the account', async () => {
        const target = await person();
        await obtainPair(test.app, target.email, target.password);
        await act('DELETE', `${target.id}/sessions`);
        const live = await obtainPair(test.app, target.email, target.password);
        const response = await act('GET', target.id);
        assert.equal(response.status, 200, response.text);
        const { user } = response.body as {
          user: {
            sessions: Array<{ id: string }>;
            events: Array<{ type: string; actor: string }>;
            lock: unknown;
          };
        };
        assert.deepEqual(
          user.sessions.map((session) => session.id),
          [sessionIdOf(live.access_token)],
        );
        assert.equal(user.events[0]?.type, 'sign_in_succeeded');
        assert.ok(user.events.some((event) => event.type === 'sessions_revoked' && event.actor === 'staff'));
        assert.deepEqual(user.lock, { locked: false, failures: 0, until: null });
      });
    });

    describe('mails', () => {
      const outboxTo = (address: string) =>
        test.database.db.selectFrom('mail_outbox').select('kind').where('recipient', '=', address).execute();

      it('mails a password-reset link; not to a deactivated account (409)', async () => {
        const target = await person();
        const response = await act('POST', `${target.id}/password-reset`);
        assert.equal(response.status, 202, response.text);
        assert.deepEqual(
          (await outboxTo(target.email)).filter((mail) => mail.kind === 'password-reset').length,
          1,
        );
        assert.equal((await eventsOf(test.database, target.id, 'password_reset_mailed')).length, 1);
        await act('POST', `${target.id}/deactivate`, { body: { reason: 'x' } });
        const refused = await act('POST', `${target.id}/password-reset`);
        assert.equal(refused.status, 409, refused.text);
        assert.equal(errorCodeOf(refused.body), 'account_inactive');
        assert.equal(
          (await outboxTo(target.email)).filter((mail) => mail.kind === 'password-reset').length,
          1,
        );
      });

      it('resends the verification link; a verified address is 409 already_verified', async () => {
        const target = await person();
        const before = (await outboxTo(target.email)).length;
        const response = await act('POST', `${target.id}/verification`);
        assert.equal(response.status, 202, response.text);
        assert.equal((await outboxTo(target.email)).length, before + 1);
        await test.database.db
          .updateTable('users')
          .set({ email_verified_at: 1 })
          .where('id', '=', target.id)
          .execute();
        const refused = await act('POST', `${target.id}/verification`);
        assert.equal(refused.status, 409, refused.text);
        assert.equal(errorCodeOf(refused.body), 'already_verified');
        assert.equal((await outboxTo(target.email)).length, before + 1);
        assert.equal((await act('POST', 'no-such-user/verification')).status, 404);
      });
    });

    describe('roles', () => {
      it('sets roles, lower-cased, sorted and distinct, with the reason in the audit log', async () => {
        const target = await person();
        const response = await act('PUT', `${target.id}/roles`, {
          body: { roles: ['Organizer', 'billing:admin', 'organizer', 'org.viewer_2'], reason: 'new team' },
        });
        assert.equal(response.status, 200, response.text);
        assert.deepEqual((response.body as StaffUserBody).user.roles, [
          'billing:admin',
          'org.viewer_2',
          'organizer',
        ]);
        const [event] = await eventsOf(test.database, target.id, 'roles_changed');
        assert.deepEqual(JSON.parse(String(event?.detail)), {
          roles: 'billing:admin org.viewer_2 organizer',
          previous: '',
          reason: 'new team',
        });
        const cleared = await act('PUT', `${target.id}/roles`, { body: { roles: [] } });
        assert.deepEqual((cleared.body as StaffUserBody).user.roles, []);
        const indexed = await test.database.db
          .selectFrom('user_roles')
          .selectAll()
          .where('user_id', '=', target.id)
          .execute();
        assert.deepEqual(indexed, []);
      });

      it('refuses bad roles with 422 and changes nothing', async () => {
        const target = await person();
        await act('PUT', `${target.id}/roles`, { body: { roles: ['kept'] } });
        const before = await userRow(test.database, target.id);
        const cases: unknown[] = [
          {},
          { roles: 'admin' },
          { roles: [''] },
          { roles: ['has space'] },
          { roles: ['é'] },
          { roles: ['x'.repeat(65)] },
          { roles: [42] },
          { roles: Array.from({ length: 33 }, (_, index) => `role${String(index)}`) },
          { roles: ['ok'], reason: 'x'.repeat(501) },
        ];
        for (const body of cases) {
          const response = await act('PUT', `${target.id}/roles`, { body });
          assert.equal(response.status, 422, `${JSON.stringify(body)}: ${response.text}`);
        }
        assert.deepEqual(await userRow(test.database, target.id), before);
        assert.deepEqual(
          await test.database.db
            .selectFrom('user_roles')
            .select('role')
            .where('user_id', '=', target.id)
            .execute(),
          [{ role: 'kept' }],
        );
      });
    });

    describe('flags', () => {
      it('lets a superuser grant and remove staff, which opens and closes the staff API at once', async () => {
        const target = await person();
        const granted = await act('PUT', `${target.id}/flags`, {
          as: superuser,
          body: { isStaff: true, reason: 'hired' },
        });
        assert.equal(granted.status, 200, granted.text);
        assert.equal((granted.body as StaffUserBody).user.isStaff, true);
        assert.equal((await act('GET', staffId, { as: target })).status, 200);
        const removed = await act('PUT', `${target.id}/flags`, { as: superuser, body: { isStaff: false } });
        assert.equal(removed.status, 200, removed.text);
        assert.equal((await act('GET', staffId, { as: target })).status, 403);
        const events = await eventsOf(test.database, target.id, 'flags_changed');
        assert.deepEqual(
          events.map((event) => JSON.parse(event.detail) as unknown),
          [
            { isStaff: true, isSuperuser: false, reason: 'hired' },
            { isStaff: false, isSuperuser: false },
          ],
        );
      });

      it('refuses staff who are not superusers (403), oneself (403), and bad bodies (422)', async () => {
        const target = await person();
        const before = await userRow(test.database, target.id);
        const byStaff = await act('PUT', `${target.id}/flags`, { body: { isStaff: true } });
        assert.equal(byStaff.status, 403, byStaff.text);
        assert.equal(errorCodeOf(byStaff.body), 'forbidden');
        const ownFlag = await act('PUT', `${superuserId}/flags`, {
          as: superuser,
          body: { isSuperuser: false },
        });
        assert.equal(ownFlag.status, 403, ownFlag.text);
        assert.equal(errorCodeOf(ownFlag.body), 'cannot_change_self');
        for (const body of [{}, { isStaff: 'yes' }, { isSuperuser: null }, { reason: 'only a reason' }]) {
          const response = await act('PUT', `${target.id}/flags`, { as: superuser, body });
          assert.equal(response.status, 422, `${JSON.stringify(body)}: ${response.text}`);
        }
        assert.deepEqual(await userRow(test.database, target.id), before);
        assert.equal((await userRow(test.database, superuserId)).is_superuser, 1);
        assert.equal(
          (await act('PUT', 'no-such-user/flags', { as: superuser, body: { isStaff: true } })).status,
          404,
        );
      });

      it('never lets two superusers demote each other at once: one of them stays', async () => {
        const first = await registerStaff(test, { superuser: true });
        const second = await registerStaff(test, { superuser: true });
        const firstId = await userIdOf(test.database, first.email);
        const secondId = await userIdOf(test.database, second.email);
        // the other superusers of this suite step aside, so that these two are the last
        const others = await test.database.db
          .selectFrom('users')
          .select('id')
          .where('is_superuser', '=', 1)
          .where('id', 'not in', [firstId, secondId])
          .execute();
        await test.database.db
          .updateTable('users')
          .set({ is_superuser: 0 })
          .where(
            'id',
            'in',
            others.map((row) => row.id),
          )
          .execute();
        try {
          const answers = await Promise.all([
            act('PUT', `${secondId}/flags`, { as: first, body: { isSuperuser: false } }),
            act('PUT', `${firstId}/flags`, { as: second, body: { isSuperuser: false } }),
          ]);
          const statuses = answers.map((answer) => answer.status).sort();
          assert.equal(statuses[0], 200, JSON.stringify(answers.map((answer) => answer.body)));
          // the other is refused: as the last superuser (409), or, if the first demotion was already
          // heard, as no longer a superuser (403)
          assert.ok(statuses[1] === 409 || statuses[1] === 403, String(statuses[1]));
          const refused = answers.find((answer) => answer.status !== 200);
          assert.ok(['last_superuser', 'forbidden'].includes(String(errorCodeOf(refused?.body))));
          const remaining = await test.database.db
            .selectFrom('users')
            .select('id')
            .where('is_superuser', '=', 1)
            .where('is_active', '=', 1)
            .execute();
          assert.equal(remaining.length, 1);
          // the one left cannot be demoted by anyone: themselves least of all
          const [last] = remaining;
          const lastUser = last?.id === firstId ? first : second;
          const self = await act('PUT', `${String(last?.id)}/flags`, {
            as: lastUser,
            body: { isSuperuser: false },
          });
          assert.equal(self.status, 403, self.text);
        } finally {
          await test.database.db
            .updateTable('users')
            .set({ is_superuser: 1 })
            .where(
              'id',
              'in',
              others.map((row) => row.id),
            )
            .execute();
        }
      });
    });

    describe('login lock', () => {
      it('shows the lock, and clearing it lets the owner sign in at once', async () => {
        const target = await person();
        for (let attempt = 0; attempt < 3; attempt += 1) {
          assert.equal((await signIn({ email: target.email, password: 'wrong-password-1' })).status, 401);
        }
        assert.equal((await signIn(target)).status, 429);
        const lock = await act('GET', `${target.id}/lock`);
        assert.equal(lock.status, 200, lock.text);
        const shown = (lock.body as { lock: { locked: boolean; failures: number; until: string | null } })
          .lock;
        assert.equal(shown.locked, true);
        assert.equal(shown.failures, 3);
        assert.ok(Date.parse(String(shown.until)) > Date.now());
        const cleared = await act('DELETE', `${target.id}/lock`);
        assert.equal(cleared.status, 204, cleared.text);
        assert.deepEqual((await act('GET', `${target.id}/lock`)).body, {
          lock: { locked: false, failures: 0, until: null },
        });
        assert.equal((await signIn(target)).status, 200);
        const [event] = await eventsOf(test.database, target.id, 'lock_cleared');
        assert.deepEqual(JSON.parse(String(event?.detail)), { failures: 3 });
        assert.equal((await act('GET', 'no-such-user/lock')).status, 404);
        assert.equal((await act('DELETE', 'no-such-user/lock')).status, 404);
      });
    });

    it('refuses every action to the anonymous (401) and to accounts that are not staff (403)', async () => {
      const target = await person();
      const outsider = await person();
      const before = await userRow(test.database, target.id);
      const actions: Array<['GET' | 'POST' | 'PUT' | 'DELETE', string, unknown]> = [
        ['POST', 'deactivate', { reason: 'x' }],
        ['POST', 'activate', {}],
        ['DELETE', 'sessions', undefined],
        ['POST', 'password-reset', undefined],
        ['POST', 'verification', undefined],
        ['PUT', 'roles', { roles: ['x'] }],
        ['PUT', 'flags', { isStaff: true }],
        ['GET', 'lock', undefined],
        ['DELETE', 'lock', undefined],
      ];
      for (const [method, action, body] of actions) {
        const url = `/api/admin/users/${target.id}/${action}`;
        const anonymous = await request(test.app, method, url, body === undefined ? {} : { body });
        assert.equal(anonymous.status, 401, `${method} ${action}: ${anonymous.text}`);
        const refused = await request(test.app, method, url, {
          headers: bearer(outsider.token),
          ...(body === undefined ? {} : { body }),
        });
        assert.equal(refused.status, 403, `${method} ${action}: ${refused.text}`);
      }
      assert.deepEqual(await userRow(test.database, target.id), before);
      assert.equal(await statusWith(test.app, target.token), 200);
    });
  });
}
