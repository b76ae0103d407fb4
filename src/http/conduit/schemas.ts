import { Type } from 'typebox';

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
