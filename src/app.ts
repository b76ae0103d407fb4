import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { createAccountService } from './accounts/account-service.ts';
import { createPasswordHasher } from './accounts/password-hasher.ts';
import { createPasswordPolicy } from './accounts/password-policy.ts';
import { createProfileService } from './accounts/profile-service.ts';
import { systemClock, type Clock } from './clock.ts';
import { longestTokenLifetime, type Config } from './config/config.ts';
import { buildHttpServer } from './http/server.ts';
import { createAccessTokens } from './sessions/access-tokens.ts';
import { createKeyRing } from './sessions/key-ring.ts';
import { createSessionService } from './sessions/session-service.ts';
import type { Database } from './store/database.ts';
import { createFollowRepository } from './store/follow-repository.ts';
import { isMigrated } from './store/migrator.ts';
import { createSessionRepository } from './store/session-repository.ts';
import { createSigningKeyRepository } from './store/signing-key-repository.ts';
import { createUserRepository } from './store/user-repository.ts';

export interface ServiceOptions {
  config: Config;
  database: Database;
  secretKey: string;
  clock?: Clock;
  /** where background failures (a key reload) are reported; the CLI has none */
  logger?: Logger;
}

// Verified access tokens remembered per instance; each entry is a few hundred bytes.
const verifiedTokenCacheSize = 50_000;

/** Every domain service, wired once; the HTTP server and the CLI both stand on this. */
export async function createServices(options: ServiceOptions) {
  const { config, database, secretKey, clock = systemClock, logger } = options;
  const users = createUserRepository(database);
  const maxTokenLifetime = longestTokenLifetime(config);
  const keys = await createKeyRing({
    repository: createSigningKeyRepository(database),
    secretKey,
    algorithm: config.jwtAlgorithm,
    clock,
    newId: randomUUID,
    maxTokenLifetime,
    onReloadFailure: (error) => {
      logger?.warn({ err: error }, 'reloading the signing keys failed; the loaded keys stay in use');
    },
  });
  const tokens = createAccessTokens({
    keys,
    issuer: config.publicUrl,
    audience: config.tokenAudience,
    clock,
    maxLifetime: maxTokenLifetime,
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
  return { keys, sessions, accounts, profiles };
}

export type Services = Awaited<ReturnType<typeof createServices>>;

/** The one composition root of the HTTP service. */
export async function buildApp(options: ServiceOptions & { logger: Logger }) {
  const { config, database, logger } = options;
  const services = await createServices(options);
  return buildHttpServer({
    config,
    logger,
    ...services,
    isUnavailable: (error) => database.isUnavailableError(error),
    isReady: async () => {
      const reachable = await database.ping();
      return { database: reachable, migrations: reachable && (await isMigrated(database)) };
    },
  });
}
