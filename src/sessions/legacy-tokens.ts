import { createHash } from 'node:crypto';
import { errors as joseErrors, jwtVerify } from 'jose';
import type { AuditTrail } from '../audit/audit-trail.ts';
import { clockSkew, type Clock } from '../clock.ts';
import { GatehouseError } from '../errors.ts';
import type { Store } from '../store/store.ts';
import type { AccessClaims } from './access-tokens.ts';

/**
 * The HS256 tokens the replaced Django system issued: the Conduit tutorial's `{"id","exp"}`, drf-jwt's
 * `{"user_id","username","exp",…}` and simplejwt's `{"token_type":"access","user_id","jti","exp",…}`.
 */
export type LegacyTokenKind = 'conduit' | 'drf-jwt' | 'simplejwt';

export interface LegacyTokenDeps {
  /** LEGACY_DJANGO_SECRET_KEY */
  secretKey: string;
  /** LEGACY_TOKENS_UNTIL, epoch ms: from then on every one is refused before its signature is checked */
  until: number;
  store: Store;
  audit: AuditTrail;
  clock: Clock;
  /** how many verified tokens to remember */
  cacheSize: number;
}

export type LegacyTokens = ReturnType<typeof createLegacyTokens>;

const compactJws = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/**
 * Turns an old system's token into the Gatehouse session it stands for, so that everything after (the
 * session cache, liveness, revocation on every instance) is the one path every token takes. A legacy
 * token has no session of its own: its first use opens one, whose id is derived from the token, with
 * the token's expiry (LEGACY_TOKENS_UNTIL at the latest); that first use is audited (`legacy_token_used`).
 * Its session then ends as every session does (signing out, a new password, deactivation); a token not
 * seen yet is refused once its user is gone, inactive, or has had their legacy tokens revoked
 * (users.legacy_tokens_revoked_at, set whenever all or all other sessions end): those tokens carry no
 * reliable issue time (the tutorial's have no `iat`), so a revocation refuses every one of the user's.
 */
export function createLegacyTokens(deps: LegacyTokenDeps) {
  const key = new TextEncoder().encode(deps.secretKey);
  const verified = new Map<string, AccessClaims>();

  function remember(token: string, claims: AccessClaims): void {
    if (verified.size >= deps.cacheSize) {
      const oldest = verified.keys().next();
      if (oldest.done !== true) verified.delete(oldest.value);
    }
    verified.set(token, claims);
  }

  async function verify(token: string, now: number): Promise<AccessClaims> {
    if (!compactJws.test(token)) throw refused();
    let payload;
    try {
      ({ payload } = await jwtVerify(token, key, {
        algorithms: ['HS256'],
        requiredClaims: ['exp'],
        clockTolerance: clockSkew / 1000,
        currentDate: new Date(now),
      }));
    } catch (error) {
      if (error instanceof joseErrors.JOSEError) throw refused(error);
      throw error;
    }
    const kind: LegacyTokenKind =
      'token_type' in payload ? 'simplejwt' : 'user_id' in payload ? 'drf-jwt' : 'conduit';
    // simplejwt's refresh tokens are signed with the same key: only its access tokens are credentials
    if (kind === 'simplejwt' && payload.token_type !== 'access') throw refused();
    const djangoId = kind === 'conduit' ? payload.id : payload.user_id;
    if (!(typeof djangoId === 'string' || Number.isSafeInteger(djangoId))) throw refused();
    const user = await deps.store.users.findByLegacyId(String(djangoId));
    if (user === undefined) throw refused();
    const sessionId = sessionIdOf(token);
    const expiresAt = Math.min((payload.exp ?? 0) * 1000, deps.until);
    const session = await deps.store.sessions.findById(sessionId);
    if (session !== undefined) {
      // opened before: from now on it lives and ends as every session does (authenticate checks it)
      if (session.userId !== user.id) throw refused();
    } else {
      // a token first seen now: not for an inactive user, nor after their legacy tokens were revoked
      if (!user.isActive || user.legacyTokensRevokedAt !== null) throw refused();
      await openSession(sessionId, user.id, now, expiresAt, kind);
    }
    return { userId: user.id, sessionId, expiresAt };
  }

  async function openSession(
    id: string,
    userId: string,
    now: number,
    expiresAt: number,
    kind: LegacyTokenKind,
  ) {
    try {
      await deps.store.transaction(async (unit) => {
        await unit.sessions.insert({ id, userId, createdAt: now, expiresAt, userAgent: null, ip: null });
        await deps.audit.record(unit, {
          type: 'legacy_token_used',
          userId,
          sessionId: id,
          actor: { kind: 'self' },
          detail: { kind },
        });
      });
    } catch (error) {
      // the same token's first use on another request (or instance) opened it meanwhile: that will do
      if ((await deps.store.sessions.findById(id))?.userId !== userId) throw error;
    }
  }

  return {
    /**
     * The session a legacy token stands for (opened at its first use), or token_invalid. After
     * LEGACY_TOKENS_UNTIL nothing is checked at all.
     */
    async claimsOf(token: string): Promise<AccessClaims> {
      const now = deps.clock.now();
      if (now >= deps.until) throw refused();
      let claims = verified.get(token);
      if (claims === undefined || claims.expiresAt + clockSkew <= now) {
        verified.delete(token);
        claims = await verify(token, now);
        remember(token, claims);
      }
      return claims;
    },
  };
}

/** A UUID (version 8, RFC 9562) from the token's SHA-256: the same token always names the same session. */
function sessionIdOf(token: string): string {
  const bytes = createHash('sha256').update(token).digest().subarray(0, 16);
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x80;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function refused(cause?: unknown): GatehouseError {
  return new GatehouseError('token_invalid', 'token is invalid or expired', { cause });
}
