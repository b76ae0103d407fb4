import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createUserRepository } from '../../src/store/user-repository.ts';
import { dialects } from '../support/databases.ts';
import { createFakeClock } from '../support/fake-clock.ts';
import { newUser, registerUser, request, startTestApp, type TestApp } from '../support/test-app.ts';
import { invalidCredentials, type UserBody } from './conduit-shapes.ts';
import { readUser } from './user-rows.ts';

for (const dialect of dialects) {
  describe(`login (POST /api/users/login) on ${dialect}`, () => {
    const clock = createFakeClock();
    let test: TestApp;
    before(async () => {
      test = await startTestApp(dialect, { clock });
    });
    after(() => test.close());

    const login = (user: unknown) => request(test.app, 'POST', '/api/users/login', { body: { user } });

    it('answers 200 with the user and a new token that works', async () => {
      const user = await registerUser(test.app);
      const response = await login({ email: user.email, password: user.password });
      assert.equal(response.status, 200, response.text);
      const body = response.body as UserBody;
      assert.equal(body.user.email, user.email);
      assert.equal(body.user.username, user.username);
      assert.equal(body.user.bio, null);
      assert.equal(body.user.image, null);
      assert.notEqual(body.user.token, user.token);
      assert.equal(response.headers['cache-control'], 'no-store');

      const current = await request(test.app, 'GET', '/api/user', { token: body.user.token });
      assert.equal(current.status, 200);
      assert.equal((current.body as UserBody).user.token, body.user.token);
      // the registration's own session is still live
      assert.equal((await request(test.app, 'GET', '/api/user', { token: user.token })).status, 200);
    });

    it('accepts the email in any casing and with surrounding spaces, answering with the stored casing', async () => {
      const { username, password } = newUser();
      const email = `Mixed.${username}@Example.COM`;
      const registered = await request(test.app, 'POST', '/api/users', {
        body: { user: { username, email, password } },
      });
      assert.equal(registered.status, 201, registered.text);
      for (const variant of [email.toLowerCase(), email.toUpperCase(), `  ${email}  `]) {
        const response = await login({ email: variant, password });
        assert.equal(response.status, 200, `${variant}: ${response.text}`);
        assert.equal((response.body as UserBody).user.email, email);
      }
    });

    it('accepts the password in another Unicode form that NFKC makes equal', async () => {
      const user = newUser();
      const password = 'ｆｕｌｌｗｉｄｔｈ-passphrase';
      const registered = await request(test.app, 'POST', '/api/users', {
        body: { user: { ...user, password } },
      });
      assert.equal(registered.status, 201, registered.text);
      const response = await login({ email: user.email, password: 'fullwidth-passphrase' });
      assert.equal(response.status, 200, response.text);
    });

    it('answers 401 with the same bytes for an unknown email, a wrong password and an inactive account', async () => {
      const user = await registerUser(test.app);
      const inactive = await registerUser(test.app);
      const deactivated = await createUserRepository(test.database).update(
        (await readUser(test.database, inactive.email)).id,
        { isActive: false, updatedAt: clock.now() },
      );
      assert.ok(deactivated.ok);

      const unknown = await login({ email: `nobody-${user.email}`, password: user.password });
      const wrongPassword = await login({ email: user.email, password: `${user.password}x` });
      const inactiveAccount = await login({ email: inactive.email, password: inactive.password });
      for (const response of [unknown, wrongPassword, inactiveAccount]) {
        assert.equal(response.status, 401);
        assert.deepEqual(response.body, invalidCredentials);
        // every 401 names the schemes (RFC 9110 §15.5.2); only a bad token adds error="invalid_token"
        assert.equal(
          response.headers['www-authenticate'],
          'Token realm="gatehouse", Bearer realm="gatehouse"',
        );
        assert.equal(response.text, unknown.text);
        assert.equal(response.headers['content-type'], unknown.headers['content-type']);
        assert.equal(response.headers['content-length'], unknown.headers['content-length']);
      }
      assert.equal(unknown.text, '{"errors":{"email or password":["is invalid"]}}');
    });

    it('refuses a password that matches only in casing', async () => {
      const user = await registerUser(test.app);
      const response = await login({ email: user.email, password: user.password.toUpperCase() });
      assert.equal(response.status, 401);
      assert.deepEqual(response.body, invalidCredentials);
    });

    it('does not truncate the password: a longer one with the right prefix is refused', async () => {
      const user = await registerUser(test.app);
      const response = await login({ email: user.email, password: `${user.password}${'x'.repeat(200)}` });
      assert.equal(response.status, 401);
    });

    it("answers 422 can't be blank for a missing or empty email and password", async () => {
      const user = await registerUser(test.app);
      const cases: Array<[unknown, Record<string, string[]>]> = [
        [{ password: user.password }, { email: ["can't be blank"] }],
        [{ email: user.email }, { password: ["can't be blank"] }],
        [
          { email: '  ', password: '' },
          { email: ["can't be blank"], password: ["can't be blank"] },
        ],
        [{}, { email: ["can't be blank"], password: ["can't be blank"] }],
      ];
      for (const [body, errors] of cases) {
        const response = await login(body);
        assert.equal(response.status, 422, response.text);
        assert.deepEqual(response.body, { errors });
      }
    });

    it('answers 422 for a missing user wrapper or a field of the wrong type', async () => {
      const user = await registerUser(test.app);
      const unwrapped = await request(test.app, 'POST', '/api/users/login', {
        body: { email: user.email, password: user.password },
      });
      assert.equal(unwrapped.status, 422);
      assert.deepEqual(unwrapped.body, { errors: { user: ["can't be blank"] } });
      const numeric = await login({ email: user.email, password: 12345678 });
      assert.equal(numeric.status, 422);
      assert.deepEqual(numeric.body, { errors: { password: ['is invalid'] } });
    });

    it('answers 422 on the email, not a server error, for an email no database can hold', async () => {
      const response = await login({ email: 'nul\u0000byte@example.com', password: 'a-long-passphrase-42' });
      assert.equal(response.status, 422, response.text);
      assert.deepEqual(response.body, { errors: { email: ['is invalid'] } });
    });

    it('records the time of a successful login and leaves it alone on a failed one', async () => {
      const user = await registerUser(test.app);
      assert.equal((await readUser(test.database, user.email)).lastLoginAt, null);
      clock.advance(60_000);
      const loggedInAt = clock.now();
      assert.equal((await login({ email: user.email, password: user.password })).status, 200);
      assert.equal((await readUser(test.database, user.email)).lastLoginAt, loggedInAt);

      clock.advance(60_000);
      assert.equal((await login({ email: user.email, password: 'not-the-password' })).status, 401);
      assert.equal((await readUser(test.database, user.email)).lastLoginAt, loggedInAt);
    });

    it('opens a session that a later login does not end', async () => {
      const user = await registerUser(test.app);
      const first = (await login({ email: user.email, password: user.password })).body as UserBody;
      const second = (await login({ email: user.email, password: user.password })).body as UserBody;
      assert.notEqual(first.user.token, second.user.token);
      for (const token of [user.token, first.user.token, second.user.token]) {
        assert.equal((await request(test.app, 'GET', '/api/user', { token })).status, 200);
      }
    });
  });
}
