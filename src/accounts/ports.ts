// What the account domain needs from the rest of the service, declared here and satisfied elsewhere
// (sessions/, limits/), so that accounts/ depends on neither.
import type { RequestContext } from '../context.ts';
import type { RevocationReason } from '../store/session-repository.ts';
import type { UnitOfWork } from '../store/store.ts';
import type { User } from '../store/user-repository.ts';

/** An access token with the refresh token that renews it. */
export interface TokenPair {
  accessToken: string;
  refreshToken: string;
  /** seconds until the access token expires */
  expiresIn: number;
}

/**
 * What a sign-in hands out, by what the door asked for: one long-lived access token (Conduit's `token`),
 * or a short-lived access token with a rotating refresh token.
 */
export interface Grants {
  'access-token': { accessToken: string };
  'token-pair': TokenPair;
  /**
   * The staff console's: one access token whose session lasts exactly as long as it does
   * (CONSOLE_SESSION_TTL), kept in a cookie; the session's id keys the console's CSRF token.
   */
  'console-session': { accessToken: string; sessionId: string; expiresAt: number };
}
export type Grant = keyof Grants;

/** Sessions, as the account domain sees them: each call joins the caller's unit of work. */
export interface SessionPort {
  /**
   * Reads now, before any unit opens, what issuing tokens will need (the signing key), so that what `open`
   * returns, called after the commit, reads nothing and cannot fail for want of the database.
   */
  readyToIssue(): Promise<void>;
  /**
   * Opens a session in `unit` for a user who has just proved who they are: its id, and `issue`, which
   * issues what `grant` names and is to be called once the unit has committed: no token for a session
   * that might never exist.
   */
  open<G extends Grant>(
    unit: UnitOfWork,
    user: User,
    context: RequestContext,
    grant: G,
  ): Promise<{ sessionId: string; issue: () => Promise<Grants[G]> }>;
  /** Ends the user's live sessions, all but `keepSessionId` if given; caches learn of it after commit. */
  endAll(unit: UnitOfWork, userId: string, reason: RevocationReason, keepSessionId?: string): Promise<void>;
  /** The user's stored fields changed: cached copies go, here and on every instance, after commit. */
  userChanged(unit: UnitOfWork, userId: string): void;
}

/** A password attempt that has been counted before the hash runs. */
export interface PasswordAttempt {
  /** the last attempt the email's lock allows: if this password is wrong, the email is locked */
  readonly locksOnFailure: boolean;
  /**
   * The password was right, or never checked: the attempt no longer counts against the email. In `unit`
   * when given, so that it commits with the sign-in it let through, in one transaction.
   */
  release(unit?: UnitOfWork): Promise<void>;
}

/**
 * The rate limits the account domain applies. Each refuses with `rate_limited` (carrying Retry-After),
 * the same whether or not an account exists for the email.
 */
export interface AttemptLimits {
  /**
   * Counts a password login from `ip` for `email`, atomically and before the hash, so no more than the
   * limit are ever checked however many arrive at once. A blank email counts against the IP only.
   */
  beginLogin(ip: string, email: string): Promise<PasswordAttempt>;
  /** Counts a signed-in user's check of their current password under the same lock as their logins. */
  beginPasswordCheck(email: string): Promise<PasswordAttempt>;
  /** Counts a registration from `ip`, refused ones included. */
  admitRegistration(ip: string): Promise<void>;
  /** Counts a mail to `address`: false when it has had its share this hour and no mail may go out. */
  admitMail(address: string): Promise<boolean>;
  /** Unlocks an email locked by failed logins: what a completed password reset does. */
  clearLoginFailures(email: string): Promise<void>;
}

/**
 * The mails the account domain sends. `uid` is the user's id as djoser's links carry it (base64url), and
 * `token` a one-time token in clear: both only ever travel inside the mail.
 */
export type OutgoingMail =
  | { kind: 'verify-email'; to: string; uid: string; token: string }
  | { kind: 'email-change'; to: string; uid: string; token: string }
  | { kind: 'password-reset'; to: string; uid: string; token: string }
  /** djoser's reset_username/ (or reset_email/): a link to set a new login name */
  | { kind: 'login-name-reset'; to: string; uid: string; token: string }
  | { kind: 'password-changed'; to: string }
  /** `newEmail` null: the address was removed, and the account has none now */
  | { kind: 'email-changed'; to: string; newEmail: string | null };

/** Mail, as the account domain sees it: queued in the caller's unit of work, sent only if it commits. */
export interface MailPort {
  queue(unit: UnitOfWork, mail: OutgoingMail): Promise<void>;
}
