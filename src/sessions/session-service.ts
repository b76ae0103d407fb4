import type { Grant, Grants, SessionPort, TokenPair } from '../accounts/ports.ts';
import type { AuditEvent, AuditTrail } from '../audit/audit-trail.ts';
import type { Clock } from '../clock.ts';
import type { Caller, CallerContext, RequestContext } from '../context.ts';
import { GatehouseError, throwIfInvalid } from '../errors.ts';
import type { Metrics, RefreshOutcome } from '../metrics/metrics.ts';
import type { Liveness, RevocationReason, Session } from '../store/session-repository.ts';
import type { Repositories, Store, UnitOfWork } from '../store/store.ts';
import type { User } from '../store/user-repository.ts';
import type { AccessClaims, AccessTokens } from './access-tokens.ts';
import type { ChangeFeed } from './change-feed.ts';
import type { LegacyTokens } from './legacy-tokens.ts';
import type { RefreshTokens } from './refresh-tokens.ts';
import { decodeCursor, encodeCursor } from './session-cursor.ts';
import { createSessionCache, type LiveSession } from './session-cache.ts';

export interface SessionServiceDeps {
  store: Store;
  tokens: AccessTokens;
  refreshTokens: RefreshTokens;
  /** tells the other instances which cached sessions and users are stale */
  changes: ChangeFeed;
  /** the security history: sign-outs, revoked sessions, refresh-token reuse */
  audit: AuditTrail;
  clock: Clock;
  newId: () => string;
  sessionTtl: number;
  sessionIdleTtl: number;
  /** live sessions one user may hold; opening one more ends the least recently used */
  maxSessionsPerUser: number;
  /** lifetime of the access tokens handed out with refresh tokens */
  accessTokenTtl: number;
  /** lifetime of a long-lived access token handed out alone (Conduit's `token`) */
  longLivedTokenTtl: number;
  /** lifetime of a staff console's session, and of its one access token */
  consoleSessionTtl: number;
  /** how long a cached session and user are trusted before they are read again */
  cacheTtl: number;
  /**
   * Other instances may revoke sessions too (a PostgreSQL database): the cache is then trusted only while
   * their changes are heard (`changesHeard(true)`), and every check reads the database otherwise.
   */
  sharedDatabase: boolean;
  /** every this many sessions opened, sessions long past their expiry are deleted */
  pruneEvery: number;
  /** told of refresh outcomes, revocations and session-cache hits */
  metrics: Metrics;
  /** the replaced Django system's tokens, while LEGACY_DJANGO_SECRET_KEY and LEGACY_TOKENS_UNTIL say so */
  legacyTokens?: LegacyTokens | undefined;
}

export type LogoutScope = 'session' | 'others' | 'all';

/** One page of a user's live sessions, and the cursor of the next (null on the last page). */
export interface SessionPage {
  sessions: Session[];
  nextCursor: string | null;
}

/** Sessions per page of the list: when the caller names no size, and at most whatever it names. */
export const sessionPageSize = { default: 50, max: 100 } as const;

// Writing last_used_at on every request would turn every read into a write; once a minute is plenty
// against an idle timeout counted in days.
const touchInterval = 60_000;
const maxUserAgentLength = 512;
// Ended sessions stay this long past their absolute expiry (for the user's and staff's view), then go.
export const sessionRetention = 30 * 86_400_000;

export type SessionService = ReturnType<typeof createSessionService>;

