import { Type, type Static } from 'typebox';
import { durationPattern } from './duration.ts';

const Duration = (fallback: string, description: string) =>
  Type.String({ pattern: durationPattern, default: fallback, description });
const Count = (fallback: number, minimum: number, maximum: number, description: string) =>
  Type.Integer({ minimum, maximum, default: fallback, description });
const Flag = (fallback: boolean, description: string) => Type.Boolean({ default: fallback, description });

/** Nothing configured, Gatehouse keeps its data here, and makes the folder at first start. */
export const defaultDatabaseUrl = 'sqlite:./data/gatehouse.db';

/**
 * How `gatehouse config` prints a setting: `value` as `********`, `url-password` with the password inside
 * the URL (`scheme://user:password@host`) as `********`. A setting that holds a secret says so here.
 */
export const masked = 'x-masked';
export type Masking = 'value' | 'url-password';
const maskedAs = (masking: Masking) => ({ [masked]: masking });

// Where the service runs and what it trusts.
const service = {
  NODE_ENV: Type.String({
    default: 'development',
    description: '`production` requires a strong SECRET_KEY instead of generating one',
  }),
  DATABASE_URL: Type.String({
    pattern: '^(sqlite:|postgres://|postgresql://)',
    default: defaultDatabaseUrl,
    ...maskedAs('url-password'),
    description:
      "`sqlite:<path>` or `postgres://…`; a SQLite file's folder must exist, except the default's, made at first start",
  }),
  DATA_DIR: Type.String({
    default: './data',
    description: 'where a generated development secret key is kept (`secret_key`) when SECRET_KEY is unset',
  }),
  SECRET_KEY: Type.Optional(
    Type.String({
      minLength: 32,
      ...maskedAs('value'),
      description:
        'encrypts the stored signing keys (under a key derived from it); HS256 signs with it; required in production',
    }),
  ),
  PUBLIC_URL: Type.Optional(
    Type.String({
      pattern: '^https?://[^/]+',
      description:
        'base URL clients reach; the token issuer (`iss`); required in production; unset: `http://HOST:PORT`',
    }),
  ),
  HOST: Type.String({ default: '127.0.0.1', description: 'listen address; `0.0.0.0` in a container' }),
  PORT: Count(8000, 0, 65535, 'listen port (0 picks a free one)'),
};

// Tokens, sessions and their lifetimes.
const tokens = {
  JWT_ALGORITHM: Type.Enum(['EdDSA', 'ES256', 'RS256', 'HS256'], {
    default: 'EdDSA',
    description:
      'the algorithm of the first signing key, made once a server listens and finds no signer; after that ' +
      'the stored signer signs whatever this says, a start with another value logs a warning, and only ' +
      '`gatehouse keys rotate --algorithm` changes it. HS256 signs with SECRET_KEY itself, ' +
      'never stored or published, and changes no stored key',
  }),
  TOKEN_AUDIENCE: Type.String({
    minLength: 1,
    default: 'gatehouse',
    description: 'access token audience (`aud`)',
  }),
  ACCESS_TOKEN_TTL: Duration('15m', 'lifetime of /api/tokens and /auth/jwt access tokens'),
  CONDUIT_TOKEN_TTL: Duration('60d', 'lifetime of the Conduit `token`; it never outlives its session'),
  SESSION_TTL: Duration('60d', 'absolute session lifetime, counted from login'),
  CONSOLE_SESSION_TTL: Duration(
    '8h',
    "lifetime of a staff console sign-in: its session and the access token in the console's cookie",
  ),
  SESSION_IDLE_TTL: Duration('14d', 'a session unused this long ends'),
  MAX_SESSIONS_PER_USER: Count(
    100,
    1,
    10_000,
    'live sessions one user may hold; a sign-in beyond it ends the least recently used ones',
  ),
  REFRESH_REUSE_GRACE: Duration(
    '10s',
    'a refresh token presented again this soon after its rotation gets the current one back (two tabs)',
  ),
  VERIFY_EMAIL_TOKEN_TTL: Duration(
    '3d',
    'how long the link in a verification mail (a new account, a changed address) stays usable',
  ),
  PASSWORD_RESET_TOKEN_TTL: Duration('1h', 'how long the link in a password-reset mail stays usable'),
  ERASE_DEACTIVATED_AFTER: Duration(
    '30d',
    "a deactivated account's email, username, bio, image, password hash and sessions are erased this " +
      'long after deactivation (checked hourly); `0`: never',
  ),
  DJOSER_LOGIN_FIELD: Type.Enum(['email', 'username'], {
    default: 'email',
    description:
      "djoser's LOGIN_FIELD under /auth: what names an account there (both are accepted at login when " +
      'unambiguous), which field is read-only in its user object and which the other routes are named ' +
      'after (set_email/ or set_username/); with `username`, /auth/users/ registers without an email',
  }),
  AUDIT_RETENTION: Duration('365d', 'audit events older than this are deleted (checked hourly)'),
  SEND_VERIFICATION_EMAIL: Flag(
    true,
    'mail a verification link with every new account and every address changed through PUT /api/user ' +
      '(asking for one through the verification routes works either way)',
  ),
  REQUIRE_VERIFIED_EMAIL: Flag(
    false,
    'nobody signs in before confirming their address from the verification mail (off by default: ' +
      'RealWorld clients cannot verify); Conduit registration then answers with no token',
  ),
  SESSION_CACHE_TTL: Duration(
    '5s',
    'how long an instance serves a session and its user from memory before reading them again',
  ),
};

