import { createHash } from 'node:crypto';
import type { Clock } from '../clock.ts';
import type { RateLimitName } from '../metrics/metrics.ts';
import type { CounterStore, WindowCount } from '../store/counter-store.ts';

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
  release(): Promise<void>;
}

const allowed: Verdict = Object.freeze({ allowed: true });

/** A hit that counted nothing (a limit switched off, no subject). */
export const uncountedHit: CountedHit = Object.freeze({
  verdict: allowed,
  last: false,
  release: () => Promise.resolve(),
});

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

  return {
    /** Counts one hit for `subject`; refused when it is more than the window allows. */
    async hit(subject: string): Promise<Verdict> {
      if (limit.max === 0) return allowed;
      const now = clock.now();
      return judge(await counters.increment(keyOf(subject), limit.window, now), now);
    },

    /** Counts one hit for `subject` like `hit`, and hands back a way to take it back. */
    async take(subject: string): Promise<CountedHit> {
      if (limit.max === 0) return uncountedHit;
      const now = clock.now();
      const key = keyOf(subject);
      const window = await counters.increment(key, limit.window, now);
      return {
        verdict: judge(window, now),
        last: window.hits === limit.max,
        release: () => counters.release(key, window.endsAt),
      };
    },

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
