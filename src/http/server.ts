import { randomUUID } from 'node:crypto';
import cors from '@fastify/cors';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { LogController, type FastifyReply } from 'fastify';
import type { Logger } from 'pino';
import type { AccountService } from '../accounts/account-service.ts';
import type { ProfileService } from '../accounts/profile-service.ts';
import type { Config } from '../config/config.ts';
import type { RateLimits } from '../limits/rate-limits.ts';
import { GatehouseError } from '../errors.ts';
import type { KeyRing } from '../sessions/key-ring.ts';
import type { SessionService } from '../sessions/session-service.ts';
import { createAuthenticator } from './authenticate.ts';
import { conduitEnvelope, statusByCode } from './conduit/envelope.ts';
import { conduitRoutes } from './conduit/routes.ts';
import { sessionRoutes } from './conduit/session-routes.ts';
import { toGatehouseError } from './failure.ts';
import { opsRoutes } from './ops/routes.ts';

export interface HttpDeps {
  config: Pick<Config, 'bodyLimit' | 'requestTimeout' | 'corsOrigins' | 'trustProxy' | 'conduitTokenTtl'>;
  logger: Logger;
  accounts: AccountService;
  profiles: ProfileService;
  sessions: SessionService;
  limits: RateLimits;
  keys: KeyRing;
  isReady: () => Promise<{ database: boolean; migrations: boolean }>;
  /** the database's own judgement of a driver error: gone for now (503) or a real fault (500) */
  isUnavailable: (error: unknown) => boolean;
}

// Seconds a client should wait before retrying after a 503.
const retryAfterSeconds = 5;
const challenge = 'Token realm="gatehouse", Bearer realm="gatehouse"';

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
    frameworkErrors: (_error, _request, reply) => {
      void (reply as FastifyReply)
        .code(statusByCode.route_not_found)
        .header('cache-control', 'no-store')
        .send(conduitEnvelope(new GatehouseError('route_not_found', 'unreadable url')));
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

  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
    // user data and tokens are never for shared caches; routes that want caching say so themselves
    reply.header('cache-control', 'no-store');
  });

  app.setErrorHandler(async (error, request, reply) => {
    const failure = toGatehouseError(error, deps.isUnavailable);
    const status = statusByCode[failure.code];
    if (status >= 500) request.log.error({ err: failure.cause ?? failure }, failure.message);
    if (failure.retryAfter !== undefined) reply.header('retry-after', String(failure.retryAfter));
    else if (status === 503) reply.header('retry-after', String(retryAfterSeconds));
    if (failure.code === 'token_missing') reply.header('www-authenticate', challenge);
    if (failure.code === 'token_invalid')
      reply.header('www-authenticate', `${challenge}, error="invalid_token"`);
    return reply.code(status).send(conduitEnvelope(failure));
  });
  app.setNotFoundHandler(() => {
    throw new GatehouseError('route_not_found', 'no such route');
  });

  if (config.corsOrigins.length > 0) {
    await app.register(cors, {
      origin: config.corsOrigins.includes('*') ? '*' : [...config.corsOrigins],
      methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
      allowedHeaders: ['Authorization', 'Content-Type', 'X-Requested-With'],
      exposedHeaders: ['Retry-After', 'WWW-Authenticate', 'X-Request-Id'],
      maxAge: 600,
    });
  }

  const authenticator = createAuthenticator(deps.sessions);
  await app.register(opsRoutes, { keys: deps.keys, isReady: deps.isReady });
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
  return app;
}

export type HttpServer = Awaited<ReturnType<typeof buildHttpServer>>;
