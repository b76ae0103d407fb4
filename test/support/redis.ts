import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { onCi } from './ci.ts';

/** The Redis the tests use: REDIS_URL_TEST, or the one on this machine's standard port. */
export const testRedisUrl = process.env.REDIS_URL_TEST ?? 'redis://127.0.0.1:6379';

/** A key prefix no other test uses, so tests running at once never share a counter. */
export function randomKeyPrefix(): string {
  return `gatehouse-test:${randomBytes(6).toString('hex')}:`;
}

// One attempt, bounded in time: a Redis that is gone fails the test at once instead of holding its
// process open while ioredis reconnects forever.
async function withRedis<T>(work: (redis: Redis) => Promise<T>): Promise<T> {
  const redis = new Redis(testRedisUrl, {
    lazyConnect: true,
    connectTimeout: 2000,
    commandTimeout: 5000,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  // connect() only says "Connection is closed."; the event says why
  let cause: Error | undefined;
  redis.on('error', (error: Error) => {
    cause = error;
  });
  try {
    await redis.connect().catch((error: unknown) => {
      throw cause ?? error;
    });
    return await work(redis);
  } finally {
    redis.disconnect();
  }
}

/** Every key under `prefix`, with the milliseconds it has left to live (-1: no expiry). */
export function readKeys(prefix: string): Promise<Map<string, number>> {
  return withRedis(async (redis) => {
    const keys = new Map<string, number>();
    for await (const batch of redis.scanStream({ match: `${prefix}*`, count: 1000 })) {
      for (const key of batch as string[]) keys.set(key, await redis.pttl(key));
    }
    return keys;
  });
}

/** Deletes every key under `prefix`: what a test leaves behind. */
export async function deleteKeys(prefix: string): Promise<void> {
  const keys = [...(await readKeys(prefix)).keys()];
  if (keys.length > 0) await withRedis((redis) => redis.del(...keys));
}

/**
 * The `skip` option of every test that needs a Redis: on a developer's machine without one, a reason in
 * one line, so those tests are skipped instead of failing; false when one answers, and always under CI,
 * where a missing Redis is a broken machine and its tests must fail.
 */
export const skipWithoutRedis: string | false = onCi ? false : await reasonRedisIsMissing();

async function reasonRedisIsMissing(): Promise<string | false> {
  try {
    await withRedis((redis) => redis.ping());
    return false;
  } catch (error) {
    const { host } = new URL(testRedisUrl);
    const reason = error instanceof Error ? error.message : String(error);
    return `Redis unreachable at ${host} (${reason}): start one or set REDIS_URL_TEST (with CI=true this fails)`;
  }
}
