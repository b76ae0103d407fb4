import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { dialects } from '../support/databases.ts';
import { newUser, request, startTestApp, type TestApp } from '../support/test-app.ts';
import { notAuthenticated, registerDjoserUser, type UserBody } from './djoser-shapes.ts';

const unableToLogIn = { non_field_errors: ['Unable to log in with provided credentials.'] };

for (const dialect of dialects) {
  describe(`djoser token login and logout (/auth/token/) on ${dialect}`, () => {
    let test: TestApp;
    before(async () => {
      test = await startTestApp(dialect);
    });
    after(() => test.close());

    const login = (body: unknown) => request(test.app, 'POST', '/auth/token/login/', { body });
    const tokenAuth = (token: string) => ({ authorization: `Token ${token}` });

    it('answers 200 {"auth_token"}, a token that works as Authorization: Token until token/logout/ ends its session', async () => {
      const user = await registerDjoserUser(test.app);
      const response = await login({ email: user.email, password: user.password });
      assert.equal(response.status, 200, response.text);
      assert.equal(response.headers['cache-control'], 'no-store');
      assert.deepEqual(Object.keys(response.body as object), ['auth_token']);
      const token = (response.body as { auth_token: string }).auth_token;
      const me = await request(test.app, 'GET', '/auth/users/me/', { headers: tokenAuth(token) });
      assert.equal(me.status, 200, me.text);
      assert.equal((me.body as UserBody).id, user.id);

      // another session of the same user is untouched by this logout
      const other = (
        (await login({ username: user.username, password: user.password })).body as { auth_token: string }
      ).auth_token;
      const logout = await request(test.app, 'POST', '/auth/token/logout/', { headers: tokenAuth(token) });
      assert.equal(logout.status, 204, logout.text);
      assert.equal(logout.text, '');
      const after = await request(test.app, 'GET', '/auth/users/me/', { headers: tokenAuth(token) });
      assert.equal(after.status, 401, after.text);
      assert.equal(
        (await request(test.app, 'GET', '/auth/users/me/', { headers: tokenAuth(other) })).status,
        200,
      );
    });

    it("refuses every bad login with djoser's one 400, and opens no session", async () => {
      const user = await registerDjoserUser(test.app);
      const sessionsBefore = await countSessions();
      for (const body of [
        { email: user.email, password: 'not-the-password' },
        { email: 'nobody@example.com', password: user.password },
        { username: `x${user.username}`, password: user.password },
        { email: user.email },
        { password: user.password },
        {},
        { email: '', password: '' },
      ]) {
        const response = await login(body);
        assert.equal(response.status, 400, `${JSON.stringify(body)}: ${response.text}`);
        assert.deepEqual(response.body, unableToLogIn);
      }
      const wrongType = await login({ email: user.email, password: 42 });
      assert.equal(wrongType.status, 400);
      assert.deepEqual(wrongType.body, { password: ['Not a valid string.'] });
      assert.equal(await countSessions(), sessionsBefore);
    });

    it('refuses a deactivated account the same way', async () => {
      const user = await registerDjoserUser(test.app);
      const token = (
        (await login({ email: user.email, password: user.password })).body as { auth_token: string }
      ).auth_token;
      const deleted = await request(test.app, 'DELETE', '/auth/users/me/', {
        headers: tokenAuth(token),
        body: { current_password: user.password },
      });
      assert.equal(deleted.status, 204, deleted.text);
      const response = await login({ email: user.email, password: user.password });
      assert.equal(response.status, 400);
      assert.deepEqual(response.body, unableToLogIn);
    });

    it('token/logout/ answers 401 without a token or with a bad one', async () => {
      const missing = await request(test.app, 'POST', '/auth/token/logout/');
      assert.equal(missing.status, 401);
      assert.deepEqual(missing.body, notAuthenticated);
      const bad = await request(test.app, 'POST', '/auth/token/logout/', { headers: tokenAuth('nope') });
      assert.equal(bad.status, 401);
    });

    it('counts token/login/ failures against the same lock as every login', async () => {
      const locked = await startTestApp(dialect, { env: { LOGIN_FAILURES_PER_EMAIL: '2' } });
      try {
        const user = newUser('tokenlock');
        assert.equal((await request(locked.app, 'POST', '/auth/users/', { body: user })).status, 201);
        for (let attempt = 0; attempt < 2; attempt += 1) {
          const body = { email: user.email, password: 'wrong-password' };
          assert.equal((await request(locked.app, 'POST', '/auth/token/login/', { body })).status, 400);
        }
        const right = await request(locked.app, 'POST', '/auth/token/login/', {
          body: { email: user.email, password: user.password },
        });
        assert.equal(right.status, 429, right.text);
        assert.equal(
          (
            await request(locked.app, 'POST', '/auth/jwt/create/', {
              body: { email: user.email, password: user.password },
            })
          ).status,
          429,
        );
      } finally {
        await locked.close();
      }
    });

    async function countSessions(): Promise<number> {
      const row = await test.database.db
        .selectFrom('sessions')
        .select((builder) => builder.fn.countAll().as('count'))
        .executeTakeFirstOrThrow();
      return Number(row.count);
    }
  });
}
