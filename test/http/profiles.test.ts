import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createUserRepository } from '../../src/store/user-repository.ts';
import { dialects } from '../support/databases.ts';
import { registerUser, request, startTestApp, type TestApp } from '../support/test-app.ts';
import { invalidToken, missingToken, type ProfileBody } from './conduit-shapes.ts';
import { readUser } from './user-rows.ts';

const profileNotFound = { errors: { profile: ['not found'] } };

for (const dialect of dialects) {
  describe(`profiles (/api/profiles/:username) on ${dialect}`, () => {
    let test: TestApp;
    before(async () => {
      test = await startTestApp(dialect);
    });
    after(() => test.close());

    const profileOf = (username: string, token?: string) =>
      request(
        test.app,
        'GET',
        `/api/profiles/${encodeURIComponent(username)}`,
        token === undefined ? {} : { token },
      );
    const follow = (username: string, token?: string, method: 'POST' | 'DELETE' = 'POST') =>
      request(
        test.app,
        method,
        `/api/profiles/${encodeURIComponent(username)}/follow`,
        token === undefined ? {} : { token },
      );

    async function countFollows(): Promise<number> {
      const row = await test.database.db
        .selectFrom('follows')
        .select((builder) => builder.fn.countAll().as('count'))
        .executeTakeFirstOrThrow();
      return Number(row.count);
    }

    it('shows a profile to an anonymous caller with following false', async () => {
      const user = await registerUser(test.app);
      await request(test.app, 'PUT', '/api/user', {
        token: user.token,
        body: { user: { bio: 'hello', image: 'https://example.com/p.png' } },
      });
      const response = await profileOf(user.username);
      assert.equal(response.status, 200);
      assert.deepEqual(response.body, {
        profile: {
          username: user.username,
          bio: 'hello',
          image: 'https://example.com/p.png',
          following: false,
        },
      });
    });

    it('shows no email, id or other private field', async () => {
      const user = await registerUser(test.app);
      const response = await profileOf(user.username, user.token);
      assert.deepEqual(Object.keys((response.body as ProfileBody).profile).sort(), [
        'bio',
        'following',
        'image',
        'username',
      ]);
      assert.ok(!response.text.includes(user.email));
      assert.ok(!response.text.includes((await readUser(test.database, user.email)).id));
    });

    it('finds a profile whatever the casing of the name in the URL, answering with the stored name', async () => {
      const user = await registerUser(test.app, 'CamelName');
      for (const name of [user.username.toLowerCase(), user.username.toUpperCase()]) {
        const response = await profileOf(name);
        assert.equal(response.status, 200, name);
        assert.equal((response.body as ProfileBody).profile.username, user.username);
      }
    });

    it('answers 404 profile not found for an unknown name, with or without a token', async () => {
      const viewer = await registerUser(test.app);
      for (const token of [undefined, viewer.token]) {
        const response = await profileOf(`nobody-${viewer.username}`, token);
        assert.equal(response.status, 404);
        assert.deepEqual(response.body, profileNotFound);
      }
    });

    it('answers 404, not a server error, for names no user can have', async () => {
      for (const name of ['nul\u0000byte', 'has space', 'a'.repeat(200), 'a'.repeat(300)]) {
        const response = await profileOf(name);
        assert.equal(response.status, 404, `${JSON.stringify(name)}: ${response.text}`);
        assert.deepEqual(response.body, profileNotFound);
      }
    });

    it('answers 404 for a deactivated user', async () => {
      const user = await registerUser(test.app);
      const viewer = await registerUser(test.app);
      const stored = await readUser(test.database, user.email);
      await createUserRepository(test.database).update(stored.id, { isActive: false, updatedAt: Date.now() });
      assert.deepEqual((await profileOf(user.username)).body, profileNotFound);
      const followed = await follow(user.username, viewer.token);
      assert.equal(followed.status, 404);
      assert.deepEqual(followed.body, profileNotFound);
    });

    it('refuses a bad token on the profile rather than treating the caller as anonymous', async () => {
      const user = await registerUser(test.app);
      const response = await profileOf(user.username, 'not-a-token');
      assert.equal(response.status, 401);
      assert.deepEqual(response.body, invalidToken);
    });

    it('follows with 200 following true, and the profile then shows it to the follower only', async () => {
      const author = await registerUser(test.app);
      const reader = await registerUser(test.app);
      const bystander = await registerUser(test.app);
      const response = await follow(author.username, reader.token);
      assert.equal(response.status, 200, response.text);
      assert.deepEqual(response.body, {
        profile: { username: author.username, bio: null, image: null, following: true },
      });
      assert.equal(
        ((await profileOf(author.username, reader.token)).body as ProfileBody).profile.following,
        true,
      );
      assert.equal(
        ((await profileOf(author.username, bystander.token)).body as ProfileBody).profile.following,
        false,
      );
      assert.equal(((await profileOf(author.username)).body as ProfileBody).profile.following, false);
      // following is one way
      assert.equal(
        ((await profileOf(reader.username, author.token)).body as ProfileBody).profile.following,
        false,
      );
    });

    it('follows idempotently: twice is one follow', async () => {
      const author = await registerUser(test.app);
      const reader = await registerUser(test.app);
      const before = await countFollows();
      for (let attempt = 0; attempt < 2; attempt += 1) {
        const response = await follow(author.username, reader.token);
        assert.equal(response.status, 200);
        assert.equal((response.body as ProfileBody).profile.following, true);
      }
      assert.equal(await countFollows(), before + 1);
    });

    it('unfollows with 200 following false, idempotently, even when never followed', async () => {
      const author = await registerUser(test.app);
      const reader = await registerUser(test.app);
      assert.equal((await follow(author.username, reader.token)).status, 200);
      const before = await countFollows();
      for (let attempt = 0; attempt < 2; attempt += 1) {
        const response = await follow(author.username, reader.token, 'DELETE');
        assert.equal(response.status, 200, response.text);
        assert.deepEqual(response.body, {
          profile: { username: author.username, bio: null, image: null, following: false },
        });
      }
      assert.equal(await countFollows(), before - 1);
      assert.equal(
        ((await profileOf(author.username, reader.token)).body as ProfileBody).profile.following,
        false,
      );
      const stranger = await registerUser(test.app);
      assert.equal((await follow(author.username, stranger.token, 'DELETE')).status, 200);
    });

    it('follows and unfollows by a name in any casing', async () => {
      const author = await registerUser(test.app, 'Author');
      const reader = await registerUser(test.app);
      const followed = await follow(author.username.toUpperCase(), reader.token);
      assert.equal(followed.status, 200);
      assert.equal((followed.body as ProfileBody).profile.username, author.username);
      const unfollowed = await follow(author.username.toLowerCase(), reader.token, 'DELETE');
      assert.equal(unfollowed.status, 200);
      assert.equal((unfollowed.body as ProfileBody).profile.following, false);
    });

    it('answers 401 to follow and unfollow without a token or with a bad one, and records nothing', async () => {
      const author = await registerUser(test.app);
      const before = await countFollows();
      for (const method of ['POST', 'DELETE'] as const) {
        const anonymous = await follow(author.username, undefined, method);
        assert.equal(anonymous.status, 401);
        assert.deepEqual(anonymous.body, missingToken);
        assert.ok(anonymous.headers['www-authenticate'] !== undefined);
        const forged = await follow(author.username, 'a.b.c', method);
        assert.equal(forged.status, 401);
        assert.deepEqual(forged.body, invalidToken);
      }
      assert.equal(await countFollows(), before);
    });

    it('answers 404 to follow and unfollow of an unknown user', async () => {
      const reader = await registerUser(test.app);
      for (const method of ['POST', 'DELETE'] as const) {
        const response = await follow(`ghost-${reader.username}`, reader.token, method);
        assert.equal(response.status, 404);
        assert.deepEqual(response.body, profileNotFound);
      }
    });

    it('answers 422 to following yourself, in any casing, and records nothing', async () => {
      const user = await registerUser(test.app);
      const before = await countFollows();
      for (const name of [user.username, user.username.toUpperCase()]) {
        const response = await follow(name, user.token);
        assert.equal(response.status, 422);
        assert.deepEqual(Object.keys((response.body as { errors: object }).errors), ['profile']);
      }
      assert.equal(await countFollows(), before);
    });

    it('ignores the stray user body RealWorld clients send with a follow', async () => {
      const author = await registerUser(test.app);
      const reader = await registerUser(test.app);
      const response = await request(test.app, 'POST', `/api/profiles/${author.username}/follow`, {
        token: reader.token,
        body: { user: { email: reader.email } },
      });
      assert.equal(response.status, 200, response.text);
      assert.equal((response.body as ProfileBody).profile.following, true);
    });

    it('accepts a follow with Content-Type application/json and an empty body', async () => {
      const author = await registerUser(test.app);
      const reader = await registerUser(test.app);
      const response = await request(test.app, 'POST', `/api/profiles/${author.username}/follow`, {
        token: reader.token,
        headers: { 'content-type': 'application/json', 'content-length': '0' },
      });
      assert.equal(response.status, 200, response.text);
      assert.equal((response.body as ProfileBody).profile.following, true);
    });

    it('accepts GET and DELETE that say Content-Type application/json but send no body', async () => {
      const author = await registerUser(test.app);
      const reader = await registerUser(test.app);
      assert.equal((await follow(author.username, reader.token)).status, 200);
      for (const headers of [
        { 'content-type': 'application/json' },
        { 'content-type': 'application/json; charset=utf-8', 'content-length': '0' },
      ]) {
        const shown = await request(test.app, 'GET', `/api/profiles/${author.username}`, {
          token: reader.token,
          headers,
        });
        assert.equal(shown.status, 200, shown.text);
        const current = await request(test.app, 'GET', '/api/user', { token: reader.token, headers });
        assert.equal(current.status, 200, current.text);
        const unfollowed = await request(test.app, 'DELETE', `/api/profiles/${author.username}/follow`, {
          token: reader.token,
          headers,
        });
        assert.equal(unfollowed.status, 200, unfollowed.text);
        assert.equal((unfollowed.body as ProfileBody).profile.following, false);
      }
    });
  });
}
