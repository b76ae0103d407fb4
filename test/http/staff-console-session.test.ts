import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { parseSetCookie } from 'cookie';
import { dialects } from '../support/databases.ts';
import { bearer, registerUser, request, startTestApp, type TestApp } from '../support/test-app.ts';
import { consoleSignIn, errorCodeOf, eventsOf, registerStaff, userIdOf, userRow } from './staff-shapes.ts';

for (const dialect of dialects) {
  describe(`the staff console's session (/api/admin/session) on ${dialect}`, () => {
    let test: TestApp;
    before(async () => {
      test = await startTestApp(dialect, { env: { LOGIN_FAILURES_PER_EMAIL: '3' } });
    });
    after(() => test.close());

    const liveSessionsOf = async (userId: string) =>
      (
        await test.database.db
          .selectFrom('sessions')
          .select('id')
          .where('user_id', '=', userId)
          .where('revoked_at', 'is', null)
          .execute()
      ).length;

    it('signs staff in with an httpOnly, SameSite=Strict cookie for 8 hours and a CSRF token', async () => {
      const staff = await registerStaff(test);
      const response = await request(test.app, 'POST', '/api/admin/session', {
        body: { email: staff.email.toUpperCase(), password: staff.password },
      });
      assert.equal(response.status, 200, response.text);
      const body = response.body as { user: { email: string; isStaff: boolean }; csrfToken: string };
      assert.equal(body.user.email, staff.email);
      assert.equal(body.user.isStaff, true);
      assert.match(body.csrfToken, /^[A-Za-z0-9_-]{43}$/);
      assert.equal(response.headers['cache-control'], 'no-store');
      const cookie = parseSetCookie(String(response.headers['set-cookie']));
      assert.equal(cookie.name, 'gatehouse_console');
      assert.match(String(cookie.value), /^[\w-]+\.[\w-]+\.[\w-]+$/);
      assert.equal(cookie.httpOnly, true);
      assert.equal(cookie.sameSite, 'strict');
      assert.equal(cookie.path, '/');
      // as long as the token lives: 8 hours from its issue (in whole seconds)
      assert.ok(cookie.maxAge !== undefined && cookie.maxAge <= 8 * 3600 && cookie.maxAge > 8 * 3600 - 60);
      // PUBLIC_URL is http here: a Secure cookie would never come back
      assert.notEqual(cookie.secure, true);
      // the token is refused in no query string and leaks nowhere but the cookie
      assert.doesNotMatch(response.text, new RegExp(String(cookie.value)));
    });

    it('answers who is signed in from the cookie alone, with the same CSRF token', async () => {
      const staff = await registerStaff(test);
      const login = await consoleSignIn(test.app, staff);
      const response = await request(test.app, 'GET', '/api/admin/session', {
        headers: { cookie: login.cookie },
      });
      assert.equal(response.status, 200, response.text);
      const body = response.body as { user: { email: string }; csrfToken: string };
      assert.equal(body.user.email, staff.email);
      assert.equal(body.csrfToken, login.csrfToken);
      const anonymous = await request(test.app, 'GET', '/api/admin/session');
      assert.equal(anonymous.status, 401, anonymous.text);
      assert.equal(errorCodeOf(anonymous.body), 'token_missing');
      const forged = await request(test.app, 'GET', '/api/admin/session', {
        headers: { cookie: `${login.cookie}x` },
      });
      assert.equal(forged.status, 401, forged.text);
      assert.equal(errorCodeOf(forged.body), 'token_invalid');
    });

    it('refuses a non-staff account that knows its password: 403, no cookie, no session opened', async () => {
      const person = await registerUser(test.app);
      const id = await userIdOf(test.database, person.email);
      const sessionsBefore = await liveSessionsOf(id);
      const response = await request(test.app, 'POST', '/api/admin/session', {
        body: { email: person.email, password: person.password },
      });
      assert.equal(response.status, 403, response.text);
      assert.equal(errorCodeOf(response.body), 'forbidden');
      assert.equal(response.headers['set-cookie'], undefined);
      assert.equal(await liveSessionsOf(id), sessionsBefore);
      const refusals = await eventsOf(test.database, id, 'sign_in_failed');
      assert.deepEqual(
        refusals.map((event) => JSON.parse(event.detail) as unknown),
        [{ reason: 'not_staff' }],
      );
    });

    it('refuses wrong and missing credentials, and locks the email like every other sign-in', async () => {
      const staff = await registerStaff(test);
      const missing = await request(test.app, 'POST', '/api/admin/session', { body: { email: staff.email } });
      assert.equal(missing.status, 422, missing.text);
      assert.deepEqual((missing.body as { error: { fields: unknown } }).error.fields, {
        password: ['is required'],
      });
      for (let attempt = 0; attempt < 3; attempt += 1) {
        const wrong = await request(test.app, 'POST', '/api/admin/session', {
          body: { email: staff.email, password: 'not-the-password' },
        });
        assert.equal(wrong.status, 401, wrong.text);
        assert.equal(errorCodeOf(wrong.body), 'invalid_credentials');
        assert.equal(wrong.headers['www-authenticate'], 'Bearer realm="gatehouse"');
        assert.equal(wrong.headers['set-cookie'], undefined);
      }
      const locked = await request(test.app, 'POST', '/api/admin/session', {
        body: { email: staff.email, password: staff.password },
      });
      assert.equal(locked.status, 429, locked.text);
      assert.equal(errorCodeOf(locked.body), 'rate_limited');
      assert.ok(Number(locked.headers['retry-after']) > 0);
      assert.equal(locked.headers['set-cookie'], undefined);
    });

    it('refuses a write with the cookie but without the right X-CSRF-Token, and changes nothing', async () => {
      const staff = await registerStaff(test);
      const login = await consoleSignIn(test.app, staff);
      const person = await registerUser(test.app);
      const id = await userIdOf(test.database, person.email);
      const before = await userRow(test.database, id);
      const url = `/api/admin/users/${id}/deactivate`;
      const body = { reason: 'spam' };
      for (const headers of [
        { cookie: login.cookie },
        { cookie: login.cookie, 'x-csrf-token': `${login.csrfToken.slice(1)}A` },
        { cookie: login.cookie, 'x-csrf-token': '' },
      ]) {
        const refused = await request(test.app, 'POST', url, { headers, body });
        assert.equal(refused.status, 403, refused.text);
        assert.equal(errorCodeOf(refused.body), 'csrf_failed');
      }
      // another console session's token is no good either
      const other = await consoleSignIn(test.app, staff);
      const crossed = await request(test.app, 'POST', url, {
        headers: { cookie: login.cookie, 'x-csrf-token': other.csrfToken },
        body,
      });
      assert.equal(crossed.status, 403, crossed.text);
      assert.deepEqual(await userRow(test.database, id), before);
      const accepted = await request(test.app, 'POST', url, {
        headers: { cookie: login.cookie, 'x-csrf-token': login.csrfToken },
        body,
      });
      assert.equal(accepted.status, 200, accepted.text);
      assert.equal((accepted.body as { user: { isActive: boolean } }).user.isActive, false);
    });

    it('needs no CSRF token for reads, nor for writes whose credentials are an Authorization header', async () => {
      const staff = await registerStaff(test);
      const login = await consoleSignIn(test.app, staff);
      const person = await registerUser(test.app);
      const id = await userIdOf(test.database, person.email);
      const read = await request(test.app, 'GET', `/api/admin/users/${id}`, {
        headers: { cookie: login.cookie },
      });
      assert.equal(read.status, 200, read.text);
      const write = await request(test.app, 'PUT', `/api/admin/users/${id}/roles`, {
        headers: { ...bearer(staff.token), cookie: login.cookie },
        body: { roles: ['organizer'] },
      });
      assert.equal(write.status, 200, write.text);
    });

    it('signs out for real: the session ends, the cookie is cleared, and the old cookie is refused', async () => {
      const staff = await registerStaff(test);
      const login = await consoleSignIn(test.app, staff);
      const forged = await request(test.app, 'DELETE', '/api/admin/session', {
        headers: { cookie: login.cookie },
      });
      assert.equal(forged.status, 403, forged.text);
      assert.equal(errorCodeOf(forged.body), 'csrf_failed');
      const signedOut = await request(test.app, 'DELETE', '/api/admin/session', {
        headers: { cookie: login.cookie, 'x-csrf-token': login.csrfToken },
      });
      assert.equal(signedOut.status, 204, signedOut.text);
      const cleared = parseSetCookie(String(signedOut.headers['set-cookie']));
      assert.equal(cleared.name, 'gatehouse_console');
      assert.equal(cleared.value, '');
      assert.equal(cleared.maxAge, 0);
      const after = await request(test.app, 'GET', '/api/admin/session', {
        headers: { cookie: login.cookie },
      });
      assert.equal(after.status, 401, after.text);
      assert.equal(errorCodeOf(after.body), 'token_invalid');
      // the staff member's other sessions live on
      assert.equal((await request(test.app, 'GET', '/api/user', { token: staff.token })).status, 200);
    });
  });

  describe(`the console's cookie behind HTTPS, on ${dialect}`, () => {
    let test: TestApp;
    before(async () => {
      test = await startTestApp(dialect, {
        env: { PUBLIC_URL: 'https://gatehouse.test', CONSOLE_SESSION_TTL: '1h' },
      });
    });
    after(() => test.close());

    it('is Secure, and lives as long as CONSOLE_SESSION_TTL says', async () => {
      const staff = await registerStaff(test);
      const login = await consoleSignIn(test.app, staff);
      const cookie = parseSetCookie(login.setCookie);
      assert.equal(cookie.secure, true);
      assert.ok(cookie.maxAge !== undefined && cookie.maxAge <= 3600 && cookie.maxAge > 3600 - 60);
      const id = await userIdOf(test.database, staff.email);
      const sessions = await test.database.db
        .selectFrom('sessions')
        .select(['created_at', 'expires_at'])
        .where('user_id', '=', id)
        .orderBy('created_at', 'desc')
        .execute();
      const newest = sessions[0];
      assert.ok(newest !== undefined);
      assert.equal(newest.expires_at - newest.created_at, 3_600_000);
    });
  });
}
