import type { Clock } from '../clock.ts';
import { GatehouseError } from '../errors.ts';
import type { Metrics, RefreshOutcome } from '../metrics/metrics.ts';
import type { RevocationReason, Session, SessionRepository } from '../store/session-repository.ts';
import type { User, UserRepository } from '../store/user-repository.ts';
import type { AccessTokens } from './access-tokens.ts';
import type { RefreshTokens } from './refresh-tokens.ts';
import type { ChangeFeed } from './change-feed.ts';
import { createSessionCache, type LiveSession } from './session-cache.ts';

export interface SessionServiceDeps {
  sessions: SessionRepository;
  users: UserRepository;
  tokens: AccessTokens;
  refreshTokens: RefreshTokens;
  /** tells the other instances which cached sessions and users are stale */
  changes: ChangeFeed;
  clock: Clock;
  newId: () => string;
  sessionTtl: number;
  sessionIdleTtl: number;
  /** lifetime of the access tokens handed out with refresh tokens */
  accessTokenTtl: number;
  /** how long a cached session and user are trusted before they are read again */
  cacheTtl: number;
  /** every this many sessions opened, sessions long past their expiry are deleted */
  pruneEvery: number;
  /** told of refresh outcomes, revocations and session-cache hits */
  metrics: Metrics;
}

export interface ClientInfo {
  userAgent: string | undefined;
  ip: string | undefined;
}

/** The caller of an authenticated request. */
export interface Caller {
  user: User;
  session: Session;
  token: string;
}

/** An access token with the refresh token that renews it. */
export interface TokenPair {
  accessToken: string;
  refreshToken: string;
  /** seconds until the access token expires */
  expiresIn: number;
}

export type LogoutScope = 'session' | 'others' | 'all';

// Writing last_used_at on every request would turn every read into a write; once a minute is plenty
// against an idle timeout counted in days.
const touchInterval = 60_000;
const maxUserAgentLength = 512;
// Ended sessions stay this long past their absolute expiry (for the user's and staff's view), then go.
export const sessionRetention = 30 * 86_400_000;

export type SessionService = ReturnType<typeof createSessionService>;

