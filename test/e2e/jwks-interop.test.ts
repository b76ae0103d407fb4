import assert from 'node:assert/strict';
import { createPublicKey, type JsonWebKey } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
// fast-jwt, not jose: a verifier that shares no code with ours proves the tokens and JWKS are standard.
import { TokenError, createVerifier } from 'fast-jwt';
import { dialects } from '../support/databases.ts';
import { requestJson } from '../support/server-process.ts';
import { newUser, startTestApp, type TestApp } from '../support/test-app.ts';
import { readUser } from '../http/user-rows.ts';

interface PublishedKey extends JsonWebKey {
  kid: string;
}

/** Swaps one character in the middle of the signature, so the change cannot hide in padding bits. */
function alterSignature(token: string): string {
  const [header, payload, signature = ''] = token.split('.');
  const middle = Math.floor(signature.length / 2);
  const swapped = signature[middle] === 'A' ? 'B' : 'A';
  return `${header ?? ''}.${payload ?? ''}.${signature.slice(0, middle)}${swapped}${signature.slice(middle + 1)}`;
}

for (const dialect of dialects) {
  for (const algorithm of ['EdDSA', 'ES256', 'RS256'] as const) {
    describe(`${algorithm} tokens verified by another JWT library from the JWKS alone, on ${dialect}`, () => {
      let test: TestApp;
      let url: string;
      before(async () => {
        test = await startTestApp(dialect, { env: { JWT_ALGORITHM: algorithm } });
        url = await test.app.listen({ host: '127.0.0.1', port: 0 });
      });
      after(() => test.close());

      it('verifies a token with fast-jwt and the public key fetched over HTTP, and refuses it altered', async () => {
        const user = newUser('interop');
        const registered = await requestJson(url, 'POST', '/api/users', { body: { user } });
        assert.equal(registered.status, 201, registered.text);
        const { token } = (registered.body as { user: { token: string } }).user;

        const published = await requestJson(url, 'GET', '/.well-known/jwks.json');
        assert.equal(published.status, 200, published.text);
        const { keys } = published.body as { keys: PublishedKey[] };
        const verify = createVerifier({
          // the key named by the token's kid, converted from JWK to PEM by node:crypto alone
          key: ({ header }: { header: { kid?: string } }) => {
            const jwk = keys.find((key) => key.kid === header.kid);
            if (jwk === undefined) return Promise.reject(new Error(`no published key ${String(header.kid)}`));
            const pem = createPublicKey({ key: jwk, format: 'jwk' }).export({ type: 'spki', format: 'pem' });
            return Promise.resolve(pem);
          },
          algorithms: [algorithm],
          allowedIss: test.config.publicUrl,
          allowedAud: test.config.tokenAudience,
          requiredClaims: ['exp', 'iat', 'sub', 'sid', 'jti'],
          checkTyp: 'at+jwt',
          clockTolerance: 30_000,
        });

        const claims = (await verify(token)) as Record<string, unknown>;
        assert.equal(claims.sub, (await readUser(test.database, user.email)).id);
        assert.equal(typeof claims.sid, 'string');

        await assert.rejects(verify(alterSignature(token)), (error: unknown) => {
          assert.ok(error instanceof TokenError);
          assert.equal(error.code, TokenError.codes.invalidSignature);
          return true;
        });
      });
    });
  }
}
