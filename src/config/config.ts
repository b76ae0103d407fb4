import Value from 'typebox/value';
import { parseDuration } from './duration.ts';
import { defaultDatabaseUrl, EnvironmentSchema, type Environment } from './environment-schema.ts';

/** Thrown with one line per bad setting. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

// Retry-After counts whole seconds: a shorter window could not be told to a client.
const minimumRateLimitWindow = 1000;
// A deadline of 0 would mean none at all (pg's and Node's reading: a client could hold a request, or a
// query wait, forever), and a shorter one fails healthy work.
const minimumDeadline = 100;

export type Env = Readonly<Record<string, string | undefined>>;

/**
 * Only our settings, by variable name, defaults filled in, strings converted to the schema's types (not yet
 * checked): what `loadConfig` validates and `describeSettings` prints.
 */
export function settingsOf(env: Env): Record<string, unknown> {
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

/** Parses, defaults and validates the environment; every bad key is reported at once. */
export function loadConfig(env: Env) {
  const converted = settingsOf(env);
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
    if (checked.REQUIRE_VERIFIED_EMAIL && !checked.SEND_VERIFICATION_EMAIL) {
      // nobody could sign in without asking for a mail first: surely not what was meant
      problems.push('REQUIRE_VERIFIED_EMAIL: needs SEND_VERIFICATION_EMAIL=true');
    }
    const deadlines = [
      'DATABASE_QUERY_TIMEOUT',
      'CHANGE_LISTENER_HEARTBEAT',
      'REQUEST_TIMEOUT',
      'RESPONSE_TIMEOUT',
    ] as const;
    for (const key of deadlines) {
      if (parseDuration(checked[key]) < minimumDeadline) problems.push(`${key}: must be at least 100ms`);
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
    publicUrl: publicUrlOf(env),
    host: env.HOST,
    port: env.PORT,
    jwtAlgorithm: env.JWT_ALGORITHM,
    tokenAudience: env.TOKEN_AUDIENCE,
    accessTokenTtl: parseDuration(env.ACCESS_TOKEN_TTL),
    conduitTokenTtl: parseDuration(env.CONDUIT_TOKEN_TTL),
    sessionTtl: parseDuration(env.SESSION_TTL),
    consoleSessionTtl: parseDuration(env.CONSOLE_SESSION_TTL),
    sessionIdleTtl: parseDuration(env.SESSION_IDLE_TTL),
    maxSessionsPerUser: env.MAX_SESSIONS_PER_USER,
    sessionCacheTtl: parseDuration(env.SESSION_CACHE_TTL),
    refreshReuseGrace: parseDuration(env.REFRESH_REUSE_GRACE),
    verifyEmailTokenTtl: parseDuration(env.VERIFY_EMAIL_TOKEN_TTL),
    passwordResetTokenTtl: parseDuration(env.PASSWORD_RESET_TOKEN_TTL),
    requireVerifiedEmail: env.REQUIRE_VERIFIED_EMAIL,
    sendVerificationEmail: env.SEND_VERIFICATION_EMAIL,
    auditRetention: parseDuration(env.AUDIT_RETENTION),
    eraseDeactivatedAfter: parseDuration(env.ERASE_DEACTIVATED_AFTER),
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
    responseTimeout: parseDuration(env.RESPONSE_TIMEOUT),
    maxConnections: env.MAX_CONNECTIONS,
    databasePoolSize: env.DATABASE_POOL_SIZE,
    databaseConnectTimeout: parseDuration(env.DATABASE_CONNECT_TIMEOUT),
    databaseStatementTimeout: parseDuration(env.DATABASE_STATEMENT_TIMEOUT),
    databaseQueryTimeout: parseDuration(env.DATABASE_QUERY_TIMEOUT),
    changeListenerHeartbeat: parseDuration(env.CHANGE_LISTENER_HEARTBEAT),
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
    mail: Object.freeze({
      appName: env.APP_NAME,
      smtpUrl: env.SMTP_URL,
      from:
        env.MAIL_FROM ??
        `"${env.APP_NAME.replace(/["\\]/g, '')}" <noreply@${new URL(publicUrlOf(env)).hostname}>`,
      verifyEmailLink: env.VERIFY_EMAIL_LINK,
      passwordResetLink: env.PASSWORD_RESET_LINK,
      maxAttempts: env.MAIL_MAX_ATTEMPTS,
      retryDelay: parseDuration(env.MAIL_RETRY_DELAY),
      pollInterval: parseDuration(env.MAIL_POLL_INTERVAL),
      timeout: parseDuration(env.MAIL_TIMEOUT),
      retention: parseDuration(env.OUTBOX_RETENTION),
    }),
    metricsToken: env.METRICS_TOKEN,
    logLevel: env.LOG_LEVEL,
  });
}

export type Config = ReturnType<typeof toConfig>;

function publicUrlOf(env: Environment): string {
  return (env.PUBLIC_URL ?? `http://${env.HOST}:${env.PORT}`).replace(/\/+$/, '');
}

/** The longest lifetime an access token is issued with: how long a retired signing key keeps verifying. */
export function longestTokenLifetime(
  config: Pick<Config, 'accessTokenTtl' | 'conduitTokenTtl' | 'consoleSessionTtl'>,
): number {
  return Math.max(config.accessTokenTtl, config.conduitTokenTtl, config.consoleSessionTtl);
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
