import { median } from './load.ts';
import type { BenchUser } from './users.ts';

/** Milliseconds a password-reset request took, for addresses with an account and without. */
export interface ResetTiming {
  known: { median: number; p99: number };
  unknown: { median: number; p99: number };
  samples: number;
}

function percentile(values: readonly number[], share: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(share * sorted.length))] ?? Number.NaN;
}

/**
 * POST /api/users/password-reset, one at a time, alternating a registered address (each used once, so
 * MAILS_PER_ADDRESS never spares it the work) and an unknown one: what a client could learn from timing.
 */
export async function measureResetTiming(url: string, users: readonly BenchUser[]): Promise<ResetTiming> {
  const known: number[] = [];
  const unknown: number[] = [];
  const timed = async (email: string): Promise<number> => {
    const started = performance.now();
    const response = await fetch(`${url}/api/users/password-reset`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email }),
    });
    await response.arrayBuffer();
    if (response.status !== 202) throw new Error(`password reset answered ${response.status}`);
    return performance.now() - started;
  };
  for (const user of users) {
    known.push(await timed(user.email));
    unknown.push(await timed(`absent-${user.email}`));
  }
  const summary = (values: number[]) => ({ median: median(values), p99: percentile(values, 0.99) });
  return { known: summary(known), unknown: summary(unknown), samples: users.length };
}
