import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AccountService, User } from '../../accounts/account-service.ts';
import type { AddressVerification } from '../../accounts/address-verification.ts';
import type { PasswordReset } from '../../accounts/password-reset.ts';
import type { AuditTrail } from '../../audit/audit-trail.ts';
import type { ProfileService } from '../../accounts/profile-service.ts';
import type { SessionService } from '../../sessions/session-service.ts';
import { callerContextOf, callerOf, contextOf } from '../authenticate.ts';
import { conduitErrors } from './envelope.ts';
import {
  LoginBody,
  ProfileParams,
  ProfileResponse,
  RegisteredResponse,
  RegistrationBody,
  UserResponse,
  UserUpdateBody,
} from './schemas.ts';
import { sessionRoutes } from './session-routes.ts';
import { historyRoutes } from './history-routes.ts';
import { mailRoutes } from './mail-routes.ts';
import { wrapUnwrappedUser } from './unwrapped-user.ts';

export interface ConduitServices {
  accounts: AccountService;
  profiles: ProfileService;
  sessions: SessionService;
  verification: AddressVerification;
  passwordReset: PasswordReset;
  audit: AuditTrail;
}

const toUserBody = <T extends string | null>(user: User, token: T) => ({
  user: {
    // RealWorld's user object requires a string: an account registered without an address (djoser's
    // username login) shows an empty one, as Django's own User does
    email: user.email ?? '',
    username: user.username,
    bio: user.bio,
    image: user.image,
    token,
  },
});

/** The RealWorld (Conduit) users and profiles API, and Gatehouse's session extensions beside it. */
export function conduitRoutes({
  accounts,
  profiles,
  sessions,
  verification,
  passwordReset,
  audit,
}: ConduitServices): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.post(
      '/users',
      {
        config: { countsAs: 'registration' },
        schema: {
          summary: 'Register',
          tags: ['conduit'],
          body: RegistrationBody,
          response: { 201: RegisteredResponse, ...conduitErrors(400, 413, 415, 422, 429, 503) },
        },
      },
      async (request, reply) => {
        const { user, tokens } = await accounts.registerAndSignIn(
          request.body.user,
          contextOf(request),
          'access-token',
        );
        // no token where addresses must be verified before anyone signs in
        return reply.code(201).send(toUserBody(user, tokens?.accessToken ?? null));
      },
    );

    app.post(
      '/users/login',
      {
        config: { countsAs: 'login' },
        schema: {
          summary: 'Log in',
          tags: ['conduit'],
          body: LoginBody,
          response: { 200: UserResponse, ...conduitErrors(400, 401, 403, 413, 415, 422, 429, 503) },
        },
      },
      async (request) => {
        const { user, tokens } = await accounts.signIn(request.body.user, contextOf(request), 'access-token');
        return toUserBody(user, tokens.accessToken);
      },
    );

    app.get(
      '/user',
      {
        config: { caller: 'required' },
        schema: {
          summary: 'Current user',
          tags: ['conduit'],
          response: { 200: UserResponse, ...conduitErrors(401, 503) },
        },
      },
      (request) => {
        const caller = callerOf(request);
        return toUserBody(caller.user, caller.token);
      },
    );

    app.put(
      '/user',
      {
        config: { caller: 'required' },
        preValidation: wrapUnwrappedUser,
        schema: {
          summary: 'Update the current user (the `user` wrapper may be left out)',
          tags: ['conduit'],
          body: UserUpdateBody,
          response: { 200: UserResponse, ...conduitErrors(400, 401, 413, 415, 422, 503) },
        },
      },
      async (request) => {
        const context = callerContextOf(request);
        // named one by one: the body may carry anything, and the domain takes fields Conduit does not offer
        const { email, username, password, bio, image } = request.body.user;
        const user = await accounts.update(context, { email, username, password, bio, image });
        return toUserBody(user, context.caller.token);
      },
    );

    app.get(
      '/profiles/:username',
      {
        config: { caller: 'optional', unknownParam: 'profile_not_found' },
        schema: {
          summary: 'A profile',
          tags: ['conduit'],
          params: ProfileParams,
          response: { 200: ProfileResponse, ...conduitErrors(401, 404, 503) },
        },
      },
      async (request) => ({ profile: await profiles.get(request.params.username, request.caller?.user) }),
    );

    app.post(
      '/profiles/:username/follow',
      {
        config: { caller: 'required', unknownParam: 'profile_not_found' },
        schema: {
          summary: 'Follow a profile',
          tags: ['conduit'],
          params: ProfileParams,
          response: { 200: ProfileResponse, ...conduitErrors(401, 404, 422, 503) },
        },
      },
      async (request) => ({
        profile: await profiles.follow(callerOf(request).user, request.params.username),
      }),
    );

    app.delete(
      '/profiles/:username/follow',
      {
        config: { caller: 'required', unknownParam: 'profile_not_found' },
        schema: {
          summary: 'Unfollow a profile',
          tags: ['conduit'],
          params: ProfileParams,
          response: { 200: ProfileResponse, ...conduitErrors(401, 404, 503) },
        },
      },
      async (request) => ({
        profile: await profiles.unfollow(callerOf(request).user, request.params.username),
      }),
    );

    await app.register(sessionRoutes({ accounts, sessions }));
    await app.register(mailRoutes({ accounts, verification, passwordReset }));
    await app.register(historyRoutes(audit));
  };
}
