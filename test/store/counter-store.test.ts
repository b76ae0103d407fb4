import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { createCounterRepository } from '../../src/store/counter-repository.ts';
import { createRedisCounterStore } from '../../src/store/redis-counter-store.ts';
import {
  counterStoreKinds,
  incrementOne,
  openCounterStore,
  refusingFallback,
  skipWithout,
  type OpenCounterStore,
} from '../support/counter-stores.ts';
import { dialects } from '../support/databases.ts';
import { deleteKeys, randomKeyPrefix, readKeys, skipWithoutRedis, testRedisUrl } from '../support/redis.ts';
import { openMigratedDatabase, type MigratedDatabase } from './migrated-database.ts';

const start = Date.UTC(2026, 10, 23, 12);
const window = 15 * 60_000;

for (const kind of counterStoreKinds) {
  describe(`rate-limit counters in ${kind}`, { skip: skipWithout(kind) }, () => {
    let store: OpenCounterStore;
    before(async () => {
      store = await openCounterStore(kind);
    });
    after(() => store.close());

    it('counts the hits of one window, each answer telling when the window closes', async () => {
      const key = randomUUID();
      const { counters } = store;
      assert.deepEqual(await incrementOne(counters, key, window, start), { hits: 1, endsAt: start + window });
      assert.deepEqual(await incrementOne(counters, key, window, start + 60_000), {
        hits: 2,
        endsAt: start + window,
      });
      assert.deepEqual(await incrementOne(counters, key, window, start + window - 1), {
        hits: 3,
        endsAt: start + window,
      });
    });

    it('starts a new window from one at the first hit after the old one closed', async () => {
      const key = randomUUID();
      const { counters } = store;
      await incrementOne(counters, key, window, start);
      await incrementOne(counters, key, window, start + 1000);
      const later = start + window;
      assert.deepEqual(await incrementOne(counters, key, window, later), { hits: 1, endsAt: later + window });
      assert.deepEqual(await incrementOne(counters, key, window, later + 5000), {
        hits: 2,
        endsAt: later + window,
      });
    });

    it('finds the open window without counting, and nothing for a closed or unknown key', async () => {
      const key = randomUUID();
      const { counters } = store;
      assert.equal(await counters.find(key, start), undefined);
      await incrementOne(counters, key, window, start);
      await incrementOne(counters, key, window, start);
      assert.deepEqual(await counters.find(key, start + 1000), { hits: 2, endsAt: start + window });
      assert.deepEqual(await counters.find(key, start + 2000), { hits: 2, endsAt: start + window });
      assert.equal(await counters.find(key, start + window), undefined);
    });

    it('keeps every key in a window of its own', async () => {
      const [first, second] = [randomUUID(), randomUUID()];
      const { counters } = store;
      await incrementOne(counters, first, window, start);
      await incrementOne(counters, first, window, start);
      assert.deepEqual(await incrementOne(counters, second, 60_000, start + 1000), {
        hits: 1,
        endsAt: start + 61_000,
      });
      assert.deepEqual(await counters.find(first, start + 1000), { hits: 2, endsAt: start + window });
    });

    it('forgets a deleted key, and only that one', async () => {
      const [deleted, kept] = [randomUUID(), randomUUID()];
      const { counters } = store;
      await incrementOne(counters, deleted, window, start);
      await incrementOne(counters, kept, window, start);
      await counters.delete(deleted);
      await counters.delete(randomUUID());
      assert.equal(await counters.find(deleted, start), undefined);
      assert.deepEqual(await incrementOne(counters, deleted, window, start + 1000), {
        hits: 1,
        endsAt: start + 1000 + window,
      });
      assert.deepEqual(await counters.find(kept, start + 1000), { hits: 1, endsAt: start + window });
    });

    it('takes a hit back from the window it was counted in, and the window with its only hit', async () => {
      const key = randomUUID();
      const { counters } = store;
      const first = await incrementOne(counters, key, window, start);
      await incrementOne(counters, key, window, start + 1000);
      await counters.release(key, first.endsAt);
      assert.deepEqual(await counters.find(key, start + 2000), { hits: 1, endsAt: start + window });
      await counters.release(key, first.endsAt);
      assert.equal(await counters.find(key, start + 2000), undefined);
      // the next hit opens a window of its own, as if the released ones had never been
      assert.deepEqual(await incrementOne(counters, key, window, start + 3000), {
        hits: 1,
        endsAt: start + 3000 + window,
      });
    });

    it('takes nothing back from a newer window than the one the hit was counted in', async () => {
      const key = randomUUID();
      const { counters } = store;
      const old = await incrementOne(counters, key, window, start);
      // the old window closes; two hits open and count in a new one
      await incrementOne(counters, key, window, start + window);
      await incrementOne(counters, key, window, start + window + 1000);
      await counters.release(key, old.endsAt);
      assert.deepEqual(await counters.find(key, start + window + 2000), {
        hits: 2,
        endsAt: start + 2 * window,
      });
      // nor anything from a key that was never counted
      await counters.release(randomUUID(), old.endsAt);
    });

    it('counts 50 parallel increments of one key exactly 50 times', async () => {
      const key = randomUUID();
      const answers = await Promise.all(
        Array.from({ length: 50 }, () => incrementOne(store.counters, key, window, start)),
      );
      assert.deepEqual(
        answers.map((answer) => answer.hits).sort((a, b) => a - b),
        Array.from({ length: 50 }, (_, index) => index + 1),
      );
      assert.ok(answers.every((answer) => answer.endsAt === start + window));
      assert.deepEqual(await store.counters.find(key, start), { hits: 50, endsAt: start + window });
    });

    it('counts several keys in one call, each answer in the place of its key, each with its own window', async () => {
      const { counters } = store;
      const open = randomUUID();
      const fresh = randomUUID();
      const closed = randomUUID();
      await incrementOne(counters, open, window, start);
      await incrementOne(counters, closed, 1000, start);
      const later = start + 5000;
      const answers = await counters.increment(
        [
          { key: fresh, window: 60_000 },
          { key: closed, window: 1000 },
          { key: open, window },
        ],
        later,
      );
      assert.deepEqual(answers, [
        { hits: 1, endsAt: later + 60_000 },
        { hits: 1, endsAt: later + 1000 },
        { hits: 2, endsAt: start + window },
      ]);
      assert.deepEqual(await counters.find(open, later), { hits: 2, endsAt: start + window });
      assert.deepEqual(await counters.find(fresh, later), { hits: 1, endsAt: later + 60_000 });
    });

    it('counts 20 parallel calls over the same two keys exactly 20 times each', async () => {
      const { counters } = store;
      const [first, second] = [randomUUID(), randomUUID()];
      const answers = await Promise.all(
        Array.from({ length: 20 }, (_, index) =>
          counters.increment(
            // both orders, so that two calls lock the keys in opposite orders
            index % 2 === 0
              ? [
                  { key: first, window },
                  { key: second, window },
                ]
              : [
                  { key: second, window },
                  { key: first, window },
                ],
            start,
          ),
        ),
      );
      const counts = (at: (index: number) => number) =>
        answers.map((answer, index) => answer[at(index)]?.hits).sort((a = 0, b = 0) => a - b);
      const everyCount = Array.from({ length: 20 }, (_, index) => index + 1);
      assert.deepEqual(
        counts((index) => (index % 2 === 0 ? 0 : 1)),
        everyCount,
      );
      assert.deepEqual(
        counts((index) => (index % 2 === 0 ? 1 : 0)),
        everyCount,
      );
      assert.deepEqual(await counters.find(first, start), { hits: 20, endsAt: start + window });
      assert.deepEqual(await counters.find(second, start), { hits: 20, endsAt: start + window });
    });
  });
}

