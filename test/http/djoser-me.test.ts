import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { dialects } from '../support/databases.ts';
import { registerUser, request, startTestApp, type TestApp } from '../support/test-app.ts';
import {
  assertUnauthorized,
  bearer,
  createTokens,
  getMe,
  givenTokenNotValid,
  noNames,
  notAuthenticated,
  registerDjoserUser,
  type UserBody,
} from './djoser-shapes.ts';
import { readUser } from './user-rows.ts';

for (const dialect of dialects) {
  describe(`djoser current user (/auth/users/me/) on ${dialect}`, () => {
    let test: TestApp;
    before(async () => {
      test = await startTestApp(dialect);
    });
    after(() => test.close());

    /** A registered user with a live pair from jwt/create. */
    async function signedIn() {
      const user = await registerDjoserUser(test.app);
      return { ...user, ...(await createTokens(test.app, user)) };
    }

    const update = (method: 'PUT' | 'PATCH', access: string, body: unknown) =>
      request(test.app, method, '/auth/users/me/', { headers: bearer(access), body });

    /** Sends an update that must be refused with 400 and this body, leaving the stored row as it was. */
    async function expectRefused(
      user: { email: string; access: string },
      method: 'PUT' | 'PATCH',
      body: unknown,
      errors: Record<string, string[]>,
    ): Promise<void> {
      const before = await readUser(test.database, user.email);
      const response = await update(method, user.access, body);
      assert.equal(response.status, 400, response.text);
      assert.deepEqual(response.body, errors);
      assert.deepEqual(await readUser(test.database, user.email), before, 'a refused update changed the row');
    }

    it('GET answers 200 with id, email and username, under Bearer, JWT and Token schemes', async () => {
      const user = await signedIn();
      for (const scheme of ['Bearer', 'JWT', 'Token', 'bearer']) {
        const response = await request(test.app, 'GET', '/auth/users/me/', {
          headers: { authorization: `${scheme} ${user.access}` },
        });
        assert.equal(response.status, 200, `${scheme}: ${response.text}`);
        assert.deepEqual(response.body, {
          ...noNames,
          id: user.id,
          email: user.email,
          username: user.username,
          roles: [],
        });
        assert.equal(response.headers['cache-control'], 'no-store');
      }
      assert.equal(
        (await request(test.app, 'GET', '/auth/users/me', { headers: bearer(user.access) })).status,
        200,
      );
    });

    it('answers 401 "Authentication credentials were not provided." without credentials', async () => {
      for (const method of ['GET', 'PUT', 'PATCH', 'DELETE'] as const) {
        assertUnauthorized(await request(test.app, method, '/auth/users/me/'), notAuthenticated);
      }
      assertUnauthorized(
        await request(test.app, 'POST', '/auth/users/set_password/', { body: {} }),
        notAuthenticated,
      );
    });

    it('answers 401 token_not_valid for a bad token, before it looks at the body', async () => {
      const user = await signedIn();
      for (const authorization of [
        `Bearer ${user.access}x`,
        'Bearer not.a.jwt',
        `Bearer ${user.refresh}`,
        'Bearer',
      ]) {
        assertUnauthorized(
          await request(test.app, 'GET', '/auth/users/me/', { headers: { authorization } }),
          givenTokenNotValid,
        );
      }
      // DRF authenticates first: a broken body from a stranger still reads 401
      const stranger = await request(test.app, 'PUT', '/auth/users/me/', {
        headers: { authorization: 'Bearer not.a.jwt', 'content-type': 'application/json' },
        body: '{"username":',
      });
      assertUnauthorized(stranger, givenTokenNotValid);
    });

    it('PUT and PATCH change the username, and Conduit sees it', async () => {
      const user = await signedIn();
      const renamed = `${user.username}-renamed`;
      const put = await update('PUT', user.access, { username: renamed });
      assert.equal(put.status, 200, put.text);
      assert.deepEqual(put.body, {
        ...noNames,
        id: user.id,
        email: user.email,
        username: renamed,
        roles: [],
      });
      const patched = await update('PATCH', user.access, { username: `${renamed}2` });
      assert.equal(patched.status, 200, patched.text);
      assert.equal((patched.body as UserBody).username, `${renamed}2`);
      const profile = await request(test.app, 'GET', `/api/profiles/${renamed}2`);
      assert.equal(profile.status, 200, profile.text);
    });

    it('PATCH without fields changes nothing and answers the user', async () => {
      const user = await signedIn();
      const before = await readUser(test.database, user.email);
      const response = await update('PATCH', user.access, {});
      assert.equal(response.status, 200, response.text);
      assert.deepEqual(response.body, {
        ...noNames,
        id: user.id,
        email: user.email,
        username: user.username,
        roles: [],
      });
      assert.equal((await readUser(test.database, user.email)).username, before.username);
    });

    it('keeps the email read-only (djoser’s LOGIN_FIELD) and ignores id and flags', async () => {
      const user = await signedIn();
      const before = await readUser(test.database, user.email);
      const response = await update('PATCH', user.access, {
        email: 'taken-over@example.com',
        id: '00000000-0000-4000-8000-000000000000',
        is_staff: true,
        is_superuser: true,
        is_active: false,
        password: 'a-new-passphrase-99',
      });
      assert.equal(response.status, 200, response.text);
      assert.deepEqual(response.body, {
        ...noNames,
        id: user.id,
        email: user.email,
        username: user.username,
        roles: [],
      });
      const after = await readUser(test.database, user.email);
      assert.deepEqual({ ...after, updatedAt: before.updatedAt }, before);
      // the password did not change either
      await createTokens(test.app, user);
    });

    it('keeps the address under the email login field: set_email/ refuses a blank one', async () => {
      const user = await signedIn();
      const response = await request(test.app, 'POST', '/auth/users/set_email/', {
        headers: bearer(user.access),
        body: { new_email: '', current_password: user.password },
      });
      assert.equal(response.status, 400, response.text);
      assert.deepEqual(response.body, { new_email: ['This field may not be blank.'] });
      assert.equal((await readUser(test.database, user.email)).email, user.email);
    });

    it('PUT requires the username, as a full update does', async () => {
      const user = await signedIn();
      await expectRefused(user, 'PUT', {}, { username: ['This field is required.'] });
      await expectRefused(user, 'PUT', { email: 'x@example.com' }, { username: ['This field is required.'] });
    });

    it('refuses a blank, invalid, over-long or taken username and changes nothing', async () => {
      const user = await signedIn();
      const other = await registerUser(test.app);
      for (const method of ['PUT', 'PATCH'] as const) {
        await expectRefused(user, method, { username: '' }, { username: ['This field may not be blank.'] });
        await expectRefused(user, method, { username: null }, { username: ['This field may not be null.'] });
        await expectRefused(
          user,
          method,
          { username: 'no spaces' },
          {
            username: [
              'Enter a valid username. This value may contain only letters, numbers, and ./-/_ characters.',
            ],
          },
        );
        await expectRefused(
          user,
          method,
          { username: 'u'.repeat(65) },
          { username: ['Ensure this field has no more than 64 characters.'] },
        );
        await expectRefused(
          user,
          method,
          { username: other.username.toUpperCase() },
          { username: ['A user with that username already exists.'] },
        );
      }
    });

    it('answers 400 "Malformed request." for broken JSON from a signed-in user', async () => {
      const user = await signedIn();
      const response = await request(test.app, 'PATCH', '/auth/users/me/', {
        headers: { ...bearer(user.access), 'content-type': 'application/json' },
        body: '{"username":',
      });
      assert.equal(response.status, 400);
      assert.deepEqual(response.body, { detail: 'Malformed request.' });
    });

    it('answers the token of a revoked session with 401', async () => {
      const user = await signedIn();
      const logout = await request(test.app, 'POST', '/api/users/logout', {
        headers: bearer(user.access),
        body: {},
      });
      assert.equal(logout.status, 204, logout.text);
      assertUnauthorized(await getMe(test.app, user.access), givenTokenNotValid);
    });
  });
}
