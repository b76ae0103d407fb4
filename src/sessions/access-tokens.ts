import { randomUUID } from 'node:crypto';
import { SignJWT, jwtVerify, type JWTHeaderParameters } from 'jose';
import { clockSkew, type Clock } from '../clock.ts';
import { GatehouseError } from '../errors.ts';
import type { CacheMetrics } from '../metrics/metrics.ts';
import type { KeyRing, VerificationKey } from '../keys/key-ring.ts';

/** What a verified access token says. */
export interface AccessClaims {
  userId: string;
  sessionId: string;
  /** epoch ms */
  expiresAt: number;
}

export interface AccessTokens {
  /** `roles`, when there are any, travel as the `roles` claim: what relying parties authorize by. */
  sign(
    subject: { userId: string; sessionId: string; roles: readonly string[] },
    ttl: number,
  ): Promise<{ token: string; expiresAt: number }>;
  /** Throws token_invalid for anything but a well-formed, current token of ours. */
  verify(token: string): Promise<AccessClaims>;
  /** Has the signing key loaded (made, if there is none yet), so that `sign` then reads nothing. */
  ready(): Promise<void>;
}

export interface AccessTokenDeps {
  keys: KeyRing;
  issuer: string;
  audience: string;
  clock: Clock;
  /** the longest lifetime any token is issued with; an older `iat` is refused */
  maxLifetime: number;
  /** how many verified tokens to remember */
  cacheSize: number;
  /** told whether each verification was answered from the cache */
  cacheMetrics: CacheMetrics;
}

const tokenType = 'at+jwt';
const clockSkewSeconds = clockSkew / 1000;
const requiredClaims = ['exp', 'iat', 'sub', 'sid', 'jti'];
const compactJws = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/**
 * Signs and verifies access tokens. A verified token is remembered by its exact string until it expires:
 * verifying a signature on every request would cost more than the rest of the request together.
 */
export function createAccessTokens(deps: AccessTokenDeps): AccessTokens {
  const verified = new Map<string, AccessClaims>();
  const verifying = new Map<string, Promise<AccessClaims>>();

  function remember(token: string, claims: AccessClaims): void {
    if (verified.size >= deps.cacheSize) {
      // Maps iterate in insertion order: drop the oldest entry
      const oldest = verified.keys().next();
      if (oldest.done !== true) verified.delete(oldest.value);
    }
    verified.set(token, claims);
  }

  async function verifySignature(token: string, now: number): Promise<AccessClaims> {
    // Only the compact form, to the letter: jose decodes base64url leniently (whitespace is skipped), so
    // one stolen token could otherwise be sent as endless distinct strings that all verify, each costing
    // a signature check and a slot in the cache.
    if (!compactJws.test(token)) throw invalidToken();
    // the key ring could not be read (the database): no fault of the token's, and no 401
    let unreadableKeys: { error: unknown } | undefined;
    const keyFor = async (header: JWTHeaderParameters) => {
      let key: VerificationKey | undefined;
      try {
        key = header.kid === undefined ? undefined : await deps.keys.find(header.kid);
      } catch (error) {
        unreadableKeys = { error };
        throw error;
      }
      // each key verifies only the algorithm it was made for; jku, x5u and jwk headers are never consulted
      if (key === undefined || key.algorithm !== header.alg) throw new Error('no matching key');
      return key.key;
    };
    try {
      const { payload } = await jwtVerify(token, keyFor, {
        issuer: deps.issuer,
        audience: deps.audience,
        typ: tokenType,
        requiredClaims,
        clockTolerance: clockSkewSeconds,
        // also makes jose refuse an `iat` in the future beyond the skew
        maxTokenAge: Math.ceil(deps.maxLifetime / 1000) + clockSkewSeconds,
        currentDate: new Date(now),
      });
      const { sub, sid, exp } = payload;
      if (typeof sub !== 'string' || typeof sid !== 'string' || typeof exp !== 'number') throw invalidToken();
      const claims: AccessClaims = { userId: sub, sessionId: sid, expiresAt: exp * 1000 };
      remember(token, claims);
      return claims;
    } catch (error) {
      if (unreadableKeys !== undefined) throw unreadableKeys.error;
      throw error instanceof GatehouseError ? error : invalidToken(error);
    }
  }

  return {
    async ready() {
      await deps.keys.signer();
    },

    async sign({ userId, sessionId, roles }, ttl) {
      const key = await deps.keys.signer();
      const issuedAt = Math.floor(deps.clock.now() / 1000);
      const expiresAt = issuedAt + Math.floor(ttl / 1000);
      // no roles, no claim (contract section 5): a token says nothing it need not
      const claims = roles.length > 0 ? { sid: sessionId, roles: [...roles] } : { sid: sessionId };
      const token = await new SignJWT(claims)
        .setProtectedHeader({ alg: key.algorithm, kid: key.kid, typ: tokenType })
        .setIssuer(deps.issuer)
        .setAudience(deps.audience)
        .setSubject(userId)
        .setIssuedAt(issuedAt)
        .setExpirationTime(expiresAt)
        .setJti(randomUUID())
        .sign(key.privateKey);
      return { token, expiresAt: expiresAt * 1000 };
    },

    verify(token) {
      const now = deps.clock.now();
      const known = verified.get(token);
      if (known !== undefined) {
        deps.cacheMetrics.hit();
        if (known.expiresAt + clockSkew > now) return Promise.resolve(known);
        verified.delete(token);
        return Promise.reject(invalidToken());
      }
      // a token many requests bring at once (a client's first burst, every client after a restart) is
      // verified once: the others wait for that verification instead of repeating it
      const inFlight = verifying.get(token);
      if (inFlight !== undefined) {
        deps.cacheMetrics.hit();
        return inFlight;
      }
      deps.cacheMetrics.miss();
      const verification = verifySignature(token, now).finally(() => verifying.delete(token));
      verifying.set(token, verification);
      return verification;
    },
  };
}

function invalidToken(cause?: unknown): GatehouseError {
  return new GatehouseError('token_invalid', 'token is invalid or expired', { cause });
}
