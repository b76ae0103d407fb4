import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';

/** The Redis the tests use: REDIS_URL_TEST, or the one on this machine's standard port. */
export const testRedisUrl = process.env.REDIS_URL_TEST ?? 'redis://127.0.0.1:6379';

/** A key prefix no other test uses, so tests running at once never share a counter. */
export function randomKeyPrefix(): string {
  return `gatehouse-test:${randomBytes(6).toString('hex')}:`;
}

async function withRedis<T>(work: (redis: Redis) => Promise<T>): Promise<T> {
  const redis = new Redis(testRedisUrl, { lazyConnect: true });
  await redis.connect();
  try {
    return await work(redis);
  } finally {
    await redis.quit();
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
