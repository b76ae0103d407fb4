import { median, runLoad, type LoadFigures, type Request } from './load.ts';
import type { BenchUser } from './users.ts';

export interface HttpRatioOptions {
  connections: number;
  /** seconds per measured run */
  duration: number;
  /** seconds of unmeasured load on each route first */
  warmup: number;
  /** measured runs per route, alternating healthz and user */
  rounds: number;
}

/** Every run's figures and the median per route. */
export interface HttpRatio {
  healthz: LoadFigures;
  user: LoadFigures;
  runs: Array<{ route: 'healthz' | 'user'; figures: LoadFigures }>;
}

/**
 * Authenticated GET /api/user against GET /healthz, the cheapest route. Each connection cycles through
 * every user's token, so the server sees many sessions, not one hot cache entry.
 */
export async function measureHttpRatio(
  url: string,
  users: readonly BenchUser[],
  options: HttpRatioOptions,
): Promise<HttpRatio> {
  const requests = {
    healthz: [{ method: 'GET', path: '/healthz' }] satisfies Request[],
    user: users.map((user): Request => ({
      method: 'GET',
      path: '/api/user',
      headers: { authorization: `Token ${user.token}` },
    })),
  };
  const load = (route: keyof typeof requests, duration: number) =>
    runLoad({ url, connections: options.connections, duration, requests: requests[route] });

  await load('healthz', options.warmup);
  await load('user', options.warmup);
  const runs: HttpRatio['runs'] = [];
  for (let round = 0; round < options.rounds; round += 1) {
    // alternate, so drift in the machine's load falls on both routes alike
    for (const route of ['healthz', 'user'] as const) {
      runs.push({ route, figures: await load(route, options.duration) });
    }
  }
  return { healthz: summarize(runs, 'healthz'), user: summarize(runs, 'user'), runs };
}

function summarize(runs: HttpRatio['runs'], route: 'healthz' | 'user'): LoadFigures {
  const figures = runs.filter((run) => run.route === route).map((run) => run.figures);
  return {
    requestsPerSecond: median(figures.map((run) => run.requestsPerSecond)),
    p99: median(figures.map((run) => run.p99)),
    failures: figures.reduce((sum, run) => sum + run.failures, 0),
  };
}
