import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import type { AccountService } from '../../accounts/account-service.ts';
import type { TokenPair } from '../../accounts/ports.ts';
import type { SessionService } from '../../sessions/session-service.ts';
import { absentBodyIsEmpty, bodyOptional } from '../absent-body.ts';
import { callerContextOf, callerOf, contextOf } from '../authenticate.ts';
import { conduitErrors } from './envelope.ts';
import {
  CurrentPasswordBody,
  LogoutBody,
  NoContent,
  PasswordChangeBody,
  RefreshBody,
  SessionParams,
  SessionsQuery,
  SessionsResponse,
  TokenPairResponse,
  TokenRequestBody,
} from './schemas.ts';

export interface SessionServices {
  accounts: AccountService;
  sessions: SessionService;
}

const toPairBody = (pair: TokenPair) => ({
  access_token: pair.accessToken,
  refresh_token: pair.refreshToken,
  token_type: 'Bearer' as const,
  expires_in: pair.expiresIn,
});

const iso = (epochMs: number) => new Date(epochMs).toISOString();

/** Gatehouse's own extensions under /api: token pairs, logout, the caller's sessions and password. */
export function sessionRoutes({ accounts, sessions }: SessionServices): FastifyPluginCallbackTypebox {
  return (app, _options, done) => {
    app.post(
      '/tokens',
      {
        config: { countsAs: 'login' },
        schema: {
          summary: 'Log in for an access and refresh token pair',
          tags: ['sessions'],
          body: TokenRequestBody,
          response: { 200: TokenPairResponse, ...conduitErrors(400, 401, 403, 413, 415, 422, 429, 503) },
        },
      },
      async (request) => {
        const { tokens } = await accounts.signIn(request.body, contextOf(request), 'token-pair');
        return toPairBody(tokens);
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
      async (request) => toPairBody(await sessions.refresh(request.body.refresh_token, contextOf(request))),
    );

    app.post(
      '/users/logout',
      {
        config: { caller: 'required' },
        preValidation: absentBodyIsEmpty,
        schema: {
          [bodyOptional]: true,
          summary: 'End this session, the others, or all',
          tags: ['sessions'],
          body: LogoutBody,
          response: { 204: NoContent, ...conduitErrors(400, 401, 413, 415, 422, 503) },
        },
      },
      async (request, reply) => {
        await sessions.logout(callerContextOf(request), request.body.scope ?? 'session');
        return reply.code(204).send(null);
      },
    );

    app.get(
      '/user/sessions',
      {
        config: { caller: 'required' },
        schema: {
          summary: "The caller's live sessions, newest first, a page at a time",
          tags: ['sessions'],
          querystring: SessionsQuery,
          response: { 200: SessionsResponse, ...conduitErrors(401, 422, 503) },
        },
      },
      async (request) => {
        const caller = callerOf(request);
        const { limit, cursor } = request.query;
        const page = await sessions.listPage(caller.user.id, {
          limit: limit === undefined ? undefined : Number(limit),
          cursor,
        });
        return {
          sessions: page.sessions.map((session) => ({
            id: session.id,
            createdAt: iso(session.createdAt),
            lastUsedAt: iso(session.lastUsedAt),
            expiresAt: iso(session.expiresAt),
            userAgent: session.userAgent,
            ip: session.ip,
            current: session.id === caller.session.id,
          })),
          nextCursor: page.nextCursor,
        };
      },
    );

    app.delete(
      '/user/sessions/:id',
      {
        config: { caller: 'required', unknownParam: 'session_not_found' },
        schema: {
          summary: 'End one of your sessions',
          tags: ['sessions'],
          params: SessionParams,
          response: { 204: NoContent, ...conduitErrors(401, 404, 503) },
        },
      },
      async (request, reply) => {
        await sessions.revokeOwn(callerContextOf(request), request.params.id);
        return reply.code(204).send(null);
      },
    );

    app.post(
      '/user/password',
      {
        config: { caller: 'required' },
        schema: {
          summary: 'Change your password; your other sessions end',
          tags: ['sessions'],
          body: PasswordChangeBody,
          response: { 204: NoContent, ...conduitErrors(400, 401, 413, 415, 422, 429, 503) },
        },
      },
      async (request, reply) => {
        await accounts.changePassword(callerContextOf(request), {
          currentPassword: request.body.current_password,
          newPassword: request.body.new_password,
        });
        return reply.code(204).send(null);
      },
    );

    app.delete(
      '/user',
      {
        config: { caller: 'required' },
        preValidation: absentBodyIsEmpty,
        schema: {
          summary: 'Deactivate your account; every session ends',
          tags: ['sessions'],
          body: CurrentPasswordBody,
          response: { 204: NoContent, ...conduitErrors(400, 401, 413, 415, 422, 429, 503) },
        },
      },
      async (request, reply) => {
        await accounts.deactivate(callerContextOf(request), request.body.current_password);
        return reply.code(204).send(null);
      },
    );
    done();
  };
}
