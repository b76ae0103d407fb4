import type { Selectable, Updateable } from 'kysely';

// One column type per concept on both databases: text ids, integer epoch-ms timestamps, 0/1 integer flags,
// nullable timestamps instead of booleans where the moment matters.

export interface UsersTable {
  id: string;
  /** null for an account registered by username alone (djoser with DJOSER_LOGIN_FIELD=username) */
  email: string | null;
  /** lower-cased email; the unique index that makes `Alice@X.io` and `alice@x.io` one account */
  email_normalized: string | null;
  username: string;
  /** the NFKC username case-folded (case-fold.ts); unique */
  username_normalized: string;
  password_hash: string;
  bio: string | null;
  image: string | null;
  is_active: number;
  is_staff: number;
  is_superuser: number;
  email_verified_at: number | null;
  last_login_at: number | null;
  /** when the account was deactivated; its personal data goes ERASE_DEACTIVATED_AFTER later */
  deactivated_at: number | null;
  /** when its personal data was erased; the row stays for the audit log's sake */
  erased_at: number | null;
  /** the roles staff gave it, a JSON array of names; `user_roles` indexes them */
  roles: string;
  /** why staff deactivated it (null when its owner did, or it is active) */
  deactivation_reason: string | null;
  /** when a deactivation by staff ends by itself; null: until someone activates it */
  deactivated_until: number | null;
  /** the staff member who deactivated it */
  deactivated_by: string | null;
  created_at: number;
  updated_at: number;
  /** the Django primary key of an imported user (text: Django's may be an integer or a UUID); unique */
  legacy_id: string | null;
  /** SHA-256 of the Django row as last imported: a re-run leaves the account alone while it matches */
  legacy_fingerprint: string | null;
  /** from then on the old system's tokens are refused for this user (signed out everywhere, new password) */
  legacy_tokens_revoked_at: number | null;
  first_name: string | null;
  last_name: string | null;
}

/** One role of one user, for filtering by role; `users.roles` holds the same names. */
export interface UserRolesTable {
  user_id: string;
  role: string;
}

export interface SessionsTable {
  id: string;
  user_id: string;
  created_at: number;
  last_used_at: number;
  expires_at: number;
  user_agent: string | null;
  ip: string | null;
  revoked_at: number | null;
  revoked_reason: string | null;
}

export interface FollowsTable {
  follower_id: string;
  followee_id: string;
  created_at: number;
}

export interface SigningKeysTable {
  kid: string;
  algorithm: string;
  public_jwk: string;
  /** the private JWK, AES-256-GCM encrypted under a key derived from SECRET_KEY */
  private_jwk_encrypted: string;
  created_at: number;
  retired_at: number | null;
}

export interface RefreshTokensTable {
  /** SHA-256 of the token, base64url; the token itself is never stored */
  token_hash: string;
  session_id: string;
  issued_at: number;
  /** when it was exchanged for its successor; null for the session's live token */
  rotated_at: number | null;
  /** its successor, sealed under a key derived from this token (sessions/refresh-tokens.ts); null while live */
  successor_sealed: string | null;
}

/** One fixed window of a rate limit: hits counted since it opened, and when it closes. */
export interface RateLimitCountersTable {
  /** `<limit>:<hashed subject>`; never an email or an address in clear */
  key: string;
  hits: number;
  window_ends_at: number;
}

/** A token mailed to someone, by hash; one per user and purpose. */
export interface OneTimeTokensTable {
  /** SHA-256 of the token, base64url; the token itself is never stored */
  token_hash: string;
  user_id: string;
  /** what it may be used for: `verify-email`, `email-change`, `password-reset`, `login-name-reset` */
  purpose: string;
  /** the address it was mailed to, and the one it confirms */
  email: string;
  created_at: number;
  expires_at: number;
  used_at: number | null;
}

/** The mail states: waiting to be sent (or retried), delivered to the SMTP server, or given up on. */
export type MailState = 'queued' | 'sent' | 'failed';

/** One mail in the outbox, from the transaction that queued it until it is pruned. */
export interface MailOutboxTable {
  id: string;
  kind: string;
  recipient: string;
  /** what the mail says (its links carry one-time tokens), sealed under SECRET_KEY; null once finished */
  payload_sealed: string | null;
  state: MailState;
  /** delivery attempts made so far */
  attempts: number;
  /** when it may next be tried */
  next_attempt_at: number;
  /** a relay is sending it until then (the lease); null when nobody is */
  claimed_until: number | null;
  /** the SMTP server's answer (or the connection's failure) to the last attempt; never the body */
  last_error: string | null;
  created_at: number;
  sent_at: number | null;
}

/** One event in an account's security history. */
export interface AuditEventsTable {
  id: string;
  /** what happened: `registered`, `sign_in_failed`, … (audit/events.ts) */
  type: string;
  /** whose account it concerns, if any */
  user_id: string | null;
  /** by whose hand: `self`, `staff` (actor_id names them) or `system` */
  actor: string;
  actor_id: string | null;
  session_id: string | null;
  ip: string | null;
  user_agent: string | null;
  request_id: string | null;
  /** a small JSON object; never a password, token or hash */
  detail: string;
  created_at: number;
}

/** How many events of one type one settled UTC day holds: the activity chart's counts, kept once counted. */
export interface AuditDailyCountsTable {
  /** days since the epoch (UTC) */
  day: number;
  type: string;
  count: number;
}

/**
 * How many events of one type one settled UTC hour of a day not yet settled holds: the open day's counts
 * but for its last hour or two, kept once counted, deleted once their day has settled.
 */
export interface AuditHourlyCountsTable {
  /** hours since the epoch (UTC) */
  hour: number;
  type: string;
  count: number;
}

export interface Tables {
  users: UsersTable;
  user_roles: UserRolesTable;
  sessions: SessionsTable;
  follows: FollowsTable;
  signing_keys: SigningKeysTable;
  refresh_tokens: RefreshTokensTable;
  rate_limit_counters: RateLimitCountersTable;
  one_time_tokens: OneTimeTokensTable;
  mail_outbox: MailOutboxTable;
  audit_events: AuditEventsTable;
  audit_daily_counts: AuditDailyCountsTable;
  audit_hourly_counts: AuditHourlyCountsTable;
}

export type UserRow = Selectable<UsersTable>;
export type UserUpdate = Updateable<UsersTable>;
export type SessionRow = Selectable<SessionsTable>;
export type SigningKeyRow = Selectable<SigningKeysTable>;
export type MailOutboxRow = Selectable<MailOutboxTable>;
