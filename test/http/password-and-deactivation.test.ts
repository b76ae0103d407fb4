import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { dialects } from '../support/databases.ts';
import { registerUser, request, startTestApp, type TestApp } from '../support/test-app.ts';
import { invalidCredentials } from './conduit-shapes.ts';
import { bearer, obtainPair, refresh, sessionRows, statusWith } from './session-shapes.ts';
import { readUser } from './user-rows.ts';

const newPassword = 'a-fresh-passphrase-77';

for (const dialect of dialects) {
  describe(`password change and deactivation on ${dialect}`, () => {
    let test: TestApp;
    before(async () => {
      test = await startTestApp(dialect);
    });
    after(() => test.close());

    const changePassword = (token: string, body: unknown) =>
      request(test.app, 'POST', '/api/user/password', { headers: bearer(token), body });
    const deactivate = (token: string, body?: unknown) =>
      request(test.app, 'DELETE', '/api/user', { headers: bearer(token), body });
    const login = (email: string, password: string) =>
      request(test.app, 'POST', '/api/users/login', { body: { user: { email, password } } });

    it('changes the password, keeps this session and ends the others', async () => {
      const user = await registerUser(test.app);
      const phone = await obtainPair(test.app, user.email, user.password);
      const laptop = await obtainPair(test.app, user.email, user.password);
      const response = await changePassword(phone.access_token, {
        current_password: user.password,
        new_password: newPassword,
      });
      assert.equal(response.status, 204, response.text);
      assert.equal(await statusWith(test.app, phone.access_token), 200);
      assert.equal((await refresh(test.app, phone.refresh_token)).status, 200);
      assert.equal(await statusWith(test.app, laptop.access_token), 401);
      assert.equal(await statusWith(test.app, user.token), 401);
      assert.equal((await refresh(test.app, laptop.refresh_token)).status, 401);
      assert.equal((await login(user.email, user.password)).status, 401);
      assert.equal((await login(user.email, newPassword)).status, 200);
    });

    it('refuses a wrong, missing or weak password and changes nothing', async () => {
      const user = await registerUser(test.app);
      const phone = await obtainPair(test.app, user.email, user.password);
      const hash = (await readUser(test.database, user.email)).passwordHash;
      const cases: Array<[unknown, Record<string, string[]>]> = [
        [
          { current_password: 'not-my-passphrase', new_password: newPassword },
          { current_password: ['is invalid'] },
        ],
        [{ new_password: newPassword }, { current_password: ["can't be blank"] }],
        [{ current_password: user.password }, { new_password: ["can't be blank"] }],
        [
          { current_password: user.password, new_password: 'short' },
          { new_password: ['is too short (minimum is 8 characters)'] },
        ],
        [
          { current_password: user.password, new_password: 'password123' },
          { new_password: ['is too common'] },
        ],
        [
          { current_password: user.password, new_password: `${user.username}1` },
          { new_password: ['is too similar to the username'] },
        ],
        [
          { current_password: 'wrong-one-entirely', new_password: 'short' },
          { current_password: ['is invalid'], new_password: ['is too short (minimum is 8 characters)'] },
        ],
      ];
      for (const [body, errors] of cases) {
        const response = await changePassword(phone.access_token, body);
        assert.equal(response.status, 422, JSON.stringify(body));
        assert.deepEqual(response.body, { errors }, JSON.stringify(body));
      }
      const wrongType = await changePassword(phone.access_token, { current_password: 1, new_password: [] });
      assert.equal(wrongType.status, 422);
      assert.equal((await readUser(test.database, user.email)).passwordHash, hash);
      assert.equal(await statusWith(test.app, user.token), 200);
      assert.equal((await login(user.email, user.password)).status, 200);
    });

    it('needs a token to change the password', async () => {
      const response = await request(test.app, 'POST', '/api/user/password', {
        body: { current_password: 'x', new_password: newPassword },
      });
      assert.equal(response.status, 401);
    });

    it('deactivates the account: every session ends and logins are refused like a wrong password', async () => {
      const user = await registerUser(test.app);
      const phone = await obtainPair(test.app, user.email, user.password);
      const response = await deactivate(phone.access_token, { current_password: user.password });
      assert.equal(response.status, 204, response.text);
      assert.equal(await statusWith(test.app, phone.access_token), 401);
      assert.equal(await statusWith(test.app, user.token), 401);
      assert.equal((await refresh(test.app, phone.refresh_token)).status, 401);
      const refused = await login(user.email, user.password);
      assert.equal(refused.status, 401);
      assert.deepEqual(refused.body, invalidCredentials);
      const stored = await readUser(test.database, user.email);
      assert.equal(stored.isActive, false);
      // the account is kept, not deleted: the name stays taken
      const again = await request(test.app, 'POST', '/api/users', { body: { user } });
      assert.equal(again.status, 422);
      const ended = (await sessionRows(test.database)).filter((row) => row.user_id === stored.id);
      assert.ok(ended.every((row) => row.revoked_reason === 'deactivated'));
    });

    it('refuses deactivation without the right password and changes nothing', async () => {
      const user = await registerUser(test.app);
      for (const body of [
        undefined,
        {},
        { current_password: 'not-my-passphrase' },
        { current_password: '' },
      ]) {
        const response = await deactivate(user.token, body);
        assert.equal(response.status, 422, JSON.stringify(body));
      }
      const wrong = await deactivate(user.token, { current_password: 'not-my-passphrase' });
      assert.deepEqual(wrong.body, { errors: { current_password: ['is invalid'] } });
      assert.equal((await readUser(test.database, user.email)).isActive, true);
      assert.equal(await statusWith(test.app, user.token), 200);
    });
  });
}
