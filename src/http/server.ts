import { randomUUID } from 'node:crypto';
import cors from '@fastify/cors';
import swagger from '@fastify/swagger';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { LogController } from 'fastify';
import type { Logger } from 'pino';
import type { AccountService } from '../accounts/account-service.ts';
import type { ProfileService } from '../accounts/profile-service.ts';
import type { Config } from '../config/config.ts';
import type { RateLimits } from '../limits/rate-limits.ts';
import { GatehouseError } from '../errors.ts';
import type { ApiDialect } from '../metrics/metrics.ts';
import type { GatehouseMetrics } from '../metrics/prometheus.ts';
import type { KeyRing } from '../keys/key-ring.ts';
import type { SessionService } from '../sessions/session-service.ts';
import { createAuthenticator } from './authenticate.ts';
import { conduitDialect } from './conduit/envelope.ts';
import { conduitRoutes } from './conduit/routes.ts';
import { sessionRoutes } from './conduit/session-routes.ts';
import { dialectErrorHandler, routeNotFound, sendFailure, type Dialect } from './dialect.ts';
import { djoserDialect } from './djoser/envelope.ts';
import { djoserRoutes } from './djoser/routes.ts';
import { apiDescription, apiDocsRoutes } from './ops/openapi.ts';
import { opsRoutes } from './ops/routes.ts';
import { countRequests, countUnmatched } from './request-metrics.ts';

export interface HttpDeps {
  config: Pick<
    Config,
    | 'bodyLimit'
    | 'requestTimeout'
    | 'corsOrigins'
    | 'trustProxy'
    | 'conduitTokenTtl'
    | 'publicUrl'
    | 'metricsToken'
  >;
  logger: Logger;
  accounts: AccountService;
  profiles: ProfileService;
  sessions: SessionService;
  limits: RateLimits;
  keys: KeyRing;
  metrics: GatehouseMetrics;
  isReady: () => Promise<{ database: boolean; migrations: boolean }>;
  /** the database's own judgement of a driver error: gone for now (503) or a real fault (500) */
  isUnavailable: (error: unknown) => boolean;
}

// Where the djoser dialect lives; everything else answers as Conduit does.
const djoserPrefix = '/auth';

/** The dialect of a URL, or of a route by its pattern. */
function dialectNameOf(url: string): ApiDialect {
  return url === djoserPrefix || url.startsWith(`${djoserPrefix}/`) || url.startsWith(`${djoserPrefix}?`)
    ? 'djoser'
    : 'conduit';
}

/** The dialect of a URL, for the one place without a route to ask: a URL the router cannot read. */
function dialectOf(url: string): Dialect {
  return dialectNameOf(url) === 'djoser' ? djoserDialect : conduitDialect;
}

/** The Fastify application, not yet listening: tests inject into it, main.ts listens. */
export async function buildHttpServer(deps: HttpDeps) {
  const { config } = deps;
  const app = Fastify({
    loggerInstance: deps.logger,
    genReqId: () => randomUUID(),
    logController: new LogController({ requestIdLogLabel: 'requestId' }),
    bodyLimit: config.bodyLimit,
    requestTimeout: config.requestTimeout,
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
  countRequests(app, deps.metrics.http, dialectNameOf);

  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
    // user data and tokens are never for shared caches; routes that want caching say so themselves
    reply.header('cache-control', 'no-store');
  });

  // Conduit answers for everything outside /auth; the djoser scope below sets its own two handlers
  app.setErrorHandler(dialectErrorHandler(conduitDialect, deps.isUnavailable));
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
  await app.register(swagger, apiDescription(config.publicUrl));

  const authenticator = createAuthenticator(deps.sessions);
  await app.register(opsRoutes, {
    keys: deps.keys,
    isReady: deps.isReady,
    metrics: deps.metrics,
    metricsToken: config.metricsToken,
  });
  await app.register(apiDocsRoutes, { publicUrl: config.publicUrl });
  await app.register(conduitRoutes, {
    prefix: '/api',
    accounts: deps.accounts,
    profiles: deps.profiles,
    sessions: deps.sessions,
    limits: deps.limits,
    authenticator,
    conduitTokenTtl: config.conduitTokenTtl,
  });
  await app.register(sessionRoutes, {
    prefix: '/api',
    accounts: deps.accounts,
    sessions: deps.sessions,
    limits: deps.limits,
    authenticator,
  });
  await app.register(
    async (auth) => {
      auth.setErrorHandler(dialectErrorHandler(djoserDialect, deps.isUnavailable));
      auth.setNotFoundHandler(routeNotFound);
      await auth.register(djoserRoutes, {
        accounts: deps.accounts,
        sessions: deps.sessions,
        limits: deps.limits,
        authenticator,
      });
    },
    { prefix: djoserPrefix },
  );
  return app;
}

export type HttpServer = Awaited<ReturnType<typeof buildHttpServer>>;
