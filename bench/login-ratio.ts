import { setTimeout as sleep } from 'node:timers/promises';
import { hash, verify } from '@node-rs/argon2';
import { median, runLoad, type LoadFigures, type Request } from './load.ts';
import type { BenchUser } from './users.ts';

export interface Argon2Parameters {
  memoryCost: number;
  timeCost: number;
  parallelism: number;
}

export interface LoginRatioOptions {
  argon2: Argon2Parameters;
  /** concurrent logins, and concurrent raw verifications, in flight */
  concurrency: number;
  /** seconds per measured run */
  duration: number;
  /** seconds of unmeasured work on each side first */
  warmup: number;
  /** measured runs per side, alternating raw and login */
  rounds: number;
}

/** Medians over the rounds. */
export interface LoginRatio {
  concurrency: number;
  /** raw argon2id verifications per second in this process, the server idle */
  rawPerSecond: number;
  login: LoadFigures;
  runs: Array<{ rawPerSecond: number; login: LoadFigures }>;
}

// Logins a load abandoned at its deadline are still hashing in the server; the raw side waits them out.
const settleTime = 500;

/**
 * POST /api/users/login with correct credentials against bare argon2id verification with the server's
 * parameters, at the same number in flight. One after the other: the two processes share the cores.
 */
export async function measureLoginRatio(
  url: string,
  users: readonly BenchUser[],
  options: LoginRatioOptions,
): Promise<LoginRatio> {
  const password = 'correct horse battery staple';
  // @node-rs/argon2 defaults to argon2id, the algorithm the server uses
  const stored = await hash(password, options.argon2);
  if (!stored.startsWith('$argon2id$')) throw new Error('expected an argon2id hash');
  const requests = users.map((user): Request => ({
    method: 'POST',
    path: '/api/users/login',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ user: { email: user.email, password: user.password } }),
  }));
  const raw = async (seconds: number) => {
    await sleep(settleTime);
    return verifyFor(stored, password, options.concurrency, seconds);
  };
  const login = (seconds: number) =>
    runLoad({ url, connections: options.concurrency, duration: seconds, requests });

  await raw(options.warmup);
  await login(options.warmup);
  const runs: LoginRatio['runs'] = [];
  for (let round = 0; round < options.rounds; round += 1) {
    runs.push({ rawPerSecond: await raw(options.duration), login: await login(options.duration) });
  }
  return {
    concurrency: options.concurrency,
    rawPerSecond: median(runs.map((run) => run.rawPerSecond)),
    login: {
      requestsPerSecond: median(runs.map((run) => run.login.requestsPerSecond)),
      p99: median(runs.map((run) => run.login.p99)),
      failures: runs.reduce((sum, run) => sum + run.login.failures, 0),
    },
    runs,
  };
}

// `concurrency` loops, each verifying as fast as it can on the libuv threadpool, as the server does.
async function verifyFor(stored: string, password: string, concurrency: number, seconds: number) {
  const started = performance.now();
  const deadline = started + seconds * 1000;
  let verified = 0;
  async function loop(): Promise<void> {
    while (performance.now() < deadline) {
      if (!(await verify(stored, password))) throw new Error('argon2id refused its own hash');
      verified += 1;
    }
  }
  await Promise.all(Array.from({ length: concurrency }, loop));
  return verified / ((performance.now() - started) / 1000);
}