export function createSessionService(deps: SessionServiceDeps) {
  const { sessions, users, tokens, refreshTokens, changes, clock, metrics } = deps;
  const cache = createSessionCache();
  let opened = 0;

  function isLive({ session, user }: Omit<LiveSession, 'loadedAt'>, now: number): boolean {
    return (
      session.revokedAt === null &&
      session.expiresAt > now &&
      session.lastUsedAt + deps.sessionIdleTtl > now &&
      user.isActive
    );
  }

  async function read(sessionId: string): Promise<Omit<LiveSession, 'loadedAt'> | undefined> {
    const session = await sessions.findById(sessionId);
    const user = session && (await users.findById(session.userId));
    return session && user && { session, user };
  }

  async function load(sessionId: string, now: number): Promise<LiveSession | undefined> {
    const found = await read(sessionId);
    if (found === undefined) return undefined;
    const { session } = found;
    if (session.revokedAt === null && now - session.lastUsedAt >= touchInterval) {
      await sessions.touch(session.id, now);
      session.lastUsedAt = now;
    }
    return { ...found, loadedAt: now };
  }

  async function revoke(sessionId: string, reason: RevocationReason): Promise<boolean> {
    const revoked = await sessions.revoke(sessionId, clock.now(), reason);
    metrics.revoked(reason, revoked ? 1 : 0);
    cache.forgetSession(sessionId);
    await changes.sessionRevoked(sessionId);
    return revoked;
  }

  async function revokeAll(userId: string, reason: RevocationReason, exceptId?: string): Promise<void> {
    const revoked = await sessions.revokeAllOfUser(userId, clock.now(), reason, exceptId);
    metrics.revoked(reason, revoked.length);
    cache.forgetUser(userId);
    await changes.userChanged(userId);
  }

  async function issueAccessToken(session: Session, ttl: number) {
    const lifetime = Math.min(ttl, session.expiresAt - clock.now());
    return tokens.sign({ userId: session.userId, sessionId: session.id }, lifetime);
  }

  /** A refused refresh, counted by why. */
  function refreshRefused(outcome: Exclude<RefreshOutcome, 'rotated' | 'replayed'>, reason: string) {
    metrics.refreshed(outcome);
    return new GatehouseError('refresh_token_invalid', reason);
  }

  async function pair(session: Session, refreshToken: string): Promise<TokenPair> {
    const { token, expiresAt } = await issueAccessToken(session, deps.accessTokenTtl);
    return {
      accessToken: token,
      refreshToken,
      expiresIn: Math.max(0, Math.floor((expiresAt - clock.now()) / 1000)),
    };
  }

  return {
    /** Opens a session for a user who has just proved who they are. */
    async open(user: User, client: ClientInfo): Promise<Session> {
      const now = clock.now();
      // pruning rides along with logins, so the table stays bounded without a timer or a cron job
      opened += 1;
      if (opened % deps.pruneEvery === 0) await sessions.deleteExpiredBefore(now - sessionRetention);
      return sessions.insert({
        id: deps.newId(),
        userId: user.id,
        createdAt: now,
        expiresAt: now + deps.sessionTtl,
        userAgent: client.userAgent?.slice(0, maxUserAgentLength) ?? null,
        ip: client.ip ?? null,
      });
    },

    /** An access token bound to the session; it never outlives the session. */
    async issueAccessToken(session: Session, ttl: number): Promise<string> {
      return (await issueAccessToken(session, ttl)).token;
    },

    /** Starts the session's refresh lineage and hands out the first pair. */
    async issueTokenPair(session: Session): Promise<TokenPair> {
      return pair(session, await refreshTokens.issue(session.id, clock.now()));
    },

    /**
     * Exchanges a refresh token for a new pair. Presenting a retired token (outside the grace rule) is
     * taken as theft: the whole session ends.
     */
    async refresh(refreshToken: string): Promise<TokenPair> {
      const now = clock.now();
      const exchange = await refreshTokens.exchange(refreshToken, now);
      if (exchange.outcome === 'unknown') throw refreshRefused('invalid', 'unknown refresh token');
      if (exchange.outcome === 'reused') {
        await revoke(exchange.sessionId, 'reuse_detected');
        throw refreshRefused('reuse_detected', 'refresh token reused; session revoked');
      }
      const found = await read(exchange.sessionId);
      if (found === undefined || !isLive(found, now)) throw refreshRefused('invalid', 'session is not live');
      await sessions.touch(found.session.id, now);
      const renewed = await pair(found.session, exchange.token);
      metrics.refreshed(exchange.outcome);
      return renewed;
    },

    /** Whether a refresh token would be exchanged now (its session's live one, the session live); not spent. */
    async isRefreshTokenLive(refreshToken: string): Promise<boolean> {
      const sessionId = await refreshTokens.findLive(refreshToken);
      const found = sessionId === undefined ? undefined : await read(sessionId);
      return found !== undefined && isLive(found, clock.now());
    },

    /** The live session and active user behind an access token, served from memory when fresh. */
    async authenticate(token: string): Promise<Caller> {
      const claims = await tokens.verify(token);
      const now = clock.now();
      let entry = cache.get(claims.sessionId);
      if (entry === undefined || now - entry.loadedAt >= deps.cacheTtl) {
        metrics.sessionCache.miss();
        entry = await cache.load(claims.sessionId, () => load(claims.sessionId, now));
      } else {
        metrics.sessionCache.hit();
      }
      if (entry === undefined || entry.session.userId !== claims.userId || !isLive(entry, now)) {
        throw new GatehouseError('token_invalid', 'session is not live');
      }
      return { user: entry.user, session: entry.session, token };
    },

    /** The user's live sessions, most recently used first. */
    list(userId: string): Promise<Session[]> {
      const now = clock.now();
      return sessions.listLive(userId, now, now - deps.sessionIdleTtl);
    },

    /** Ends one of the caller's own sessions; someone else's is as good as nonexistent. */
    async revokeOwn(caller: Caller, sessionId: string): Promise<void> {
      const target = await sessions.findById(sessionId);
      if (target?.userId !== caller.user.id || target.revokedAt !== null) {
        throw new GatehouseError('session_not_found', 'no such session of the caller');
      }
      await revoke(sessionId, 'logout');
    },

    async logout(caller: Caller, scope: LogoutScope): Promise<void> {
      if (scope === 'session') await revoke(caller.session.id, 'logout');
      else await revokeAll(caller.user.id, 'logout', scope === 'others' ? caller.session.id : undefined);
    },

    /** Cached copies of the user go, here and on every instance; the next request reads them again. */
    async userChanged(userId: string): Promise<void> {
      cache.forgetUser(userId);
      await changes.userChanged(userId);
    },

    async passwordChanged(userId: string, keepSessionId: string | undefined): Promise<void> {
      await revokeAll(userId, 'password_changed', keepSessionId);
    },

    async userDeactivated(userId: string): Promise<void> {
      await revokeAll(userId, 'deactivated');
    },

    /** Another instance changed these; drop our copies. */
    forgetSession: (sessionId: string) => {
      cache.forgetSession(sessionId);
    },
    forgetUser: (userId: string) => {
      cache.forgetUser(userId);
    },
    forgetEverything: () => {
      cache.clear();
    },

    revokeAll,
  };
}
