import { Type, type Static } from 'typebox';
import Value from 'typebox/value';
import { parseDuration } from './duration.ts';

const Duration = (fallback: string, description: string) =>
  Type.String({ pattern: '^[0-9]+(ms|s|m|h|d)?$', default: fallback, description });
const Count = (fallback: number, minimum: number, maximum: number, description: string) =>
  Type.Integer({ minimum, maximum, default: fallback, description });
const Flag = (fallback: boolean, description: string) => Type.Boolean({ default: fallback, description });

/**
 * Every setting Gatehouse reads, by its environment variable name. Defaults and limits live here and
 * nowhere else; docs/configuration.md is written from this table.
 */
export const EnvironmentSchema = Type.Object({
  NODE_ENV: Type.String({ default: 'development', description: '`production` turns on the strict checks' }),
  DATABASE_URL: Type.String({
    pattern: '^(sqlite:|postgres://|postgresql://)',
    default: 'sqlite:./data/gatehouse.db',
    description: '`sqlite:<path>` or `postgres://…`',
  }),
  DATA_DIR: Type.String({ default: './data', description: 'where the development secret key is kept' }),
  SECRET_KEY: Type.Optional(
    Type.String({
      minLength: 32,
      description: 'encrypts signing keys; HS256 secret; required in production',
    }),
  ),
  PUBLIC_URL: Type.Optional(
    Type.String({
      pattern: '^https?://[^/]+',
      description: 'token issuer (`iss`); default http://HOST:PORT',
    }),
  ),
  HOST: Type.String({ default: '127.0.0.1', description: 'listen address; `0.0.0.0` in a container' }),
  PORT: Count(8000, 0, 65535, 'listen port (0 picks a free one)'),
  JWT_ALGORITHM: Type.Enum(['EdDSA', 'ES256', 'RS256', 'HS256'], {
    default: 'EdDSA',
    description:
      'signing algorithm; a start with a new one makes a key of it the signer, old keys verify until their tokens expire; HS256 signs with SECRET_KEY, no JWKS',
  }),
  TOKEN_AUDIENCE: Type.String({ minLength: 1, default: 'gatehouse', description: 'access token `aud`' }),
  ACCESS_TOKEN_TTL: Duration('15m', 'lifetime of /api/tokens and /auth/jwt access tokens'),
  CONDUIT_TOKEN_TTL: Duration('60d', 'lifetime of the Conduit `token`'),
  SESSION_TTL: Duration('60d', 'absolute session lifetime'),
  SESSION_IDLE_TTL: Duration('14d', 'a session unused this long ends'),
  SESSION_CACHE_TTL: Duration('5s', 'how long an instance trusts its cached session and user state'),
  PASSWORD_MIN_LENGTH: Count(8, 1, 1024, 'minimum password length in code points'),
  PASSWORD_MAX_LENGTH: Count(128, 8, 4096, 'maximum password length in code points'),
  ARGON2_MEMORY_KIB: Count(19456, 8, 4194304, 'argon2id memory cost (KiB)'),
  ARGON2_ITERATIONS: Count(2, 1, 100, 'argon2id time cost'),
  ARGON2_PARALLELISM: Count(1, 1, 16, 'argon2id lanes'),
  CORS_ORIGINS: Type.String({
    default: '',
    description: 'comma-separated origins allowed cross-origin, or `*`',
  }),
  TRUST_PROXY: Type.String({
    default: '',
    description: 'comma-separated proxy addresses/CIDRs whose X-Forwarded-For is believed',
  }),
  BODY_LIMIT: Count(65536, 1024, 10485760, 'largest request body in bytes'),
  REQUEST_TIMEOUT: Duration('30s', 'a request not finished in this time is answered 408 and closed'),
  DATABASE_POOL_SIZE: Count(10, 1, 200, 'PostgreSQL connections per instance'),
  DATABASE_CONNECT_TIMEOUT: Duration('5s', 'PostgreSQL connect timeout'),
  DATABASE_STATEMENT_TIMEOUT: Duration('10s', 'PostgreSQL statement timeout'),
  MIGRATE_ON_START: Flag(true, '`serve` applies pending migrations first'),
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

type Env = Readonly<Record<string, string | undefined>>;

// Only our settings, defaults filled in, strings converted to the schema's types (not yet checked).
function withDefaults(env: Env): Record<string, unknown> {
  const raw: Record<string, unknown> = {};
  for (const key of Object.keys(EnvironmentSchema.properties)) {
    const value = env[key];
    if (value !== undefined && value !== '') raw[key] = value;
  }
  return Value.Convert(EnvironmentSchema, Value.Default(EnvironmentSchema, raw)) as Record<string, unknown>;
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
  if (name === 'SECRET_KEY') return '********';
  // keep the address, hide a password inside a connection URL
  if (name === 'DATABASE_URL') return text.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:********@');
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
    if (checked.NODE_ENV === 'production' && checked.SECRET_KEY === undefined) {
      problems.push('SECRET_KEY: required when NODE_ENV=production (at least 32 characters)');
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
