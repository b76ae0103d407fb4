import { median, runLoad, type LoadFigures, type Request } from './load.ts';
import type { BenchUser } from './users.ts';

export interface RefreshRateOptions {
  connections: number;
  /** seconds per measured run */
  duration: number;
  /** measured runs per side, alternating healthz and refresh */
  rounds: number;
}

export interface RefreshRate {
  healthz: LoadFigures;
  refresh: LoadFigures;
}

interface PairBody {
  refresh_token: string;
}

/**
 * Refresh-token rotations per second against /healthz. Every refresh spends its token, so each connection
 * carries its own session's lineage: it starts from a pair of its own and sends the token each answer gives.
 */
export async function measureRefreshRate(
  url: string,
  users: readonly BenchUser[],
  options: RefreshRateOptions,
): Promise<RefreshRate> {
  const runs: Array<{ side: 'healthz' | 'refresh'; figures: LoadFigures }> = [];
  for (let round = 0; round < options.rounds; round += 1) {
    runs.push({
      side: 'healthz',
      figures: await runLoad({
        url,
        connections: options.connections,
        duration: options.duration,
        requests: [{ method: 'GET', path: '/healthz' }],
      }),
    });
    // fresh lineages each round: a connection that lost its token in the last round would only fail
    const lineages = await obtainPairs(url, users, options.connections);
    runs.push({
      side: 'refresh',
      figures: await runLoad({
        url,
        connections: options.connections,
        duration: options.duration,
        requests: [refreshRequest(lineages)],
      }),
    });
  }
  const side = (name: 'healthz' | 'refresh'): LoadFigures => {
    const figures = runs.filter((run) => run.side === name).map((run) => run.figures);
    return {
      requestsPerSecond: median(figures.map((run) => run.requestsPerSecond)),
      p99: median(figures.map((run) => run.p99)),
      failures: figures.reduce((sum, run) => sum + run.failures, 0),
    };
  };
  return { healthz: side('healthz'), refresh: side('refresh') };
}

function refreshRequest(lineages: string[]): Request {
  return {
    method: 'POST',
    path: '/api/tokens/refresh',
    headers: { 'content-type': 'application/json' },
    setupRequest(request, context) {
      context.token ??= lineages.pop();
      return { ...request, body: JSON.stringify({ refresh_token: context.token }) };
    },
    onResponse(status, body, context) {
      if (status === 200) context.token = (JSON.parse(body) as PairBody).refresh_token;
    },
  };
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
