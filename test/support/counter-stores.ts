import { createCounterRepository } from '../../src/store/counter-repository.ts';
import type { CounterStore, WindowCount } from '../../src/store/counter-store.ts';
import { createRedisCounterStore } from '../../src/store/redis-counter-store.ts';
import { openMigratedDatabase } from '../store/migrated-database.ts';
import { dialects } from './databases.ts';
import { deleteKeys, randomKeyPrefix, readKeys, skipWithoutRedis, testRedisUrl } from './redis.ts';

export type CounterStoreKind = 'sqlite' | 'postgres' | 'redis';

/** Every place rate-limit counters can live: both databases and Redis. */
export const counterStoreKinds: readonly CounterStoreKind[] = [...dialects, 'redis'];

/** The `skip` option of a suite over this kind of store: only Redis may be missing from a machine. */
export const skipWithout = (kind: CounterStoreKind): string | false =>
  kind === 'redis' ? skipWithoutRedis : false;

export interface OpenCounterStore {
  counters: CounterStore;
  /** how many counters the store holds right now, closed windows included */
  size(): Promise<number>;
  close(): Promise<void>;
}

/** Counts one hit on one counter: what most tests of a store do. */
export async function incrementOne(
  counters: CounterStore,
  key: string,
  window: number,
  now: number,
): Promise<WindowCount> {
  const counted = await counters.increment([{ key, window }], now);
  if (counted.length !== 1 || counted[0] === undefined) throw new Error('expected one window back');
  return counted[0];
}

const refuse = () => Promise.reject(new Error('the test Redis did not answer'));

/** A fallback for a Redis store under test that fails every call, so that only Redis can count. */
export const refusingFallback: CounterStore = {
  increment: refuse,
  find: refuse,
  release: refuse,
  delete: refuse,
};

/** A fresh, empty counter store of the given kind: a new migrated database, or a new Redis key prefix. */
export async function openCounterStore(kind: CounterStoreKind): Promise<OpenCounterStore> {
  if (kind === 'redis') {
    const prefix = randomKeyPrefix();
    const store = createRedisCounterStore({
      url: testRedisUrl,
      keyPrefix: prefix,
      // an unreachable test Redis shows as the commands' own errors, instead of a count kept elsewhere
      fallback: refusingFallback,
      onUnavailable: () => {},
      onAvailable: () => {},
    });
    return {
      counters: store,
      size: async () => (await readKeys(prefix)).size,
      async close() {
        await store.close();
        await deleteKeys(prefix);
      },
    };
  }
  const migrated = await openMigratedDatabase(kind);
  return {
    counters: createCounterRepository(migrated.database),
    size: async () => {
      const row = await migrated.database.db
        .selectFrom('rate_limit_counters')
        .select((builder) => builder.fn.countAll().as('count'))
        .executeTakeFirstOrThrow();
      return Number(row.count);
    },
    close: () => migrated.close(),
  };
}
