import { setTimeout as sleep } from 'node:timers/promises';
import { median } from './load.ts';
import type { BenchServer } from './server.ts';
import type { BenchUser } from './users.ts';

export interface RevocationLatency {
  trials: number;
  /** ms from A's answer to the logout until B first refuses the token */
  median: number;
  max: number;
  /** trials in which B refused before A had even answered */
  beforeAnswer: number;
}

interface PairBody {
  access_token: string;
}

// Past this, a trial counts as a miss: B would be relying on its cache TTL, not on the notification.
const giveUpAfter = 10_000;

/**
 * Logs a session out on instance A while a client polls instance B with that session's token, which B has
 * just served from its cache; the figure is how long B keeps accepting it after A has said 204.
 */
export async function measureRevocationLatency(
  a: BenchServer,
  b: BenchServer,
  user: BenchUser,
  trials: number,
): Promise<RevocationLatency> {
  const latencies: number[] = [];
  let beforeAnswer = 0;
  for (let trial = 0; trial < trials; trial += 1) {
    const token = await signIn(a, user);
    if ((await statusOn(b, token)) !== 200) throw new Error('instance B refused a fresh token');
    const polling = (async () => {
      const started = Date.now();
      while (Date.now() - started < giveUpAfter) {
        if ((await statusOn(b, token)) === 401) return Date.now();
      }
      throw new Error(`instance B still accepted a revoked token after ${giveUpAfter} ms`);
    })();
    const logout = await fetch(`${a.url}/api/users/logout`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
    });
    const answeredAt = Date.now();
    if (logout.status !== 204) throw new Error(`logout answered ${logout.status}`);
    const refusedAt = await polling;
    if (refusedAt < answeredAt) beforeAnswer += 1;
    latencies.push(Math.max(0, refusedAt - answeredAt));
    await sleep(10);
  }
  return { trials, median: median(latencies), max: Math.max(...latencies), beforeAnswer };
}

async function signIn(server: BenchServer, user: BenchUser): Promise<string> {
  const response = await fetch(`${server.url}/api/tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: user.email, password: user.password }),
  });
  if (response.status !== 200) throw new Error(`POST /api/tokens answered ${response.status}`);
  return ((await response.json()) as PairBody).access_token;
}

async function statusOn(server: BenchServer, token: string): Promise<number> {
  const response = await fetch(`${server.url}/api/user`, { headers: { authorization: `Bearer ${token}` } });
  await response.arrayBuffer();
  return response.status;
}
