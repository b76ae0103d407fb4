import { randomBytes, randomUUID } from 'node:crypto';
import pino from 'pino';
import { createAuditTrail } from '../../src/audit/audit-trail.ts';
import type { Clock } from '../../src/clock.ts';
import { createKeyRing } from '../../src/keys/key-ring.ts';
import { ignoreMetrics } from '../../src/metrics/metrics.ts';
import { createAccessTokens } from '../../src/sessions/access-tokens.ts';
import { createRefreshTokens } from '../../src/sessions/refresh-tokens.ts';
import { createSessionService, type SessionServiceDeps } from '../../src/sessions/session-service.ts';
import type { Database } from '../../src/store/database.ts';
import { createSigningKeyRepository } from '../../src/store/signing-key-repository.ts';
import { createStore } from '../../src/store/store.ts';

const day = 86_400_000;

/**
 * The session service over a migrated database, wired as services.ts wires it: a real store, key ring
 * (EdDSA, a fresh SECRET_KEY), access and refresh tokens; a change feed that tells nobody. `adjust` sees
 * those defaults and replaces what a test needs to watch or change (the tokens, the feed, the metrics).
 */
export function sessionServiceOver(
  database: Database,
  clock: Clock,
  adjust: (defaults: SessionServiceDeps) => Partial<SessionServiceDeps> = () => ({}),
) {
  // an after-commit action that fails is a failure of the test
  const store = createStore(database, (error) => {
    throw error;
  });
  const secretKey = randomBytes(32).toString('base64url');
  const keys = createKeyRing({
    repository: createSigningKeyRepository(database),
    secretKey,
    algorithm: 'EdDSA',
    clock,
    newId: randomUUID,
    maxTokenLifetime: day,
    onReloadFailure: (error) => {
      throw error;
    },
    onAlgorithmOverridden: () => undefined,
  });
  const defaults: SessionServiceDeps = {
    store,
    tokens: createAccessTokens({
      keys,
      issuer: 'test',
      audience: 'test',
      clock,
      maxLifetime: day,
      cacheSize: 100,
      cacheMetrics: ignoreMetrics.tokenCache,
    }),
    refreshTokens: createRefreshTokens({ store, reuseGrace: 10_000 }),
    changes: { sessionRevoked: () => Promise.resolve(), userChanged: () => Promise.resolve() },
    audit: createAuditTrail({
      events: store.auditEvents,
      clock,
      newId: randomUUID,
      logger: pino({ level: 'silent' }),
    }),
    clock,
    newId: randomUUID,
    sessionTtl: 60 * day,
    consoleSessionTtl: day / 3,
    sessionIdleTtl: 14 * day,
    maxSessionsPerUser: 100,
    accessTokenTtl: 900_000,
    longLivedTokenTtl: day,
    cacheTtl: 5_000,
    // as an instance alone on its database: its cache needs no listener to be trusted
    sharedDatabase: false,
    pruneEvery: 1000,
    metrics: ignoreMetrics,
  };
  return { service: createSessionService({ ...defaults, ...adjust(defaults) }), store };
}
