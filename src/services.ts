import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { createAccountService } from './accounts/account-service.ts';
import { createPasswordHasher } from './accounts/password-hasher.ts';
import { createPasswordPolicy } from './accounts/password-policy.ts';
import { createProfileService } from './accounts/profile-service.ts';
import { systemClock, type Clock } from './clock.ts';
import type { Config } from './config/config.ts';
import { createAccessTokens } from './sessions/access-tokens.ts';
import { createChangeFeed } from './sessions/change-feed.ts';
import { createKeyRing } from './sessions/key-ring.ts';
import { createRefreshTokens } from './sessions/refresh-tokens.ts';
import { createSessionService } from './sessions/session-service.ts';
import type { Database } from './store/database.ts';
import { createFollowRepository } from './store/follow-repository.ts';
import { createRefreshTokenRepository } from './store/refresh-token-repository.ts';
import { createSessionRepository } from './store/session-repository.ts';
import { createSigningKeyRepository } from './store/signing-key-repository.ts';
import { createUserRepository } from './store/user-repository.ts';

export interface ServiceOptions {
  config: Config;
  database: Database;
  secretKey: string;
  clock?: Clock;
  /** where trouble that fails no request is reported (a change notification that could not be sent) */
  logger?: Pick<Logger, 'info' | 'warn'>;
}

// The channel on which instances sharing a PostgreSQL database tell each other of revocations.
const changeChannel = 'gatehouse_changes';

// Verified access tokens remembered per instance; each entry is a few hundred bytes.
const verifiedTokenCacheSize = 50_000;

/** Every domain service, wired once; the HTTP server (app.ts) and the CLI both stand on this. */
export async function createServices(options: ServiceOptions) {
  const { config, database, secretKey, clock = systemClock } = options;
  const changes = createChangeFeed(
    (payload) => database.notify(changeChannel, payload),
    (error) => options.logger?.warn({ err: error }, 'could not tell other instances of a change'),
  );
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
    refreshTokens: createRefreshTokens({
      repository: createRefreshTokenRepository(database),
      secretKey,
      reuseGrace: config.refreshReuseGrace,
    }),
    changes: changes.feed,
    clock,
    newId: randomUUID,
    sessionTtl: config.sessionTtl,
    sessionIdleTtl: config.sessionIdleTtl,
    accessTokenTtl: config.accessTokenTtl,
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
  /** Hears the other instances' changes until the returned listener is closed. */
  const listenForChanges = () =>
    database.listen(changeChannel, {
      onMessage: (payload) => {
        changes.receive(payload, sessions);
      },
      onConnected: () => options.logger?.info(`listening for other instances' changes on ${changeChannel}`),
      // messages may have been lost while the connection was down: trust nothing cached
      onGap: () => {
        sessions.forgetEverything();
      },
      onError: (error) => options.logger?.warn({ err: error }, 'change listener lost its connection'),
    });
  return { keys, sessions, accounts, profiles, listenForChanges };
}

export type Services = Awaited<ReturnType<typeof createServices>>;
