import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { dialects } from '../support/databases.ts';
import { newUser, registerUser, request, startTestApp, type TestApp } from '../support/test-app.ts';
import { failSessionWrites, healSessionWrites } from './session-faults.ts';
import { countUsers } from './user-rows.ts';

for (const dialect of dialects) {
  describe(`a change and its consequences commit together, on ${dialect}`, () => {
    let test: TestApp;
    before(async () => {
      test = await startTestApp(dialect);
    });
    after(() => test.close());

    const login = (email: string, password: string) =>
      request(test.app, 'POST', '/api/users/login', { body: { user: { email, password } } });
    const currentUser = (token: string) => request(test.app, 'GET', '/api/user', { token });

    /** A user signed in twice: `token` is theirs, `other` a second session (an attacker's, say). */
    async function twoSessions() {
      const user = await registerUser(test.app, 'atomic');
      const second = await login(user.email, user.password);
      assert.equal(second.status, 200, second.text);
      const other = (second.body as { user: { token: string } }).user.token;
      return { ...user, other };
    }

    it('a password change whose revocation of the other sessions fails keeps the old password and every session', async () => {
      const user = await twoSessions();
      await failSessionWrites(test.database, dialect, 'UPDATE');
      try {
        const changed = await request(test.app, 'POST', '/api/user/password', {
          token: user.token,
          body: { current_password: user.password, new_password: 'a-brand-new-passphrase-7' },
        });
        assert.equal(changed.status, 500, changed.text);
        const viaPut = await request(test.app, 'PUT', '/api/user', {
          token: user.token,
          body: { user: { password: 'a-brand-new-passphrase-7' } },
        });
        assert.equal(viaPut.status, 500, viaPut.text);
      } finally {
        await healSessionWrites(test.database, dialect);
      }
      assert.equal((await login(user.email, user.password)).status, 200);
      assert.equal((await login(user.email, 'a-brand-new-passphrase-7')).status, 401);
      assert.equal((await currentUser(user.other)).status, 200);
      assert.equal((await currentUser(user.token)).status, 200);
    });

    it('a deactivation whose revocation fails leaves the account active and signed in', async () => {
      const user = await twoSessions();
      await failSessionWrites(test.database, dialect, 'UPDATE');
      try {
        const deactivated = await request(test.app, 'DELETE', '/api/user', {
          token: user.token,
          body: { current_password: user.password },
        });
        assert.equal(deactivated.status, 500, deactivated.text);
      } finally {
        await healSessionWrites(test.database, dialect);
      }
      assert.equal((await currentUser(user.other)).status, 200);
      assert.equal((await login(user.email, user.password)).status, 200);
    });

    it('a registration whose session cannot be opened stores no user, and the retry succeeds', async () => {
      const user = newUser('atomic');
      const before = await countUsers(test.database);
      await failSessionWrites(test.database, dialect, 'INSERT');
      try {
        const refused = await request(test.app, 'POST', '/api/users', { body: { user } });
        assert.equal(refused.status, 500, refused.text);
      } finally {
        await healSessionWrites(test.database, dialect);
      }
      assert.equal(await countUsers(test.database), before);
      const retried = await request(test.app, 'POST', '/api/users', { body: { user } });
      assert.equal(retried.status, 201, retried.text);
    });

    it('a login whose session cannot be opened records no last login', async () => {
      const user = await registerUser(test.app, 'atomic');
      const lastLogin = async () =>
        (
          await test.database.db
            .selectFrom('users')
            .select('last_login_at')
            .where('email_normalized', '=', user.email.toLowerCase())
            .executeTakeFirstOrThrow()
        ).last_login_at;
      const recorded = await lastLogin();
      await failSessionWrites(test.database, dialect, 'INSERT');
      try {
        assert.equal((await login(user.email, user.password)).status, 500);
      } finally {
        await healSessionWrites(test.database, dialect);
      }
      assert.equal(await lastLogin(), recorded);
    });
  });
}
