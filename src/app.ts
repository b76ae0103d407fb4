import { randomUUID } from 'node:crypto';
import pino, { type Logger } from 'pino';
import { createAccountService } from './accounts/account-service.ts';
import { createPasswordHasher } from './accounts/password-hasher.ts';
import { createPasswordPolicy } from './accounts/password-policy.ts';
import { createProfileService } from './accounts/profile-service.ts';
import { systemClock, type Clock } from './clock.ts';
import type { Config } from './config/config.ts';
import { buildHttpServer } from './http/server.ts';
import { createRateLimits } from './limits/rate-limits.ts';
import { createAccessTokens } from './sessions/access-tokens.ts';
import { createKeyRing } from './sessions/key-ring.ts';
import { createSessionService } from './sessions/session-service.ts';
import type { Database } from './store/database.ts';
import { createCounterRepository } from './store/counter-repository.ts';
import { createFollowRepository } from './store/follow-repository.ts';
import { isMigrated } from './store/migrator.ts';
import { createSessionRepository } from './store/session-repository.ts';
import { createRedisCounterStore } from './store/redis-counter-store.ts';
import { createSigningKeyRepository } from './store/signing-key-repository.ts';
import { createUserRepository } from './store/user-repository.ts';

export interface ServiceOptions {
  config: Config;
  database: Database;
  secretKey: string;
  clock?: Clock;
  /** where the services report trouble that is not any one request's (the CLI leaves it silent) */
  logger?: Logger;
}

// Verified access tokens remembered per instance; each entry is a few hundred bytes.
const verifiedTokenCacheSize = 50_000;

/** Every domain service, wired once; the HTTP server and the CLI both stand on this. */
export async function createServices({
  config,
  database,
  secretKey,
  clock = systemClock,
  logger = pino({ level: 'silent' }),
}: ServiceOptions) {
  const users = createUserRepository(database);
  const keys = await createKeyRing({
    repository: createSigningKeyRepository(database),
    secretKey,
    algorithm: config.jwtAlgorithm,
    clock,
    newId: randomUUID,
  });
  const tokens = createAccessTokens({
    keys,
    issuer: config.publicUrl,
    audience: config.tokenAudience,
    clock,
    maxLifetime: Math.max(config.accessTokenTtl, config.conduitTokenTtl),
    cacheSize: verifiedTokenCacheSize,
  });
  const sessions = createSessionService({
    sessions: createSessionRepository(database),
    users,
    tokens,
    clock,
    newId: randomUUID,
    sessionTtl: config.sessionTtl,
    sessionIdleTtl: config.sessionIdleTtl,
    cacheTtl: config.sessionCacheTtl,
  });
  const accounts = createAccountService({
    users,
    hasher: await createPasswordHasher(config.argon2),
    policy: createPasswordPolicy({
      minLength: config.passwordMinLength,
      maxLength: config.passwordMaxLength,
    }),
    sessions,
    clock,
    newId: randomUUID,
  });
  const profiles = createProfileService({ users, follows: createFollowRepository(database), clock });
  const { counters, onCounterFailure, close } = openCounters(config, database, logger);
  const limits = createRateLimits(config.rateLimits, { counters, clock, onCounterFailure });
  // close() releases what the services opened besides the database: the Redis connection
  return { keys, sessions, accounts, profiles, limits, close };
}

/**
 * Where the rate-limit counters live: in Redis when REDIS_URL is set, else in the database. A Redis that
 * is down must not turn into a login outage, so its limits are skipped (fail open) and the fact logged;
 * the database's errors propagate, since the request needs the database anyway.
 */
function openCounters(config: Config, database: Database, logger: Logger) {
  if (config.redisUrl === undefined) {
    return {
      counters: createCounterRepository(database),
      onCounterFailure: undefined,
      close: () => Promise.resolve(),
    };
  }
  const redis = createRedisCounterStore({
    url: config.redisUrl,
    keyPrefix: config.redisKeyPrefix,
    onUnavailable: (error) => {
      logger.error({ err: error }, 'redis unreachable: rate limits are not enforced until it is back');
    },
    onAvailable: () => {
      logger.info('redis reachable again: rate limits are enforced');
    },
  });
  return {
    counters: redis,
    onCounterFailure: (error: unknown) => {
      logger.warn({ err: error }, 'rate-limit counter unavailable: request let through');
    },
    close: () => redis.close(),
  };
}

export type Services = Awaited<ReturnType<typeof createServices>>;

/** The one composition root of the HTTP service. */
export async function buildApp(options: ServiceOptions & { logger: Logger }) {
  const { config, database, logger } = options;
  const services = await createServices(options);
  const app = await buildHttpServer({
    config,
    logger,
    ...services,
    isUnavailable: (error) => database.isUnavailableError(error),
    isReady: async () => {
      const reachable = await database.ping();
      return { database: reachable, migrations: reachable && (await isMigrated(database)) };
    },
  });
  app.addHook('onClose', services.close);
  return app;
}
