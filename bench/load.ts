import autocannon, { type Request } from 'autocannon';

export type { Request };

export interface LoadOptions {
  url: string;
  connections: number;
  /** seconds */
  duration: number;
  requests: Request[];
}

/** What one load run measured; only 2xx responses count as served. */
export interface LoadFigures {
  requestsPerSecond: number;
  p99: number;
  /** non-2xx responses, socket errors and timeouts */
  failures: number;
}

/**
 * Runs one fixed-duration autocannon load without pipelining. Each connection starts at its own place in
 * the request list, spread evenly, so that connections are not all on the same request (the same user)
 * at once: concurrent logins of one account count against its lock together.
 */
export async function runLoad(options: LoadOptions): Promise<LoadFigures> {
  const { requests, connections } = options;
  let connection = 0;
  const result = await autocannon({
    ...options,
    pipelining: 1,
    timeout: 30,
    setupClient: (client) => {
      const start = Math.floor((connection * requests.length) / connections) % requests.length;
      connection += 1;
      client.setRequests([...requests.slice(start), ...requests.slice(0, start)]);
    },
  });
  return {
    requestsPerSecond: result['2xx'] / result.duration,
    p99: result.latency.p99,
    failures: result.non2xx + result.errors + result.timeouts,
  };
}

/** The middle value; for an even count, the mean of the two middle values. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const upper = sorted[middle] ?? Number.NaN;
  return sorted.length % 2 === 1 ? upper : ((sorted[middle - 1] ?? Number.NaN) + upper) / 2;
}
