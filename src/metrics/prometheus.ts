import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { PoolStats } from '../store/database.ts';
import type {
  ApiDialect,
  CacheMetrics,
  CredentialOutcome,
  CredentialRoute,
  MailEvent,
  MailKind,
  Metrics,
  RateLimitName,
  RefreshOutcome,
} from './metrics.ts';
import type { RevocationReason } from '../store/session-repository.ts';

const prefix = 'gatehouse_';

// Seconds. From a cached GET /api/user (well under a millisecond) to a login waiting on argon2 and a busy
// database; the request timeout (30 s) ends anything beyond the last bucket.
const durationBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Why a connection was closed before its first request was read. */
export type ConnectionRefusal = 'cap' | 'address_cap' | 'draining';

/** Counts the answers of one route; bound once, when the route is registered. */
export type RouteRecorder = (statusCode: number, seconds: number) => void;

/** What the service's PostgreSQL side can tell at scrape time; SQLite has neither a pool nor a listener. */
export interface DatabaseGauges {
  pool?: (() => PoolStats) | undefined;
  /** whether the LISTEN connection for other instances' revocations is up */
  isListening?: (() => boolean) | undefined;
}

export type GatehouseMetrics = ReturnType<typeof createMetrics>;

/**
 * Every metric Gatehouse exposes, on a registry of its own (never prom-client's global one, so one process
 * can hold several apps, as the tests do). Label values come only from closed unions, route patterns and
 * status codes: nothing a client sends can add a series.
 */
