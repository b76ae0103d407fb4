/** Time, injected so tests can move it; epoch milliseconds everywhere. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** How far our clock and a token's `iat`, `nbf` and `exp` may disagree (the contract: at most 30 s). */
export const clockSkew = 30_000;
