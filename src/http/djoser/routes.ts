import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import type { AccountService, User } from '../../accounts/account-service.ts';
import type { AddressVerification } from '../../accounts/address-verification.ts';
import type { LoginNameReset } from '../../accounts/login-name-reset.ts';
import type { PasswordReset } from '../../accounts/password-reset.ts';
import type { TokenPair } from '../../accounts/ports.ts';
import { userListCap, type VisibleUsers } from '../../accounts/visible-users.ts';
import type { Config } from '../../config/config.ts';
import { GatehouseError, throwIfInvalid, type FieldProblems } from '../../errors.ts';
import type { SessionService } from '../../sessions/session-service.ts';
import { absentBodyIsEmpty } from '../absent-body.ts';
import { callerContextOf, callerOf, contextOf } from '../authenticate.ts';
import { acceptFormBodies } from './form-bodies.ts';
import { mailRoutes } from './mail-routes.ts';
import {
  BadRequestSchema,
  DetailSchema,
  djoserChallenge,
  drfErrors,
  isUnableToLogIn,
  renamedField,
  tokenNotValid,
  unableToLogIn,
} from './envelope.ts';
import {
  AuthTokenResponse,
  CurrentPasswordBody,
  EmptyResponse,
  NoContent,
  RegisteredUserResponse,
  registrationBody,
  setLoginFieldBody,
  SetPasswordBody,
  TokenLoginBody,
  TokenObtainBody,
  TokenPairResponse,
  TokenRefreshBody,
  TokenVerifyBody,
  UserIdParams,
  UserListQuery,
  UserListResponse,
  userPatchBody,
  userReplaceBody,
  UserResponse,
  writableFieldOf,
  type LoginField,
  CurrentUserResponse,
} from './schemas.ts';

export interface DjoserServices {
  accounts: AccountService;
  sessions: SessionService;
  verification: AddressVerification;
  passwordReset: PasswordReset;
  loginNameReset: LoginNameReset;
  visibleUsers: VisibleUsers;
  config: Pick<Config, 'djoserLoginField'>;
}

// Django's User keeps a left-out address or name as "", which djoser shows as it is.
const toRegisteredBody = (user: User) => ({ id: user.id, email: user.email ?? '', username: user.username });
const toUserBody = (user: User) => ({
  ...toRegisteredBody(user),
  first_name: user.firstName ?? '',
  last_name: user.lastName ?? '',
});
const toCurrentUserBody = (user: User) => ({ ...toUserBody(user), roles: user.roles });
const toPairBody = (pair: TokenPair) => ({ refresh: pair.refreshToken, access: pair.accessToken });

/**
 * The name a login gives, from djoser's or simplejwt's body: either key, or both when they name one
 * account. With neither, the login field is what a DRF serializer reports missing.
 */
function loginNameOf(
  body: { email?: string; username?: string },
  loginField: LoginField,
  fields: FieldProblems,
) {
  if (body.email === undefined && body.username === undefined) fields[loginField] = { code: 'required' };
  return { email: body.email, username: body.username };
}

