import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from 'jose';
import { longestTokenLifetime } from '../../src/config/config.ts';
import { keyRetention } from '../../src/keys/key-lifecycle.ts';
import { createSigningKeyRepository } from '../../src/store/signing-key-repository.ts';
import { dialects } from '../support/databases.ts';
import { createFakeClock } from '../support/fake-clock.ts';
import { registerUser, request, startTestApp, type TestApp } from '../support/test-app.ts';
import { startAnotherInstance } from './another-instance.ts';
import { keyRingOf, liveClaims, partsOf, signToken } from './forged-tokens.ts';
import type { HttpServer } from '../../src/http/server.ts';

// What each algorithm's public JWK holds; anything else (d, p, q, …) would be a leak.
const publicMembers = {
  EdDSA: { kty: 'OKP', crv: 'Ed25519', members: ['alg', 'crv', 'kid', 'kty', 'use', 'x'] },
  ES256: { kty: 'EC', crv: 'P-256', members: ['alg', 'crv', 'kid', 'kty', 'use', 'x', 'y'] },
  RS256: { kty: 'RSA', crv: undefined, members: ['alg', 'e', 'kid', 'kty', 'n', 'use'] },
} as const;

async function jwksOf(app: HttpServer) {
  const response = await request(app, 'GET', '/.well-known/jwks.json');
  assert.equal(response.status, 200, response.text);
  return { response, jwks: response.body as JSONWebKeySet };
}

async function statusOf(app: HttpServer, token: string): Promise<number> {
  return (await request(app, 'GET', '/api/user', { token })).status;
}

