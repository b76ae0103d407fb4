import { Redis } from 'ioredis';
import type { CounterStore, WindowCount } from './counter-store.ts';

// A rate-limit check must never hold a request up for long: a Redis that does not answer in this time is
// treated as down, and the caller skips the limit (fail open).
const commandTimeout = 500;
const connectTimeout = 2000;

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

export interface RedisCounterStoreOptions {
  /** `redis://…` or `rediss://…` */
  url: string;
  /** put before every key, so several services can share one Redis */
  keyPrefix: string;
  /** Redis became unreachable; told once per outage, not at every reconnection attempt */
  onUnavailable: (error: Error) => void;
  /** Redis is reachable again after an outage */
  onAvailable: () => void;
}

export interface RedisCounterStore extends CounterStore {
  /** Closes the connection; pending commands fail. */
  close(): Promise<void>;
}

/** The rate-limit counters in Redis, one hash per key. The connection opens at first use. */
export function createRedisCounterStore(options: RedisCounterStoreOptions): RedisCounterStore {
  const redis = new Redis(options.url, {
    keyPrefix: options.keyPrefix,
    // nothing happens until the first command, so a CLI command that never counts never connects
    lazyConnect: true,
    connectTimeout,
    commandTimeout,
    // while disconnected, commands fail at once instead of queueing: a queue would hold requests up and
    // replay a whole outage's hits at once on reconnection
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
  });

  let reachable = true;
  redis.on('error', (error: Error) => {
    if (!reachable) return;
    reachable = false;
    options.onUnavailable(error);
  });
  redis.on('ready', () => {
    if (reachable) return;
    reachable = true;
    options.onAvailable();
  });

  // The first command waits for the first connection (a fresh instance must not skip its limits for a
  // moment); after that, ioredis reconnects on its own and commands never wait for it.
  let firstConnection: Promise<void> | undefined;
  const connected = () =>
    (firstConnection ??= redis.connect().catch(() => {
      // reported through the 'error' event; reconnection goes on in the background
    }));

  return {
    async increment(key, window, now) {
      await connected();
      const reply = await redis.eval(incrementScript, 1, key, now, now + window, window);
      return toWindowCount(reply);
    },

    async find(key, now) {
      await connected();
      const [hits, endsAt] = await redis.hmget(key, 'hits', 'endsAt');
      if (hits === null || endsAt === null || Number(endsAt) <= now) return undefined;
      return { hits: Number(hits), endsAt: Number(endsAt) };
    },

    async release(key, endsAt) {
      await connected();
      await redis.eval(releaseScript, 1, key, endsAt);
    },

    async delete(key) {
      await connected();
      await redis.del(key);
    },

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