for (const dialect of dialects) {
  describe(`rate-limit counter table on ${dialect}`, () => {
    let migrated: MigratedDatabase;
    before(async () => {
      migrated = await openMigratedDatabase(dialect);
    });
    after(() => migrated.close());

    const keysStored = async () =>
      (await migrated.database.db.selectFrom('rate_limit_counters').select('key').execute())
        .map((row) => row.key)
        .sort();

    it('deletes closed windows every pruneEvery increments, and keeps the open ones', async () => {
      const counters = createCounterRepository(migrated.database, { pruneEvery: 3 });
      await incrementOne(counters, 'closes-early', 1000, start);
      await incrementOne(counters, 'stays-open', window, start);
      assert.deepEqual(await keysStored(), ['closes-early', 'stays-open']);
      // the third increment prunes: by then the first window has closed, the second has not
      await incrementOne(counters, 'stays-open', window, start + 5000);
      assert.deepEqual(await keysStored(), ['stays-open']);
      assert.deepEqual(await counters.find('stays-open', start + 5000), { hits: 2, endsAt: start + window });
    });
  });
}

describe('rate-limit counters in Redis, as Redis sees them', () => {
  it(
    'puts the prefix before every key and lets Redis expire it when its window closes',
    { skip: skipWithoutRedis },
    async () => {
      const prefix = randomKeyPrefix();
      const store = createRedisCounterStore({
        url: testRedisUrl,
        keyPrefix: prefix,
        fallback: refusingFallback,
        onUnavailable: () => {},
        onAvailable: () => {},
      });
      try {
        await incrementOne(store, 'some-key', 60_000, start);
        await incrementOne(store, 'some-key', 60_000, start + 1000);
        const keys = await readKeys(prefix);
        assert.deepEqual([...keys.keys()], [`${prefix}some-key`]);
        const lifetime = keys.get(`${prefix}some-key`) ?? -1;
        assert.ok(lifetime > 0 && lifetime <= 60_000, `expiry ${lifetime}`);
      } finally {
        await store.close();
        await deleteKeys(prefix);
      }
    },
  );
});
