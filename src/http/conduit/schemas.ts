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

const userFields = {
  email: Type.String(),
  username: Type.String(),
  bio: NullableString,
  image: NullableString,
};

export const UserResponse = Type.Object({
  user: Type.Object({ ...userFields, token: Type.String() }),
});

/** Registration's answer: no token where REQUIRE_VERIFIED_EMAIL holds sign-in back until verification. */
export const RegisteredResponse = Type.Object({
  user: Type.Object({ ...userFields, token: NullableString }),
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

// Mail flows: the answer to "mail me" is the same whether or not the address has an account.

export const VerificationRequestBody = Type.Object({ email: Type.Optional(Type.String()) });

export const TokenBody = Type.Object({ token: Type.Optional(Type.String()) });

export const Accepted = Type.Object(
  {},
  { description: 'accepted: a mail goes out if the address has an account; the same body either way' },
);

export const VerifiedResponse = Type.Object({
  email: Type.String({ description: 'the address now verified' }),
  email_verified: Type.Literal(true),
});

export const EmailChangeBody = Type.Object({
  current_password: Type.Optional(Type.String()),
  new_email: Type.Optional(Type.String()),
});

export const EmailBody = Type.Object({ email: Type.Optional(Type.String()) });

export const PasswordResetBody = Type.Object({
  token: Type.Optional(Type.String()),
  new_password: Type.Optional(Type.String()),
});

// Query strings are text and are not coerced (a number where a string belongs is refused elsewhere).
export const EventsQuery = Type.Object({
  limit: Type.Optional(
    Type.String({ pattern: '^(100|[1-9][0-9]?)$', description: 'how many, newest first: 1 to 100 (50)' }),
  ),
});

export const EventsResponse = Type.Object({
  events: Type.Array(
    Type.Object({
      type: Type.String({ description: 'sign_in_succeeded, sign_in_failed, password_changed, …' }),
      at: Type.String({ format: 'date-time' }),
      ip: NullableString,
      userAgent: NullableString,
      current: Type.Boolean({ description: 'it happened in the session of the token that asked' }),
      detail: Type.Record(Type.String(), Type.Unknown()),
    }),
  ),
});
