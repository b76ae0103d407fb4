import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createUserRepository } from '../../src/store/user-repository.ts';
import { dialects } from '../support/databases.ts';
import { decodePart, encodePart } from './forged-tokens.ts';
import { createFakeClock } from '../support/fake-clock.ts';
import { registerUser, request, startTestApp, type TestApp } from '../support/test-app.ts';
import { invalidToken, missingToken, type UserBody } from './conduit-shapes.ts';
import { readUser } from './user-rows.ts';

const tokenTtl = 10 * 60_000;
const clockSkew = 30_000;

/** Swaps one character in the middle of a JWT part, so the change cannot hide in base64 padding bits. */
function tamper(token: string, part: 0 | 1 | 2): string {
  const parts = token.split('.');
  const text = parts[part] ?? '';
  const middle = Math.floor(text.length / 2);
  parts[part] = `${text.slice(0, middle)}${text[middle] === 'A' ? 'B' : 'A'}${text.slice(middle + 1)}`;
  return parts.join('.');
}

for (const dialect of dialects) {
  describe(`current user (GET /api/user) on ${dialect}`, () => {
    const clock = createFakeClock();
    let test: TestApp;
    before(async () => {
      test = await startTestApp(dialect, { clock, env: { CONDUIT_TOKEN_TTL: '10m' } });
    });
    after(() => test.close());

    const getUser = (headers: Record<string, string>, url = '/api/user') =>
      request(test.app, 'GET', url, { headers });

    it('answers 200 with the user and the very token presented, under the Token scheme', async () => {
      const user = await registerUser(test.app);
      const response = await getUser({ authorization: `Token ${user.token}` });
      assert.equal(response.status, 200);
      assert.deepEqual(response.body, {
        user: { email: user.email, username: user.username, bio: null, image: null, token: user.token },
      });
      assert.equal(response.headers['cache-control'], 'no-store');
    });

    it('accepts the Bearer scheme, and either scheme in any casing', async () => {
      const user = await registerUser(test.app);
      for (const scheme of ['Bearer', 'bearer', 'TOKEN', 'token']) {
        const response = await getUser({ authorization: `${scheme} ${user.token}` });
        assert.equal(response.status, 200, scheme);
        assert.equal((response.body as UserBody).user.username, user.username);
      }
    });

    it('answers 401 token is missing, with a WWW-Authenticate challenge, when no credentials are sent', async () => {
      for (const headers of [{}, { authorization: '' }, { authorization: '   ' }]) {
        const response = await getUser(headers);
        assert.equal(response.status, 401);
        assert.deepEqual(response.body, missingToken);
        assert.match(String(response.headers['www-authenticate']), /Token realm=/);
        assert.match(String(response.headers['www-authenticate']), /Bearer realm=/);
      }
    });

    it('never takes a token from the query string', async () => {
      const user = await registerUser(test.app);
      for (const query of [
        `token=${user.token}`,
        `access_token=${user.token}`,
        `authorization=Token%20${user.token}`,
      ]) {
        const response = await getUser({}, `/api/user?${query}`);
        assert.equal(response.status, 401, query);
        assert.deepEqual(response.body, missingToken);
        assert.ok(!response.text.includes(user.username));
      }
    });

    it('answers 401 token is invalid or expired, with a challenge, for unreadable credentials', async () => {
      const user = await registerUser(test.app);
      for (const authorization of [
        'Token garbage',
        'Token a.b.c',
        `Token ${user.token} trailing`,
        `Token ${user.token}${user.token}`,
        `Basic ${Buffer.from(`${user.email}:${user.password}`).toString('base64')}`,
        user.token,
        'Token',
      ]) {
        const response = await getUser({ authorization });
        assert.equal(response.status, 401, authorization);
        assert.deepEqual(response.body, invalidToken);
        assert.match(String(response.headers['www-authenticate']), /error="invalid_token"/);
      }
    });

    it('refuses a valid token written otherwise: whitespace or padding a lenient decoder would skip', async () => {
      const user = await registerUser(test.app);
      const [header = '', payload = '', signature = ''] = user.token.split('.');
      for (const token of [
        `${header}.${payload}.${signature.slice(0, 10)} ${signature.slice(10)}`,
        `${header}.${payload}.${signature.slice(0, 10)}\t${signature.slice(10)}`,
        `${header}.${payload}.${signature}=`,
        `${header}.${payload.slice(0, 5)} ${payload.slice(5)}.${signature}`,
      ]) {
        const response = await getUser({ authorization: `Token ${token}` });
        assert.equal(response.status, 401, JSON.stringify(token));
        assert.deepEqual(response.body, invalidToken);
      }
      assert.equal((await getUser({ authorization: `Token ${user.token}` })).status, 200);
    });

    it('refuses a token whose signature, payload or header was altered', async () => {
      const user = await registerUser(test.app);
      for (const part of [2, 1, 0] as const) {
        const response = await getUser({ authorization: `Token ${tamper(user.token, part)}` });
        assert.equal(response.status, 401, `part ${part}`);
        assert.deepEqual(response.body, invalidToken);
      }
    });

    it("refuses a token re-signed as another user's by swapping its subject", async () => {
      const victim = await registerUser(test.app);
      const attacker = await registerUser(test.app);
      const victimId = (await readUser(test.database, victim.email)).id;
      const [header, , signature] = attacker.token.split('.');
      const payload = { ...decodePart(attacker.token, 1), sub: victimId };
      const forged = `${header ?? ''}.${encodePart(payload)}.${signature ?? ''}`;
      const response = await getUser({ authorization: `Token ${forged}` });
      assert.equal(response.status, 401);
      assert.deepEqual(response.body, invalidToken);
    });

    it('refuses an unsigned token (alg none)', async () => {
      const user = await registerUser(test.app);
      const header = { ...decodePart(user.token, 0), alg: 'none' };
      const unsigned = `${encodePart(header)}.${user.token.split('.')[1] ?? ''}.`;
      const response = await getUser({ authorization: `Token ${unsigned}` });
      assert.equal(response.status, 401);
      assert.deepEqual(response.body, invalidToken);
    });

    it('carries no email or other personal data in the token', async () => {
      const user = await registerUser(test.app);
      const claims = decodePart(user.token, 1);
      assert.deepEqual(Object.keys(claims).sort(), [
        'aud',
        'exp',
        'iat',
        'iss',
        'jti',
        'sid',
        'sub',
        'token_type',
        'user_id',
      ]);
      assert.equal(claims.user_id, claims.sub);
      assert.ok(!JSON.stringify(claims).includes(user.email));
      assert.ok(!JSON.stringify(claims).includes(user.username));
      assert.equal(decodePart(user.token, 0).typ, 'at+jwt');
    });

    it('accepts a token until CONDUIT_TOKEN_TTL has passed and refuses it after', async () => {
      const user = await registerUser(test.app);
      const issuedAt = clock.now();
      clock.set(issuedAt + tokenTtl - 1000);
      assert.equal((await getUser({ authorization: `Token ${user.token}` })).status, 200);
      clock.set(issuedAt + tokenTtl + clockSkew + 1000);
      const response = await getUser({ authorization: `Token ${user.token}` });
      assert.equal(response.status, 401);
      assert.deepEqual(response.body, invalidToken);
      assert.match(String(response.headers['www-authenticate']), /error="invalid_token"/);
    });

    it('refuses the token of a user deactivated before it was first used', async () => {
      const user = await registerUser(test.app);
      const stored = await readUser(test.database, user.email);
      await createUserRepository(test.database).update(stored.id, {
        isActive: false,
        updatedAt: clock.now(),
      });
      const response = await getUser({ authorization: `Token ${user.token}` });
      assert.equal(response.status, 401);
      assert.deepEqual(response.body, invalidToken);
    });

    it('refuses the token of a user deactivated in the database once the session cache has expired', async () => {
      const user = await registerUser(test.app);
      assert.equal((await getUser({ authorization: `Token ${user.token}` })).status, 200);
      const stored = await readUser(test.database, user.email);
      await createUserRepository(test.database).update(stored.id, {
        isActive: false,
        updatedAt: clock.now(),
      });
      clock.advance(test.config.sessionCacheTtl);
      const response = await getUser({ authorization: `Token ${user.token}` });
      assert.equal(response.status, 401);
      assert.deepEqual(response.body, invalidToken);
    });
  });
}
