import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import type { AccountService, User } from '../../accounts/account-service.ts';
import type { ProfileService } from '../../accounts/profile-service.ts';
import type { RateLimits } from '../../limits/rate-limits.ts';
import type { SessionService } from '../../sessions/session-service.ts';
import { callerOptional, callerRequired, type Authenticator } from '../authenticate.ts';
import { clientOf } from '../client.ts';
import { conduitErrors } from './envelope.ts';
import {
  LoginBody,
  ProfileParams,
  ProfileResponse,
  RegistrationBody,
  UserResponse,
  UserUpdateBody,
} from './schemas.ts';

export interface ConduitRoutesOptions {
  accounts: AccountService;
  profiles: ProfileService;
  sessions: SessionService;
  limits: RateLimits;
  authenticator: Authenticator;
  /** lifetime of the Conduit `token` (ms) */
  conduitTokenTtl: number;
}

/** The RealWorld (Conduit) users and profiles API under /api. */
export const conduitRoutes: FastifyPluginCallbackTypebox<ConduitRoutesOptions> = (app, options, done) => {
  const { accounts, profiles, sessions, limits, authenticator, conduitTokenTtl } = options;

  const toUserBody = (user: User, token: string) => ({
    user: { email: user.email, username: user.username, bio: user.bio, image: user.image, token },
  });

  async function signIn(user: User, request: FastifyRequest) {
    const session = await sessions.open(user, clientOf(request));
    return toUserBody(user, await sessions.issueAccessToken(session, conduitTokenTtl));
  }

  app.post(
    '/users',
    {
      config: { countsAs: 'registration' },
      schema: {
        summary: 'Register',
        tags: ['conduit'],
        body: RegistrationBody,
        response: { 201: UserResponse, ...conduitErrors(400, 413, 415, 422, 429, 503) },
      },
    },
    async (request, reply) => {
      await limits.throttleRegistration(request.ip);
      const user = await accounts.register(request.body.user);
      return reply.code(201).send(await signIn(user, request));
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
        response: { 200: UserResponse, ...conduitErrors(400, 401, 413, 415, 422, 429, 503) },
      },
    },
    async (request) => {
      const credentials = request.body.user;
      const user = await limits.throttleLogin(request.ip, credentials.email, () =>
        accounts.authenticate(credentials),
      );
      return signIn(user, request);
    },
  );

  app.get(
    '/user',
    {
      schema: {
        summary: 'Current user',
        security: callerRequired,
        tags: ['conduit'],
        response: { 200: UserResponse, ...conduitErrors(401, 503) },
      },
    },
    async (request) => {
      const caller = await authenticator.required(request);
      return toUserBody(caller.user, caller.token);
    },
  );

  app.put(
    '/user',
    {
      schema: {
        summary: 'Update the current user',
        security: callerRequired,
        tags: ['conduit'],
        body: UserUpdateBody,
        response: { 200: UserResponse, ...conduitErrors(400, 401, 413, 415, 422, 503) },
      },
    },
    async (request) => {
      const caller = await authenticator.required(request);
      const user = await accounts.update(caller.user, request.body.user, caller.session.id);
      return toUserBody(user, caller.token);
    },
  );

  app.get(
    '/profiles/:username',
    {
      schema: {
        summary: 'A profile',
        security: callerOptional,
        tags: ['conduit'],
        params: ProfileParams,
        response: { 200: ProfileResponse, ...conduitErrors(401, 404, 503) },
      },
    },
    async (request) => {
      const caller = await authenticator.optional(request);
      return { profile: await profiles.get(request.params.username, caller?.user) };
    },
  );

  app.post(
    '/profiles/:username/follow',
    {
      schema: {
        summary: 'Follow a profile',
        security: callerRequired,
        tags: ['conduit'],
        params: ProfileParams,
        response: { 200: ProfileResponse, ...conduitErrors(401, 404, 422, 503) },
      },
    },
    async (request) => {
      const caller = await authenticator.required(request);
      return { profile: await profiles.follow(caller.user, request.params.username) };
    },
  );

  app.delete(
    '/profiles/:username/follow',
    {
      schema: {
        summary: 'Unfollow a profile',
        security: callerRequired,
        tags: ['conduit'],
        params: ProfileParams,
        response: { 200: ProfileResponse, ...conduitErrors(401, 404, 503) },
      },
    },
    async (request) => {
      const caller = await authenticator.required(request);
      return { profile: await profiles.unfollow(caller.user, request.params.username) };
    },
  );
  done();
};
