import type { Clock } from '../clock.ts';
import { GatehouseError } from '../errors.ts';
import type { RevocationReason, Session, SessionRepository } from '../store/session-repository.ts';
import type { User, UserRepository } from '../store/user-repository.ts';
import type { AccessTokens } from './access-tokens.ts';
import { createSessionCache, type LiveSession } from './session-cache.ts';

export interface SessionServiceDeps {
  sessions: SessionRepository;
  users: UserRepository;
  tokens: AccessTokens;
  clock: Clock;
  newId: () => string;
  sessionTtl: number;
  sessionIdleTtl: number;
  /** how long a cached session and user are trusted before they are read again */
  cacheTtl: number;
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

// Writing last_used_at on every request would turn every read into a write; once a minute is plenty
// against an idle timeout counted in days.
const touchInterval = 60_000;
const maxUserAgentLength = 512;

export type SessionService = ReturnType<typeof createSessionService>;

export function createSessionService(deps: SessionServiceDeps) {
  const { sessions, users, tokens, clock } = deps;
  const cache = createSessionCache();

  function isLive(entry: LiveSession, userId: string, now: number): boolean {
    const { session, user } = entry;
    return (
      session.userId === userId &&
      session.revokedAt === null &&
      session.expiresAt > now &&
      session.lastUsedAt + deps.sessionIdleTtl > now &&
      user.isActive
    );
  }

  async function load(sessionId: string, now: number): Promise<LiveSession | undefined> {
    const session = await sessions.findById(sessionId);
    if (session === undefined) return undefined;
    const user = await users.findById(session.userId);
    if (user === undefined) return undefined;
    if (session.revokedAt === null && now - session.lastUsedAt >= touchInterval) {
      await sessions.touch(session.id, now);
      session.lastUsedAt = now;
    }
    return { session, user, loadedAt: now };
  }

  async function revokeAll(userId: string, reason: RevocationReason, exceptId?: string): Promise<void> {
    await sessions.revokeAllOfUser(userId, clock.now(), reason, exceptId);
    cache.forgetUser(userId);
  }

  return {
    /** Opens a session for a user who has just proved who they are. */
    async open(user: User, client: ClientInfo): Promise<Session> {
      const now = clock.now();
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
      const lifetime = Math.min(ttl, session.expiresAt - clock.now());
      const { token } = await tokens.sign({ userId: session.userId, sessionId: session.id }, lifetime);
      return token;
    },

    /** The live session and active user behind an access token, served from memory when fresh. */
    async authenticate(token: string): Promise<Caller> {
      const claims = await tokens.verify(token);
      const now = clock.now();
      let entry = cache.get(claims.sessionId);
      if (entry === undefined || now - entry.loadedAt >= deps.cacheTtl) {
        entry = await cache.load(claims.sessionId, () => load(claims.sessionId, now));
      }
      if (entry === undefined || !isLive(entry, claims.userId, now)) {
        throw new GatehouseError('token_invalid', 'session is not live');
      }
      return { user: entry.user, session: entry.session, token };
    },

    /** Cached copies of the user go; the next request reads them again. */
    userChanged(userId: string): void {
      cache.forgetUser(userId);
    },

    async passwordChanged(userId: string, keepSessionId: string | undefined): Promise<void> {
      await revokeAll(userId, 'password_changed', keepSessionId);
    },

    revokeAll,
  };
}
