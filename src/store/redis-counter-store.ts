import type * as IORedis from 'ioredis';
import { loadOnFirstUse, requirePackage } from '../lazy-package.ts';
import type { CounterStore, WindowCount } from './counter-store.ts';

// A rate-limit check must never hold a request up for long, and a Redis that is gone must be noticed
// within a second whether it refuses connections or goes silent without closing them (a NAT or load
// balancer forgetting the connection, a failover): a command unanswered after commandTimeout fails (and
// the count goes to the fallback); a connection that has received nothing socketTimeout after a command
// was written (the handshake's included) is destroyed, and a new one tried within reconnectAtMost.
const commandTimeout = 500;
const connectTimeout = 1000;
const socketTimeout = 1000;
const reconnectAtMost = 1000;

// One round trip, atomic on the server. The window's end comes from the caller's clock, so Redis and SQL
// keep the same windows; Redis's own expiry, set when a window opens, only removes the key afterwards.
// KEYS[1] the counter; ARGV[1] now, ARGV[2] the end of a window opened now (epoch ms), ARGV[3] its length.
const incrementScript = `
local endsAt = tonumber(redis.call('HGET', KEYS[1], 'endsAt'))
if endsAt == nil or endsAt <= tonumber(ARGV[1]) then
  redis.call('HSET', KEYS[1], 'hits', 1, 'endsAt', ARGV[2])
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
  return {1, tonumber(ARGV[2])}
end
return {redis.call('HINCRBY', KEYS[1], 'hits', 1), endsAt}
`;

// KEYS[1] the counter; ARGV[1] the end of the window the hit was counted in. The window's only hit goes
// with its key, as in the SQL store.
const releaseScript = `
if redis.call('HGET', KEYS[1], 'endsAt') == ARGV[1] then
  if redis.call('HINCRBY', KEYS[1], 'hits', -1) <= 0 then redis.call('DEL', KEYS[1]) end
end
return 0
`;

const ioredis = loadOnFirstUse(() => requirePackage('ioredis') as typeof IORedis);

export interface RedisCounterStoreOptions {
  /** `redis://…` or `rediss://…` */
  url: string;
  /** put before every key, so several services can share one Redis */
  keyPrefix: string;
  /** where the counters are kept while Redis does not answer: the database's */
  fallback: CounterStore;
  /** Redis stopped answering, so counting moved to the fallback; told once per outage */
  onUnavailable: (error: Error) => void;
  /** Redis answers again (a new connection completed its handshake), so counting moved back to it */
  onAvailable: () => void;
}

export interface RedisCounterStore extends CounterStore {
  /** Closes the connection; pending commands fail. */
  close(): Promise<void>;
}

/**
 * The rate-limit counters in Redis, one hash per key, while Redis answers; in `fallback` from the first
 * failure until a new connection to Redis is ready. The connection opens at first use.
 */
export function createRedisCounterStore(options: RedisCounterStoreOptions): RedisCounterStore {
  const redis = new (ioredis().Redis)(options.url, {
    keyPrefix: options.keyPrefix,
    // nothing happens until the first command, so a CLI command that never counts never connects
    lazyConnect: true,
    connectTimeout,
    commandTimeout,
    socketTimeout,
    retryStrategy: (attempt) => Math.min(attempt * 100, reconnectAtMost),
    // while disconnected, commands fail at once instead of queueing: a queue would hold requests up and
    // replay a whole outage's hits at once on reconnection
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
  });

  let inRedis = true;
  function moveToFallback(error: Error): void {
    if (!inRedis) return;
    inRedis = false;
    options.onUnavailable(error);
  }
  redis.on('error', moveToFallback);
  redis.on('ready', () => {
    if (inRedis) return;
    inRedis = true;
    options.onAvailable();
  });

  // The first command waits for the first connection (a fresh instance must not count in the fallback
  // for a moment); after that, ioredis reconnects on its own and commands never wait for it.
  let firstConnection: Promise<void> | undefined;
  const connected = () =>
    (firstConnection ??= redis.connect().catch(() => {
      // reported through the 'error' event; reconnection goes on in the background
    }));

  const inRedisCounters: CounterStore = {
    increment(hits, now) {
      // sent together: ioredis writes each command without waiting for the previous reply
      return Promise.all(
        hits.map(async ({ key, window }) =>
          toWindowCount(await redis.eval(incrementScript, 1, key, now, now + window, window)),
        ),
      );
    },

    async find(key, now) {
      const [hits, endsAt] = await redis.hmget(key, 'hits', 'endsAt');
      if (hits === null || endsAt === null || Number(endsAt) <= now) return undefined;
      return { hits: Number(hits), endsAt: Number(endsAt) };
    },

    async release(key, endsAt) {
      await redis.eval(releaseScript, 1, key, endsAt);
    },

    async delete(key) {
      await redis.del(key);
    },
  };

  // Counts in Redis while it answers; the first failure moves counting to the fallback, this call's
  // included, until a connection is ready again. A connection that still looks ready when a command failed
  // on it (a reply too late, an error reply) is replaced, so that only a fresh handshake brings Redis back.
  async function counted<T>(work: (counters: CounterStore) => Promise<T>): Promise<T> {
    if (inRedis) {
      await connected();
      try {
        return await work(inRedisCounters);
      } catch (error) {
        moveToFallback(error instanceof Error ? error : new Error(String(error)));
        if (redis.status === 'ready') redis.disconnect(true);
      }
    }
    return work(options.fallback);
  }

  return {
    increment: (hits, now) => counted((counters) => counters.increment(hits, now)),
    find: (key, now) => counted((counters) => counters.find(key, now)),
    release: (key, endsAt) => counted((counters) => counters.release(key, endsAt)),
    delete: (key) => counted((counters) => counters.delete(key)),
    close() {
      redis.disconnect();
      return Promise.resolve();
    },
  };
}

function toWindowCount(reply: unknown): WindowCount {
  if (!Array.isArray(reply) || typeof reply[0] !== 'number' || typeof reply[1] !== 'number') {
    throw new Error('unexpected reply from the rate-limit script');
  }
  return { hits: reply[0], endsAt: reply[1] };
}
