import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import type { AccountService, User } from '../../accounts/account-service.ts';
import { GatehouseError } from '../../errors.ts';
import type { RateLimits } from '../../limits/rate-limits.ts';
import type { Caller, SessionService, TokenPair } from '../../sessions/session-service.ts';
import { callerRequired, type Authenticator } from '../authenticate.ts';
import { absentBodyIsEmpty } from '../absent-body.ts';
import { clientOf } from '../client.ts';
import { DetailSchema, djoserChallenge, drfErrors, tokenNotValid } from './envelope.ts';
import {
  CurrentPasswordBody,
  EmptyResponse,
  NoContent,
  RegistrationBody,
  SetPasswordBody,
  TokenObtainBody,
  TokenPairResponse,
  TokenRefreshBody,
  TokenVerifyBody,
  UserPatchBody,
  UserReplaceBody,
  UserResponse,
} from './schemas.ts';

export interface DjoserRoutesOptions {
  accounts: AccountService;
  sessions: SessionService;
  limits: RateLimits;
  authenticator: Authenticator;
}

const toUserBody = (user: User) => ({ id: user.id, email: user.email, username: user.username });
const toPairBody = (pair: TokenPair) => ({ refresh: pair.refreshToken, access: pair.accessToken });

/** djoser 2 and simplejwt 5 under /auth: the users endpoints and the JWT create/refresh/verify views. */
export const djoserRoutes: FastifyPluginCallbackTypebox<DjoserRoutesOptions> = (app, options, done) => {
  const { accounts, sessions, limits, authenticator } = options;

  // DRF authenticates before it reads the body, so a stranger learns nothing from validation; the
  // caller is found in onRequest, ahead of parsing, and kept here for the handler.
  const callers = new WeakMap<FastifyRequest, Caller>();
  const authenticate = async (request: FastifyRequest) => {
    callers.set(request, await authenticator.required(request));
  };
  const callerOf = (request: FastifyRequest): Caller => {
    const caller = callers.get(request);
    // a programming error, not a client's: the route lacks `onRequest: authenticate`
    if (caller === undefined) throw new Error('no caller: the route does not authenticate');
    return caller;
  };

  // DRF reads an absent body as an empty form: each field is then "required", not the body malformed.
  app.addHook('preValidation', absentBodyIsEmpty);

  app.post(
    '/users/',
    {
      config: { countsAs: 'registration' },
      schema: {
        summary: 'Register (djoser)',
        tags: ['djoser'],
        body: RegistrationBody,
        response: { 201: UserResponse, ...drfErrors(400, 413, 415, 429, 503) },
      },
    },
    async (request, reply) => {
      await limits.throttleRegistration(request.ip);
      const { email, username, password } = request.body;
      return reply.code(201).send(toUserBody(await accounts.register({ email, username, password })));
    },
  );

  app.get(
    '/users/me/',
    {
      onRequest: authenticate,
      schema: {
        summary: 'The current user (djoser)',
        security: callerRequired,
        tags: ['djoser'],
        response: { 200: UserResponse, ...drfErrors(401, 503) },
      },
    },
    (request) => toUserBody(callerOf(request).user),
  );

  const updateSchema = { response: { 200: UserResponse, ...drfErrors(400, 401, 413, 415, 503) } };
  app.put(
    '/users/me/',
    {
      onRequest: authenticate,
      schema: {
        summary: 'Replace the writable fields (username)',
        security: callerRequired,
        tags: ['djoser'],
        body: UserReplaceBody,
        ...updateSchema,
      },
    },
    async (request) => {
      const caller = callerOf(request);
      // named one by one: the body may carry anything, and only the username is writable here
      const changes = { username: request.body.username };
      return toUserBody(await accounts.update(caller.user, changes, caller.session.id));
    },
  );
  app.patch(
    '/users/me/',
    {
      onRequest: authenticate,
      schema: {
        summary: 'Change the writable fields (username)',
        security: callerRequired,
        tags: ['djoser'],
        body: UserPatchBody,
        ...updateSchema,
      },
    },
    async (request) => {
      const caller = callerOf(request);
      const changes = { username: request.body.username };
      return toUserBody(await accounts.update(caller.user, changes, caller.session.id));
    },
  );

  app.delete(
    '/users/me/',
    {
      onRequest: authenticate,
      schema: {
        summary: 'Deactivate your account; every session ends',
        security: callerRequired,
        tags: ['djoser'],
        body: CurrentPasswordBody,
        response: { 204: NoContent, ...drfErrors(400, 401, 413, 415, 429, 503) },
      },
    },
    async (request, reply) => {
      const { user } = callerOf(request);
      await limits.throttlePasswordCheck(user.email, () =>
        accounts.deactivate(user, request.body.current_password),
      );
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/users/set_password/',
    {
      onRequest: authenticate,
      schema: {
        summary: 'Change your password; your other sessions end',
        security: callerRequired,
        tags: ['djoser'],
        body: SetPasswordBody,
        response: { 204: NoContent, ...drfErrors(400, 401, 413, 415, 429, 503) },
      },
    },
    async (request, reply) => {
      const caller = callerOf(request);
      const { current_password: currentPassword, new_password: newPassword } = request.body;
      await limits.throttlePasswordCheck(caller.user.email, () =>
        accounts.changePassword(caller.user, { currentPassword, newPassword }, caller.session.id),
      );
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/jwt/create/',
    {
      config: { countsAs: 'login' },
      schema: {
        summary: 'Log in for an access and refresh token pair (simplejwt)',
        tags: ['djoser'],
        body: TokenObtainBody,
        response: { 200: TokenPairResponse, ...drfErrors(400, 401, 413, 415, 429, 503) },
      },
    },
    async (request) => {
      const credentials = { email: request.body.email, password: request.body.password };
      // one lock per email whichever door the login comes through
      const user = await limits.throttleLogin(request.ip, credentials.email, () =>
        accounts.authenticate(credentials),
      );
      const session = await sessions.open(user, clientOf(request));
      return toPairBody(await sessions.issueTokenPair(session));
    },
  );

  app.post(
    '/jwt/refresh/',
    {
      schema: {
        summary: 'Exchange a refresh token for a new pair; the old one is spent (simplejwt, rotating)',
        tags: ['djoser'],
        body: TokenRefreshBody,
        response: { 200: TokenPairResponse, ...drfErrors(400, 401, 413, 415, 503) },
      },
    },
    async (request) => toPairBody(await sessions.refresh(request.body.refresh)),
  );

  app.post(
    '/jwt/verify/',
    {
      schema: {
        summary: 'Whether a token is valid now: an access token of a live session, or a live refresh token',
        tags: ['djoser'],
        body: TokenVerifyBody,
        response: { 200: EmptyResponse, 401: DetailSchema, ...drfErrors(400, 413, 415, 503) },
      },
    },
    async (request, reply) => {
      if (await isValid(request.body.token)) return {};
      return reply.code(401).header('www-authenticate', djoserChallenge).send(tokenNotValid);
    },
  );

  /** An access token (a JWT) whose session is live, or a refresh token (opaque) that is live; never spent. */
  async function isValid(token: string): Promise<boolean> {
    if (!token.includes('.')) return sessions.isRefreshTokenLive(token);
    try {
      await sessions.authenticate(token);
      return true;
    } catch (error) {
      if (error instanceof GatehouseError && error.code === 'token_invalid') return false;
      throw error;
    }
  }
  done();
};
