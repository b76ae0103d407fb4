import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { dialects } from '../support/databases.ts';
import { registerUser, request, startTestApp, type TestApp } from '../support/test-app.ts';
import type { UserBody as ConduitUserBody } from './conduit-shapes.ts';
import {
  bearer,
  createTokens,
  getMe,
  notAuthenticated,
  refreshTokens,
  type TokenPairBody,
} from './djoser-shapes.ts';

for (const dialect of dialects) {
  describe(`Conduit and djoser clients on one running app, on ${dialect}`, () => {
    let test: TestApp;
    before(async () => {
      test = await startTestApp(dialect);
    });
    after(() => test.close());

    it('a user registered through /api logs in through /auth, and each token works in the other dialect', async () => {
      const user = await registerUser(test.app);
      const pair = await createTokens(test.app, user);

      const conduitView = await request(test.app, 'GET', '/api/user', { headers: bearer(pair.access) });
      assert.equal(conduitView.status, 200, conduitView.text);
      const conduitUser = (conduitView.body as ConduitUserBody).user;
      assert.equal(conduitUser.email, user.email);
      assert.equal(conduitUser.token, pair.access);

      const djoserView = await request(test.app, 'GET', '/auth/users/me/', {
        headers: { authorization: `Token ${user.token}` },
      });
      assert.equal(djoserView.status, 200, djoserView.text);
      const me = djoserView.body as { id: string; email: string; username: string };
      assert.deepEqual(
        { email: me.email, username: me.username },
        { email: user.email, username: user.username },
      );
      assert.deepEqual((await getMe(test.app, pair.access)).body, me);
    });

    it('a change through one dialect shows in the other at once', async () => {
      const user = await registerUser(test.app);
      const pair = await createTokens(test.app, user);
      const renamed = `${user.username}-x`;
      const patched = await request(test.app, 'PATCH', '/auth/users/me/', {
        headers: bearer(pair.access),
        body: { username: renamed },
      });
      assert.equal(patched.status, 200, patched.text);
      const conduitView = await request(test.app, 'GET', '/api/user', { token: user.token });
      assert.equal((conduitView.body as ConduitUserBody).user.username, renamed);

      const changed = await request(test.app, 'POST', '/api/user/password', {
        token: user.token,
        body: { current_password: user.password, new_password: 'another-passphrase-31' },
      });
      assert.equal(changed.status, 204, changed.text);
      // the djoser session is another session: it ends with the password change
      assert.equal((await getMe(test.app, pair.access)).status, 401);
      // and jwt/create takes the new password (createTokens asserts the 200)
      await createTokens(test.app, { email: user.email, password: 'another-passphrase-31' });
    });

    it('a refresh token from /api/tokens rotates at /auth/jwt/refresh/, and the other way round', async () => {
      const user = await registerUser(test.app);
      const issued = await request(test.app, 'POST', '/api/tokens', {
        body: { email: user.email, password: user.password },
      });
      assert.equal(issued.status, 200, issued.text);
      const viaDjoser = await refreshTokens(
        test.app,
        (issued.body as { refresh_token: string }).refresh_token,
      );
      assert.equal(viaDjoser.status, 200, viaDjoser.text);
      const viaConduit = await request(test.app, 'POST', '/api/tokens/refresh', {
        body: { refresh_token: (viaDjoser.body as TokenPairBody).refresh },
      });
      assert.equal(viaConduit.status, 200, viaConduit.text);
    });

    it('answers the same failure in each dialect’s own envelope', async () => {
      const conduit = await request(test.app, 'GET', '/api/user');
      assert.equal(conduit.status, 401);
      assert.deepEqual(conduit.body, { errors: { token: ['is missing'] } });
      assert.match(String(conduit.headers['www-authenticate']), /^Token realm="gatehouse"/);
      const djoser = await request(test.app, 'GET', '/auth/users/me/');
      assert.equal(djoser.status, 401);
      assert.deepEqual(djoser.body, notAuthenticated);
      assert.equal(djoser.headers['www-authenticate'], 'Bearer realm="api"');

      const conduitBlank = await request(test.app, 'POST', '/api/users', { body: { user: { email: '' } } });
      assert.equal(conduitBlank.status, 422);
      assert.deepEqual((conduitBlank.body as { errors: Record<string, string[]> }).errors.email, [
        "can't be blank",
      ]);
      const djoserBlank = await request(test.app, 'POST', '/auth/users/', {
        body: { email: '', username: 'someone', password: 'a-long-passphrase-42' },
      });
      assert.equal(djoserBlank.status, 400);
      assert.deepEqual(djoserBlank.body, { email: ['This field may not be blank.'] });
    });
  });
}
