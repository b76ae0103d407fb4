import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { dialects } from '../support/databases.ts';
import { registerUser, request, startTestApp, type TestApp } from '../support/test-app.ts';
import { invalidToken, missingToken, type UserBody } from './conduit-shapes.ts';
import {
  bearer,
  obtainPair,
  refresh,
  sessionIdOf,
  sessionRows,
  statusWith,
  type SessionsBody,
} from './session-shapes.ts';

for (const dialect of dialects) {
  describe(`logout and the session list on ${dialect}`, () => {
    let test: TestApp;
    before(async () => {
      test = await startTestApp(dialect);
    });
    after(() => test.close());

    /** A user signed in three times: the registration's Conduit token and two token pairs. */
    async function userWithThreeSessions() {
      const user = await registerUser(test.app);
      const phone = await obtainPair(test.app, user.email, user.password);
      const laptop = await obtainPair(test.app, user.email, user.password);
      return { user, phone, laptop };
    }

    const logout = (token: string, body?: unknown) =>
      request(test.app, 'POST', '/api/users/logout', { headers: bearer(token), body });

    it('ends only this session by default, at once, refresh token included', async () => {
      const { user, phone, laptop } = await userWithThreeSessions();
      const response = await logout(phone.access_token);
      assert.equal(response.status, 204, response.text);
      assert.equal(response.text, '');
      assert.equal(await statusWith(test.app, phone.access_token), 401);
      assert.equal((await refresh(test.app, phone.refresh_token)).status, 401);
      assert.equal(await statusWith(test.app, laptop.access_token), 200);
      assert.equal(await statusWith(test.app, user.token), 200);
    });

    it('takes a bodiless POST without a content type, and a Conduit token', async () => {
      const user = await registerUser(test.app);
      const response = await test.app.inject({
        method: 'POST',
        url: '/api/users/logout',
        headers: { authorization: `Token ${user.token}` },
      });
      assert.equal(response.statusCode, 204, response.body);
      assert.equal(await statusWith(test.app, user.token), 401);
    });

    it('ends the other sessions with scope "others"', async () => {
      const { user, phone, laptop } = await userWithThreeSessions();
      assert.equal((await logout(phone.access_token, { scope: 'others' })).status, 204);
      assert.equal(await statusWith(test.app, phone.access_token), 200);
      assert.equal(await statusWith(test.app, laptop.access_token), 401);
      assert.equal(await statusWith(test.app, user.token), 401);
      assert.equal((await refresh(test.app, laptop.refresh_token)).status, 401);
      assert.equal((await refresh(test.app, phone.refresh_token)).status, 200);
    });

    it('ends every session with scope "all"', async () => {
      const { user, phone, laptop } = await userWithThreeSessions();
      assert.equal((await logout(laptop.access_token, { scope: 'all' })).status, 204);
      for (const token of [user.token, phone.access_token, laptop.access_token]) {
        assert.equal(await statusWith(test.app, token), 401);
      }
      // signing in again works: logout is not a lockout
      assert.equal((await obtainPair(test.app, user.email, user.password)).token_type, 'Bearer');
    });

    it('refuses an unknown scope and ends nothing', async () => {
      const { phone } = await userWithThreeSessions();
      const rows = await sessionRows(test.database);
      for (const scope of ['everything', '', 42, null]) {
        const response = await logout(phone.access_token, { scope });
        assert.equal(response.status, 422, JSON.stringify(scope));
        assert.deepEqual(response.body, { errors: { scope: ['is invalid'] } });
      }
      // a JSON null is a body, and not an object: unlike an absent one, it is refused
      for (const body of ['null', '[]', '"all"']) {
        const response = await logout(phone.access_token, body);
        assert.equal(response.status, 422, body);
      }
      assert.deepEqual(await sessionRows(test.database), rows);
    });

    it('needs a live token', async () => {
      const missing = await request(test.app, 'POST', '/api/users/logout', { body: {} });
      assert.equal(missing.status, 401);
      assert.deepEqual(missing.body, missingToken);
      const { phone } = await userWithThreeSessions();
      await logout(phone.access_token);
      const again = await logout(phone.access_token);
      assert.equal(again.status, 401);
      assert.deepEqual(again.body, invalidToken);
    });

    it("lists the caller's live sessions, marking the current one", async () => {
      const { user, phone, laptop } = await userWithThreeSessions();
      const stranger = await registerUser(test.app);
      await logout(laptop.access_token);
      const response = await request(test.app, 'GET', '/api/user/sessions', {
        headers: { ...bearer(phone.access_token), 'user-agent': 'ignored: the session was opened earlier' },
      });
      assert.equal(response.status, 200, response.text);
      const { sessions } = response.body as SessionsBody;
      assert.equal(sessions.length, 2);
      assert.deepEqual(
        sessions.map((session) => session.current),
        sessions.map((session) => session.id === sessionIdOf(phone.access_token)),
      );
      assert.equal(sessions.filter((session) => session.current).length, 1);
      const ids = new Set(sessions.map((session) => session.id));
      assert.ok(!ids.has(sessionIdOf(laptop.access_token)));
      assert.ok(!ids.has(sessionIdOf(stranger.token)));
      assert.ok(ids.has(sessionIdOf(user.token)));
      for (const session of sessions) {
        assert.equal(session.ip, '127.0.0.1');
        assert.equal(session.userAgent, 'lightMyRequest');
        for (const time of [session.createdAt, session.lastUsedAt, session.expiresAt]) {
          assert.ok(!Number.isNaN(Date.parse(time)), time);
        }
      }
    });

    it('revokes one of your own sessions by id', async () => {
      const { user, phone, laptop } = await userWithThreeSessions();
      const target = sessionIdOf(laptop.access_token);
      const response = await request(test.app, 'DELETE', `/api/user/sessions/${target}`, {
        headers: bearer(phone.access_token),
      });
      assert.equal(response.status, 204, response.text);
      assert.equal(await statusWith(test.app, laptop.access_token), 401);
      assert.equal(await statusWith(test.app, phone.access_token), 200);
      assert.equal(await statusWith(test.app, user.token), 200);
      const again = await request(test.app, 'DELETE', `/api/user/sessions/${target}`, {
        headers: bearer(phone.access_token),
      });
      assert.equal(again.status, 404);
      assert.deepEqual(again.body, { errors: { session: ['not found'] } });
    });

    it("answers 404 for someone else's session and leaves it alone", async () => {
      const { phone } = await userWithThreeSessions();
      const stranger = await registerUser(test.app);
      const rows = await sessionRows(test.database);
      for (const id of [
        sessionIdOf(stranger.token),
        'no-such-session',
        '00000000-0000-4000-8000-000000000000',
      ]) {
        const response = await request(test.app, 'DELETE', `/api/user/sessions/${id}`, {
          headers: bearer(phone.access_token),
        });
        assert.equal(response.status, 404, id);
        assert.deepEqual(response.body, { errors: { session: ['not found'] } });
      }
      assert.deepEqual(await sessionRows(test.database), rows);
      const me = await request(test.app, 'GET', '/api/user', { token: stranger.token });
      assert.equal((me.body as UserBody).user.email, stranger.email);
    });

    it('needs a token to list or revoke sessions', async () => {
      assert.equal((await request(test.app, 'GET', '/api/user/sessions')).status, 401);
      assert.equal((await request(test.app, 'DELETE', '/api/user/sessions/anything')).status, 401);
    });
  });
}
