import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { createAccountEraser } from '../../src/accounts/account-eraser.ts';
import { createAuditTrail } from '../../src/audit/audit-trail.ts';
import { createStore } from '../../src/store/store.ts';
import { dialects } from '../support/databases.ts';
import { createFakeClock } from '../support/fake-clock.ts';
import { registerUser, request, startTestApp, type TestApp } from '../support/test-app.ts';
import { obtainPair } from './session-shapes.ts';

const day = 86_400_000;

for (const dialect of dialects) {
  describe(`erasing deactivated accounts on ${dialect}`, () => {
    const clock = createFakeClock(Date.now());
    let test: TestApp;
    before(async () => {
      test = await startTestApp(dialect, { clock });
    });
    after(() => test.close());

    /** The eraser over the app's database and clock, as the services wire it. */
    function eraser() {
      const store = createStore(test.database, (error) => {
        throw error;
      });
      const changed: string[] = [];
      const worker = createAccountEraser({
        store,
        sessions: {
          userChanged: (unit, userId) => {
            unit.afterCommit(() => {
              changed.push(userId);
            });
          },
        },
        audit: createAuditTrail({
          events: store.auditEvents,
          clock,
          newId: randomUUID,
          logger: pino({ level: 'silent' }),
        }),
        clock,
        eraseAfter: 30 * day,
        onFailure: (error) => {
          throw error;
        },
      });
      return { worker, changed };
    }

    it('erases the personal data 30 days after deactivation, and keeps the row and its history', async () => {
      const user = await registerUser(test.app, 'leaving');
      await request(test.app, 'PUT', '/api/user', { token: user.token, body: { user: { bio: 'hello' } } });
      const named = await request(test.app, 'PATCH', '/auth/users/me/', {
        token: user.token,
        body: { first_name: 'Ada', last_name: 'Lovelace' },
      });
      assert.equal(named.status, 200, named.text);
      await obtainPair(test.app, user.email, user.password);
      const stays = await registerUser(test.app, 'staying');
      const gone = await request(test.app, 'DELETE', '/api/user', {
        token: user.token,
        body: { current_password: user.password },
      });
      assert.equal(gone.status, 204, gone.text);
      const { id } = await test.database.db
        .selectFrom('users')
        .select('id')
        .where('email', '=', user.email)
        .executeTakeFirstOrThrow();

      const { worker, changed } = eraser();
      clock.advance(29 * day);
      assert.equal(await worker.eraseDue(), 0, 'not yet');
      clock.advance(2 * day);
      assert.equal(await worker.eraseDue(), 1);
      assert.deepEqual(changed, [id]);

      const row = await test.database.db
        .selectFrom('users')
        .selectAll()
        .where('id', '=', id)
        .executeTakeFirstOrThrow();
      assert.equal(row.email, `erased-${id}@erased.invalid`);
      assert.equal(row.username, `erased-${id}`);
      assert.equal(row.password_hash, '');
      assert.equal(row.bio, null);
      assert.deepEqual([row.first_name, row.last_name], [null, null]);
      assert.notEqual(row.erased_at, null);
      const sessions = await test.database.db
        .selectFrom('sessions')
        .select('id')
        .where('user_id', '=', id)
        .execute();
      assert.deepEqual(sessions, []);
      const events = await test.database.db
        .selectFrom('audit_events')
        .select('type')
        .where('user_id', '=', id)
        .execute();
      assert.deepEqual(events.map((event) => event.type).sort(), [
        'deactivated',
        'erased',
        'registered',
        'sign_in_succeeded',
      ]);

      // logins answer as for an unknown email; the profile is gone; the address and name are free again
      const login = await request(test.app, 'POST', '/api/users/login', {
        body: { user: { email: user.email, password: user.password } },
      });
      assert.equal(login.status, 401, login.text);
      assert.equal((await request(test.app, 'GET', `/api/profiles/${user.username}`)).status, 404);
      const erasedLogin = await request(test.app, 'POST', '/api/users/login', {
        body: { user: { email: row.email, password: '' } },
      });
      assert.equal(erasedLogin.status, 422, erasedLogin.text);
      assert.equal((await worker.eraseDue()).valueOf(), 0, 'erased once');
      // the account that stayed is untouched
      const staying = await test.database.db
        .selectFrom('users')
        .select(['email', 'erased_at'])
        .where('username', '=', stays.username)
        .executeTakeFirstOrThrow();
      assert.deepEqual(staying, { email: stays.email, erased_at: null });
    });
  });
}
