import { randomUUID } from 'node:crypto';
import { SignJWT, type JWTHeaderParameters, type JWTPayload } from 'jose';
import type { Clock } from '../../src/clock.ts';
import { longestTokenLifetime } from '../../src/config/config.ts';
import { createKeyRing, type KeyRing, type SigningKey } from '../../src/keys/key-ring.ts';
import { createSigningKeyRepository } from '../../src/store/signing-key-repository.ts';
import type { TestApp } from '../support/test-app.ts';

/**
 * The keys of a test app's database loaded in the test's own process, as another instance with the same
 * configuration would load them: the way to our private keys for tokens no endpoint would issue.
 */
export function keyRingOf(test: TestApp, clock: Clock = test.clock): KeyRing {
  return createKeyRing({
    repository: createSigningKeyRepository(test.database),
    secretKey: test.secretKey,
    algorithm: test.config.jwtAlgorithm,
    clock,
    newId: randomUUID,
    maxTokenLifetime: longestTokenLifetime(test.config),
    onReloadFailure: (error) => {
      throw error;
    },
    onAlgorithmOverridden: () => {},
  });
}

export function encodePart(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

export function decodePart(token: string, part: 0 | 1): Record<string, unknown> {
  const text = Buffer.from(token.split('.')[part] ?? '', 'base64url').toString('utf8');
  return JSON.parse(text) as Record<string, unknown>;
}

/** The header and claims of a token we issued: what a forgery starts from. */
export function partsOf(token: string) {
  const header = decodePart(token, 0) as { alg: string; kid: string; typ: string };
  const claims = decodePart(token, 1) as {
    iss: string;
    aud: string;
    sub: string;
    sid: string;
    iat: number;
    exp: number;
    jti: string;
  };
  return { header, claims };
}

/**
 * A token signed with `key` carrying exactly `claims`; header fields given as undefined are left out, so a
 * forgery can drop `kid` or `typ`.
 */
export function signToken(
  key: Pick<SigningKey, 'algorithm' | 'kid' | 'privateKey'>,
  claims: JWTPayload,
  header: Record<string, unknown> = {},
): Promise<string> {
  const fields: Record<string, unknown> = { alg: key.algorithm, kid: key.kid, typ: 'at+jwt', ...header };
  const protectedHeader = Object.fromEntries(
    Object.entries(fields).filter(([, value]) => value !== undefined),
  ) as JWTHeaderParameters;
  return new SignJWT(claims).setProtectedHeader(protectedHeader).sign(key.privateKey);
}

/** Claims like the ones we issue for `subject`, live at `now` (epoch ms) for `ttl` ms. */
export function liveClaims(
  subject: { iss: string; aud: string; sub: string; sid: string },
  now: number,
  ttl = 5 * 60_000,
): JWTPayload {
  const issuedAt = Math.floor(now / 1000);
  return { ...subject, iat: issuedAt, exp: issuedAt + ttl / 1000, jti: randomUUID() };
}