// Password rules and the cost of hashing them.
const passwords = {
  PASSWORD_MIN_LENGTH: Count(8, 1, 1024, 'minimum password length in code points'),
  PASSWORD_MAX_LENGTH: Count(128, 8, 4096, 'maximum password length in code points'),
  ARGON2_MEMORY_KIB: Count(19456, 8, 4194304, 'argon2id memory cost (KiB)'),
  ARGON2_ITERATIONS: Count(2, 1, 100, 'argon2id time cost (passes)'),
  ARGON2_PARALLELISM: Count(1, 1, 16, 'argon2id parallelism (lanes)'),
};

// What the HTTP server accepts.
const requests = {
  CORS_ORIGINS: Type.String({
    default: '',
    description: 'comma-separated origins allowed cross-origin, or `*`; empty: CORS off',
  }),
  TRUST_PROXY: Type.String({
    default: '',
    description: 'comma-separated proxy addresses/CIDRs whose X-Forwarded-For is believed; empty: none',
  }),
  BODY_LIMIT: Count(65536, 1024, 10485760, 'largest request body in bytes; a larger one is answered 413'),
  REQUEST_TIMEOUT: Duration(
    '30s',
    'a request (headers and body) not received in this time, counted from its first byte, is answered 408 ' +
      'and its connection closed; so is a connection that sends nothing',
  ),
  RESPONSE_TIMEOUT: Duration(
    '10s',
    'a request not answered in this time, counted from its headers, is answered 503 with Retry-After (408 ' +
      'if its body is still arriving) and the work behind it abandoned; logged once as a warning',
  ),
  MAX_CONNECTIONS: Count(
    1000,
    0,
    1_000_000,
    'open connections the server holds at once (keep it below the descriptor limit); one client IP (an ' +
      'IPv6 client by its /64) may hold at most half of them, unless TRUST_PROXY is set; beyond it, a new ' +
      'connection gets 503 and is closed; 0 turns the cap off',
  ),
};

// The database connection.
const database = {
  DATABASE_POOL_SIZE: Count(10, 1, 200, 'PostgreSQL connections per instance'),
  DATABASE_CONNECT_TIMEOUT: Duration(
    '5s',
    'PostgreSQL: how long opening a connection, or waiting for a free one of the pool, may take',
  ),
  DATABASE_STATEMENT_TIMEOUT: Duration(
    '5s',
    'PostgreSQL statement (and idle-in-transaction) timeout, enforced by the server: a server that can ' +
      'still speak ends a slow statement and says so',
  ),
  DATABASE_QUERY_TIMEOUT: Duration(
    '6s',
    'PostgreSQL: how long the service waits for the answer to one query before it gives up on it and ' +
      'closes its connection (a connection gone silent never answers); a little longer than ' +
      'DATABASE_STATEMENT_TIMEOUT, so a server that can still speak reports first; at least 100ms',
  ),
  CHANGE_LISTENER_HEARTBEAT: Duration(
    '2s',
    "PostgreSQL: how often the connection that hears other instances' revocations is checked with a " +
      'trivial query, which must answer within the same time; a missed answer drops the session cache, ' +
      'reads every session from the database until it listens again, and reconnects; at least 100ms',
  ),
  MIGRATE_ON_START: Flag(true, '`serve` applies pending migrations first'),
};

