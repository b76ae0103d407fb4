import { createHash } from 'node:crypto';
import type { Clock } from '../clock.ts';
import type { RateLimitName } from '../metrics/metrics.ts';
import type { CounterHit, CounterStore, WindowCount } from '../store/counter-store.ts';

export interface Limit {
  /** names this limit's counters and its metric label; unique among limits */
  name: RateLimitName;
  /** hits allowed per window; 0 turns the limit off */
  max: number;
  /** window length in ms */
  window: number;
}

/** A limit's answer: go ahead, or (`limit` says) wait `retryAfter` whole seconds, until the window closes. */
export type Verdict = { allowed: true } | { allowed: false; limit: RateLimitName; retryAfter: number };

interface LimiterDeps {
  /** a store's error propagates, as any other database error of the request would */
  counters: CounterStore;
  clock: Clock;
}

/** A hit that has been counted, and can be taken back while its window is open. */
export interface CountedHit {
  verdict: Verdict;
  /** the last hit the window allows: one more and the limit refuses */
  last: boolean;
  /**
   * Takes the hit back; `on` is the same counters seen through a unit of work (its repository), so that
   * taking it back commits with the change it belongs to.
   */
  release(on?: CounterStore): Promise<void>;
}

const allowed: Verdict = Object.freeze({ allowed: true });

/** A hit that counted nothing (a limit switched off, no subject). */
export const uncountedHit: CountedHit = Object.freeze({
  verdict: allowed,
  last: false,
  release: () => Promise.resolve(),
});

/** A hit on one limit for one subject, not counted yet: what `countTogether` counts. */
export interface PendingHit {
  counters: CounterStore;
  hit: CounterHit;
  /** what the counted window means for this limit */
  counted(window: WindowCount, now: number): CountedHit;
}

/** One limit over the shared counters: `hit` counts and judges; `take` also lets the hit be taken back. */
export function createLimiter(limit: Limit, { counters, clock }: LimiterDeps) {
  // Hashed: a key has one size whatever the subject (a 64 KiB "email" included), and the store keeps no
  // email or IP address in clear.
  const keyOf = (subject: string) =>
    `${limit.name}:${createHash('sha256').update(subject).digest('base64url')}`;

  // the window's hits, the latest included, within the limit?
  function judge(window: WindowCount, now: number): Verdict {
    if (window.hits <= limit.max) return allowed;
    const retryAfter = Math.max(1, Math.ceil((window.endsAt - now) / 1000));
    return { allowed: false, limit: limit.name, retryAfter };
  }

  /** `subject`'s hit, to count alone (`take`) or with other limits' (`countTogether`); none when off. */
  function pending(subject: string): PendingHit | undefined {
    if (limit.max === 0) return undefined;
    const key = keyOf(subject);
    return {
      counters,
      hit: { key, window: limit.window },
      counted: (window, now) => ({
        verdict: judge(window, now),
        last: window.hits === limit.max,
        release: (on = counters) => on.release(key, window.endsAt),
      }),
    };
  }

  async function take(subject: string): Promise<CountedHit> {
    const [hit] = await countTogether(clock, [pending(subject)]);
    return hit ?? uncountedHit;
  }

  return {
    pending,

    /** Counts one hit for `subject`; refused when it is more than the window allows. */
    async hit(subject: string): Promise<Verdict> {
      return (await take(subject)).verdict;
    },

    /** Counts one hit for `subject` like `hit`, and hands back a way to take it back. */
    take,

    /** `subject`'s open window, without counting: its hits, when it closes, and whether it refuses now. */
    async peek(subject: string): Promise<{ hits: number; endsAt: number; refusing: boolean } | undefined> {
      if (limit.max === 0) return undefined;
      const window = await counters.find(keyOf(subject), clock.now());
      return window && { ...window, refusing: window.hits >= limit.max };
    },

    /** Forgets `subject`'s hits. */
    async clear(subject: string): Promise<void> {
      await counters.delete(keyOf(subject));
    },
  };
}

/**
 * Counts several limits' hits at once: one call per store (one statement when they share the database),
 * in parallel when they do not. Each answer is in the place of its hit, `uncountedHit` for none. When a
 * store fails, the hits the others counted are taken back (they guarded nothing) and its error is thrown.
 */
export async function countTogether(
  clock: Clock,
  hits: ReadonlyArray<PendingHit | undefined>,
): Promise<CountedHit[]> {
  const now = clock.now();
  const byStore = new Map<CounterStore, PendingHit[]>();
  for (const hit of hits) {
    if (hit !== undefined) byStore.set(hit.counters, [...(byStore.get(hit.counters) ?? []), hit]);
  }
  const outcomes = await Promise.allSettled(
    [...byStore].map(async ([counters, group]) => {
      const windows = await counters.increment(
        group.map((pending) => pending.hit),
        now,
      );
      return group.map((pending, index) => {
        const window = windows[index];
        if (window === undefined) throw new Error('the counter store answered fewer hits than it was given');
        return [pending, pending.counted(window, now)] as const;
      });
    }),
  );
  const counted = new Map<PendingHit, CountedHit>();
  let failure: PromiseRejectedResult | undefined;
  for (const outcome of outcomes) {
    if (outcome.status === 'rejected') failure ??= outcome;
    else for (const [pending, hit] of outcome.value) counted.set(pending, hit);
  }
  if (failure !== undefined) {
    await Promise.all([...counted.values()].map(releaseQuietly));
    throw failure.reason;
  }
  return hits.map((hit) => (hit === undefined ? uncountedHit : (counted.get(hit) ?? uncountedHit)));
}

/**
 * On a path that already ends in a refusal or an error, that answer stands: a counter that cannot take the
 * hit back (its store failing) leaves one extra count in a window, and its failure shows elsewhere.
 */
export async function releaseQuietly(hit: CountedHit): Promise<void> {
  try {
    await hit.release();
  } catch {
    // see above
  }
}