/** djoser 2 and simplejwt 5 under /auth: the users endpoints, token login and the JWT views. */
export function djoserRoutes({
  accounts,
  sessions,
  verification,
  passwordReset,
  loginNameReset,
  visibleUsers,
  config,
}: DjoserServices): FastifyPluginCallbackTypebox {
  const loginField = config.djoserLoginField;
  const writable = writableFieldOf(loginField);
  // Django's User (the username login field) declares its email blank=True: left out or blank, there is none
  const rules = { emailRequired: loginField === 'email' };
  return (app, _options, done) => {
    acceptFormBodies(app);
    // DRF reads an absent body as an empty form: each field is then "required", not the body malformed.
    app.addHook('preValidation', absentBodyIsEmpty);

    app.post(
      '/users/',
      {
        config: { countsAs: 'registration' },
        schema: {
          summary: 'Register (djoser)',
          tags: ['djoser'],
          body: registrationBody(loginField),
          response: { 201: RegisteredUserResponse, ...drfErrors(400, 413, 415, 429, 503) },
        },
      },
      async (request, reply) => {
        const { email, username, password } = request.body;
        const user = await accounts.register({ email, username, password }, contextOf(request), rules);
        return reply.code(201).send(toRegisteredBody(user));
      },
    );

    app.get(
      '/users/',
      {
        config: { caller: 'required' },
        schema: {
          summary: `Users: yourself, or every user for staff, in the order they joined (at most ${userListCap})`,
          tags: ['djoser'],
          querystring: UserListQuery,
          response: { 200: UserListResponse, ...drfErrors(400, 401, 503) },
        },
      },
      async (request) => {
        const limit = request.query.limit === undefined ? userListCap : Number(request.query.limit);
        const offset = request.query.offset === undefined ? 0 : Number(request.query.offset);
        return (await visibleUsers.list(callerOf(request).user, { limit, offset })).map(toUserBody);
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

    /** The fields PUT and PATCH change: the writable login name and the names, each only when sent. */
    function changesOf(request: FastifyRequest) {
      // named one by one: the body may carry anything, and only these are taken
      const body = request.body as Record<string, string | undefined>;
      return { [writable]: body[writable], firstName: body.first_name, lastName: body.last_name };
    }

    /** The caller's own account, by /me/ or by their id: what every write below acts on. */
    function ownAccount(request: FastifyRequest): void {
      const { id } = request.params as { id?: string };
      if (id !== undefined && id !== callerOf(request).user.id) {
        // another's account: djoser lets staff change it; here staff do that through /api/admin
        throw new GatehouseError('user_not_found', 'not the caller');
      }
    }

    const updateSchema = {
      response: { 200: CurrentUserResponse, ...drfErrors(400, 401, 404, 413, 415, 503) },
    };
    for (const path of ['/users/me/', '/users/:id/']) {
      const params = path === '/users/me/' ? {} : { params: UserIdParams };
      const routeConfig = { caller: 'required' as const, unknownParam: 'user_not_found' as const };

      if (path !== '/users/me/') {
        app.get(
          path,
          {
            config: routeConfig,
            schema: {
              summary: 'A user by id: yourself, or anyone for staff (djoser)',
              tags: ['djoser'],
              params: UserIdParams,
              response: { 200: UserResponse, ...drfErrors(401, 404, 503) },
            },
          },
          async (request) => toUserBody(await visibleUsers.find(callerOf(request).user, request.params.id)),
        );
      }

      app.put(
        path,
        {
          config: routeConfig,
          schema: {
            summary: `Replace the writable fields (${writable}, first_name, last_name)`,
            tags: ['djoser'],
            ...params,
            body: userReplaceBody(loginField),
            ...updateSchema,
          },
        },
        async (request) => {
          ownAccount(request);
          const changed = await accounts.update(callerContextOf(request), changesOf(request), { rules });
          return toCurrentUserBody(changed);
        },
      );
      app.patch(
        path,
        {
          config: routeConfig,
          schema: {
            summary: `Change the writable fields (${writable}, first_name, last_name)`,
            tags: ['djoser'],
            ...params,
            body: userPatchBody(loginField),
            ...updateSchema,
          },
        },
        async (request) => {
          ownAccount(request);
          const changed = await accounts.update(callerContextOf(request), changesOf(request), { rules });
          return toCurrentUserBody(changed);
        },
      );

      app.delete(
        path,
        {
          config: routeConfig,
          schema: {
            summary: 'Deactivate your account; every session ends',
            tags: ['djoser'],
            ...params,
            body: CurrentPasswordBody,
            response: { 204: NoContent, ...drfErrors(400, 401, 404, 413, 415, 429, 503) },
          },
        },
        async (request, reply) => {
          ownAccount(request);
          await accounts.deactivate(callerContextOf(request), request.body.current_password);
          return reply.code(204).send(null);
        },
      );
    }

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
      `/users/set_${loginField}/`,
      {
        config: { caller: 'required' },
        schema: {
          summary: `Change your ${loginField} at once, proving your password (djoser)`,
          tags: ['djoser'],
          body: setLoginFieldBody(loginField),
          response: { 204: NoContent, ...drfErrors(400, 401, 413, 415, 429, 503) },
        },
      },
      async (request, reply) => {
        const body = request.body as Record<string, string | undefined>;
        const proof = { currentPassword: body.current_password };
        try {
          await accounts.update(
            callerContextOf(request),
            { [loginField]: body[`new_${loginField}`] },
            { proof },
          );
        } catch (error) {
          // the domain names the account's field; djoser's serializer names it new_<field>
          throw renamedField(error, loginField, `new_${loginField}`);
        }
        return reply.code(204).send(null);
      },
    );

    app.post(
      '/token/login/',
      {
        config: { countsAs: 'login' },
        schema: {
          summary: 'Log in for a session-bound token to send as Authorization: Token (djoser)',
          tags: ['djoser'],
          body: TokenLoginBody,
          response: { 200: AuthTokenResponse, 400: BadRequestSchema, ...drfErrors(413, 415, 429, 503) },
        },
      },
      async (request, reply) => {
        const { password } = request.body;
        const name = { email: request.body.email, username: request.body.username };
        try {
          const { tokens } = await accounts.signIn({ ...name, password }, contextOf(request), 'access-token');
          return { auth_token: tokens.accessToken };
        } catch (error) {
          if (!isUnableToLogIn(error)) throw error;
          // djoser answers every refusal, a missing field included, with one 400
          return reply.code(400).send(unableToLogIn);
        }
      },
    );

    app.post(
      '/token/logout/',
      {
        config: { caller: 'required' },
        schema: {
          summary: 'End the session of the token sent (djoser)',
          tags: ['djoser'],
          response: { 204: NoContent, ...drfErrors(401, 413, 415, 503) },
        },
      },
      async (request, reply) => {
        await sessions.logout(callerContextOf(request), 'session');
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
        const fields: FieldProblems = {};
        const name = loginNameOf(request.body, loginField, fields);
        if (request.body.password === undefined) fields.password = { code: 'required' };
        throwIfInvalid(fields);
        const credentials = { ...name, password: request.body.password };
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

    app.register(mailRoutes({ verification, passwordReset, loginNameReset, loginField }));
    done();
  };
}
