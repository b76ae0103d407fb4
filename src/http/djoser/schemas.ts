import { Type } from 'typebox';

// A field a DRF serializer requires is required here too, so its absence reads "This field is required.";
// an empty value still reaches the core, which refuses it as blank. Unknown fields (is_staff, id, …)
// are ignored, as DRF ignores fields a serializer does not declare.

export const RegistrationBody = Type.Object({
  email: Type.String(),
  username: Type.String(),
  password: Type.String(),
});

/** PUT replaces the writable fields, so it must name them all; the email is djoser's read-only LOGIN_FIELD. */
export const UserReplaceBody = Type.Object({ username: Type.String() });

export const UserPatchBody = Type.Object({ username: Type.Optional(Type.String()) });

export const CurrentPasswordBody = Type.Object({ current_password: Type.String() });

export const SetPasswordBody = Type.Object({
  new_password: Type.String(),
  current_password: Type.String(),
});

export const TokenObtainBody = Type.Object({ email: Type.String(), password: Type.String() });

export const TokenRefreshBody = Type.Object({ refresh: Type.String({ minLength: 1 }) });

export const TokenVerifyBody = Type.Object({ token: Type.String({ minLength: 1 }) });

export const UserResponse = Type.Object({
  id: Type.String(),
  email: Type.String(),
  username: Type.String(),
});

/** The current user (`users/me/`): djoser's user fields and the roles staff gave the account. */
export const CurrentUserResponse = Type.Object({
  ...UserResponse.properties,
  roles: Type.Array(Type.String(), { description: 'lower-case role names, sorted; as in the `roles` claim' }),
});

export const TokenPairResponse = Type.Object({
  refresh: Type.String({ description: 'opaque, single use: every refresh rotates it' }),
  access: Type.String({ description: 'a JWT for Authorization: Bearer (or JWT, or Token)' }),
});

export const EmptyResponse = Type.Object({});

export const NoContent = Type.Null({ description: 'no content' });

export const ActivationBody = Type.Object({ uid: Type.String(), token: Type.String() });

export const EmailBody = Type.Object({ email: Type.String() });

export const ResetConfirmBody = Type.Object({
  uid: Type.String(),
  token: Type.String(),
  new_password: Type.String(),
});
