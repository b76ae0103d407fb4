import { randomUUID } from 'node:crypto';
import cors from '@fastify/cors';
import swagger from '@fastify/swagger';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { LogController } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from '../config/config.ts';
import { GatehouseError } from '../errors.ts';
import type { GatehouseMetrics } from '../metrics/prometheus.ts';
import type { KeyRing } from '../keys/key-ring.ts';
import { authenticateRoutes, type AuthenticateToken } from './authenticate.ts';
import { drainAnswerTime, manageConnections } from './connections.ts';
import { consoleRoutes } from './console/routes.ts';
import { answerWithinDeadline } from './deadline.ts';
import {
  dialectErrorHandler,
  routeNotFound,
  sendFailure,
  type Dialect,
  type MountedDialect,
} from './dialect.ts';
import { apiDescription, apiDocsRoutes } from './ops/openapi.ts';
import { opsRoutes, type OpsRoutesOptions } from './ops/routes.ts';
import { countRequests, countUnmatched } from './request-metrics.ts';
import { refuseUnsafeParams, refuseUnsafeText } from './unsafe-text.ts';

export interface HttpDeps {
  config: Pick<
    Config,
    | 'bodyLimit'
    | 'requestTimeout'
    | 'responseTimeout'
    | 'maxConnections'
    | 'corsOrigins'
    | 'trustProxy'
    | 'publicUrl'
    | 'metricsToken'
  >;
  logger: Logger;
  /**
   * Every dialect the server speaks, each under its prefix; the first also answers for every URL outside
   * all prefixes (probes, unknown paths).
   */
  dialects: readonly MountedDialect[];
  /** the caller behind an access token, for routes that name one */
  authenticate: AuthenticateToken;
  keys: KeyRing;
  metrics: GatehouseMetrics;
  isReady: OpsRoutesOptions['isReady'];
  /** the database's own judgement of a driver error: gone for now (503) or a real fault (500) */
  isUnavailable: (error: unknown) => boolean;
}

/** The dialect a URL (or a route's pattern) belongs to: the one with the longest prefix it starts with. */
export function dialectFinder(
  dialects: ReadonlyArray<Pick<MountedDialect, 'dialect' | 'prefix'>>,
): (url: string) => Dialect {
  const [fallback] = dialects;
  if (fallback === undefined) throw new Error('a server speaks at least one dialect');
  const longestFirst = [...dialects].sort((a, b) => b.prefix.length - a.prefix.length);
  return (url) => {
    const mounted = longestFirst.find(
      ({ prefix }) => url === prefix || url.startsWith(`${prefix}/`) || url.startsWith(`${prefix}?`),
    );
    return (mounted ?? fallback).dialect;
  };
}

