import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import type { AccountService } from '../../accounts/account-service.ts';
import type { RateLimits } from '../../limits/rate-limits.ts';
import type { SessionService, TokenPair } from '../../sessions/session-service.ts';
import { callerRequired, type Authenticator } from '../authenticate.ts';
import { absentBodyIsEmpty, bodyOptional } from '../absent-body.ts';
import { clientOf } from '../client.ts';
import { conduitErrors } from './envelope.ts';
import {
  CurrentPasswordBody,
  LogoutBody,
  NoContent,
  PasswordChangeBody,
  RefreshBody,
  SessionParams,
  SessionsResponse,
  TokenPairResponse,
  TokenRequestBody,
} from './schemas.ts';

export interface SessionRoutesOptions {
  accounts: AccountService;
  sessions: SessionService;
  limits: RateLimits;
  authenticator: Authenticator;
}

const toPairBody = (pair: TokenPair) => ({
  access_token: pair.accessToken,
  refresh_token: pair.refreshToken,
  token_type: 'Bearer' as const,
  expires_in: pair.expiresIn,
});

const iso = (epochMs: number) => new Date(epochMs).toISOString();

/** Gatehouse's own extensions under /api: token pairs, logout, the caller's sessions and password. */
export const sessionRoutes: FastifyPluginCallbackTypebox<SessionRoutesOptions> = (app, options, done) => {
  const { accounts, sessions, limits, authenticator } = options;

  app.post(
    '/tokens',
    {
      config: { countsAs: 'login' },
      schema: {
        summary: 'Log in for an access and refresh token pair',
        tags: ['sessions'],
        body: TokenRequestBody,
        response: { 200: TokenPairResponse, ...conduitErrors(400, 401, 413, 415, 422, 429, 503) },
      },
    },
    async (request) => {
      const credentials = request.body;
      // the same limits as every login: a second door must not be an unlimited one
      const user = await limits.throttleLogin(request.ip, credentials.email, () =>
        accounts.authenticate(credentials),
      );
      const session = await sessions.open(user, clientOf(request));
      return toPairBody(await sessions.issueTokenPair(session));
    },
  );

  app.post(
    '/tokens/refresh',
    {
      schema: {
        summary: 'Exchange a refresh token for a new pair (the old one is spent)',
        tags: ['sessions'],
        body: RefreshBody,
        response: { 200: TokenPairResponse, ...conduitErrors(400, 401, 413, 415, 422, 503) },
      },
    },
    async (request) => toPairBody(await sessions.refresh(request.body.refresh_token)),
  );

  app.post(
    '/users/logout',
    {
      preValidation: absentBodyIsEmpty,
      schema: {
        [bodyOptional]: true,
        summary: 'End this session, the others, or all',
        security: callerRequired,
        tags: ['sessions'],
        body: LogoutBody,
        response: { 204: NoContent, ...conduitErrors(400, 401, 413, 415, 422, 503) },
      },
    },
    async (request, reply) => {
      const caller = await authenticator.required(request);
      await sessions.logout(caller, request.body.scope ?? 'session');
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/user/sessions',
    {
      schema: {
        summary: "The caller's live sessions",
        security: callerRequired,
        tags: ['sessions'],
        response: { 200: SessionsResponse, ...conduitErrors(401, 503) },
      },
    },
    async (request) => {
      const caller = await authenticator.required(request);
      const live = await sessions.list(caller.user.id);
      return {
        sessions: live.map((session) => ({
          id: session.id,
          createdAt: iso(session.createdAt),
          lastUsedAt: iso(session.lastUsedAt),
          expiresAt: iso(session.expiresAt),
          userAgent: session.userAgent,
          ip: session.ip,
          current: session.id === caller.session.id,
        })),
      };
    },
  );

  app.delete(
    '/user/sessions/:id',
    {
      schema: {
        summary: 'End one of your sessions',
        security: callerRequired,
        tags: ['sessions'],
        params: SessionParams,
        response: { 204: NoContent, ...conduitErrors(401, 404, 503) },
      },
    },
    async (request, reply) => {
      const caller = await authenticator.required(request);
      await sessions.revokeOwn(caller, request.params.id);
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/user/password',
    {
      schema: {
        summary: 'Change your password; your other sessions end',
        security: callerRequired,
        tags: ['sessions'],
        body: PasswordChangeBody,
        response: { 204: NoContent, ...conduitErrors(400, 401, 413, 415, 422, 429, 503) },
      },
    },
    async (request, reply) => {
      const caller = await authenticator.required(request);
      await limits.throttlePasswordCheck(caller.user.email, () =>
        accounts.changePassword(
          caller.user,
          { currentPassword: request.body.current_password, newPassword: request.body.new_password },
          caller.session.id,
        ),
      );
      return reply.code(204).send(null);
    },
  );

  app.delete(
    '/user',
    {
      preValidation: absentBodyIsEmpty,
      schema: {
        summary: 'Deactivate your account; every session ends',
        security: callerRequired,
        tags: ['sessions'],
        body: CurrentPasswordBody,
        response: { 204: NoContent, ...conduitErrors(400, 401, 413, 415, 422, 429, 503) },
      },
    },
    async (request, reply) => {
      const caller = await authenticator.required(request);
      await limits.throttlePasswordCheck(caller.user.email, () =>
        accounts.deactivate(caller.user, request.body.current_password),
      );
      return reply.code(204).send(null);
    },
  );
  done();
};
