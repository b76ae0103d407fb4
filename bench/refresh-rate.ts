import { Agent, request } from 'node:http';
import { median } from './load.ts';
import type { BenchUser } from './users.ts';

export interface RefreshRateOptions {
  /** sessions refreshing at once, each over its own keep-alive connection */
  connections: number;
  /** seconds per measured run */
  duration: number;
  /** measured runs per side, alternating healthz and refresh */
  rounds: number;
}

/** Completed calls per second, p99 latency (ms) and failures, per side; medians over the rounds. */
export interface SideFigures {
  requestsPerSecond: number;
  p99: number;
  failures: number;
}

export interface RefreshRate {
  healthz: SideFigures;
  refresh: SideFigures;
}

interface PairBody {
  refresh_token: string;
}

/**
 * Refresh-token rotations per second against /healthz, both driven by the same closed-loop client. Every
 * refresh spends its token, so each loop carries one session's lineage: it sends the token the previous
 * answer gave. (autocannon resets its per-connection state on every pass through its request list, so it
 * cannot carry a lineage.)
 */
export async function measureRefreshRate(
  url: string,
  users: readonly BenchUser[],
  options: RefreshRateOptions,
): Promise<RefreshRate> {
  const agent = new Agent({ keepAlive: true, maxSockets: options.connections });
  const runs: Array<{ side: 'healthz' | 'refresh'; figures: SideFigures }> = [];
  try {
    for (let round = 0; round < options.rounds; round += 1) {
      runs.push({
        side: 'healthz',
        figures: await closedLoop(options, () => async () => {
          const { status } = await call(agent, url, 'GET', '/healthz');
          return status === 200;
        }),
      });
      // fresh lineages each round, signed in before the clock starts
      const lineages = await obtainPairs(url, users, options.connections);
      runs.push({
        side: 'refresh',
        figures: await closedLoop(options, (loop) => {
          let token = lineages[loop] ?? '';
          return async () => {
            const { status, body } = await call(agent, url, 'POST', '/api/tokens/refresh', {
              refresh_token: token,
            });
            if (status !== 200) return false;
            token = (JSON.parse(body) as PairBody).refresh_token;
            return true;
          };
        }),
      });
    }
  } finally {
    agent.destroy();
  }
  const side = (name: 'healthz' | 'refresh'): SideFigures => {
    const figures = runs.filter((run) => run.side === name).map((run) => run.figures);
    return {
      requestsPerSecond: median(figures.map((run) => run.requestsPerSecond)),
      p99: median(figures.map((run) => run.p99)),
      failures: figures.reduce((sum, run) => sum + run.failures, 0),
    };
  };
  return { healthz: side('healthz'), refresh: side('refresh') };
}

/** `connections` loops, each calling its own `step` back to back until the time is up. */
async function closedLoop(
  options: RefreshRateOptions,
  makeStep: (loop: number) => () => Promise<boolean>,
): Promise<SideFigures> {
  const latencies: number[] = [];
  let failures = 0;
  const started = performance.now();
  const end = started + options.duration * 1000;
  await Promise.all(
    Array.from({ length: options.connections }, async (_, loop) => {
      const step = makeStep(loop);
      while (performance.now() < end) {
        const before = performance.now();
        if (await step()) latencies.push(performance.now() - before);
        else failures += 1;
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    requestsPerSecond: latencies.length / elapsed,
    // whole milliseconds, as autocannon reports its own
    p99: Math.round(latencies[Math.floor(latencies.length * 0.99)] ?? Number.NaN),
    failures,
  };
}

function call(
  agent: Agent,
  url: string,
  method: 'GET' | 'POST',
  path: string,
  json?: unknown,
): Promise<{ status: number; body: string }> {
  const payload = json === undefined ? undefined : JSON.stringify(json);
  return new Promise((resolve, reject) => {
    const outgoing = request(
      `${url}${path}`,
      {
        method,
        agent,
        headers: payload === undefined ? {} : { 'content-type': 'application/json' },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') });
        });
        response.on('error', reject);
      },
    );
    outgoing.on('error', reject);
    outgoing.end(payload);
  });
}

async function obtainPairs(url: string, users: readonly BenchUser[], count: number): Promise<string[]> {
  const tokens: string[] = [];
  for (let index = 0; index < count; index += 1) {
    const user = users[index % users.length];
    if (user === undefined) throw new Error('no users to sign in');
    const response = await fetch(`${url}/api/tokens`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: user.email, password: user.password }),
    });
    if (response.status !== 200) throw new Error(`POST /api/tokens answered ${response.status}`);
    tokens.push(((await response.json()) as PairBody).refresh_token);
  }
  return tokens;
}
