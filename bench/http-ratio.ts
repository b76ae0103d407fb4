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

export type HttpRoute = 'healthz' | 'headers' | 'user';

/** Every run's figures and the median per route. */
export interface HttpRatio {
  healthz: LoadFigures;
  /** /healthz sent the same Authorization headers as the user route, which it never reads */
  headers: LoadFigures;
  user: LoadFigures;
  runs: Array<{ route: HttpRoute; figures: LoadFigures }>;
}

/**
 * Authenticated GET /api/user against GET /healthz, the cheapest route. Each connection cycles through
 * every user's token, so the server sees many sessions, not one hot cache entry. A third side, /healthz
 * carrying the same Authorization headers unread, shows what receiving the token alone costs: the part of
 * the gap that no authentication code can remove.
 */
export async function measureHttpRatio(
  url: string,
  users: readonly BenchUser[],
  options: HttpRatioOptions,
): Promise<HttpRatio> {
  const withToken = (path: string) =>
    users.map((user): Request => ({
      method: 'GET',
      path,
      headers: { authorization: `Token ${user.token}` },
    }));
  const requests: Record<HttpRoute, Request[]> = {
    healthz: [{ method: 'GET', path: '/healthz' }],
    headers: withToken('/healthz'),
    user: withToken('/api/user'),
  };
  const routes = ['healthz', 'headers', 'user'] as const;
  const load = (route: HttpRoute, duration: number) =>
    runLoad({ url, connections: options.connections, duration, requests: requests[route] });

  for (const route of routes) await load(route, options.warmup);
  const runs: HttpRatio['runs'] = [];
  for (let round = 0; round < options.rounds; round += 1) {
    // alternate, so drift in the machine's load falls on every route alike
    for (const route of routes) runs.push({ route, figures: await load(route, options.duration) });
  }
  return {
    healthz: summarize(runs, 'healthz'),
    headers: summarize(runs, 'headers'),
    user: summarize(runs, 'user'),
    runs,
  };
}

function summarize(runs: HttpRatio['runs'], route: HttpRoute): LoadFigures {
  const figures = runs.filter((run) => run.route === route).map((run) => run.figures);
  return {
    requestsPerSecond: median(figures.map((run) => run.requestsPerSecond)),
    p99: median(figures.map((run) => run.p99)),
    failures: figures.reduce((sum, run) => sum + run.failures, 0),
  };
}
