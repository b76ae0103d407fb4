import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { createCounterRepository } from '../../src/store/counter-repository.ts';
import type { CounterStore } from '../../src/store/counter-store.ts';
import { createRedisCounterStore, type RedisCounterStore } from '../../src/store/redis-counter-store.ts';
import { incrementOne } from '../support/counter-stores.ts';
import { dialects } from '../support/databases.ts';
import { poll } from '../support/poll.ts';
import { deleteKeys, randomKeyPrefix, readKeys, skipWithoutRedis, testRedisUrl } from '../support/redis.ts';
import { startProxy, type Proxy } from '../support/tcp-proxy.ts';
import { openMigratedDatabase, type MigratedDatabase } from './migrated-database.ts';

const start = Date.UTC(2026, 10, 23, 12);
const window = 15 * 60_000;
const redis = new URL(testRedisUrl);
const redisTarget = { host: redis.hostname, port: Number(redis.port || '6379') };

for (const dialect of dialects) {
  describe(`rate-limit counters in Redis, falling back to ${dialect}`, { skip: skipWithoutRedis }, () => {
    let migrated: MigratedDatabase;
    let fallback: CounterStore;
    before(async () => {
      migrated = await openMigratedDatabase(dialect);
      fallback = createCounterRepository(migrated.database);
    });
    after(() => migrated.close());

    // A store over a proxy the test controls, and what it reported.
    async function storeBehindProxy() {
      const prefix = randomKeyPrefix();
      const proxy = await startProxy(redisTarget);
      const reports: string[] = [];
      const store = createRedisCounterStore({
        url: `redis://127.0.0.1:${proxy.port}`,
        keyPrefix: prefix,
        fallback,
        onUnavailable: () => reports.push('unavailable'),
        onAvailable: () => reports.push('available'),
      });
      return { prefix, proxy, store, reports };
    }
    async function closeAll(store: RedisCounterStore, proxy: Proxy, prefix: string) {
      await store.close();
      await proxy.cut();
      await deleteKeys(prefix);
    }
    const inRedis = async (prefix: string, key: string) => (await readKeys(prefix)).has(`${prefix}${key}`);

    it('counts in the database at once, telling why once, when Redis refuses connections', async () => {
      const reported: Error[] = [];
      const store = createRedisCounterStore({
        // nothing listens on port 1
        url: 'redis://127.0.0.1:1',
        keyPrefix: randomKeyPrefix(),
        fallback,
        onUnavailable: (error) => reported.push(error),
        onAvailable: () => {},
      });
      try {
        const key = randomUUID();
        assert.deepEqual(await incrementOne(store, key, window, start), { hits: 1, endsAt: start + window });
        assert.deepEqual(await incrementOne(store, key, window, start), { hits: 2, endsAt: start + window });
        assert.deepEqual(await fallback.find(key, start), { hits: 2, endsAt: start + window });
        assert.deepEqual(await store.find(key, start), { hits: 2, endsAt: start + window });
        await store.release(key, start + window);
        await store.delete(randomUUID());
        assert.deepEqual(await fallback.find(key, start), { hits: 1, endsAt: start + window });
        assert.equal(reported.length, 1, 'one report for the outage, not one per call');
        assert.match(reported[0]?.message ?? '', /ECONNREFUSED/);
      } finally {
        await store.close();
      }
    });

    it('counts in the database from the first call when Redis is silent at start, and moves to Redis once it answers', async (t) => {
      const { prefix, proxy, store, reports } = await storeBehindProxy();
      proxy.blackhole();
      try {
        const key = randomUUID();
        const startedAt = Date.now();
        assert.deepEqual(await incrementOne(store, key, window, start), { hits: 1, endsAt: start + window });
        const detection = Date.now() - startedAt;
        t.diagnostic(`first count answered from the database in ${detection} ms`);
        assert.ok(detection < 1500, `${detection} ms`);
        assert.deepEqual(reports, ['unavailable']);
        assert.deepEqual(await fallback.find(key, start), { hits: 1, endsAt: start + window });

        proxy.heal();
        await poll(
          () => Promise.resolve(reports.length),
          (length) => length === 2,
        );
        assert.deepEqual(reports, ['unavailable', 'available']);
        const later = randomUUID();
        await incrementOne(store, later, window, start);
        assert.ok(await inRedis(prefix, later));
      } finally {
        await closeAll(store, proxy, prefix);
      }
    });

    for (const fault of ['cut', 'blackhole'] as const) {
      it(`moves to the database within a second when Redis is ${fault === 'cut' ? 'cut off' : 'silenced without closing'}, and back once it answers`, async (t) => {
        const { prefix, proxy: first, store, reports } = await storeBehindProxy();
        let proxy = first;
        try {
          const before = randomUUID();
          await incrementOne(store, before, window, start);
          assert.ok(await inRedis(prefix, before));

          if (fault === 'cut') await proxy.cut();
          else proxy.blackhole();
          const key = randomUUID();
          const faultAt = Date.now();
          assert.deepEqual(await incrementOne(store, key, window, start), {
            hits: 1,
            endsAt: start + window,
          });
          const detection = Date.now() - faultAt;
          t.diagnostic(`first count after the fault answered from the database in ${detection} ms`);
          assert.ok(detection < 1500, `${detection} ms`);
          assert.deepEqual(reports, ['unavailable']);
          // from now on without waiting for Redis at all
          const next = Date.now();
          assert.deepEqual(await incrementOne(store, key, window, start), {
            hits: 2,
            endsAt: start + window,
          });
          assert.ok(Date.now() - next < 250, `${Date.now() - next} ms`);
          assert.deepEqual(await fallback.find(key, start), { hits: 2, endsAt: start + window });
          assert.equal(await inRedis(prefix, key), false);

          if (fault === 'cut') proxy = await startProxy(redisTarget, proxy.port);
          else proxy.heal();
          const healedAt = Date.now();
          await poll(
            () => Promise.resolve(reports.length),
            (length) => length === 2,
          );
          t.diagnostic(`back in Redis ${Date.now() - healedAt} ms after it answered again`);
          assert.deepEqual(reports, ['unavailable', 'available']);
          const after = randomUUID();
          await incrementOne(store, after, window, start);
          assert.ok(await inRedis(prefix, after));
          assert.equal(await fallback.find(after, start), undefined);
        } finally {
          await closeAll(store, proxy, prefix);
        }
      });
    }
  });
}
