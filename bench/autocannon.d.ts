// autocannon ships no types: this declares the part of its programmatic API the benchmark uses.
declare module 'autocannon' {
  /** One entry of the sequence every connection loops over; built once, so rotating costs nothing. */
  export interface Request {
    method: 'GET' | 'POST';
    path: string;
    headers?: Record<string, string>;
    body?: string;
  }

  export interface Options {
    url: string;
    connections: number;
    pipelining: number;
    /** seconds */
    duration: number;
    /** seconds a request may take before it counts as a timeout */
    timeout?: number;
    requests: Request[];
    /** called with each connection as it is made */
    setupClient?: (client: Client) => void;
  }

  /** One connection's request iterator. */
  export interface Client {
    /** replaces the sequence this connection loops over */
    setRequests(requests: Request[]): void;
  }

  /** Latency in milliseconds, or requests per one-second sample. */
  export interface Histogram {
    average: number;
    stddev: number;
    min: number;
    max: number;
    p50: number;
    p90: number;
    p99: number;
  }

  export interface Result {
    /** seconds, as measured by autocannon */
    duration: number;
    errors: number;
    timeouts: number;
    non2xx: number;
    '2xx': number;
    latency: Histogram;
    requests: Histogram;
  }

  /** Without a callback, autocannon returns a thenable that resolves with the result. */
  export default function autocannon(options: Options): PromiseLike<Result>;
}
