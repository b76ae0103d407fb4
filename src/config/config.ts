import { Type, type Static } from 'typebox';
import Value from 'typebox/value';
import { durationPattern, parseDuration } from './duration.ts';

const Duration = (fallback: string, description: string) =>
  Type.String({ pattern: durationPattern, default: fallback, description });
const Count = (fallback: number, minimum: number, maximum: number, description: string) =>
  Type.Integer({ minimum, maximum, default: fallback, description });
const Flag = (fallback: boolean, description: string) => Type.Boolean({ default: fallback, description });

// Nothing configured, Gatehouse keeps its data here, and makes the folder at first start.
const defaultDatabaseUrl = 'sqlite:./data/gatehouse.db';

/**
 * Every setting Gatehouse reads, by its environment variable name. Defaults and limits live here and
 * nowhere else; docs/configuration.md is written from this table.
 */
export const EnvironmentSchema = Type.Object({
  NODE_ENV: Type.String({
    default: 'development',
    description: '`production` requires a strong SECRET_KEY instead of generating one',
  }),
  DATABASE_URL: Type.String({
    pattern: '^(sqlite:|postgres://|postgresql://)',
    default: defaultDatabaseUrl,
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
      description:
        'encrypts the stored signing keys; HS256 signs with a key derived from it; required in production',
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
  JWT_ALGORITHM: Type.Enum(['EdDSA', 'ES256', 'RS256', 'HS256'], {
    default: 'EdDSA',
    description:
      'signing algorithm; a start with a new one makes a key of it the signer, old keys verify until their tokens expire; HS256 signs with SECRET_KEY, no JWKS',
  }),
  TOKEN_AUDIENCE: Type.String({
    minLength: 1,
    default: 'gatehouse',
    description: 'access token audience (`aud`)',
  }),
  ACCESS_TOKEN_TTL: Duration('15m', 'lifetime of /api/tokens and /auth/jwt access tokens'),
  CONDUIT_TOKEN_TTL: Duration('60d', 'lifetime of the Conduit `token`; it never outlives its session'),
  SESSION_TTL: Duration('60d', 'absolute session lifetime, counted from login'),
  SESSION_IDLE_TTL: Duration('14d', 'a session unused this long ends'),
  REFRESH_REUSE_GRACE: Duration(
    '10s',
    'a refresh token presented again this soon after its rotation gets the current one back (two tabs)',
  ),
  SESSION_CACHE_TTL: Duration(
    '5s',
    'how long an instance serves a session and its user from memory before reading them again',
  ),
  PASSWORD_MIN_LENGTH: Count(8, 1, 1024, 'minimum password length in code points'),
  PASSWORD_MAX_LENGTH: Count(128, 8, 4096, 'maximum password length in code points'),
  ARGON2_MEMORY_KIB: Count(19456, 8, 4194304, 'argon2id memory cost (KiB)'),
  ARGON2_ITERATIONS: Count(2, 1, 100, 'argon2id time cost (passes)'),
  ARGON2_PARALLELISM: Count(1, 1, 16, 'argon2id parallelism (lanes)'),
  CORS_ORIGINS: Type.String({
    default: '',
    description: 'comma-separated origins allowed cross-origin, or `*`; empty: CORS off',
  }),
  TRUST_PROXY: Type.String({
    default: '',
    description: 'comma-separated proxy addresses/CIDRs whose X-Forwarded-For is believed; empty: none',
  }),
  BODY_LIMIT: Count(65536, 1024, 10485760, 'largest request body in bytes; a larger one is answered 413'),
  REQUEST_TIMEOUT: Duration('30s', 'a request not finished in this time is answered 408 and closed'),
  DATABASE_POOL_SIZE: Count(10, 1, 200, 'PostgreSQL connections per instance'),
  DATABASE_CONNECT_TIMEOUT: Duration('5s', 'PostgreSQL connect timeout'),
  DATABASE_STATEMENT_TIMEOUT: Duration('10s', 'PostgreSQL statement (and idle-in-transaction) timeout'),
  MIGRATE_ON_START: Flag(true, '`serve` applies pending migrations first'),
  REDIS_URL: Type.Optional(
    Type.String({
      pattern: '^rediss?://',
      description:
        '`redis://…` or `rediss://…`: keep rate-limit counters in Redis instead of the database; ' +
        'when Redis is unreachable, limits are skipped (fail open) and a warning is logged',
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
  METRICS_TOKEN: Type.Optional(
    Type.String({
      minLength: 32,
      description:
        'when set, GET /metrics answers only `Authorization: Bearer <METRICS_TOKEN>` (else 401); unset: ' +
        'open to anyone who reaches the port, so set it unless only your network can reach the service',
    }),
  ),
  LOG_LEVEL: Type.Enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
    default: 'info',
    description: 'pino log level',
  }),
});

export type Environment = Static<typeof EnvironmentSchema>;

/** Thrown with one line per bad setting. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

// Retry-After counts whole seconds: a shorter window could not be told to a client.
const minimumRateLimitWindow = 1000;

type Env = Readonly<Record<string, string | undefined>>;

// Only our settings, defaults filled in, strings converted to the schema's types (not yet checked).
function withDefaults(env: Env): Record<string, unknown> {
  const given: Record<string, string> = {};
  for (const key of Object.keys(EnvironmentSchema.properties)) {
    const value = env[key];
    if (value !== undefined && value !== '') given[key] = value;
  }
  // Default and Convert change their argument in place
  const converted = Value.Convert(
    EnvironmentSchema,
    Value.Default(EnvironmentSchema, { ...given }),
  ) as Record<string, unknown>;
  // Convert would quietly truncate "2.5" to 2; an integer setting not written as one stays a string, so
  // the check reports it
  for (const [key, schema] of Object.entries(EnvironmentSchema.properties)) {
    const value = given[key];
    if ('type' in schema && schema.type === 'integer' && value !== undefined && !/^-?[0-9]+$/.test(value)) {
      converted[key] = value;
    }
  }
  return converted;
}

/** Every setting as it is in effect, by variable name, secrets masked: what `gatehouse config` prints. */
export function describeSettings(env: Env): Array<[name: string, value: string]> {
  loadConfig(env);
  const settings = withDefaults(env);
  // every known key, so an unset optional one (SECRET_KEY, PUBLIC_URL) says so rather than vanishing
  return Object.keys(EnvironmentSchema.properties).map((name) => [name, mask(name, settings[name])]);
}

function mask(name: string, value: unknown): string {
  if (value === undefined) return name === 'SECRET_KEY' ? '(unset: generated in DATA_DIR)' : '(unset)';
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  if (name === 'SECRET_KEY' || name === 'METRICS_TOKEN') return '********';
  // keep the address, hide a password inside a connection URL (`redis://:password@host` has no user)
  if (name === 'DATABASE_URL' || name === 'REDIS_URL')
    return text.replace(/\/\/([^:/@]*):[^@]*@/, '//$1:********@');
  return text;
}

/** Parses, defaults and validates the environment; every bad key is reported at once. */
export function loadConfig(env: Env) {
  const converted = withDefaults(env);
  const problems = Value.Errors(EnvironmentSchema, converted).map((error) => {
    const allowed = error.keyword === 'enum' ? ` (${String(error.params.allowedValues)})` : '';
    return `${error.instancePath.slice(1) || 'environment'}: ${error.message}${allowed}`;
  });
  if (problems.length === 0) {
    const checked = converted as Environment;
    if (checked.PASSWORD_MIN_LENGTH > checked.PASSWORD_MAX_LENGTH) {
      problems.push('PASSWORD_MIN_LENGTH: must not exceed PASSWORD_MAX_LENGTH');
    }
    if (parseDuration(checked.RATE_LIMIT_WINDOW_LOGIN) < minimumRateLimitWindow) {
      problems.push('RATE_LIMIT_WINDOW_LOGIN: must be at least 1s');
    }
    if (checked.NODE_ENV === 'production' && checked.SECRET_KEY === undefined) {
      problems.push('SECRET_KEY: required when NODE_ENV=production (at least 32 characters)');
    }
    if (checked.NODE_ENV === 'production' && checked.PUBLIC_URL === undefined) {
      // the issuer every instance signs and checks, and the base of mailed links: never a guess
      problems.push('PUBLIC_URL: required when NODE_ENV=production (the URL clients reach the service at)');
    }
    if (
      checked.NODE_ENV === 'production' &&
      checked.SECRET_KEY !== undefined &&
      isWeakSecret(checked.SECRET_KEY)
    ) {
      problems.push('SECRET_KEY: refusing a placeholder or low-entropy value in production');
    }
  }
  if (problems.length > 0) throw new ConfigError(`invalid configuration: ${problems.join('; ')}`);
  return toConfig(converted as Environment);
}

function toConfig(env: Environment) {
  return Object.freeze({
    production: env.NODE_ENV === 'production',
    databaseUrl: env.DATABASE_URL,
    // only the default file's folder is made when missing: a folder someone named must exist, or a
    // mistyped path would quietly become a new, empty database
    createDatabaseFolder: env.DATABASE_URL === defaultDatabaseUrl,
    dataDir: env.DATA_DIR,
    secretKey: env.SECRET_KEY,
    publicUrl: (env.PUBLIC_URL ?? `http://${env.HOST}:${env.PORT}`).replace(/\/+$/, ''),
    host: env.HOST,
    port: env.PORT,
    jwtAlgorithm: env.JWT_ALGORITHM,
    tokenAudience: env.TOKEN_AUDIENCE,
    accessTokenTtl: parseDuration(env.ACCESS_TOKEN_TTL),
    conduitTokenTtl: parseDuration(env.CONDUIT_TOKEN_TTL),
    sessionTtl: parseDuration(env.SESSION_TTL),
    sessionIdleTtl: parseDuration(env.SESSION_IDLE_TTL),
    sessionCacheTtl: parseDuration(env.SESSION_CACHE_TTL),
    refreshReuseGrace: parseDuration(env.REFRESH_REUSE_GRACE),
    passwordMinLength: env.PASSWORD_MIN_LENGTH,
    passwordMaxLength: env.PASSWORD_MAX_LENGTH,
    argon2: Object.freeze({
      memoryCost: env.ARGON2_MEMORY_KIB,
      timeCost: env.ARGON2_ITERATIONS,
      parallelism: env.ARGON2_PARALLELISM,
    }),
    corsOrigins: splitList(env.CORS_ORIGINS),
    trustProxy: splitList(env.TRUST_PROXY),
    bodyLimit: env.BODY_LIMIT,
    requestTimeout: parseDuration(env.REQUEST_TIMEOUT),
    databasePoolSize: env.DATABASE_POOL_SIZE,
    databaseConnectTimeout: parseDuration(env.DATABASE_CONNECT_TIMEOUT),
    databaseStatementTimeout: parseDuration(env.DATABASE_STATEMENT_TIMEOUT),
    migrateOnStart: env.MIGRATE_ON_START,
    redisUrl: env.REDIS_URL,
    redisKeyPrefix: env.REDIS_KEY_PREFIX,
    rateLimits: Object.freeze({
      loginFailuresPerEmail: env.LOGIN_FAILURES_PER_EMAIL,
      loginAttemptsPerIp: env.LOGIN_ATTEMPTS_PER_IP,
      loginWindow: parseDuration(env.RATE_LIMIT_WINDOW_LOGIN),
      registrationsPerIp: env.REGISTRATIONS_PER_IP,
      mailsPerAddress: env.MAILS_PER_ADDRESS,
    }),
    metricsToken: env.METRICS_TOKEN,
    logLevel: env.LOG_LEVEL,
  });
}

export type Config = ReturnType<typeof toConfig>;

/** The longest lifetime an access token is issued with: how long a retired signing key keeps verifying. */
export function longestTokenLifetime(config: Pick<Config, 'accessTokenTtl' | 'conduitTokenTtl'>): number {
  return Math.max(config.accessTokenTtl, config.conduitTokenTtl);
}

function splitList(value: string): readonly string[] {
  return Object.freeze(
    value
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item.length > 0),
  );
}

// A production secret must not be an example value copied from docs or a run of one character.
function isWeakSecret(secret: string): boolean {
  const lowered = secret.toLowerCase();
  const placeholders = ['change', 'secret', 'example', 'default', 'insecure', 'password'];
  return placeholders.some((word) => lowered.includes(word)) || new Set(secret).size < 10;
}
