import { randomUUID } from 'node:crypto';
import pino, { type Logger } from 'pino';
import { createAccountEraser } from './accounts/account-eraser.ts';
import { createAccountService } from './accounts/account-service.ts';
import { createDjangoImporter } from './accounts/django-import/django-importer.ts';
import { withDjangoHashes } from './accounts/django-hashes.ts';
import { createAuditPruner } from './audit/audit-pruner.ts';
import { createAuditTrail } from './audit/audit-trail.ts';
import { createAddressVerification } from './accounts/address-verification.ts';
import { createPasswordHasher } from './accounts/password-hasher.ts';
import { createPasswordPolicy } from './accounts/password-policy.ts';
import { createLoginNameReset } from './accounts/login-name-reset.ts';
import { createPasswordReset } from './accounts/password-reset.ts';
import { createVisibleUsers } from './accounts/visible-users.ts';
import { createProfileService } from './accounts/profile-service.ts';
import { systemClock, type Clock } from './clock.ts';
import { longestTokenLifetime, type Config } from './config/config.ts';
import { createRateLimits } from './limits/rate-limits.ts';
import { createMailOutbox } from './mail/mail-outbox.ts';
import { ignoreMetrics, type Metrics } from './metrics/metrics.ts';
import { createAccessTokens } from './sessions/access-tokens.ts';
import { createChangeFeed } from './sessions/change-feed.ts';
import { createKeyRing } from './keys/key-ring.ts';
import { createLegacyTokens } from './sessions/legacy-tokens.ts';
import { createRefreshTokens } from './sessions/refresh-tokens.ts';
import { createSessionService } from './sessions/session-service.ts';
import type { CounterStore } from './store/counter-store.ts';
import { createOutboxRepository } from './store/outbox-repository.ts';
import type { Database, Listener, ListenHandlers } from './store/database.ts';
import { createRedisCounterStore } from './store/redis-counter-store.ts';
import { createActivity } from './staff/activity.ts';
import { createAuditSearch } from './staff/audit-search.ts';
import { createOutboxAdmin } from './staff/outbox-admin.ts';
import { createAccountActions } from './staff/account-actions.ts';
import { createConsoleSessions } from './staff/console-sessions.ts';
import { createScheduledReactivation } from './staff/reactivation.ts';
import { createUserDirectory } from './staff/user-directory.ts';
import { createSigningKeyRepository } from './store/signing-key-repository.ts';
import { createStore } from './store/store.ts';
import type { Worker } from './worker.ts';

export interface ServiceOptions {
  config: Config;
  database: Database;
  secretKey: string;
  clock?: Clock;
  /** where the services report trouble that is not any one request's (the CLI leaves it silent) */
  logger?: Logger;
  /** what the services count (the CLI counts nothing: nobody would scrape it) */
  metrics?: Metrics;
}

// The channel on which instances sharing a PostgreSQL database tell each other of revocations.
const changeChannel = 'gatehouse_changes';

// One indexed delete of long-expired sessions per this many logins, per instance.
const sessionsPerPrune = 1_000;

// Verified access tokens remembered per instance; each entry is a few hundred bytes.
const verifiedTokenCacheSize = 50_000;

/**
 * Every domain service, wired once; the HTTP server (app.ts) and the CLI both stand on this. Building them
 * reads and writes nothing: each service touches the database when it is first asked to.
 */
