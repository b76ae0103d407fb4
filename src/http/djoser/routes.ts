import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import type { AccountService, User } from '../../accounts/account-service.ts';
import type { AddressVerification } from '../../accounts/address-verification.ts';
import type { PasswordReset } from '../../accounts/password-reset.ts';
import type { TokenPair } from '../../accounts/ports.ts';
import type { SessionService } from '../../sessions/session-service.ts';
import { absentBodyIsEmpty } from '../absent-body.ts';
import { callerContextOf, callerOf, contextOf } from '../authenticate.ts';
import { mailRoutes } from './mail-routes.ts';
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
  CurrentUserResponse,
} from './schemas.ts';

export interface DjoserServices {
  accounts: AccountService;
  sessions: SessionService;
  verification: AddressVerification;
  passwordReset: PasswordReset;
}

const toUserBody = (user: User) => ({ id: user.id, email: user.email, username: user.username });
const toCurrentUserBody = (user: User) => ({ ...toUserBody(user), roles: user.roles });
const toPairBody = (pair: TokenPair) => ({ refresh: pair.refreshToken, access: pair.accessToken });

/** djoser 2 and simplejwt 5 under /auth: the users endpoints and the JWT create/refresh/verify views. */
export function djoserRoutes({
  accounts,
  sessions,
  verification,
  passwordReset,
}: DjoserServices): FastifyPluginCallbackTypebox {
  return (app, _options, done) => {
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
        const { email, username, password } = request.body;
        const user = await accounts.register({ email, username, password }, contextOf(request));
        return reply.code(201).send(toUserBody(user));
      },
    );

    app.get(
      '/users/me/',
      {
        config: { caller: 'required' },
        schema: {
          summary: 'The current user (djoser)',
          tags: ['djoser'],
          response: { 200: CurrentUserResponse, ...drfErrors(401, 503) },
        },
      },
      (request) => toCurrentUserBody(callerOf(request).user),
    );

    const updateSchema = { response: { 200: CurrentUserResponse, ...drfErrors(400, 401, 413, 415, 503) } };
    app.put(
      '/users/me/',
      {
        config: { caller: 'required' },
        schema: {
          summary: 'Replace the writable fields (username)',
          tags: ['djoser'],
          body: UserReplaceBody,
          ...updateSchema,
        },
      },
      async (request) => {
        // named one by one: the body may carry anything, and only the username is writable here
        const changes = { username: request.body.username };
        return toCurrentUserBody(await accounts.update(callerContextOf(request), changes));
      },
    );
    app.patch(
      '/users/me/',
      {
        config: { caller: 'required' },
        schema: {
          summary: 'Change the writable fields (username)',
          tags: ['djoser'],
          body: UserPatchBody,
          ...updateSchema,
        },
      },
      async (request) => {
        const changes = { username: request.body.username };
        return toCurrentUserBody(await accounts.update(callerContextOf(request), changes));
      },
    );

    app.delete(
      '/users/me/',
      {
        config: { caller: 'required' },
        schema: {
          summary: 'Deactivate your account; every session ends',
          tags: ['djoser'],
          body: CurrentPasswordBody,
          response: { 204: NoContent, ...drfErrors(400, 401, 413, 415, 429, 503) },
        },
      },
      async (request, reply) => {
        await accounts.deactivate(callerContextOf(request), request.body.current_password);
        return reply.code(204).send(null);
      },
    );

    app.post(
      '/users/set_password/',
      {
        config: { caller: 'required' },
        schema: {
          summary: 'Change your password; your other sessions end',
          tags: ['djoser'],
          body: SetPasswordBody,
          response: { 204: NoContent, ...drfErrors(400, 401, 413, 415, 429, 503) },
        },
      },
      async (request, reply) => {
        const { current_password: currentPassword, new_password: newPassword } = request.body;
        await accounts.changePassword(callerContextOf(request), { currentPassword, newPassword });
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
        const { tokens } = await accounts.signIn(credentials, contextOf(request), 'token-pair');
        return toPairBody(tokens);
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
      async (request) => toPairBody(await sessions.refresh(request.body.refresh, contextOf(request))),
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
        if (await sessions.isTokenLive(request.body.token)) return {};
        return reply.code(401).header('www-authenticate', djoserChallenge).send(tokenNotValid);
      },
    );

    app.register(mailRoutes({ verification, passwordReset }));
    done();
  };
}