export function createSessionService(deps: SessionServiceDeps) {
  const { store, tokens, refreshTokens, changes, clock, metrics } = deps;
  const cache = createSessionCache();
  let opened = 0;
  // alone on its database, nobody else revokes; sharing it, nothing is heard before the listener listens
  let cacheTrusted = !deps.sharedDatabase;

  const livenessAt = (now: number): Liveness => ({ now, idleSince: now - deps.sessionIdleTtl });

  function isLive({ session, user }: Omit<LiveSession, 'loadedAt'>, now: number): boolean {
    return (
      session.revokedAt === null &&
      session.expiresAt > now &&
      session.lastUsedAt + deps.sessionIdleTtl > now &&
      user.isActive
    );
  }

  async function read(sessionId: string): Promise<Omit<LiveSession, 'loadedAt'> | undefined> {
    const session = await store.sessions.findById(sessionId);
    const user = session && (await store.users.findById(session.userId));
    return session && user && { session, user };
  }

  async function load(sessionId: string, now: number): Promise<LiveSession | undefined> {
    const found = await read(sessionId);
    if (found === undefined) return undefined;
    const { session } = found;
    if (session.revokedAt === null && now - session.lastUsedAt >= touchInterval) {
      await store.sessions.touch(session.id, now);
      session.lastUsedAt = now;
    }
    return { ...found, loadedAt: now };
  }

  /** What every instance must hear once a session has ended: dropped here, announced to the others. */
  async function sessionEnded(sessionId: string, reason: RevocationReason, revoked: boolean): Promise<void> {
    metrics.revoked(reason, revoked ? 1 : 0);
    cache.forgetSession(sessionId);
    await changes.sessionRevoked(sessionId);
  }

  /** Cached copies of the user (and so of all their sessions) go, here and on every instance. */
  async function forgetUserEverywhere(userId: string): Promise<void> {
    cache.forgetUser(userId);
    await changes.userChanged(userId);
  }

  /** Ends one session, and records `event` in the same commit if it was live. */
  async function revoke(sessionId: string, reason: RevocationReason, event: AuditEvent): Promise<boolean> {
    const revoked = await store.transaction(async (unit) => {
      const ended = await unit.sessions.revoke(sessionId, clock.now(), reason);
      if (ended) await deps.audit.record(unit, event);
      return ended;
    });
    await sessionEnded(sessionId, reason, revoked);
    return revoked;
  }

  /**
   * Ends the user's sessions (all but `exceptId`) through `repositories`, and with them every token the
   * replaced Django system issued them, seen yet or not; `announce` runs once that is final.
   */
  async function revokeAll(
    repositories: Pick<Repositories, 'sessions' | 'users'>,
    userId: string,
    reason: RevocationReason,
    exceptId: string | undefined,
    announce: (action: () => Promise<void>) => void | Promise<void>,
  ): Promise<void> {
    const now = clock.now();
    const revoked = await repositories.sessions.revokeAllOfUser(userId, now, reason, exceptId);
    await repositories.users.revokeLegacyTokens(userId, now);
    await announce(async () => {
      metrics.revoked(reason, revoked.length);
      await forgetUserEverywhere(userId);
    });
  }

  // the roles are the user's as they are now: a token carries them as issued (docs/decisions.md)
  async function issueAccessToken(session: Session, roles: readonly string[], ttl: number) {
    const lifetime = Math.min(ttl, session.expiresAt - clock.now());
    return tokens.sign({ userId: session.userId, sessionId: session.id, roles }, lifetime);
  }

  async function consoleToken(session: Session, roles: readonly string[]) {
    const { token, expiresAt } = await issueAccessToken(session, roles, deps.consoleSessionTtl);
    return { accessToken: token, sessionId: session.id, expiresAt };
  }

  async function pair(session: Session, roles: readonly string[], refreshToken: string): Promise<TokenPair> {
    const { token, expiresAt } = await issueAccessToken(session, roles, deps.accessTokenTtl);
    return {
      accessToken: token,
      refreshToken,
      expiresIn: Math.max(0, Math.floor((expiresAt - clock.now()) / 1000)),
    };
  }

  /** A refused refresh, counted by why. */
  function refreshRefused(outcome: Exclude<RefreshOutcome, 'rotated' | 'replayed'>, reason: string) {
    metrics.refreshed(outcome);
    return new GatehouseError('refresh_token_invalid', reason);
  }

  /** The live session and active user behind an access token, served from memory when fresh. */
  async function authenticate(token: string): Promise<Caller> {
    let claims: AccessClaims;
    let legacy = false;
    try {
      claims = await tokens.verify(token);
    } catch (error) {
      // only once a token is not ours: our own tokens' path is what it always was
      if (deps.legacyTokens === undefined || !isInvalidToken(error)) throw error;
      claims = await deps.legacyTokens.claimsOf(token);
      legacy = true;
    }
    const now = clock.now();
    let entry = cacheTrusted ? cache.get(claims.sessionId) : undefined;
    if (entry === undefined || now - entry.loadedAt >= deps.cacheTtl) {
      metrics.sessionCache.miss();
      entry = await cache.load(claims.sessionId, () => load(claims.sessionId, now));
    } else {
      metrics.sessionCache.hit();
    }
    if (entry === undefined || entry.session.userId !== claims.userId || !isLive(entry, now)) {
      throw new GatehouseError('token_invalid', 'session is not live');
    }
    if (legacy) metrics.legacyTokenUsed();
    return { user: entry.user, session: entry.session, token };
  }

  const port: SessionPort = {
    readyToIssue: () => tokens.ready(),

    async open<G extends Grant>(
      unit: UnitOfWork,
      user: Pick<User, 'id' | 'roles'>,
      context: RequestContext,
      grant: G,
    ) {
      const now = clock.now();
      // pruning rides along with logins, so the table stays bounded without a timer or a cron job
      opened += 1;
      if (opened % deps.pruneEvery === 0) await unit.sessions.deleteExpiredBefore(now - sessionRetention);
      // room for this one within the cap, in the same unit: a sign-in that rolls back ends nothing
      const ended = await unit.sessions.revokeLeastRecentlyUsed(
        user.id,
        deps.maxSessionsPerUser - 1,
        livenessAt(now),
        'session_limit',
      );
      if (ended.length > 0) {
        unit.afterCommit(async () => {
          metrics.revoked('session_limit', ended.length);
          await forgetUserEverywhere(user.id);
        });
      }
      const session = await unit.sessions.insert({
        id: deps.newId(),
        userId: user.id,
        createdAt: now,
        expiresAt: now + (grant === 'console-session' ? deps.consoleSessionTtl : deps.sessionTtl),
        userAgent: context.userAgent?.slice(0, maxUserAgentLength) ?? null,
        ip: context.ip,
      });
      const refreshToken =
        grant === 'token-pair' ? await refreshTokens.issue(unit.refreshTokens, session.id, now) : undefined;
      // signing may read the key table, which must wait until the unit has let go of the connection
      const issue = async (): Promise<Grants[G]> => {
        const issued: Grants[Grant] =
          refreshToken !== undefined
            ? await pair(session, user.roles, refreshToken)
            : grant === 'console-session'
              ? await consoleToken(session, user.roles)
              : { accessToken: (await issueAccessToken(session, user.roles, deps.longLivedTokenTtl)).token };
        return issued as Grants[G];
      };
      return { sessionId: session.id, issue };
    },

    endAll(unit, userId, reason, keepSessionId) {
      return revokeAll(unit, userId, reason, keepSessionId, (announce) => {
        unit.afterCommit(announce);
      });
    },

    userChanged(unit, userId) {
      unit.afterCommit(() => forgetUserEverywhere(userId));
    },
  };

  /** Ends one live session in `unit`; every instance hears of it once the unit commits. */
  async function endOne(unit: UnitOfWork, sessionId: string, reason: RevocationReason): Promise<boolean> {
    const ended = await unit.sessions.revoke(sessionId, clock.now(), reason);
    unit.afterCommit(() => sessionEnded(sessionId, reason, ended));
    return ended;
  }

  return {
    ...port,
    endOne,
    authenticate,

    /**
     * Exchanges a refresh token for a new pair. Presenting a retired token (outside the grace rule) is
     * taken as theft: the whole session ends.
     */
    async refresh(refreshToken: string, context: RequestContext): Promise<TokenPair> {
      const now = clock.now();
      const exchange = await refreshTokens.exchange(refreshToken, now);
      if (exchange.outcome === 'unknown') throw refreshRefused('invalid', 'unknown refresh token');
      if (exchange.outcome === 'reused') {
        const stolen = await store.sessions.findById(exchange.sessionId);
        await revoke(exchange.sessionId, 'reuse_detected', {
          type: 'refresh_reuse_detected',
          userId: stolen?.userId,
          sessionId: exchange.sessionId,
          context,
        });
        throw refreshRefused('reuse_detected', 'refresh token reused; session revoked');
      }
      const found = await read(exchange.sessionId);
      if (found === undefined || !isLive(found, now)) throw refreshRefused('invalid', 'session is not live');
      await store.sessions.touch(found.session.id, now);
      const renewed = await pair(found.session, found.user.roles, exchange.token);
      metrics.refreshed(exchange.outcome);
      return renewed;
    },

    /**
     * Whether a token would be accepted now, without spending it: an access token (a JWT) of a live
     * session, or the live refresh token of a live session. Every dialect's "verify" asks this.
     */
    async isTokenLive(token: string): Promise<boolean> {
      if (!token.includes('.')) {
        const sessionId = await refreshTokens.findLive(token);
        const found = sessionId === undefined ? undefined : await read(sessionId);
        return found !== undefined && isLive(found, clock.now());
      }
      try {
        await authenticate(token);
        return true;
      } catch (error) {
        if (error instanceof GatehouseError && error.code === 'token_invalid') return false;
        throw error;
      }
    },

    /**
     * A page of the user's live sessions, newest first: `limit` of them (sessionPageSize.default when
     * not given, never more than sessionPageSize.max), after the session `cursor` names. A session opened
     * since the previous page never moves the next one, and none that existed is skipped or repeated.
     */
    async listPage(
      userId: string,
      { limit, cursor }: { limit?: number | undefined; cursor?: string | undefined },
    ): Promise<SessionPage> {
      const size = limit ?? sessionPageSize.default;
      const after = cursor === undefined ? undefined : decodeCursor(cursor);
      throwIfInvalid({
        ...(Number.isSafeInteger(size) && size >= 1 ? {} : { limit: { code: 'invalid' } }),
        ...(cursor !== undefined && after === undefined ? { cursor: { code: 'invalid' } } : {}),
      });
      const pageSize = Math.min(size, sessionPageSize.max);
      // one more than the page, to know whether another follows
      const found = await store.sessions.listLive(userId, livenessAt(clock.now()), {
        limit: pageSize + 1,
        after,
      });
      const sessions = found.slice(0, pageSize);
      const last = sessions.at(-1);
      return {
        sessions,
        nextCursor: found.length > pageSize && last !== undefined ? encodeCursor(last) : null,
      };
    },

    /** Ends one of the caller's own sessions; someone else's is as good as nonexistent. */
    async revokeOwn(context: CallerContext, sessionId: string): Promise<void> {
      const { caller } = context;
      const target = await store.sessions.findById(sessionId);
      if (target?.userId !== caller.user.id || target.revokedAt !== null) {
        throw new GatehouseError('session_not_found', 'no such session of the caller');
      }
      await revoke(sessionId, 'logout', {
        type: 'session_revoked',
        userId: caller.user.id,
        sessionId: caller.session.id,
        context,
        detail: { session: sessionId },
      });
    },

    async logout(context: CallerContext, scope: LogoutScope): Promise<void> {
      const { caller } = context;
      const event: AuditEvent = {
        type: 'signed_out',
        userId: caller.user.id,
        sessionId: caller.session.id,
        context,
        detail: { scope },
      };
      if (scope === 'session') {
        await revoke(caller.session.id, 'logout', event);
        return;
      }
      const keep = scope === 'others' ? caller.session.id : undefined;
      await store.transaction(async (unit) => {
        await revokeAll(unit, caller.user.id, 'logout', keep, (announce) => {
          unit.afterCommit(announce);
        });
        await deps.audit.record(unit, event);
      });
    },

    /** Another instance changed these; drop our copies. */
    forgetSession: (sessionId: string) => {
      cache.forgetSession(sessionId);
    },
    forgetUser: (userId: string) => {
      cache.forgetUser(userId);
    },
    /** Something changed sessions or users that no message named (another process on SQLite): drop all. */
    forgetAll: () => {
      cache.clear();
    },
    /**
     * Whether other instances' changes are heard now. Either way what is cached goes: while they are not
     * heard every check reads the database (so a revocation elsewhere counts at once), and what was read
     * meanwhile may predate a change sent before listening began.
     */
    changesHeard: (heard: boolean) => {
      cache.clear();
      cacheTrusted = heard || !deps.sharedDatabase;
    },
  };
}

function isInvalidToken(error: unknown): boolean {
  return error instanceof GatehouseError && error.code === 'token_invalid';
}
