import assert from 'node:assert/strict';
import { KeyObject, createPublicKey, randomBytes, randomUUID, type webcrypto } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { SignJWT, UnsecuredJWT, exportJWK, generateKeyPair, type JWK, type JWTPayload } from 'jose';
import type { AsymmetricAlgorithm } from '../../src/keys/key-lifecycle.ts';
import type { SigningKey } from '../../src/keys/key-ring.ts';
import { dialects } from '../support/databases.ts';
import { createFakeClock } from '../support/fake-clock.ts';
import { registerUser, request, startTestApp, type TestApp } from '../support/test-app.ts';
import { invalidToken } from './conduit-shapes.ts';
import { encodePart, keyRingOf, liveClaims, partsOf, signToken } from './forged-tokens.ts';

const algorithms: readonly AsymmetricAlgorithm[] = ['EdDSA', 'ES256', 'RS256'];
// Another JWS algorithm our own key material could sign under; pinning the algorithm per key refuses it.
const sameKeyOtherAlgorithm: Record<AsymmetricAlgorithm, string | undefined> = {
  EdDSA: 'Ed25519',
  ES256: undefined,
  RS256: 'PS256',
};

/** A server an attacker points `jku`/`x5u` at; it serves the attacker's key and counts who came. */
async function startAttackerServer(
  attackerJwk: JWK,
): Promise<{ url: string; hits: () => number; close(): Promise<void> }> {
  let hits = 0;
  const server: Server = createServer((_request, response) => {
    hits += 1;
    response.setHeader('content-type', 'application/json');
    response.end(JSON.stringify({ keys: [attackerJwk] }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    hits: () => hits,
    close: () =>
      new Promise((resolve) => {
        server.close(() => {
          resolve();
        });
      }),
  };
}

for (const dialect of dialects) {
  for (const algorithm of algorithms) {
    describe(`forged and altered access tokens (${algorithm} keys) on ${dialect}`, () => {
      const clock = createFakeClock();
      let test: TestApp;
      let ours: SigningKey;
      let victim: Awaited<ReturnType<typeof registerUser>>;
      let subject: { iss: string; aud: string; sub: string; sid: string };
      let attacker: { privateKey: webcrypto.CryptoKey; publicJwk: JWK & { kid: string } };
      let attackerServer: Awaited<ReturnType<typeof startAttackerServer>>;
      before(async () => {
        test = await startTestApp(dialect, { clock, env: { JWT_ALGORITHM: algorithm } });
        ours = await keyRingOf(test).signer();
        victim = await registerUser(test.app);
        const { iss, aud, sub, sid } = partsOf(victim.token).claims;
        subject = { iss, aud, sub, sid };
        const pair = await generateKeyPair(algorithm, {
          extractable: true,
          ...(algorithm === 'EdDSA' ? { crv: 'Ed25519' } : {}),
        });
        const kid = randomUUID();
        attacker = {
          privateKey: pair.privateKey,
          publicJwk: { ...(await exportJWK(pair.publicKey)), kid, alg: algorithm, use: 'sig' },
        };
        attackerServer = await startAttackerServer(attacker.publicJwk);
      });
      after(async () => {
        await attackerServer.close();
        await test.close();
      });

      const live = (overrides: JWTPayload = {}): JWTPayload => ({
        ...liveClaims(subject, clock.now()),
        ...overrides,
      });
      const withoutClaim = (name: string): JWTPayload =>
        Object.fromEntries(Object.entries(live()).filter(([key]) => key !== name));
      const nowSeconds = () => Math.floor(clock.now() / 1000);

      async function getUser(token: string, scheme = 'Token') {
        return request(test.app, 'GET', '/api/user', { headers: { authorization: `${scheme} ${token}` } });
      }
      async function assertRefused(token: string, label: string, scheme = 'Token') {
        const response = await getUser(token, scheme);
        assert.equal(response.status, 401, `${label}: ${response.text}`);
        assert.deepEqual(response.body, invalidToken, label);
      }
      async function assertAccepted(token: string, label: string) {
        const response = await getUser(token);
        assert.equal(response.status, 200, `${label}: ${response.text}`);
        assert.equal((response.body as { user: { email: string } }).user.email, victim.email, label);
      }
      async function publishedKey(): Promise<JWK> {
        const response = await request(test.app, 'GET', '/.well-known/jwks.json');
        const { keys } = response.body as { keys: JWK[] };
        const key = keys.find((each) => each.kid === ours.kid);
        assert.ok(key !== undefined, response.text);
        return key;
      }

      it('accepts a token made with our own key and every claim right: the control for every refusal here', async () => {
        await assertAccepted(await signToken(ours, live()), 'our key, right claims');
        await assertAccepted(victim.token, 'the issued token');
      });

      it('refuses alg none in any casing, with an empty signature or the original one', async () => {
        const [, , signature] = victim.token.split('.');
        for (const alg of ['none', 'None', 'NONE', 'nOnE']) {
          for (const tail of ['', signature ?? '']) {
            const header = { alg, kid: ours.kid, typ: 'at+jwt' };
            await assertRefused(`${encodePart(header)}.${encodePart(live())}.${tail}`, `alg ${alg}`);
          }
        }
        await assertRefused(new UnsecuredJWT(live()).encode(), "jose's UnsecuredJWT");
      });

      it('refuses HS256 signed with our published public key as the secret, in every encoding', async () => {
        const published = await publishedKey();
        const publicKey = createPublicKey({ key: published, format: 'jwk' });
        const secrets: Record<string, Uint8Array> = {
          'the JWK as published': Buffer.from(JSON.stringify(published)),
          'the JWK without metadata': Buffer.from(JSON.stringify(publicKey.export({ format: 'jwk' }))),
          'the PEM': Buffer.from(publicKey.export({ type: 'spki', format: 'pem' })),
          'the DER': publicKey.export({ type: 'spki', format: 'der' }),
        };
        for (const member of ['x', 'n'] as const) {
          const value = published[member];
          if (value !== undefined) secrets[`the raw ${member}`] = Buffer.from(value, 'base64url');
        }
        for (const [label, secret] of Object.entries(secrets)) {
          await assertRefused(
            await signToken({ algorithm: 'HS256', kid: ours.kid, privateKey: secret }, live()),
            label,
          );
        }
      });

      const otherAlgorithm = sameKeyOtherAlgorithm[algorithm];
      if (otherAlgorithm !== undefined) {
        it(`refuses our own key used under ${otherAlgorithm}, an algorithm it was not made for`, async () => {
          const privateKey = KeyObject.from(ours.privateKey as webcrypto.CryptoKey);
          const token = await new SignJWT(live())
            .setProtectedHeader({ alg: otherAlgorithm, kid: ours.kid, typ: 'at+jwt' })
            .sign(privateKey);
          await assertRefused(token, otherAlgorithm);
        });
      }

      it('refuses a token signed by an attacker key that names our kid, or none, or its own', async () => {
        const forge = { algorithm, privateKey: attacker.privateKey };
        await assertRefused(await signToken({ ...forge, kid: ours.kid }, live()), 'our kid');
        await assertRefused(
          await signToken({ ...forge, kid: attacker.publicJwk.kid }, live()),
          'its own kid',
        );
        await assertRefused(await signToken(forge as SigningKey, live(), { kid: undefined }), 'no kid');
      });

      it('refuses a token whose jku or x5u points at an attacker URL, and never fetches it', async () => {
        const forge = { algorithm, privateKey: attacker.privateKey };
        for (const header of [
          { jku: `${attackerServer.url}/jwks.json` },
          { x5u: `${attackerServer.url}/chain.pem` },
        ]) {
          for (const kid of [ours.kid, attacker.publicJwk.kid]) {
            await assertRefused(await signToken({ ...forge, kid }, live(), header), JSON.stringify(header));
          }
        }
        assert.equal(attackerServer.hits(), 0, 'the verifier fetched an attacker URL');
      });

      it('refuses a token that carries its own key in a jwk header', async () => {
        const forge = { algorithm, privateKey: attacker.privateKey };
        const jwk = { ...attacker.publicJwk };
        await assertRefused(await signToken({ ...forge, kid: ours.kid }, live(), { jwk }), 'our kid');
        await assertRefused(await signToken({ ...forge, kid: jwk.kid }, live(), { jwk }), 'its kid');
        await assertRefused(await signToken(forge as SigningKey, live(), { jwk, kid: undefined }), 'no kid');
      });

      it('refuses our own key under a kid that is not its own', async () => {
        await assertRefused(await signToken(ours, live(), { kid: undefined }), 'no kid');
        await assertRefused(await signToken(ours, live(), { kid: randomUUID() }), 'unknown kid');
      });

      it('refuses a token missing exp, iat, sub, sid or jti', async () => {
        for (const claim of ['exp', 'iat', 'sub', 'sid', 'jti']) {
          await assertRefused(await signToken(ours, withoutClaim(claim)), `without ${claim}`);
        }
      });

      it('refuses a wrong or missing issuer', async () => {
        for (const iss of ['http://evil.test', `${subject.iss}/`, subject.iss.toUpperCase()]) {
          await assertRefused(await signToken(ours, live({ iss })), iss);
        }
        await assertRefused(await signToken(ours, withoutClaim('iss')), 'without iss');
      });

      it('refuses a wrong or missing audience', async () => {
        for (const aud of ['other-service', ['other-service'], `${subject.aud}x`]) {
          await assertRefused(await signToken(ours, live({ aud })), JSON.stringify(aud));
        }
        await assertRefused(await signToken(ours, withoutClaim('aud')), 'without aud');
      });

      it('refuses nbf more than 30 s ahead and accepts it less than 30 s ahead', async () => {
        await assertRefused(await signToken(ours, live({ nbf: nowSeconds() + 31 })), 'nbf +31 s');
        await assertAccepted(await signToken(ours, live({ nbf: nowSeconds() + 29 })), 'nbf +29 s');
      });

      it('refuses iat more than 30 s ahead and accepts it less than 30 s ahead', async () => {
        await assertRefused(await signToken(ours, live({ iat: nowSeconds() + 31 })), 'iat +31 s');
        await assertAccepted(await signToken(ours, live({ iat: nowSeconds() + 29 })), 'iat +29 s');
      });

      it('refuses a token expired more than 30 s ago and accepts one expired less than 30 s ago', async () => {
        const iat = nowSeconds() - 600;
        await assertRefused(await signToken(ours, live({ iat, exp: nowSeconds() - 31 })), 'exp -31 s');
        await assertAccepted(await signToken(ours, live({ iat, exp: nowSeconds() - 29 })), 'exp -29 s');
      });

      it('refuses a payload altered under the original signature', async () => {
        const [header, , signature] = victim.token.split('.');
        const { claims } = partsOf(victim.token);
        for (const altered of [
          { ...claims, exp: claims.exp + 86_400 },
          { ...claims, jti: randomUUID() },
          { ...claims, extra: true },
        ]) {
          await assertRefused(
            `${header ?? ''}.${encodePart(altered)}.${signature ?? ''}`,
            JSON.stringify(altered),
          );
        }
      });

      it("refuses a correctly signed token whose sub is not its session's user", async () => {
        const other = await registerUser(test.app);
        const otherClaims = partsOf(other.token).claims;
        await assertRefused(await signToken(ours, live({ sub: otherClaims.sub })), "another user's sub");
        await assertRefused(await signToken(ours, live({ sid: otherClaims.sid })), "another user's sid");
        await assertRefused(await signToken(ours, live({ sid: randomUUID() })), 'no such session');
      });

      it('refuses a token whose typ is not at+jwt', async () => {
        for (const typ of ['JWT', 'rt+jwt', 'application/jwt', 'at+jwt2', undefined]) {
          await assertRefused(await signToken(ours, live(), { typ }), `typ ${String(typ)}`);
        }
      });

      it('refuses an opaque random string presented as an access token, under either scheme', async () => {
        const opaque = randomBytes(32).toString('base64url');
        assert.equal(opaque.length, 43);
        for (const scheme of ['Token', 'Bearer']) {
          await assertRefused(opaque, scheme, scheme);
          await assertRefused(randomBytes(32).toString('hex'), `${scheme} hex`, scheme);
        }
      });
    });
  }
}
