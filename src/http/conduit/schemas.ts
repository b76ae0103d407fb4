import { Type } from 'typebox';
import { sessionPageSize } from '../../sessions/session-service.ts';

const NullableString = Type.Union([Type.String(), Type.Null()]);

// Request fields are typed loosely (optional, nullable): a missing or blank value must reach the domain,
// which answers in RealWorld's words ("can't be blank") rather than a schema's.
export const RegistrationBody = Type.Object({
  user: Type.Object({
    username: Type.Optional(Type.String()),
    email: Type.Optional(Type.String()),
    password: Type.Optional(Type.String()),
  }),
});

export const LoginBody = Type.Object({
  user: Type.Object({
    email: Type.Optional(Type.String()),
    password: Type.Optional(Type.String()),
  }),
});

export const UserUpdateBody = Type.Object({
  user: Type.Object({
    email: Type.Optional(NullableString),
    username: Type.Optional(NullableString),
    password: Type.Optional(NullableString),
    bio: Type.Optional(NullableString),
    image: Type.Optional(NullableString),
  }),
});

export const UserResponse = Type.Object({
  user: Type.Object({
    email: Type.String(),
    username: Type.String(),
    bio: NullableString,
    image: NullableString,
    token: Type.String(),
  }),
});

// No maxLength: a name no user can have is simply not found (404); the router bounds its length.
export const ProfileParams = Type.Object({ username: Type.String({ minLength: 1 }) });

export const ProfileResponse = Type.Object({
  profile: Type.Object({
    username: Type.String(),
    bio: NullableString,
    image: NullableString,
    following: Type.Boolean(),
  }),
});

// Gatehouse extensions: flat bodies with snake_case names, as OAuth-style token endpoints have.

export const TokenRequestBody = Type.Object({
  email: Type.Optional(Type.String()),
  password: Type.Optional(Type.String()),
});

export const RefreshBody = Type.Object({ refresh_token: Type.String({ minLength: 1 }) });

export const TokenPairResponse = Type.Object({
  access_token: Type.String(),
  refresh_token: Type.String(),
  token_type: Type.Literal('Bearer'),
  expires_in: Type.Integer({ description: 'seconds until the access token expires' }),
});

export const LogoutBody = Type.Object({
  scope: Type.Optional(Type.Enum(['session', 'others', 'all'], { default: 'session' })),
});

export const SessionParams = Type.Object({ id: Type.String({ minLength: 1 }) });

export const SessionsQuery = Type.Object({
  limit: Type.Optional(
    Type.String({
      pattern: '^[1-9][0-9]{0,8}$',
      description: `sessions per page, a whole number from 1 (default ${String(sessionPageSize.default)}; more than ${String(sessionPageSize.max)} gives ${String(sessionPageSize.max)})`,
    }),
  ),
  cursor: Type.Optional(
    Type.String({ maxLength: 200, description: "the previous page's `nextCursor`, as it came" }),
  ),
});

export const SessionsResponse = Type.Object({
  sessions: Type.Array(
    Type.Object({
      id: Type.String(),
      createdAt: Type.String({ format: 'date-time' }),
      lastUsedAt: Type.String({ format: 'date-time' }),
      expiresAt: Type.String({ format: 'date-time' }),
      userAgent: NullableString,
      ip: NullableString,
      current: Type.Boolean({ description: 'the session of the token that asked' }),
    }),
    { description: 'newest first' },
  ),
  nextCursor: Type.Union([Type.String(), Type.Null()], {
    description: 'the `cursor` of the next page; null on the last page',
  }),
});

export const PasswordChangeBody = Type.Object({
  current_password: Type.Optional(Type.String()),
  new_password: Type.Optional(Type.String()),
});

export const CurrentPasswordBody = Type.Object({ current_password: Type.Optional(Type.String()) });

export const NoContent = Type.Null({ description: 'no content' });