export async function createServices(options: ServiceOptions) {
  const {
    config,
    database,
    secretKey,
    clock = systemClock,
    logger = pino({ level: 'silent' }),
    metrics = ignoreMetrics,
  } = options;
  const changes = createChangeFeed(
    (payload) => database.notify(changeChannel, payload),
    (error) => {
      logger.warn({ err: error }, 'could not tell other instances of a change');
    },
  );
  const store = createStore(database, (error) => {
    logger.error({ err: error }, 'an action after a commit failed; the change itself stands');
  });
  const maxTokenLifetime = longestTokenLifetime(config);
  const keys = createKeyRing({
    repository: createSigningKeyRepository(database),
    secretKey,
    algorithm: config.jwtAlgorithm,
    clock,
    newId: randomUUID,
    maxTokenLifetime,
    onReloadFailure: (error) => {
      logger.warn({ err: error }, 'reloading the signing keys failed; the loaded keys stay in use');
    },
    onAlgorithmOverridden: (message) => {
      logger.warn(message);
    },
  });
  const tokens = createAccessTokens({
    keys,
    issuer: config.publicUrl,
    audience: config.tokenAudience,
    clock,
    maxLifetime: maxTokenLifetime,
    cacheSize: verifiedTokenCacheSize,
    cacheMetrics: metrics.tokenCache,
  });
  const audit = createAuditTrail({ events: store.auditEvents, clock, newId: randomUUID, logger });
  const sessions = createSessionService({
    store,
    tokens,
    refreshTokens: createRefreshTokens({ store, reuseGrace: config.refreshReuseGrace }),
    changes: changes.feed,
    audit,
    clock,
    newId: randomUUID,
    sessionTtl: config.sessionTtl,
    sessionIdleTtl: config.sessionIdleTtl,
    maxSessionsPerUser: config.maxSessionsPerUser,
    accessTokenTtl: config.accessTokenTtl,
    longLivedTokenTtl: config.conduitTokenTtl,
    consoleSessionTtl: config.consoleSessionTtl,
    cacheTtl: config.sessionCacheTtl,
    sharedDatabase: database.dialect === 'postgres',
    pruneEvery: sessionsPerPrune,
    metrics,
    legacyTokens:
      config.legacyTokens &&
      createLegacyTokens({
        ...config.legacyTokens,
        store,
        audit,
        clock,
        cacheSize: verifiedTokenCacheSize,
      }),
  });
  const { counters, emailLockCounters, close } = openCounters(config, store.counters, logger, metrics);
  const limits = createRateLimits(config.rateLimits, { counters, emailLockCounters, clock, metrics });
  // the queue joins a unit of work; the relay (a worker) works on the database itself
  const mail = createMailOutbox({
    config,
    outbox: createOutboxRepository(database),
    secretKey,
    clock,
    newId: randomUUID,
    logger,
    metrics,
    recordEvent: (event) => audit.record(store, event),
  });
  // Django's hashes too, for users import-django brought: each is replaced by argon2id at its next sign-in
  const hasher = withDjangoHashes(await createPasswordHasher(config.argon2));
  const policy = createPasswordPolicy({
    minLength: config.passwordMinLength,
    maxLength: config.passwordMaxLength,
  });
  const auditPruner = createAuditPruner({
    events: store.auditEvents,
    clock,
    retention: config.auditRetention,
    onFailure: (error) => {
      logger.warn({ err: error }, 'pruning the audit log failed; the next round tries again');
    },
  });
  const verification = createAddressVerification({
    store,
    mail: mail.queue,
    sessions,
    admitMail: (address) => limits.admitMail(address),
    audit,
    clock,
    tokenTtl: config.verifyEmailTokenTtl,
  });
  const passwordReset = createPasswordReset({
    store,
    hasher,
    policy,
    mail: mail.queue,
    sessions,
    limits,
    audit,
    clock,
    tokenTtl: config.passwordResetTokenTtl,
  });
  const loginNameReset = createLoginNameReset({
    store,
    mail: mail.queue,
    sessions,
    limits,
    verification,
    audit,
    clock,
    tokenTtl: config.passwordResetTokenTtl,
  });
  const accounts = createAccountService({
    store,
    hasher,
    policy,
    sessions,
    limits,
    mail: mail.queue,
    verification,
    audit,
    requireVerifiedEmail: config.requireVerifiedEmail,
    sendVerificationEmail: config.sendVerificationEmail,
    clock,
    newId: randomUUID,
  });
  const profiles = createProfileService({ store, clock });
  const visibleUsers = createVisibleUsers({ users: store.users });
  const djangoImporter = createDjangoImporter({ store, sessions, audit, clock, newId: randomUUID });
  const accountEraser = createAccountEraser({
    store,
    sessions,
    audit,
    clock,
    eraseAfter: config.eraseDeactivatedAfter,
    onFailure: (error) => {
      logger.warn({ err: error }, 'erasing deactivated accounts failed; the next round tries again');
    },
  });

  /** Hears the other instances' changes while running; its `isUp` is the metric's reading. */
  const changeListener = createChangeListener(database, config.changeListenerHeartbeat, {
    onMessage: (payload) => {
      changes.receive(payload, sessions);
    },
    onConnected: () => {
      sessions.changesHeard(true);
      logger.info(`listening for other instances' changes on ${changeChannel}`);
    },
    // messages are lost until it listens again: trust nothing cached, read every session meanwhile
    onGap: () => {
      sessions.changesHeard(false);
      logger.warn('change listener down: sessions are read from the database until it listens again');
    },
    onUnannounced: () => {
      sessions.forgetAll();
    },
    onError: (error) => {
      logger.warn({ err: error }, 'change listener lost its connection');
    },
  });
  // close() releases what the services opened besides the database: the Redis connection
  return {
    keys,
    sessions,
    accounts,
    verification,
    passwordReset,
    loginNameReset,
    audit,
    auditPruner,
    accountEraser,
    profiles,
    visibleUsers,
    djangoImporter,
    mail,
    changeListener,
    staff: {
      directory: createUserDirectory({ users: store.users, sessions, events: store.auditEvents, limits }),
      auditLog: createAuditSearch({ events: store.auditEvents }),
      activity: createActivity({ events: store.auditEvents, clock }),
      outbox: createOutboxAdmin({ store, audit, clock, wakeRelay: mail.wake }),
      actions: createAccountActions({
        store,
        accounts,
        sessions,
        passwordReset,
        verification,
        limits,
        audit,
        clock,
      }),
      console: createConsoleSessions({ accounts, sessions, secretKey, clock }),
      reactivation: createScheduledReactivation({
        store,
        sessions,
        audit,
        clock,
        onFailure: (error) => {
          logger.warn({ err: error }, 'reactivating accounts failed; the next round tries again');
        },
      }),
      // the console's cookie travels over HTTPS only, wherever clients reach Gatehouse by HTTPS
      secureCookies: config.publicUrl.startsWith('https:'),
    },
    close,
  };
}

