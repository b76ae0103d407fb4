/** One counter's open window. */
export interface WindowCount {
  /** hits counted in the window so far, the latest included */
  hits: number;
  /** epoch ms at which the window closes; the next hit after it starts a new count */
  endsAt: number;
}

/** One hit to count: the counter's key, and the length (ms) of a window its hit opens. */
export interface CounterHit {
  key: string;
  window: number;
}

/**
 * Fixed-window hit counters that every instance shares: in the database, or in Redis when one is
 * configured. A key's window opens at its first hit and closes `window` ms later, whatever came between.
 * Time is the caller's clock, passed in, so every store keeps the same windows and tests can move time.
 */
export interface CounterStore {
  /**
   * Counts one hit on each counter, atomically however many instances count at once, and returns each
   * one's window in the order of `hits`; all in one statement or round trip where the store allows, so a
   * request guarded by several limits pays for one. The keys must differ.
   */
  increment(hits: readonly CounterHit[], now: number): Promise<WindowCount[]>;
  /** The key's window open at `now`, without counting; undefined when there is none. */
  find(key: string, now: number): Promise<WindowCount | undefined>;
  /**
   * Takes back one hit counted in the window that closes at `endsAt` (as `increment` returned it), and the
   * window with it when that was its only hit; does nothing once that window has closed or started over,
   * so a late release never lowers a newer count.
   */
  release(key: string, endsAt: number): Promise<void>;
  /** Forgets the key's window, so its next hit starts from nothing. */
  delete(key: string): Promise<void>;
}