/** The Fastify application, not yet listening: tests inject into it, main.ts listens. */
export async function buildHttpServer(deps: HttpDeps) {
  const { config } = deps;
  const dialectOf = dialectFinder(deps.dialects);
  const rootDialect = dialectOf('/');
  const connections = manageConnections({
    maxConnections: config.maxConnections,
    capPerAddress: config.trustProxy.length === 0,
    requestTimeout: config.requestTimeout,
    dialectOf,
    logger: deps.logger,
    metrics: deps.metrics.http,
  });
  const app = Fastify({
    loggerInstance: deps.logger,
    genReqId: () => randomUUID(),
    logController: new LogController({ requestIdLogLabel: 'requestId' }),
    bodyLimit: config.bodyLimit,
    serverFactory: connections.createServer,
    clientErrorHandler: connections.answerClientError,
    // a request during the drain is answered below, in its dialect's envelope, with Retry-After
    return503OnClosing: false,
    trustProxy: config.trustProxy.length > 0 ? [...config.trustProxy] : false,
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 1024 },
    // a number where a string belongs is a client error, not something to quietly convert
    ajv: { customOptions: { coerceTypes: false, allErrors: true } },
    // a URL the router cannot read (bad percent-encoding, an over-long parameter) names nothing here;
    // Fastify's own answer would echo the path outside the envelope
    frameworkErrors: (_error, request, reply) => {
      const failure = new GatehouseError('route_not_found', 'unreadable url');
      void sendFailure(dialectOf(request.url), failure, request, reply.header('cache-control', 'no-store'));
      countUnmatched(deps.metrics.http, request, reply);
    },
  }).withTypeProvider<TypeBoxTypeProvider>();

  // JSON only: without a parser, any other content type (Fastify's built-in text/plain too) is a 415.
  // Bodiless DELETE and GET requests from RealWorld clients still say `Content-Type: application/json`.
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text === '') {
      done(null, undefined);
      return;
    }
    void parseJson(request, text, done);
  });

  // before any route, so that every route (and the unmatched) is counted
  countRequests(app, deps.metrics.http, (url) => dialectOf(url).name);
  app.decorateRequest('caller', undefined);
  app.decorateRequest('credentialsIn', undefined);

  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
    // Fastify has already marked the answer `Connection: close`
    if (connections.isDraining()) throw new GatehouseError('service_unavailable', 'draining');
    // HTTP/1.1 requires Host (RFC 9112); Node's own refusal (requireHostHeader) would carry no envelope
    if (request.raw.httpVersion === '1.1' && request.headers.host === undefined) {
      throw new GatehouseError('malformed_request', 'no Host header');
    }
    // user data and tokens are never for shared caches; routes that want caching say so themselves
    reply.header('cache-control', 'no-store');
  });

  const deadlines = answerWithinDeadline(app, {
    timeout: config.responseTimeout,
    answer: (failure, request, reply) => {
      void sendFailure(dialectOf(request.url), failure, request, reply);
    },
  });
  // SIGTERM: Fastify stops taking connections; idle and half-received ones close now, and whatever is in
  // flight is answered before the drain runs out
  app.addHook('preClose', (done) => {
    connections.drain();
    deadlines.bringForward(Date.now() + drainAnswerTime);
    done();
  });
  app.addHook('preValidation', refuseUnsafeText(dialectOf));
  app.addHook('onRoute', refuseUnsafeParams);

  // the first dialect answers for everything outside the prefixes; each scope below sets its own handlers
  app.setErrorHandler(dialectErrorHandler(rootDialect, deps.isUnavailable));
  app.setNotFoundHandler(routeNotFound);

  if (config.corsOrigins.length > 0) {
    await app.register(cors, {
      origin: config.corsOrigins.includes('*') ? '*' : [...config.corsOrigins],
      methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
      allowedHeaders: ['Authorization', 'Content-Type', 'X-Requested-With'],
      exposedHeaders: ['Retry-After', 'WWW-Authenticate', 'X-Request-Id'],
      maxAge: 600,
    });
  }

  // before every route: it learns the routes from onRoute, as they are registered
  const cookieSchemes = Object.fromEntries(
    deps.dialects.flatMap(({ dialect }) => Object.entries(dialect.cookieCredentials?.securitySchemes ?? {})),
  );
  await app.register(swagger, apiDescription(config.publicUrl, cookieSchemes));

  await app.register(opsRoutes, {
    keys: deps.keys,
    isReady: deps.isReady,
    metrics: deps.metrics,
    metricsToken: config.metricsToken,
  });
  await app.register(apiDocsRoutes, { publicUrl: config.publicUrl });
  await app.register(consoleRoutes, { prefix: '/admin' });
  for (const { dialect, prefix, routes } of deps.dialects) {
    await app.register(
      async (scope) => {
        scope.setErrorHandler(dialectErrorHandler(dialect, deps.isUnavailable));
        scope.setNotFoundHandler(routeNotFound);
        scope.addHook('onRoute', authenticateRoutes(dialect, deps.authenticate));
        await scope.register(routes);
      },
      { prefix },
    );
  }
  return app;
}

export type HttpServer = Awaited<ReturnType<typeof buildHttpServer>>;
