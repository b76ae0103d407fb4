import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet, type JWTPayload } from 'jose';
import { dialects } from '../support/databases.ts';
import { bearer, registerUser, request, startTestApp, type TestApp } from '../support/test-app.ts';
import { obtainPair, refresh, statusWith, type PairBody } from './session-shapes.ts';
import { registerStaff, userIdOf } from './staff-shapes.ts';

for (const dialect of dialects) {
  describe(`roles in tokens and in /auth/users/me/ on ${dialect}`, () => {
    let test: TestApp;
    let staff: Awaited<ReturnType<typeof registerStaff>>;
    before(async () => {
      test = await startTestApp(dialect);
      staff = await registerStaff(test);
    });
    after(() => test.close());

    /** A token's claims as a relying party reads them: verified against the published JWKS. */
    async function claimsOf(token: string): Promise<JWTPayload> {
      const jwks = await request(test.app, 'GET', '/.well-known/jwks.json');
      const { payload } = await jwtVerify(token, createLocalJWKSet(jwks.body as JSONWebKeySet), {
        issuer: test.config.publicUrl,
        audience: test.config.tokenAudience,
      });
      return payload;
    }
    const setRoles = async (userId: string, roles: string[]) => {
      const response = await request(test.app, 'PUT', `/api/admin/users/${userId}/roles`, {
        headers: bearer(staff.token),
        body: { roles },
      });
      assert.equal(response.status, 200, response.text);
    };
    const meOf = async (access: string) => {
      const response = await request(test.app, 'GET', '/auth/users/me/', { headers: bearer(access) });
      assert.equal(response.status, 200, response.text);
      return response.body as { roles: string[] };
    };

    it('carries no roles claim for an account without roles', async () => {
      const user = await registerUser(test.app);
      assert.equal('roles' in (await claimsOf(user.token)), false);
      const pair = await obtainPair(test.app, user.email, user.password);
      assert.equal('roles' in (await claimsOf(pair.access_token)), false);
      assert.deepEqual((await meOf(pair.access_token)).roles, []);
    });

    it('carries the roles in every token issued after they are set; tokens already out keep theirs', async () => {
      const user = await registerUser(test.app);
      const id = await userIdOf(test.database, user.email);
      const before = await obtainPair(test.app, user.email, user.password);
      await setRoles(id, ['Organizer', 'attendee']);

      // issued before: still good at Gatehouse, still without roles for a relying party
      assert.equal(await statusWith(test.app, before.access_token), 200);
      assert.equal('roles' in (await claimsOf(before.access_token)), false);
      assert.equal('roles' in (await claimsOf(user.token)), false);

      // the next refresh carries them, as does every sign-in at every door
      const refreshed = await refresh(test.app, before.refresh_token);
      assert.equal(refreshed.status, 200, refreshed.text);
      assert.deepEqual((await claimsOf((refreshed.body as PairBody).access_token)).roles, [
        'attendee',
        'organizer',
      ]);
      const pair = await obtainPair(test.app, user.email, user.password);
      assert.deepEqual((await claimsOf(pair.access_token)).roles, ['attendee', 'organizer']);
      const djoser = await request(test.app, 'POST', '/auth/jwt/create/', {
        body: { email: user.email, password: user.password },
      });
      assert.deepEqual((await claimsOf((djoser.body as { access: string }).access)).roles, [
        'attendee',
        'organizer',
      ]);
      const conduit = await request(test.app, 'POST', '/api/users/login', {
        body: { user: { email: user.email, password: user.password } },
      });
      const conduitToken = (conduit.body as { user: { token: string } }).user.token;
      assert.deepEqual((await claimsOf(conduitToken)).roles, ['attendee', 'organizer']);

      // and the account's own view lists them, through a token issued before or after
      assert.deepEqual((await meOf(before.access_token)).roles, ['attendee', 'organizer']);
      assert.deepEqual((await meOf(pair.access_token)).roles, ['attendee', 'organizer']);
    });

    it('drops the claim at the next refresh once the roles are removed', async () => {
      const user = await registerUser(test.app);
      const id = await userIdOf(test.database, user.email);
      await setRoles(id, ['organizer']);
      const pair = await obtainPair(test.app, user.email, user.password);
      assert.deepEqual((await claimsOf(pair.access_token)).roles, ['organizer']);
      await setRoles(id, []);
      const refreshed = await refresh(test.app, pair.refresh_token);
      assert.equal(refreshed.status, 200, refreshed.text);
      assert.equal('roles' in (await claimsOf((refreshed.body as PairBody).access_token)), false);
      assert.deepEqual((await meOf(pair.access_token)).roles, []);
    });
  });
}
