import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createUserRepository } from '../../src/store/user-repository.ts';
import { dialects } from '../support/databases.ts';
import { createFakeClock } from '../support/fake-clock.ts';
import { request, startTestApp, type TestApp } from '../support/test-app.ts';
import {
  assertUnauthorized,
  bearer,
  createTokens,
  getMe,
  givenTokenNotValid,
  noActiveAccount,
  refreshTokens,
  registerDjoserUser,
  tokenNotValid,
  type TokenPairBody,
} from './djoser-shapes.ts';
import { readUser } from './user-rows.ts';

const accessTokenTtl = 15 * 60_000;
const reuseGrace = 10_000;

function claimsOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<
    string,
    unknown
  >;
}

for (const dialect of dialects) {
  describe(`simplejwt views (/auth/jwt/) on ${dialect}`, () => {
    const clock = createFakeClock();
    let test: TestApp;
    before(async () => {
      test = await startTestApp(dialect, {
        clock,
        env: { ACCESS_TOKEN_TTL: '15m', REFRESH_REUSE_GRACE: '10s' },
      });
    });
    after(() => test.close());

    const create = (body: unknown) => request(test.app, 'POST', '/auth/jwt/create/', { body });
    const verify = (body: unknown) => request(test.app, 'POST', '/auth/jwt/verify/', { body });

    it('jwt/create answers 200 {refresh, access}; the access token lives ACCESS_TOKEN_TTL', async () => {
      const user = await registerDjoserUser(test.app);
      const response = await create({ email: user.email.toUpperCase(), password: user.password });
      assert.equal(response.status, 200, response.text);
      assert.equal(response.headers['cache-control'], 'no-store');
      const pair = response.body as TokenPairBody;
      assert.deepEqual(Object.keys(pair).sort(), ['access', 'refresh']);
      assert.match(pair.refresh, /^[\w-]{43}$/);
      const claims = claimsOf(pair.access);
      assert.equal(claims.sub, user.id);
      // simplejwt's claims, which djoser frontends decode
      assert.equal(claims.token_type, 'access');
      assert.equal(claims.user_id, user.id);
      assert.equal(Number(claims.exp) - Number(claims.iat), accessTokenTtl / 1000);
      assert.equal((await getMe(test.app, pair.access)).status, 200);
    });

    it('jwt/create opens a new session each time; earlier ones stay live', async () => {
      const user = await registerDjoserUser(test.app);
      const first = await createTokens(test.app, user);
      const second = await createTokens(test.app, user);
      assert.notEqual(first.refresh, second.refresh);
      assert.notEqual(claimsOf(first.access).sid, claimsOf(second.access).sid);
      assert.equal((await getMe(test.app, first.access)).status, 200);
      assert.equal((await refreshTokens(test.app, first.refresh)).status, 200);
    });

    it('jwt/create answers the same 401 bytes for an unknown email, a wrong password and an inactive account', async () => {
      const user = await registerDjoserUser(test.app);
      const inactive = await registerDjoserUser(test.app);
      const deactivated = await createUserRepository(test.database).update(inactive.id, {
        isActive: false,
        updatedAt: clock.now(),
      });
      assert.ok(deactivated.ok);
      const lastLogin = (await readUser(test.database, user.email)).lastLoginAt;

      const unknown = await create({ email: `nobody-${user.email}`, password: user.password });
      const wrong = await create({ email: user.email, password: `${user.password}x` });
      const disabled = await create({ email: inactive.email, password: inactive.password });
      for (const response of [unknown, wrong, disabled]) {
        assertUnauthorized(response, noActiveAccount);
        assert.equal(response.text, unknown.text);
      }
      assert.equal(
        unknown.text,
        '{"detail":"No active account found with the given credentials","code":"no_active_account"}',
      );
      assert.equal((await readUser(test.database, user.email)).lastLoginAt, lastLogin);
    });

    it('jwt/create answers 400 for missing, blank and non-string fields', async () => {
      const user = await registerDjoserUser(test.app);
      const cases: Array<[unknown, Record<string, string[]>]> = [
        [{}, { email: ['This field is required.'], password: ['This field is required.'] }],
        [{ email: user.email }, { password: ['This field is required.'] }],
        [{ password: user.password }, { email: ['This field is required.'] }],
        [
          { email: ' ', password: '' },
          { email: ['This field may not be blank.'], password: ['This field may not be blank.'] },
        ],
        [{ email: user.email, password: 12345678 }, { password: ['Not a valid string.'] }],
        [{ username: 'a'.repeat(65) }, { password: ['This field is required.'] }],
      ];
      for (const [body, errors] of cases) {
        const response = await create(body);
        assert.equal(response.status, 400, response.text);
        assert.deepEqual(response.body, errors);
      }
    });

    it('jwt/refresh rotates: a new pair, the old refresh token spent', async () => {
      const user = await registerDjoserUser(test.app);
      const first = await createTokens(test.app, user);
      clock.advance(1000);
      const response = await refreshTokens(test.app, first.refresh);
      assert.equal(response.status, 200, response.text);
      assert.equal(response.headers['cache-control'], 'no-store');
      const second = response.body as TokenPairBody;
      assert.deepEqual(Object.keys(second).sort(), ['access', 'refresh']);
      assert.notEqual(second.refresh, first.refresh);
      assert.notEqual(second.access, first.access);
      assert.equal(claimsOf(second.access).sid, claimsOf(first.access).sid);
      assert.equal((await getMe(test.app, second.access)).status, 200);
      assert.equal((await refreshTokens(test.app, second.refresh)).status, 200);
    });

    it('jwt/refresh hands the same successor to a parent presented again within the grace period', async () => {
      const user = await registerDjoserUser(test.app);
      const first = await createTokens(test.app, user);
      const rotated = (await refreshTokens(test.app, first.refresh)).body as TokenPairBody;
      clock.advance(reuseGrace - 1000);
      const again = await refreshTokens(test.app, first.refresh);
      assert.equal(again.status, 200, again.text);
      assert.equal((again.body as TokenPairBody).refresh, rotated.refresh);
      assert.equal((await getMe(test.app, rotated.access)).status, 200);
    });

    it('jwt/refresh revokes the whole session when a rotated token comes back after the grace period', async () => {
      const user = await registerDjoserUser(test.app);
      const first = await createTokens(test.app, user);
      const elsewhere = await createTokens(test.app, user);
      const rotated = (await refreshTokens(test.app, first.refresh)).body as TokenPairBody;
      clock.advance(reuseGrace + 1000);

      assertUnauthorized(await refreshTokens(test.app, first.refresh), tokenNotValid);
      // the thief and the owner are both out of this session, whichever of them held what
      assertUnauthorized(await refreshTokens(test.app, rotated.refresh), tokenNotValid);
      assertUnauthorized(await getMe(test.app, rotated.access), givenTokenNotValid);
      assertUnauthorized(await verify({ token: rotated.refresh }), tokenNotValid);
      // another session of the same user is not touched
      assert.equal((await getMe(test.app, elsewhere.access)).status, 200);
    });

    it('jwt/refresh answers 401 token_not_valid for an unknown token or an access token', async () => {
      const user = await registerDjoserUser(test.app);
      const pair = await createTokens(test.app, user);
      // one character changed (a token ending in A already would be itself: 1 run in 64 failed before)
      const altered = `${pair.refresh.slice(0, -1)}${pair.refresh.endsWith('A') ? 'B' : 'A'}`;
      for (const refresh of ['x'.repeat(43), altered, pair.access, 'short']) {
        assertUnauthorized(await refreshTokens(test.app, refresh), tokenNotValid);
      }
      // none of that touched the real session
      assert.equal((await refreshTokens(test.app, pair.refresh)).status, 200);
    });

    it('jwt/refresh answers 400 for a missing, blank or non-string refresh field', async () => {
      const cases: Array<[unknown, Record<string, string[]>]> = [
        [{}, { refresh: ['This field is required.'] }],
        [{ refresh: '' }, { refresh: ['This field may not be blank.'] }],
        [{ refresh: null }, { refresh: ['This field may not be null.'] }],
        [{ refresh: 7 }, { refresh: ['Not a valid string.'] }],
        [{ refresh_token: 'x'.repeat(43) }, { refresh: ['This field is required.'] }],
      ];
      for (const [body, errors] of cases) {
        const response = await request(test.app, 'POST', '/auth/jwt/refresh/', { body });
        assert.equal(response.status, 400, response.text);
        assert.deepEqual(response.body, errors);
      }
    });

    it('jwt/verify answers 200 {} for a live access token and a live refresh token, and spends neither', async () => {
      const user = await registerDjoserUser(test.app);
      const pair = await createTokens(test.app, user);
      for (const token of [pair.access, pair.refresh, pair.access, pair.refresh]) {
        const response = await verify({ token });
        assert.equal(response.status, 200, response.text);
        assert.deepEqual(response.body, {});
      }
      // the refresh token verified twice is still the live one
      assert.equal((await refreshTokens(test.app, pair.refresh)).status, 200);
    });

    it('jwt/verify answers 401 for a rotated refresh token, without taking it as reuse', async () => {
      const user = await registerDjoserUser(test.app);
      const pair = await createTokens(test.app, user);
      const rotated = (await refreshTokens(test.app, pair.refresh)).body as TokenPairBody;
      clock.advance(reuseGrace + 1000);
      assertUnauthorized(await verify({ token: pair.refresh }), tokenNotValid);
      assert.equal((await refreshTokens(test.app, rotated.refresh)).status, 200);
    });

    it('jwt/verify answers 401 for an expired access token while its refresh token still works', async () => {
      const user = await registerDjoserUser(test.app);
      const pair = await createTokens(test.app, user);
      clock.advance(accessTokenTtl + 60_000);
      assertUnauthorized(await verify({ token: pair.access }), tokenNotValid);
      assertUnauthorized(await getMe(test.app, pair.access), givenTokenNotValid);
      const renewed = await refreshTokens(test.app, pair.refresh);
      assert.equal(renewed.status, 200, renewed.text);
      assert.equal((await getMe(test.app, (renewed.body as TokenPairBody).access)).status, 200);
    });

    it('jwt/verify answers 401 for the access and refresh tokens of a logged-out session', async () => {
      const user = await registerDjoserUser(test.app);
      const pair = await createTokens(test.app, user);
      const logout = await request(test.app, 'POST', '/api/users/logout', {
        headers: bearer(pair.access),
        body: {},
      });
      assert.equal(logout.status, 204, logout.text);
      assertUnauthorized(await verify({ token: pair.access }), tokenNotValid);
      assertUnauthorized(await verify({ token: pair.refresh }), tokenNotValid);
    });

    it('jwt/verify answers 401 for garbage and a tampered token, 400 for a missing or blank one', async () => {
      const user = await registerDjoserUser(test.app);
      const pair = await createTokens(test.app, user);
      const [header, payload] = pair.access.split('.');
      for (const token of ['garbage', 'a.b.c', `${header ?? ''}.${payload ?? ''}.`, `${pair.access}x`]) {
        assertUnauthorized(await verify({ token }), tokenNotValid);
      }
      const missing = await verify({});
      assert.equal(missing.status, 400);
      assert.deepEqual(missing.body, { token: ['This field is required.'] });
      const blank = await verify({ token: '' });
      assert.equal(blank.status, 400);
      assert.deepEqual(blank.body, { token: ['This field may not be blank.'] });
    });
  });
}