for (const dialect of dialects) {
  describe(`signing algorithms on ${dialect}`, () => {
    for (const algorithm of ['EdDSA', 'ES256', 'RS256'] as const) {
      it(`signs with ${algorithm} and publishes exactly its public key in JWKS`, async () => {
        // EdDSA is the default: no setting at all
        const test = await startTestApp(
          dialect,
          algorithm === 'EdDSA' ? {} : { env: { JWT_ALGORITHM: algorithm } },
        );
        try {
          const user = await registerUser(test.app);
          const { header } = partsOf(user.token);
          assert.equal(header.alg, algorithm);
          assert.equal(header.typ, 'at+jwt');
          assert.equal(await statusOf(test.app, user.token), 200);

          const { response, jwks } = await jwksOf(test.app);
          assert.equal(response.headers['cache-control'], 'public, max-age=300');
          assert.equal(jwks.keys.length, 1);
          const [key] = jwks.keys;
          const expected = publicMembers[algorithm];
          assert.deepEqual(Object.keys(key ?? {}).sort(), expected.members);
          assert.deepEqual(
            { kid: key?.kid, alg: key?.alg, use: key?.use, kty: key?.kty, crv: key?.crv },
            { kid: header.kid, alg: algorithm, use: 'sig', kty: expected.kty, crv: expected.crv },
          );
          if (algorithm === 'RS256') {
            assert.equal(Buffer.from(key?.n ?? '', 'base64url').length * 8, 2048);
            assert.equal(key?.e, 'AQAB');
          }
          // the published key alone verifies the token
          const { payload } = await jwtVerify(user.token, createLocalJWKSet(jwks), {
            algorithms: [algorithm],
            issuer: test.config.publicUrl,
            audience: test.config.tokenAudience,
          });
          assert.equal(payload.sid, partsOf(user.token).claims.sid);
        } finally {
          await test.close();
        }
      });
    }

    it('signs with HS256 under SECRET_KEY itself, stores no key and publishes an empty JWKS', async () => {
      const test = await startTestApp(dialect, { env: { JWT_ALGORITHM: 'HS256' } });
      try {
        const user = await registerUser(test.app);
        assert.equal(partsOf(user.token).header.alg, 'HS256');
        assert.equal(await statusOf(test.app, user.token), 200);
        // as the original system: a service holding SECRET_KEY verifies the token, and nothing else does
        const verified = await jwtVerify(user.token, new TextEncoder().encode(test.secretKey), {
          algorithms: ['HS256'],
        });
        assert.equal(typeof verified.payload.sub, 'string');
        await assert.rejects(jwtVerify(user.token, new TextEncoder().encode(`${test.secretKey}x`)));
        const { response, jwks } = await jwksOf(test.app);
        assert.deepEqual(jwks, { keys: [] });
        assert.equal(response.headers['cache-control'], 'public, max-age=300');
        const stored = await test.database.db.selectFrom('signing_keys').select('kid').execute();
        assert.deepEqual(stored, []);
      } finally {
        await test.close();
      }
    });
  });

  describe(`a start never changes the stored signer, on ${dialect}`, () => {
    const clock = createFakeClock();
    let test: TestApp;
    let retention: number;
    // a fresh database for each, whose first signing makes an EdDSA key the signer
    beforeEach(async () => {
      test = await startTestApp(dialect, {
        clock,
        env: { CONDUIT_TOKEN_TTL: '10m', ACCESS_TOKEN_TTL: '5m' },
      });
      retention = keyRetention(longestTokenLifetime(test.config));
    });
    afterEach(() => test.close());

    async function storedKeys() {
      return test.database.db
        .selectFrom('signing_keys')
        .select(['kid', 'algorithm', 'retired_at'])
        .orderBy('created_at')
        .execute();
    }

    it('keeps signing with the stored key when another instance starts with another JWT_ALGORITHM', async () => {
      const earlier = await registerUser(test.app);
      const stored = await storedKeys();
      const switched = await startAnotherInstance(test, { env: { JWT_ALGORITHM: 'ES256' } });
      try {
        const later = await registerUser(switched);
        assert.deepEqual(partsOf(later.token).header, partsOf(earlier.token).header);
        assert.equal(await statusOf(switched, earlier.token), 200);
        assert.equal(await statusOf(test.app, later.token), 200);
        assert.deepEqual(
          (await jwksOf(switched)).jwks.keys.map((key) => key.kid),
          [stored[0]?.kid],
        );
        assert.deepEqual(await storedKeys(), stored);
      } finally {
        await switched.close();
      }
    });

    it('signs HS256 under JWT_ALGORITHM=HS256 but retires nothing: stored keys verify until `keys retire`, then until their tokens have expired', async () => {
      const earlier = await registerUser(test.app);
      const oldKey = await keyRingOf(test).signer();
      const stored = await storedKeys();
      const symmetric = await startAnotherInstance(test, { env: { JWT_ALGORITHM: 'HS256' } });
      try {
        const later = await registerUser(symmetric);
        assert.equal(partsOf(later.token).header.alg, 'HS256');
        assert.equal(await statusOf(symmetric, later.token), 200);
        assert.equal(await statusOf(symmetric, earlier.token), 200);
        assert.deepEqual(
          (await jwksOf(symmetric)).jwks.keys.map((key) => key.kid),
          [oldKey.kid],
        );
        assert.deepEqual(await storedKeys(), stored);

        // still the table's signer: no deadline runs until someone retires it
        const subject = partsOf(earlier.token).claims;
        clock.advance(retention);
        assert.equal(
          await statusOf(symmetric, await signToken(oldKey, liveClaims(subject, clock.now()))),
          200,
        );

        // what `gatehouse keys retire` does
        const retiredAt = clock.now();
        assert.equal(await createSigningKeyRepository(test.database).retireAll(retiredAt), 1);
        clock.set(retiredAt + retention - 1000);
        assert.equal(
          await statusOf(symmetric, await signToken(oldKey, liveClaims(subject, clock.now()))),
          200,
        );
        clock.set(retiredAt + retention);
        assert.equal(
          await statusOf(symmetric, await signToken(oldKey, liveClaims(subject, clock.now()))),
          401,
        );
        assert.deepEqual((await jwksOf(symmetric)).jwks, { keys: [] });
      } finally {
        await symmetric.close();
      }
    });

    it('makes one first key between instances that sign at once on a fresh table', async () => {
      const others = await Promise.all([1, 2, 3].map(() => startAnotherInstance(test)));
      try {
        const users = await Promise.all([test.app, ...others].map((app) => registerUser(app)));
        const kids = new Set(users.map((user) => partsOf(user.token).header.kid));
        const stored = await storedKeys();
        assert.equal(stored.length, 1);
        assert.deepEqual([...kids], [stored[0]?.kid]);
        assert.deepEqual(
          stored.map((key) => [key.algorithm, key.retired_at]),
          [['EdDSA', null]],
        );
      } finally {
        await Promise.all(others.map((other) => other.close()));
      }
    });
  });
}