// Rate limits and where their counters live.
const rateLimits = {
  REDIS_URL: Type.Optional(
    Type.String({
      pattern: '^rediss?://',
      ...maskedAs('url-password'),
      description:
        '`redis://…` or `rediss://…`: keep the per-IP and per-address rate-limit counters in Redis instead of the database ' +
        '(the per-email login lock stays in the database); while Redis does not answer (a command waits at ' +
        'most 500 ms) they are kept in the database, and back in Redis once it answers again: never skipped; ' +
        'each change is logged once and shown by gatehouse_rate_limit_store_fallback',
    }),
  ),
  REDIS_KEY_PREFIX: Type.String({
    default: 'gatehouse:',
    maxLength: 100,
    description: 'prefix of every Redis key Gatehouse writes, so several services can share one Redis',
  }),
  LOGIN_FAILURES_PER_EMAIL: Count(
    10,
    0,
    1_000_000,
    'failed logins for one email (any casing, existing or not) within RATE_LIMIT_WINDOW_LOGIN after which ' +
      'every login for it is answered 429, whatever the password, until the window ends; 0 turns it off',
  ),
  LOGIN_ATTEMPTS_PER_IP: Count(
    100,
    0,
    1_000_000,
    'login attempts from one client IP (an IPv6 client by its /64) within RATE_LIMIT_WINDOW_LOGIN; ' +
      'beyond it, 429; 0 turns it off',
  ),
  RATE_LIMIT_WINDOW_LOGIN: Duration(
    '15m',
    'the window of LOGIN_FAILURES_PER_EMAIL and LOGIN_ATTEMPTS_PER_IP; it opens at the first counted ' +
      'request and closes this long after (at least 1s)',
  ),
  REGISTRATIONS_PER_IP: Count(
    20,
    0,
    1_000_000,
    'registrations from one client IP (an IPv6 client by its /64) per hour, refused ones included; ' +
      'beyond it, 429; 0 turns it off',
  ),
  MAILS_PER_ADDRESS: Count(
    5,
    0,
    1_000_000,
    'password-reset and verification mails to one address per hour; beyond it the request is still ' +
      'answered 202 but no mail goes out; 0 turns it off',
  ),
};

