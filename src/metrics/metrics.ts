import type { RevocationReason } from '../store/session-repository.ts';

/** How a presented refresh token ended: a new pair, the same pair again (two tabs), theft, or nothing. */
export type RefreshOutcome = 'rotated' | 'replayed' | 'reuse_detected' | 'invalid';

/** The contract's four rate limits; also the prefix of their counters' keys. */
export type RateLimitName = 'login-failures' | 'login-attempts' | 'registrations' | 'mails';

/**
 * Which API a password login or a registration came through: a dialect's name, from the closed list the
 * composition root mounts (app.ts), so no client can add a series.
 */
export type ApiDialect = string;

/** The routes whose answers are counted by outcome besides by status. */
export type CredentialRoute = 'login' | 'registration';

/** How a login or a registration ended, as its status tells it. */
export type CredentialOutcome =
  'success' | 'invalid_credentials' | 'rate_limited' | 'invalid_request' | 'error';

/**
 * A kind of mail: one of the account domain's closed list (`OutgoingMail['kind']` in accounts/ports.ts),
 * written by the code, never by a client.
 */
export type MailKind = string;

/** What happened to a mail: committed to the outbox, taken by the SMTP server, to be retried, given up on. */
export type MailEvent = 'queued' | 'sent' | 'retried' | 'failed';

/** One in-process cache's answers: served from memory, or had to do the work (a read, a signature check). */
export interface CacheMetrics {
  hit(): void;
  miss(): void;
}

/**
 * What the domain reports as it works, to one observer. Every argument is a closed union, so no label
 * can take a value a client chose. The cache calls sit on the path of every authenticated request and
 * must stay an increment.
 */
export interface Metrics {
  refreshed(outcome: RefreshOutcome): void;
  /** `sessions` sessions ended for `reason` (0 when they had ended already) */
  revoked(reason: RevocationReason, sessions: number): void;
  rateLimited(limit: RateLimitName): void;
  mail(kind: MailKind, event: MailEvent): void;
  /**
   * Where the counters that belong in Redis are kept: true from the moment Redis stopped answering and
   * they moved to the database, false once they are back in Redis; told once per change
   */
  rateLimitFallback(inDatabase: boolean): void;
  /** a request was authenticated by a token of the Django system Gatehouse replaced (sessions/legacy-tokens.ts) */
  legacyTokenUsed(): void;
  /** sessions and their users, by session id (sessions/session-cache.ts) */
  readonly sessionCache: CacheMetrics;
  /** verified access tokens, by token (sessions/access-tokens.ts) */
  readonly tokenCache: CacheMetrics;
}

const ignoreCache: CacheMetrics = Object.freeze({ hit: () => undefined, miss: () => undefined });

/** For services nobody scrapes: the user-management commands and tests of one domain module. */
export const ignoreMetrics: Metrics = Object.freeze({
  refreshed: () => undefined,
  revoked: () => undefined,
  rateLimited: () => undefined,
  mail: () => undefined,
  rateLimitFallback: () => undefined,
  legacyTokenUsed: () => undefined,
  sessionCache: ignoreCache,
  tokenCache: ignoreCache,
});