export function createMetrics() {
  const registry = new Registry();
  const registers = [registry];
  // CPU, memory, heap, event-loop lag, GC, handles: read when scraped
  collectDefaultMetrics({ register: registry, prefix });

  const requests = new Counter({
    name: `${prefix}http_requests_total`,
    help: 'HTTP requests answered, by method, route pattern (`unmatched` when no route matched) and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers,
  });
  const durations = new Histogram({
    name: `${prefix}http_request_duration_seconds`,
    help: 'Time from receiving a request to the end of its answer, by method and route pattern',
    labelNames: ['method', 'route'] as const,
    buckets: durationBuckets,
    registers,
  });
  const credentialCounters = {
    login: new Counter({
      name: `${prefix}logins_total`,
      help: 'Password logins, by dialect and outcome',
      labelNames: ['dialect', 'outcome'] as const,
      registers,
    }),
    registration: new Counter({
      name: `${prefix}registrations_total`,
      help: 'Registrations, by dialect and outcome',
      labelNames: ['dialect', 'outcome'] as const,
      registers,
    }),
  } satisfies Record<CredentialRoute, Counter<'dialect' | 'outcome'>>;
  const refreshes = new Counter({
    name: `${prefix}token_refreshes_total`,
    help: 'Refresh tokens presented, by outcome (rotated, replayed within the grace period, reuse_detected, invalid)',
    labelNames: ['outcome'] as const,
    registers,
  });
  const revocations = new Counter({
    name: `${prefix}session_revocations_total`,
    help: 'Sessions ended, by reason',
    labelNames: ['reason'] as const,
    registers,
  });
  const refusals = new Counter({
    name: `${prefix}rate_limit_refusals_total`,
    help: 'Requests a rate limit refused (mails: a mail not sent), by limit',
    labelNames: ['limit'] as const,
    registers,
  });
  const fallback = new Gauge({
    name: `${prefix}rate_limit_store_fallback`,
    help: '1 while Redis (REDIS_URL) does not answer and the rate-limit counters it holds are kept in the database instead, else 0',
    registers,
  });
  fallback.set(0);

  const mails = new Counter({
    name: `${prefix}mails_total`,
    help: 'Mails by kind and event: queued (committed to the outbox), sent, retried (an attempt failed), failed (given up on)',
    labelNames: ['kind', 'event'] as const,
    registers,
  });

  const legacyTokens = new Counter({
    name: `${prefix}legacy_tokens_total`,
    help: 'Requests authenticated by a token the replaced Django system issued (LEGACY_DJANGO_SECRET_KEY); when it stays flat, LEGACY_TOKENS_UNTIL can be brought forward',
    registers,
  });

  // The caches are asked on every authenticated request: each answer adds one to a plain number, and the
  // counters read the numbers when scraped (prom-client's own inc costs more than the cache look-up).
  function cacheCounters(name: string, what: string): CacheMetrics {
    const counted = { hits: 0, misses: 0 };
    const counterOf = (kind: keyof typeof counted, help: string) =>
      new Counter({
        name: `${prefix}${name}_${kind}_total`,
        help,
        registers,
        collect() {
          this.reset();
          this.inc(counted[kind]);
        },
      });
    counterOf('hits', `${what} served from memory`);
    counterOf('misses', `${what} not in memory (or stale), so worked out again`);
    return {
      hit: () => {
        counted.hits += 1;
      },
      miss: () => {
        counted.misses += 1;
      },
    };
  }

  const events: Metrics = {
    refreshed: (outcome: RefreshOutcome) => {
      refreshes.inc({ outcome });
    },
    revoked: (reason: RevocationReason, sessions: number) => {
      revocations.inc({ reason }, sessions);
    },
    rateLimited: (limit: RateLimitName) => {
      refusals.inc({ limit });
    },
    mail: (kind: MailKind, event: MailEvent) => {
      mails.inc({ kind, event });
    },
    rateLimitFallback: (inDatabase: boolean) => {
      fallback.set(inDatabase ? 1 : 0);
    },
    legacyTokenUsed: () => {
      legacyTokens.inc();
    },
    sessionCache: cacheCounters('session_cache', 'Session look-ups of authenticated requests'),
    tokenCache: cacheCounters('token_cache', 'Access-token verifications'),
  };

  /** A recorder for one method and route, its label sets bound once rather than built per request. */
  function recorder(method: string, route: string): RouteRecorder {
    const duration = durations.labels(method, route);
    const byStatus = new Map<number, { inc(): void }>();
    return (statusCode, seconds) => {
      let counter = byStatus.get(statusCode);
      if (counter === undefined) {
        counter = requests.labels(method, route, String(statusCode));
        byStatus.set(statusCode, counter);
      }
      counter.inc();
      duration.observe(seconds);
    };
  }

  const unmatched = new Map<string, RouteRecorder>();
  const refusedConnections = new Counter({
    name: `${prefix}http_connections_refused_total`,
    help:
      'Connections answered 503 and closed before a request was read: over MAX_CONNECTIONS (`cap`), over ' +
      "one address's half of it (`address_cap`), or during the drain (`draining`)",
    labelNames: ['reason'] as const,
    registers,
  });
  const clientErrors = new Counter({
    name: `${prefix}http_client_errors_total`,
    help:
      'Requests refused before any route saw them, by status: malformed (400), not received within ' +
      'REQUEST_TIMEOUT (408), chunk extensions too large (413), headers too large (431)',
    labelNames: ['status'] as const,
    registers,
  });

  return {
    /** What the domain services report to. */
    events,

    http: {
      route: recorder,
      /** A request no route matched, under one `unmatched` route whatever its URL. */
      unmatched(method: string): RouteRecorder {
        let record = unmatched.get(method);
        if (record === undefined) {
          record = recorder(method, 'unmatched');
          unmatched.set(method, record);
        }
        return record;
      },
      credentialOutcome(route: CredentialRoute, dialect: ApiDialect, outcome: CredentialOutcome): void {
        credentialCounters[route].inc({ dialect, outcome });
      },
      connectionRefused(reason: ConnectionRefusal): void {
        refusedConnections.inc({ reason });
      },
      clientError(status: number): void {
        clientErrors.inc({ status: String(status) });
      },
      /** Adds the gauge of open connections, read at scrape time. */
      watchConnections(open: () => number): void {
        new Gauge({
          name: `${prefix}http_open_connections`,
          help: 'Client connections open now (MAX_CONNECTIONS caps them)',
          registers,
          collect() {
            this.set(open());
          },
        });
      },
    },

    /** Adds gauges read at scrape time for what the database side has. */
    watchDatabase({ pool, isListening }: DatabaseGauges): void {
      if (pool !== undefined) {
        const gauge = (name: string, help: string, read: (stats: PoolStats) => number) =>
          new Gauge({
            name: `${prefix}${name}`,
            help,
            registers,
            collect() {
              this.set(read(pool()));
            },
          });
        gauge('database_pool_connections', 'PostgreSQL connections open in the pool', (stats) => stats.total);
        gauge(
          'database_pool_idle_connections',
          'PostgreSQL connections open and idle',
          (stats) => stats.idle,
        );
        gauge(
          'database_pool_waiting_queries',
          'Queries waiting for a free PostgreSQL connection',
          (stats) => stats.waiting,
        );
      }
      if (isListening !== undefined) {
        new Gauge({
          name: `${prefix}change_listener_up`,
          help: "1 while the LISTEN connection that hears other instances' revocations is up, else 0",
          registers,
          collect() {
            this.set(isListening() ? 1 : 0);
          },
        });
      }
    },

    /**
     * Adds the outbox's depth: each scrape shows the count the previous one started, so /metrics never
     * waits for the database (it must answer while the database is gone).
     */
    watchOutbox(depth: () => Promise<number>): void {
      let counted = 0;
      let counting = false;
      new Gauge({
        name: `${prefix}mail_outbox_depth`,
        help: 'Mails in the outbox waiting to be sent (queued, or waiting for a retry), as of the previous scrape',
        registers,
        collect() {
          this.set(counted);
          if (counting) return;
          counting = true;
          depth()
            .then(
              (count) => {
                counted = count;
              },
              // a database that cannot answer leaves the last count
              () => undefined,
            )
            .finally(() => {
              counting = false;
            });
        },
      });
    },

    /** The exposition, in the Prometheus text format. */
    exposition: () => registry.metrics(),
    contentType: registry.contentType,
  };
}