// Mail: how it is written, where its links lead, and how the outbox delivers it.
const mail = {
  APP_NAME: Type.String({
    minLength: 1,
    maxLength: 100,
    default: 'Gatehouse',
    description: 'the product name mails speak in (subjects, greetings, the default sender name)',
  }),
  SMTP_URL: Type.Optional(
    Type.String({
      pattern: '^smtps?://[^/]',
      ...maskedAs('url-password'),
      description:
        '`smtp://user:pass@host:587` (STARTTLS when the server offers it; `?requireTLS=true` insists) or ' +
        '`smtps://user:pass@host:465` (TLS from the start); unset: outside production each mail is written ' +
        'to a file of its own under DATA_DIR/mail (the log names the file), in production mails wait in the outbox and /readyz says `mail: ' +
        '"not_configured"`',
    }),
  ),
  MAIL_FROM: Type.Optional(
    Type.String({
      minLength: 3,
      maxLength: 320,
      description: 'the sender of every mail; unset: `"<APP_NAME>" <noreply@<PUBLIC_URL host>>`',
    }),
  ),
  VERIFY_EMAIL_LINK: Type.Optional(
    Type.String({
      pattern: '^https?://[^/].*\\{token\\}',
      description:
        'the link of verification and email-change mails, with `{token}` and optionally `{uid}` (as ' +
        "djoser's ACTIVATION_URL); unset: `<PUBLIC_URL>/verify-email?token={token}`",
    }),
  ),
  PASSWORD_RESET_LINK: Type.Optional(
    Type.String({
      pattern: '^https?://[^/].*\\{token\\}',
      description:
        "the link of password-reset mails, with `{token}` and optionally `{uid}` (as djoser's " +
        'PASSWORD_RESET_CONFIRM_URL); unset: `<PUBLIC_URL>/reset-password?token={token}`',
    }),
  ),
  LOGIN_NAME_RESET_LINK: Type.Optional(
    Type.String({
      pattern: '^https?://[^/].*\\{token\\}',
      description:
        "the link of djoser's reset_username/ (or reset_email/) mails, with `{token}` and optionally `{uid}` " +
        "(as djoser's USERNAME_RESET_CONFIRM_URL); unset: `<PUBLIC_URL>/reset-login-name?token={token}`",
    }),
  ),
  MAIL_MAX_ATTEMPTS: Count(
    8,
    1,
    100,
    'delivery attempts before a mail is marked failed; retries wait MAIL_RETRY_DELAY, then three times ' +
      'longer each time (by default 1m, 3m, 9m … about 18 hours in all); an SMTP 5xx answer fails it at once',
  ),
  MAIL_RETRY_DELAY: Duration(
    '1m',
    'the wait before the first retry of a mail; each later wait is three times the last',
  ),
  MAIL_POLL_INTERVAL: Duration(
    '2s',
    'how often the relay looks for due mails; a mail queued on the same instance goes out at once',
  ),
  MAIL_TIMEOUT: Duration(
    '10s',
    'the SMTP connection, greeting and socket-inactivity timeouts, each; a relay leases the mails it ' +
      'claims for ten times this',
  ),
  OUTBOX_RETENTION: Duration(
    '30d',
    'sent and failed mails are deleted from the outbox this long after queuing',
  ),
};

// Observing the service.
const operations = {
  METRICS_TOKEN: Type.Optional(
    Type.String({
      minLength: 32,
      ...maskedAs('value'),
      description:
        'when set, GET /metrics answers only `Authorization: Bearer <METRICS_TOKEN>` (else 401); unset: ' +
        'open to anyone who reaches the port, so set it unless only your network can reach the service',
    }),
  ),
  LOG_LEVEL: Type.Enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
    default: 'info',
    description: 'pino log level',
  }),
};

// Moving from a Django project (gatehouse import-django; docs/migrating-from-django.md).
const migration = {
  LEGACY_DJANGO_SECRET_KEY: Type.Optional(
    Type.String({
      minLength: 1,
      ...maskedAs('value'),
      description:
        "the Django project's SECRET_KEY (or the key its JWTs were signed with): with LEGACY_TOKENS_UNTIL, " +
        "the HS256 tokens it issued (the Conduit tutorial's, drf-jwt's, simplejwt's access tokens) are " +
        'accepted for the users import-django brought; unset: none is',
    }),
  ),
  LEGACY_TOKENS_UNTIL: Type.Optional(
    Type.String({
      pattern: '^\\d{4}-\\d{2}-\\d{2}(T\\d{2}:\\d{2}(:\\d{2}(\\.\\d+)?)?(Z|[+-]\\d{2}:\\d{2}))?$',
      description:
        'when the Django tokens stop being accepted: an ISO 8601 date (midnight UTC) or date-time with its ' +
        'offset; required with LEGACY_DJANGO_SECRET_KEY; from then on they are refused before any signature check',
    }),
  ),
};

/**
 * Every setting Gatehouse reads, by its environment variable name, in the order docs/configuration.md lists
 * them. Defaults, limits and masking live here and nowhere else; a new group of settings is one more object
 * above and one more line below.
 */
export const EnvironmentSchema = Type.Object({
  ...service,
  ...tokens,
  ...passwords,
  ...requests,
  ...database,
  ...rateLimits,
  ...mail,
  ...migration,
  ...operations,
});

export type Environment = Static<typeof EnvironmentSchema>;
