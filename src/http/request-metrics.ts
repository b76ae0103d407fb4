import type { FastifyReply, FastifyRequest, onResponseHookHandler } from 'fastify';
import type { ApiDialect, CredentialOutcome, CredentialRoute } from '../metrics/metrics.ts';
import type { GatehouseMetrics } from '../metrics/prometheus.ts';
import type { GatehouseApp } from './app-type.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** this route's answers also count as the outcome of a login or a registration */
    countsAs?: CredentialRoute;
  }
}

/**
 * Counts every answer by method, route pattern and status. Each route's label sets are bound when it is
 * registered, so a request costs two map look-ups and two increments; a URL no route matches counts as
 * `unmatched`, so no client can add a series by inventing paths.
 */
export function countRequests(
  app: GatehouseApp,
  metrics: GatehouseMetrics['http'],
  dialectOf: (url: string) => ApiDialect,
): void {
  app.addHook('onRoute', (route) => {
    const recorders = new Map(
      [route.method].flat().map((method) => [method, metrics.route(method, route.url)]),
    );
    const countsAs = route.config?.countsAs;
    const dialect = dialectOf(route.url);
    const record: onResponseHookHandler = (request, reply, done) => {
      recorders.get(request.method)?.(reply.statusCode, reply.elapsedTime / 1000);
      if (countsAs !== undefined) metrics.credentialOutcome(countsAs, dialect, outcomeOf(reply.statusCode));
      done();
    };
    route.onResponse = [route.onResponse ?? []].flat().concat(record);
  });
  app.addHook('onResponse', (request, reply, done) => {
    if (request.is404) countUnmatched(metrics, request, reply);
    done();
  });
}

/**
 * Counts an answer no route gave: a 404, or (called by the server's `frameworkErrors`, for which Fastify
 * runs no hook) a URL the router could not read.
 */
export function countUnmatched(
  metrics: GatehouseMetrics['http'],
  request: FastifyRequest,
  reply: FastifyReply,
): void {
  metrics.unmatched(request.method)(reply.statusCode, reply.elapsedTime / 1000);
}

/** A login's or a registration's statuses each have one cause (see their routes' response schemas). */
function outcomeOf(status: number): CredentialOutcome {
  if (status < 400) return 'success';
  if (status === 401) return 'invalid_credentials';
  if (status === 429) return 'rate_limited';
  return status < 500 ? 'invalid_request' : 'error';
}
