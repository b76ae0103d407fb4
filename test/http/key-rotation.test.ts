import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { longestTokenLifetime } from '../../src/config/config.ts';
import type { HttpServer } from '../../src/http/server.ts';
import {
  keyReloadInterval,
  keyRetention,
  rotateSigningKey,
  type AsymmetricAlgorithm,
} from '../../src/keys/key-lifecycle.ts';
import { createSigningKeyRepository } from '../../src/store/signing-key-repository.ts';
import { dialects } from '../support/databases.ts';
import { createFakeClock } from '../support/fake-clock.ts';
import { registerUser, request, startTestApp, type TestApp } from '../support/test-app.ts';
import { startAnotherInstance } from './another-instance.ts';
import { keyRingOf, liveClaims, partsOf, signToken } from './forged-tokens.ts';

for (const dialect of dialects) {
  describe(`signing key rotation under a running server on ${dialect}`, () => {
    const clock = createFakeClock();
    let test: TestApp;
    let retention: number;
    beforeEach(async () => {
      test = await startTestApp(dialect, {
        clock,
        env: { CONDUIT_TOKEN_TTL: '10m', ACCESS_TOKEN_TTL: '5m' },
      });
      retention = keyRetention(longestTokenLifetime(test.config));
    });
    afterEach(() => test.close());

    /** What `gatehouse keys rotate` does, against the same database. */
    function rotate(algorithm: AsymmetricAlgorithm = 'EdDSA') {
      const repository = createSigningKeyRepository(test.database);
      return rotateSigningKey({ repository, secretKey: test.secretKey, clock, newId: randomUUID }, algorithm);
    }
    async function statusOf(token: string, app: HttpServer = test.app): Promise<number> {
      return (await request(app, 'GET', '/api/user', { token })).status;
    }
    async function logIn(
      user: { email: string; password: string },
      app: HttpServer = test.app,
    ): Promise<string> {
      const response = await request(app, 'POST', '/api/users/login', { body: { user } });
      assert.equal(response.status, 200, response.text);
      return (response.body as { user: { token: string } }).user.token;
    }
    async function publishedKids(app: HttpServer = test.app): Promise<string[]> {
      const response = await request(app, 'GET', '/.well-known/jwks.json');
      return (response.body as { keys: Array<{ kid: string }> }).keys.map((key) => key.kid).sort();
    }
    const kidOf = (token: string) => partsOf(token).header.kid;

    it('keeps earlier tokens working, signs with the new key after the next reload, and drops the old key once its tokens have expired', async () => {
      const user = await registerUser(test.app);
      const oldKey = await keyRingOf(test).signer();
      assert.equal(kidOf(user.token), oldKey.kid);
      const subject = partsOf(user.token).claims;

      const rotatedAt = clock.now();
      const newKey = await rotate();
      assert.equal(await statusOf(user.token), 200);
      // until its next reload the server signs with the old key: why retention counts one reload interval
      assert.equal(kidOf(await logIn(user)), oldKey.kid);

      clock.advance(keyReloadInterval);
      const fresh = await logIn(user);
      assert.equal(kidOf(fresh), newKey.kid);
      assert.equal(await statusOf(fresh), 200);
      assert.equal(await statusOf(user.token), 200);
      assert.deepEqual(await publishedKids(), [oldKey.kid, newKey.kid].sort());

      clock.set(rotatedAt + retention - 1000);
      assert.equal(await statusOf(await signToken(oldKey, liveClaims(subject, clock.now()))), 200);
      assert.deepEqual(await publishedKids(), [oldKey.kid, newKey.kid].sort());

      clock.set(rotatedAt + retention);
      assert.equal(await statusOf(await signToken(oldKey, liveClaims(subject, clock.now()))), 401);
      assert.deepEqual(await publishedKids(), [newKey.kid]);
      assert.equal(await statusOf(user.token), 401);
      const latest = await logIn(user);
      assert.equal(kidOf(latest), newKey.kid);
      assert.equal(await statusOf(latest), 200);
    });

    it('rotates to another algorithm; both keys verify and are published meanwhile', async () => {
      const user = await registerUser(test.app);
      const newKey = await rotate('RS256');
      clock.advance(keyReloadInterval);
      const fresh = await logIn(user);
      assert.equal(partsOf(fresh).header.alg, 'RS256');
      assert.equal(kidOf(fresh), newKey.kid);
      assert.equal(await statusOf(fresh), 200);
      assert.equal(await statusOf(user.token), 200);
      assert.deepEqual(await publishedKids(), [kidOf(user.token), newKey.kid].sort());
    });

    it('reloads the keys when a token names a kid it has not loaded, at most once per 5 s', async () => {
      const user = await registerUser(test.app);
      const subject = partsOf(user.token).claims;
      const other = await startAnotherInstance(test);
      try {
        await rotate();
        const second = await keyRingOf(test).signer();
        // no time has passed: only the unknown kid can make the other instance look again
        assert.equal(await statusOf(await signToken(second, liveClaims(subject, clock.now())), other), 200);
        assert.equal(kidOf(await logIn(user, other)), second.kid);

        await rotate();
        const third = await keyRingOf(test).signer();
        const thirdToken = await signToken(third, liveClaims(subject, clock.now()));
        assert.equal(await statusOf(thirdToken, other), 401, 'reloaded again within 5 s');
        clock.advance(5000);
        assert.equal(await statusOf(thirdToken, other), 200);
      } finally {
        await other.close();
      }
    });

    it('keeps verifying with the loaded keys when a reload fails, logs it, and retries within 5 s', async () => {
      const user = await registerUser(test.app);
      const schema = test.database.db.schema;
      await schema.alterTable('signing_keys').renameTo('signing_keys_away').execute();
      try {
        clock.advance(keyReloadInterval);
        assert.equal(await statusOf(user.token), 200);
        assert.deepEqual(await publishedKids(), [kidOf(user.token)]);
        const warning = test.logs.find((line) => line.includes('reloading the signing keys failed'));
        assert.ok(warning !== undefined, 'no warning logged');
        assert.match(warning, /"level":40/);
      } finally {
        await schema.alterTable('signing_keys_away').renameTo('signing_keys').execute();
      }
      const newKey = await rotate();
      clock.advance(5000);
      assert.equal(kidOf(await logIn(user)), newKey.kid);
    });
  });
}
