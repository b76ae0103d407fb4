import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { dialects } from '../support/databases.ts';
import { request, startTestApp, type TestApp } from '../support/test-app.ts';
import {
  assertUnauthorized,
  bearer,
  createTokens,
  getMe,
  givenTokenNotValid,
  noActiveAccount,
  refreshTokens,
  registerDjoserUser,
  tokenNotValid,
} from './djoser-shapes.ts';
import { readUser } from './user-rows.ts';

for (const dialect of dialects) {
  describe(`djoser set_password and account deletion on ${dialect}`, () => {
    let test: TestApp;
    before(async () => {
      test = await startTestApp(dialect);
    });
    after(() => test.close());

    /** A user with two live sessions: `current` asks, `other` is another device. */
    async function withTwoSessions() {
      const user = await registerDjoserUser(test.app);
      const current = await createTokens(test.app, user);
      const other = await createTokens(test.app, user);
      return { user, current, other };
    }

    const setPassword = (access: string, body: unknown) =>
      request(test.app, 'POST', '/auth/users/set_password/', { headers: bearer(access), body });
    const deleteMe = (access: string, body?: unknown) =>
      request(test.app, 'DELETE', '/auth/users/me/', {
        headers: bearer(access),
        ...(body === undefined ? {} : { body }),
      });
    const logIn = (email: string, password: string) =>
      request(test.app, 'POST', '/auth/jwt/create/', { body: { email, password } });

    /** The password and both sessions are exactly as they were. */
    async function assertUnchanged(fixture: Awaited<ReturnType<typeof withTwoSessions>>, hash: string) {
      const { user, current, other } = fixture;
      assert.equal((await readUser(test.database, user.email)).passwordHash, hash);
      assert.equal((await readUser(test.database, user.email)).isActive, true);
      assert.equal((await logIn(user.email, user.password)).status, 200);
      assert.equal((await getMe(test.app, current.access)).status, 200);
      assert.equal((await getMe(test.app, other.access)).status, 200);
    }

    it('set_password answers 204, the new password works, the old does not, other sessions end', async () => {
      const fixture = await withTwoSessions();
      const { user, current, other } = fixture;
      const response = await setPassword(current.access, {
        current_password: user.password,
        new_password: 'a-brand-new-passphrase-7',
      });
      assert.equal(response.status, 204, response.text);
      assert.equal(response.text, '');

      assert.equal((await logIn(user.email, 'a-brand-new-passphrase-7')).status, 200);
      assertUnauthorized(await logIn(user.email, user.password), noActiveAccount);
      // this session goes on, access and refresh alike
      assert.equal((await getMe(test.app, current.access)).status, 200);
      assert.equal((await refreshTokens(test.app, current.refresh)).status, 200);
      // the other device is signed out: its access token and its refresh token are refused
      assertUnauthorized(await getMe(test.app, other.access), givenTokenNotValid);
      assertUnauthorized(await refreshTokens(test.app, other.refresh), tokenNotValid);
    });

    it('set_password refuses a wrong or missing current password and changes nothing', async () => {
      const fixture = await withTwoSessions();
      const { user, current } = fixture;
      const hash = (await readUser(test.database, user.email)).passwordHash;
      const cases: Array<[unknown, Record<string, string[]>]> = [
        [
          { current_password: 'not-the-password', new_password: 'a-brand-new-passphrase-7' },
          { current_password: ['Invalid password.'] },
        ],
        [
          { current_password: '', new_password: 'a-brand-new-passphrase-7' },
          { current_password: ['This field may not be blank.'] },
        ],
        [{ new_password: 'a-brand-new-passphrase-7' }, { current_password: ['This field is required.'] }],
        [{ current_password: user.password }, { new_password: ['This field is required.'] }],
        [{}, { new_password: ['This field is required.'], current_password: ['This field is required.'] }],
      ];
      for (const [body, errors] of cases) {
        const response = await setPassword(current.access, body);
        assert.equal(response.status, 400, response.text);
        assert.deepEqual(response.body, errors);
      }
      await assertUnchanged(fixture, hash);
    });

    it("set_password refuses a weak new password with Django's words and changes nothing", async () => {
      const fixture = await withTwoSessions();
      const { user, current } = fixture;
      const hash = (await readUser(test.database, user.email)).passwordHash;
      const cases: Array<[string, string]> = [
        ['', 'This field may not be blank.'],
        ['short', 'This password is too short. It must contain at least 8 characters.'],
        ['password123', 'This password is too common.'],
        [`${user.username}1`, 'The password is too similar to the username.'],
      ];
      for (const [newPassword, message] of cases) {
        const response = await setPassword(current.access, {
          current_password: user.password,
          new_password: newPassword,
        });
        assert.equal(response.status, 400, response.text);
        assert.deepEqual(response.body, { new_password: [message] });
      }
      const both = await setPassword(current.access, {
        current_password: 'wrong-one-here',
        new_password: 'short',
      });
      assert.deepEqual(both.body, {
        current_password: ['Invalid password.'],
        new_password: ['This password is too short. It must contain at least 8 characters.'],
      });
      await assertUnchanged(fixture, hash);
    });

    it('DELETE /auth/users/me/ answers 204, deactivates the account and ends every session', async () => {
      const { user, current, other } = await withTwoSessions();
      const conduit = await request(test.app, 'POST', '/api/users/login', {
        body: { user: { email: user.email, password: user.password } },
      });
      const conduitToken = (conduit.body as { user: { token: string } }).user.token;

      const response = await deleteMe(current.access, { current_password: user.password });
      assert.equal(response.status, 204, response.text);
      assert.equal(response.text, '');

      assert.equal((await readUser(test.database, user.email)).isActive, false);
      for (const access of [current.access, other.access, conduitToken]) {
        assertUnauthorized(await getMe(test.app, access), givenTokenNotValid);
      }
      for (const refresh of [current.refresh, other.refresh]) {
        assertUnauthorized(await refreshTokens(test.app, refresh), tokenNotValid);
      }
      assertUnauthorized(await logIn(user.email, user.password), noActiveAccount);
      const conduitLogin = await request(test.app, 'POST', '/api/users/login', {
        body: { user: { email: user.email, password: user.password } },
      });
      assert.equal(conduitLogin.status, 401);
    });

    it('DELETE refuses a wrong, blank or missing current password and changes nothing', async () => {
      const fixture = await withTwoSessions();
      const { user, current } = fixture;
      const hash = (await readUser(test.database, user.email)).passwordHash;
      const cases: Array<[unknown, Record<string, string[]>]> = [
        [{ current_password: 'not-the-password' }, { current_password: ['Invalid password.'] }],
        [{ current_password: user.password.toUpperCase() }, { current_password: ['Invalid password.'] }],
        [{ current_password: '' }, { current_password: ['This field may not be blank.'] }],
        [{ current_password: null }, { current_password: ['This field may not be null.'] }],
        [{}, { current_password: ['This field is required.'] }],
        [undefined, { current_password: ['This field is required.'] }],
      ];
      for (const [body, errors] of cases) {
        const response = await deleteMe(current.access, body);
        assert.equal(response.status, 400, response.text);
        assert.deepEqual(response.body, errors);
      }
      await assertUnchanged(fixture, hash);
    });
  });
}
