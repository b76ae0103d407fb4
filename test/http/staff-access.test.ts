import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { dialects } from '../support/databases.ts';
import { bearer, registerUser, request, startTestApp, type TestApp } from '../support/test-app.ts';
import { errorCodeOf, registerStaff } from './staff-shapes.ts';

for (const dialect of dialects) {
  describe(`the staff API's door on ${dialect}`, () => {
    let test: TestApp;
    before(async () => {
      test = await startTestApp(dialect);
    });
    after(() => test.close());

    const userIdOf = async (email: string) =>
      (
        await test.database.db
          .selectFrom('users')
          .select('id')
          .where('email', '=', email)
          .executeTakeFirstOrThrow()
      ).id;

    it('shows staff one account, without its secrets', async () => {
      const staff = await registerStaff(test);
      const person = await registerUser(test.app);
      const id = await userIdOf(person.email);
      const response = await request(test.app, 'GET', `/api/admin/users/${id}`, {
        headers: bearer(staff.token),
      });
      assert.equal(response.status, 200, response.text);
      const { user } = response.body as { user: Record<string, unknown> };
      assert.equal(user.id, id);
      assert.equal(user.email, person.email);
      assert.equal(user.username, person.username);
      assert.equal(user.isActive, true);
      assert.equal(user.isStaff, false);
      assert.equal(user.emailVerified, false);
      assert.match(String(user.joinedAt), /^\d{4}-\d\d-\d\dT/);
      assert.doesNotMatch(response.text, /argon2|passwordHash|password_hash/);
    });

    it('answers 401 to the anonymous and to bad credentials, in its envelope with a challenge', async () => {
      const person = await registerUser(test.app);
      const url = `/api/admin/users/${await userIdOf(person.email)}`;
      const anonymous = await request(test.app, 'GET', url);
      assert.equal(anonymous.status, 401, anonymous.text);
      assert.equal(errorCodeOf(anonymous.body), 'token_missing');
      assert.match(String(anonymous.headers['www-authenticate']), /^Bearer realm="gatehouse"$/);
      const forged = await request(test.app, 'GET', url, { headers: bearer(`${person.token}x`) });
      assert.equal(forged.status, 401, forged.text);
      assert.equal(errorCodeOf(forged.body), 'token_invalid');
    });

    it('answers 403 to a signed-in account that is not staff, before reading anything', async () => {
      const person = await registerUser(test.app);
      const own = await request(test.app, 'GET', `/api/admin/users/${await userIdOf(person.email)}`, {
        headers: bearer(person.token),
      });
      assert.equal(own.status, 403, own.text);
      assert.deepEqual(own.body, {
        error: { code: 'forbidden', message: 'You are not allowed to do this.' },
      });
      const unknown = await request(test.app, 'GET', '/api/admin/users/no-such-user', {
        headers: bearer(person.token),
      });
      assert.equal(unknown.status, 403, unknown.text);
    });

    it('answers 404 for an unknown account and for an unknown staff route, in the staff envelope', async () => {
      const staff = await registerStaff(test);
      const missing = await request(test.app, 'GET', '/api/admin/users/no-such-user', {
        headers: bearer(staff.token),
      });
      assert.equal(missing.status, 404, missing.text);
      assert.equal(errorCodeOf(missing.body), 'user_not_found');
      const unrouted = await request(test.app, 'GET', '/api/admin/nothing-here', {
        headers: bearer(staff.token),
      });
      assert.equal(unrouted.status, 404, unrouted.text);
      assert.equal(errorCodeOf(unrouted.body), 'route_not_found');
      // the rest of /api still speaks Conduit
      const conduit = await request(test.app, 'GET', '/api/nothing-here');
      assert.deepEqual(conduit.body, { errors: { body: ['not found'] } });
    });

    it('takes a token from either dialect, as Token or Bearer', async () => {
      const staff = await registerStaff(test);
      const url = `/api/admin/users/${await userIdOf(staff.email)}`;
      assert.equal((await request(test.app, 'GET', url, { token: staff.token })).status, 200);
      const pair = await request(test.app, 'POST', '/auth/jwt/create/', {
        body: { email: staff.email, password: staff.password },
      });
      const { access } = pair.body as { access: string };
      assert.equal((await request(test.app, 'GET', url, { headers: bearer(access) })).status, 200);
    });
  });
}