/** The LISTEN side of the change feed, as a worker. */
function createChangeListener(database: Database, heartbeat: number, handlers: ListenHandlers) {
  let listener: Listener | undefined;
  return {
    name: 'change-listener',
    start() {
      listener = database.listen(changeChannel, heartbeat, handlers);
    },
    async stop() {
      await listener?.close();
      listener = undefined;
    },
    /** 1 while the LISTEN connection is up (PostgreSQL only) */
    isUp: () => listener?.isListening?.() ?? false,
  } satisfies Worker & { isUp: () => boolean };
}

/**
 * Where the rate-limit counters live. The per-email lock is always in the database (docs/decisions.md);
 * the others are in Redis when REDIS_URL is set, and in the database while Redis does not answer: slower,
 * but a limit is never skipped. A change of place is logged once and shown by a gauge; the database's own
 * errors propagate, since the request needs the database anyway.
 */
function openCounters(config: Config, inDatabase: CounterStore, logger: Logger, metrics: Metrics) {
  if (config.redisUrl === undefined) {
    return { counters: inDatabase, emailLockCounters: inDatabase, close: () => Promise.resolve() };
  }
  const redis = createRedisCounterStore({
    url: config.redisUrl,
    keyPrefix: config.redisKeyPrefix,
    fallback: inDatabase,
    onUnavailable: (error) => {
      metrics.rateLimitFallback(true);
      logger.error({ err: error }, 'redis unreachable: rate limits count in the database until it is back');
    },
    onAvailable: () => {
      metrics.rateLimitFallback(false);
      logger.info('redis reachable again: rate limits count in redis');
    },
  });
  return { counters: redis, emailLockCounters: inDatabase, close: () => redis.close() };
}

export type Services = Awaited<ReturnType<typeof createServices>>;
