import { Type } from 'typebox';

// A field a DRF serializer requires is required here too, so its absence reads "This field is required.";
// an empty value still reaches the core, which refuses it as blank. Unknown fields (is_staff, id, …)
// are ignored, as DRF ignores fields a serializer does not declare.

/** djoser's LOGIN_FIELD (DJOSER_LOGIN_FIELD): the account's USERNAME_FIELD; the other field is writable. */
export type LoginField = 'email' | 'username';

export const writableFieldOf = (loginField: LoginField) => (loginField === 'email' ? 'username' : 'email');

/**
 * As djoser's UserCreateSerializer for the two user models it is used with: a custom one whose
 * USERNAME_FIELD is the email (the username required beside it), or Django's own, whose email may be left
 * out or blank.
 */
export const registrationBody = (loginField: LoginField) =>
  Type.Object({
    email: loginField === 'email' ? Type.String() : Type.Optional(Type.String()),
    username: Type.String(),
    password: Type.String(),
  });

// Django's AbstractUser declares both blank=True: a serializer does not require them, even for PUT.
const names = {
  first_name: Type.Optional(Type.String()),
  last_name: Type.Optional(Type.String()),
};

/**
 * PUT replaces the writable fields, so it must name those a serializer requires; the login field is
 * read-only (djoser).
 */
export const userReplaceBody = (loginField: LoginField) =>
  loginField === 'email'
    ? Type.Object({ username: Type.String(), ...names })
    : // Django's User declares its email blank=True too
      Type.Object({ email: Type.Optional(Type.String()), ...names });

export const userPatchBody = (loginField: LoginField) =>
  Type.Object({ [writableFieldOf(loginField)]: Type.Optional(Type.String()), ...names });

/** `set_<login field>/`: djoser's SetUsernameSerializer (`re_new_…` off, its default). */
export const setLoginFieldBody = (loginField: LoginField) =>
  Type.Object({ [`new_${loginField}`]: Type.String(), current_password: Type.String() });

/** djoser's TokenCreateSerializer: every field optional; anything missing is "unable to log in". */
export const TokenLoginBody = Type.Object({
  email: Type.Optional(Type.String()),
  username: Type.Optional(Type.String()),
  password: Type.Optional(Type.String()),
});

export const AuthTokenResponse = Type.Object({
  auth_token: Type.String({ description: 'send as Authorization: Token …; it lives as its session does' }),
});

export const UserIdParams = Type.Object({ id: Type.String() });

export const UserListQuery = Type.Object({
  limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,4}$' })),
  offset: Type.Optional(Type.String({ pattern: '^[0-9]{1,9}$' })),
});

export const CurrentPasswordBody = Type.Object({ current_password: Type.String() });

export const SetPasswordBody = Type.Object({
  new_password: Type.String(),
  current_password: Type.String(),
});

/** simplejwt's TokenObtainPairSerializer, taking either name: which is required is decided per request. */
export const TokenObtainBody = Type.Object({
  email: Type.Optional(Type.String()),
  username: Type.Optional(Type.String()),
  password: Type.Optional(Type.String()),
});

export const TokenRefreshBody = Type.Object({ refresh: Type.String({ minLength: 1 }) });

export const TokenVerifyBody = Type.Object({ token: Type.String({ minLength: 1 }) });

/** What djoser's UserCreateSerializer answers a registration with (the contract's three fields). */
export const RegisteredUserResponse = Type.Object({
  id: Type.String(),
  email: Type.String({ description: 'empty for an account registered without an address' }),
  username: Type.String(),
});

/** djoser's UserSerializer over Django's AbstractUser with its names among the serializer's fields. */
export const UserResponse = Type.Object({
  ...RegisteredUserResponse.properties,
  first_name: Type.String({ description: 'empty when not given' }),
  last_name: Type.String({ description: 'empty when not given' }),
});

export const UserListResponse = Type.Array(UserResponse);
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

/** djoser's UsernameResetConfirmSerializer: the uid and token from the mail, and the new login name. */
export const loginNameConfirmBody = (loginField: LoginField) =>
  Type.Object({ uid: Type.String(), token: Type.String(), [`new_${loginField}`]: Type.String() });

export const ResetConfirmBody = Type.Object({
  uid: Type.String(),
  token: Type.String(),
  new_password: Type.String(),
});
