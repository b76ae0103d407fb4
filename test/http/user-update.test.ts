import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createUserRepository } from '../../src/store/user-repository.ts';
import { dialects } from '../support/databases.ts';
import { registerUser, request, startTestApp, type TestApp } from '../support/test-app.ts';
import {
  invalidCredentials,
  invalidToken,
  missingToken,
  type ErrorBody,
  type UserBody,
} from './conduit-shapes.ts';
import { readUser } from './user-rows.ts';

for (const dialect of dialects) {
  describe(`user update (PUT /api/user) on ${dialect}`, () => {
    let test: TestApp;
    before(async () => {
      test = await startTestApp(dialect);
    });
    after(() => test.close());

    const update = (token: string, user: unknown) =>
      request(test.app, 'PUT', '/api/user', { token, body: { user } });
    const login = (email: string, password: string) =>
      request(test.app, 'POST', '/api/users/login', { body: { user: { email, password } } });

    /** Sends an update that must be refused with 422 and must leave the stored row exactly as it was. */
    async function expectRefused(
      owner: { email: string; token: string },
      changes: unknown,
    ): Promise<ErrorBody> {
      const before = await readUser(test.database, owner.email);
      const response = await update(owner.token, changes);
      assert.equal(response.status, 422, response.text);
      assert.deepEqual(
        await readUser(test.database, owner.email),
        before,
        'a refused update changed the row',
      );
      return response.body as ErrorBody;
    }

    it('changes the bio and the image, and GET /api/user shows them at once', async () => {
      const user = await registerUser(test.app);
      const response = await update(user.token, {
        bio: 'I like to skateboard',
        image: 'https://example.com/me.png',
      });
      assert.equal(response.status, 200, response.text);
      assert.deepEqual(response.body, {
        user: {
          email: user.email,
          username: user.username,
          bio: 'I like to skateboard',
          image: 'https://example.com/me.png',
          token: user.token,
        },
      });
      assert.equal(response.headers['cache-control'], 'no-store');
      const current = (await request(test.app, 'GET', '/api/user', { token: user.token })).body as UserBody;
      assert.equal(current.user.bio, 'I like to skateboard');
      assert.equal(current.user.image, 'https://example.com/me.png');
      const stored = await readUser(test.database, user.email);
      assert.equal(stored.bio, 'I like to skateboard');
      assert.equal(stored.image, 'https://example.com/me.png');
    });

    it('clears bio and image with null and with an empty string', async () => {
      for (const empty of [null, '']) {
        const user = await registerUser(test.app);
        assert.equal(
          (await update(user.token, { bio: 'text', image: 'http://example.com/a.png' })).status,
          200,
        );
        const response = await update(user.token, { bio: empty, image: empty });
        assert.equal(response.status, 200, response.text);
        const body = response.body as UserBody;
        assert.equal(body.user.bio, null);
        assert.equal(body.user.image, null);
        const stored = await readUser(test.database, user.email);
        assert.equal(stored.bio, null);
        assert.equal(stored.image, null);
      }
    });

    it('leaves fields that are not sent untouched, and an empty update changes nothing visible', async () => {
      const user = await registerUser(test.app);
      assert.equal(
        (await update(user.token, { bio: 'kept', image: 'https://example.com/kept.png' })).status,
        200,
      );
      const response = await update(user.token, {});
      assert.equal(response.status, 200, response.text);
      assert.deepEqual(response.body, {
        user: {
          email: user.email,
          username: user.username,
          bio: 'kept',
          image: 'https://example.com/kept.png',
          token: user.token,
        },
      });
    });

    it('accepts a bio of 1000 characters and refuses one of 1001', async () => {
      const user = await registerUser(test.app);
      assert.equal((await update(user.token, { bio: 'é'.repeat(1000) })).status, 200);
      const body = await expectRefused(user, { bio: 'b'.repeat(1001) });
      assert.deepEqual(body, { errors: { bio: ['is too long (maximum is 1000 characters)'] } });
    });

    it('refuses a bio containing a NUL character', async () => {
      const user = await registerUser(test.app);
      const body = await expectRefused(user, { bio: 'before\u0000after' });
      assert.deepEqual(Object.keys(body.errors), ['bio']);
    });

    it('accepts an http and an https image URL of up to 2048 characters', async () => {
      const user = await registerUser(test.app);
      const longest = `https://example.com/${'p'.repeat(2048 - 'https://example.com/'.length)}`;
      assert.equal(longest.length, 2048);
      for (const image of ['http://example.com/a.png', longest]) {
        const response = await update(user.token, { image });
        assert.equal(response.status, 200, response.text);
        assert.equal((response.body as UserBody).user.image, image);
      }
    });

    it('refuses an image URL longer than 2048 characters', async () => {
      const user = await registerUser(test.app);
      const image = `https://example.com/${'p'.repeat(2049 - 'https://example.com/'.length)}`;
      const body = await expectRefused(user, { image });
      assert.deepEqual(Object.keys(body.errors), ['image']);
    });

    for (const image of [
      'javascript:alert(1)',
      'data:image/png;base64,iVBORw0KGgo=',
      'ftp://example.com/a.png',
      'file:///etc/passwd',
      'not a url',
      '/relative/path.png',
      'https://example.com/a\u0000b.png',
    ]) {
      it(`refuses the image ${JSON.stringify(image)} as invalid`, async () => {
        const user = await registerUser(test.app);
        const body = await expectRefused(user, { image });
        assert.deepEqual(body, { errors: { image: ['is invalid'] } });
      });
    }

    it('changes the username; the profile moves to the new name and the old name is free', async () => {
      const user = await registerUser(test.app);
      const renamed = `${user.username}-renamed`;
      const response = await update(user.token, { username: renamed });
      assert.equal(response.status, 200, response.text);
      assert.equal((response.body as UserBody).user.username, renamed);
      assert.equal((await readUser(test.database, user.email)).username, renamed);
      assert.equal((await request(test.app, 'GET', `/api/profiles/${renamed}`)).status, 200);
      assert.equal((await request(test.app, 'GET', `/api/profiles/${user.username}`)).status, 404);
      const current = (await request(test.app, 'GET', '/api/user', { token: user.token })).body as UserBody;
      assert.equal(current.user.username, renamed);
    });

    it('lets a user change only the casing of their own username', async () => {
      const user = await registerUser(test.app);
      const response = await update(user.token, { username: user.username.toUpperCase() });
      assert.equal(response.status, 200, response.text);
      assert.equal((response.body as UserBody).user.username, user.username.toUpperCase());
    });

    it("refuses another user's username in any casing and changes nothing", async () => {
      const owner = await registerUser(test.app);
      const other = await registerUser(test.app);
      for (const username of [other.username, other.username.toUpperCase()]) {
        const body = await expectRefused(owner, { username, bio: 'should not be stored' });
        assert.deepEqual(body, { errors: { username: ['has already been taken'] } });
      }
    });

    it('refuses an invalid, blank or over-long username and changes nothing', async () => {
      const user = await registerUser(test.app);
      for (const [username, message] of [
        ['has space', 'is invalid'],
        ['', "can't be blank"],
        [null, "can't be blank"],
      ] as const) {
        const body = await expectRefused(user, { username });
        assert.deepEqual(body, { errors: { username: [message] } });
      }
      const body = await expectRefused(user, { username: 'u'.repeat(65) });
      assert.deepEqual(Object.keys(body.errors), ['username']);
    });

    it('changes the email at once: login takes the new address, not the old one', async () => {
      const user = await registerUser(test.app);
      const email = `New.${user.email}`;
      const response = await update(user.token, { email: `  ${email} ` });
      assert.equal(response.status, 200, response.text);
      assert.equal((response.body as UserBody).user.email, email);
      assert.equal((await readUser(test.database, email)).email, email);
      assert.equal((await login(email.toLowerCase(), user.password)).status, 200);
      const old = await login(user.email, user.password);
      assert.equal(old.status, 401);
      assert.deepEqual(old.body, invalidCredentials);
      // the token that made the change keeps working and shows the new address
      const current = (await request(test.app, 'GET', '/api/user', { token: user.token })).body as UserBody;
      assert.equal(current.user.email, email);
    });

    it('marks a changed email as unverified', async () => {
      const user = await registerUser(test.app);
      const stored = await readUser(test.database, user.email);
      await createUserRepository(test.database).update(stored.id, {
        emailVerifiedAt: 1_700_000_000_000,
        updatedAt: Date.now(),
      });
      assert.equal((await readUser(test.database, user.email)).emailVerifiedAt, 1_700_000_000_000);

      const email = `changed.${user.email}`;
      assert.equal((await update(user.token, { email })).status, 200);
      assert.equal((await readUser(test.database, email)).emailVerifiedAt, null);
    });

    it('keeps the address verified when only its casing changes', async () => {
      const user = await registerUser(test.app);
      const stored = await readUser(test.database, user.email);
      await createUserRepository(test.database).update(stored.id, {
        emailVerifiedAt: 1_700_000_000_000,
        updatedAt: Date.now(),
      });
      assert.equal((await update(user.token, { email: user.email.toUpperCase() })).status, 200);
      const after = await readUser(test.database, user.email);
      assert.equal(after.email, user.email.toUpperCase());
      assert.equal(after.emailVerifiedAt, 1_700_000_000_000);
    });

    it("refuses another user's email in any casing and changes nothing", async () => {
      const owner = await registerUser(test.app);
      const other = await registerUser(test.app);
      for (const email of [other.email, other.email.toUpperCase()]) {
        const body = await expectRefused(owner, { email, bio: 'should not be stored' });
        assert.deepEqual(body, { errors: { email: ['has already been taken'] } });
      }
      assert.equal((await login(owner.email, owner.password)).status, 200);
    });

    it('refuses an invalid or blank email and changes nothing', async () => {
      const user = await registerUser(test.app);
      for (const [email, message] of [
        ['not-an-email', 'is invalid'],
        ['   ', "can't be blank"],
        [null, "can't be blank"],
      ] as const) {
        const body = await expectRefused(user, { email });
        assert.deepEqual(body, { errors: { email: [message] } });
      }
    });

    it('applies nothing when one field of several is refused', async () => {
      const user = await registerUser(test.app);
      const body = await expectRefused(user, {
        bio: 'new bio',
        image: 'https://example.com/new.png',
        username: `${user.username}x`,
        password: 'short',
      });
      assert.deepEqual(body, { errors: { password: ['is too short (minimum is 8 characters)'] } });
      assert.equal((await login(user.email, user.password)).status, 200);
    });

    it('answers 422 is invalid for a field of the wrong JSON type and changes nothing', async () => {
      const user = await registerUser(test.app);
      const body = await expectRefused(user, { bio: 42 });
      assert.deepEqual(body, { errors: { bio: ['is invalid'] } });
      const unwrapped = await request(test.app, 'PUT', '/api/user', {
        token: user.token,
        body: { bio: 42 },
      });
      assert.equal(unwrapped.status, 422, unwrapped.text);
      assert.deepEqual(unwrapped.body, { errors: { bio: ['is invalid'] } });
    });

    it('takes the user object unwrapped too (as the Vue frontend sends it), with every rule unchanged', async () => {
      const user = await registerUser(test.app);
      const putRaw = (body: unknown) => request(test.app, 'PUT', '/api/user', { token: user.token, body });
      const unwrapped = await putRaw({ bio: 'unwrapped', image: 'https://example.com/u.png' });
      assert.equal(unwrapped.status, 200, unwrapped.text);
      assert.equal((unwrapped.body as UserBody).user.bio, 'unwrapped');
      assert.equal((unwrapped.body as UserBody).user.image, 'https://example.com/u.png');
      const wrapped = await putRaw({ user: { bio: 'wrapped' } });
      assert.equal(wrapped.status, 200, wrapped.text);
      assert.equal((wrapped.body as UserBody).user.bio, 'wrapped');

      // refused unwrapped just as wrapped, and nothing changes
      const before = await readUser(test.database, user.email);
      for (const [body, errors] of [
        [{ username: 'a b' }, { username: ['is invalid'] }],
        [{ email: 'nope', bio: 'changed' }, { email: ['is invalid'] }],
        [{ password: 'short' }, { password: ['is too short (minimum is 8 characters)'] }],
      ] as const) {
        const response = await putRaw(body);
        assert.equal(response.status, 422, response.text);
        assert.deepEqual(response.body, { errors });
      }
      // with a `user` key the body is the wrapper, whatever else it carries: a null user is still refused
      const nullUser = await putRaw({ user: null, bio: 'sneaked' });
      assert.equal(nullUser.status, 422, nullUser.text);
      // mass assignment stays impossible unwrapped
      const flags = await putRaw({ is_staff: true, is_superuser: true, id: 'x', email_verified: true });
      assert.equal(flags.status, 200, flags.text);
      assert.deepEqual(
        { ...(await readUser(test.database, user.email)), updatedAt: before.updatedAt },
        before,
      );
    });

    it('changes the password: the old one stops working and the new one works', async () => {
      const user = await registerUser(test.app);
      const hashBefore = (await readUser(test.database, user.email)).passwordHash;
      const response = await update(user.token, { password: 'a-brand-new-passphrase' });
      assert.equal(response.status, 200, response.text);
      assert.notEqual((await readUser(test.database, user.email)).passwordHash, hashBefore);
      assert.equal((await login(user.email, user.password)).status, 401);
      assert.equal((await login(user.email, 'a-brand-new-passphrase')).status, 200);
    });

    it("keeps the current token working after a password change and ends every other session's at once", async () => {
      const user = await registerUser(test.app);
      const other = ((await login(user.email, user.password)).body as UserBody).user.token;
      const third = ((await login(user.email, user.password)).body as UserBody).user.token;
      // both other sessions are in use, so an instance holds them in its cache
      for (const token of [other, third]) {
        assert.equal((await request(test.app, 'GET', '/api/user', { token })).status, 200);
      }

      const response = await update(user.token, { password: 'a-brand-new-passphrase' });
      assert.equal(response.status, 200, response.text);
      assert.equal((response.body as UserBody).user.token, user.token);

      assert.equal((await request(test.app, 'GET', '/api/user', { token: user.token })).status, 200);
      for (const token of [other, third]) {
        const refused = await request(test.app, 'GET', '/api/user', { token });
        assert.equal(refused.status, 401);
        assert.deepEqual(refused.body, invalidToken);
        assert.equal((await update(token, { bio: 'from a revoked session' })).status, 401);
      }
      assert.equal((await readUser(test.database, user.email)).bio, null);
    });

    it('does not revoke other sessions when the password is not changed', async () => {
      const user = await registerUser(test.app);
      const other = ((await login(user.email, user.password)).body as UserBody).user.token;
      assert.equal((await update(user.token, { bio: 'only the bio' })).status, 200);
      assert.equal((await request(test.app, 'GET', '/api/user', { token: other })).status, 200);
    });

    it('refuses a weak new password, keeps the old one and every session', async () => {
      const user = await registerUser(test.app);
      const other = ((await login(user.email, user.password)).body as UserBody).user.token;
      for (const [password, message] of [
        ['short', 'is too short (minimum is 8 characters)'],
        ['password123', 'is too common'],
        ['', "can't be blank"],
        [null, "can't be blank"],
      ] as const) {
        const body = await expectRefused(user, { password });
        assert.deepEqual(body, { errors: { password: [message] } });
      }
      const similar = await expectRefused(user, { password: `${user.username}1` });
      assert.deepEqual(Object.keys(similar.errors), ['password']);
      assert.equal((await login(user.email, user.password)).status, 200);
      assert.equal((await request(test.app, 'GET', '/api/user', { token: other })).status, 200);
    });

    it('checks a new password against the new username sent with it', async () => {
      const user = await registerUser(test.app);
      const username = `fresh${user.username}`;
      const body = await expectRefused(user, { username, password: `${username}1` });
      assert.deepEqual(Object.keys(body.errors), ['password']);
    });

    it('ignores id, staff, superuser, active, verification and hash fields in the body', async () => {
      const user = await registerUser(test.app);
      const before = await readUser(test.database, user.email);
      const response = await update(user.token, {
        bio: 'allowed',
        id: 'attacker-chosen-id',
        is_staff: true,
        isStaff: true,
        is_superuser: true,
        is_active: false,
        email_verified: true,
        email_verified_at: 1,
        emailVerifiedAt: 1,
        password_hash: 'x',
        created_at: 0,
        last_login_at: 1,
      });
      assert.equal(response.status, 200, response.text);
      const after = await readUser(test.database, user.email);
      assert.equal(after.id, before.id);
      assert.equal(after.isStaff, false);
      assert.equal(after.isSuperuser, false);
      assert.equal(after.isActive, true);
      assert.equal(after.emailVerifiedAt, null);
      assert.equal(after.passwordHash, before.passwordHash);
      assert.equal(after.createdAt, before.createdAt);
      assert.equal(after.lastLoginAt, before.lastLoginAt);
      assert.equal(after.bio, 'allowed');
    });

    it('answers 401 without a token or with a bad one and changes nothing', async () => {
      const user = await registerUser(test.app);
      const before = await readUser(test.database, user.email);
      const anonymous = await request(test.app, 'PUT', '/api/user', { body: { user: { bio: 'anonymous' } } });
      assert.equal(anonymous.status, 401);
      assert.deepEqual(anonymous.body, missingToken);
      assert.ok(anonymous.headers['www-authenticate'] !== undefined);
      const forged = await update(`${user.token}x`, { bio: 'forged' });
      assert.equal(forged.status, 401);
      assert.deepEqual(forged.body, invalidToken);
      assert.deepEqual(await readUser(test.database, user.email), before);
    });
  });
}
