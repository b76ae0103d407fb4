import { Type } from 'typebox';
import {
  GatehouseError,
  type ErrorCode,
  type FieldProblems,
  type JsonKind,
  type Problem,
} from '../../errors.ts';
import type { Dialect } from '../dialect.ts';
import type { SchemaProblem } from '../failure.ts';
import { wordFields, type Wording } from '../wording.ts';

/** DRF's validation envelope: field (or `non_field_errors`) → messages. */
type FieldErrors = Record<string, string[]>;

/** The status of every failure in the djoser dialect; DRF answers validation with 400, not 422. */
const statusByCode = {
  malformed_request: 400,
  headers_too_large: 431,
  request_timeout: 408,
  malformed_body: 400,
  unsupported_media_type: 415,
  payload_too_large: 413,
  route_not_found: 404,
  validation_failed: 400,
  invalid_credentials: 401,
  // djoser keeps such an account inactive until activation, and simplejwt finds no active account
  email_not_verified: 401,
  token_missing: 401,
  token_invalid: 401,
  refresh_token_invalid: 401,
  user_not_found: 404,
  profile_not_found: 404,
  cannot_follow_self: 400,
  session_not_found: 404,
  // djoser's activation of an account that needs none: PermissionDenied
  already_verified: 403,
  // staff actions: no djoser route gives rise to these, but every code has its answer in every dialect
  cannot_change_self: 403,
  last_superuser: 409,
  account_erased: 409,
  account_inactive: 409,
  csrf_failed: 403,
  mail_not_found: 404,
  not_failed: 409,
  rate_limited: 429,
  forbidden: 403,
  service_unavailable: 503,
  response_timeout: 503,
  internal_error: 500,
} as const satisfies Record<ErrorCode, number>;

/**
 * DRF's `{"detail": …}`, with a `code` on every 401 and 403 (simplejwt's own, or DRF's default code of the
 * exception), and for a bad token simplejwt's `messages`.
 */
export interface DetailBody {
  detail: string;
  code?: string;
  messages?: Array<{ token_class: string; token_type: string; message: string }>;
}

const notFound = { detail: 'Not found.' };

const noActiveAccount = {
  detail: 'No active account found with the given credentials',
  code: 'no_active_account',
};

/** djoser's TokenCreateSerializer refuses every bad login, a field left out included, with this 400. */
export const unableToLogIn = { non_field_errors: ['Unable to log in with provided credentials.'] };

/** The refusals token/login/ answers with `unableToLogIn` (djoser's inactive user fails the same way). */
export function isUnableToLogIn(error: unknown): boolean {
  return (
    error instanceof GatehouseError &&
    (error.code === 'invalid_credentials' ||
      error.code === 'email_not_verified' ||
      error.code === 'validation_failed')
  );
}

/** A validation failure with one field's problem under the name a serializer gives it; others unchanged. */
export function renamedField(error: unknown, from: string, to: string): unknown {
  if (!(error instanceof GatehouseError) || error.code !== 'validation_failed') return error;
  const problem = error.fields[from];
  if (problem === undefined) return error;
  const fields = Object.fromEntries(Object.entries(error.fields).filter(([field]) => field !== from));
  return new GatehouseError('validation_failed', error.message, { fields: { ...fields, [to]: problem } });
}

/** simplejwt's answer to a token it will not accept at a token endpoint (refresh, verify). */
export const tokenNotValid = { detail: 'Token is invalid or expired', code: 'token_not_valid' };

// The bodies DRF, simplejwt and djoser send for these, word for word where they have one.
const bodyByCode = {
  malformed_request: { detail: 'Bad Request.' },
  headers_too_large: { detail: 'Request header fields too large.' },
  request_timeout: { detail: 'Request timed out.' },
  malformed_body: { detail: 'Malformed request.' },
  unsupported_media_type: { detail: 'Unsupported media type in request.' },
  payload_too_large: { detail: 'Request body is too large.' },
  route_not_found: notFound,
  invalid_credentials: noActiveAccount,
  email_not_verified: noActiveAccount,
  // DRF's NotAuthenticated, with its default code: the contract gives every 401 and 403 a `code`, which
  // DRF's own handler leaves out (a client reading `detail` is none the wiser)
  token_missing: { detail: 'Authentication credentials were not provided.', code: 'not_authenticated' },
  // what simplejwt's JWTAuthentication answers for a bad token on an authenticated view
  token_invalid: {
    detail: 'Given token not valid for any token type',
    code: 'token_not_valid',
    messages: [{ token_class: 'AccessToken', token_type: 'access', message: 'Token is invalid or expired' }],
  },
  refresh_token_invalid: tokenNotValid,
  // DRF's PermissionDenied, and its default code on every 403 below
  forbidden: { detail: 'You do not have permission to perform this action.', code: 'permission_denied' },
  user_not_found: notFound,
  profile_not_found: notFound,
  cannot_follow_self: { detail: 'You cannot follow yourself.' },
  session_not_found: notFound,
  already_verified: { detail: 'Stale token for given user.', code: 'permission_denied' },
  cannot_change_self: { detail: 'You cannot do this to your own account.', code: 'permission_denied' },
  last_superuser: { detail: 'The last active superuser cannot be removed.' },
  account_erased: { detail: 'This account has been erased.' },
  account_inactive: { detail: 'This account is inactive.' },
  csrf_failed: { detail: 'CSRF Failed: CSRF token missing or incorrect.', code: 'permission_denied' },
  mail_not_found: notFound,
  not_failed: { detail: 'Only a failed mail can be retried.' },
  service_unavailable: { detail: 'Service temporarily unavailable, try again later.' },
  response_timeout: { detail: 'Service temporarily unavailable, try again later.' },
  internal_error: { detail: 'A server error occurred.' },
} as const satisfies Record<Exclude<ErrorCode, 'validation_failed' | 'rate_limited'>, DetailBody>;

const passwordTooShort = (min: number) =>
  `This password is too short. It must contain at least ${min} characters.`;

// Django's model fields name these so in their messages ("user with this email address already exists.").
const fieldLabels: Readonly<Record<string, string>> = { email: 'email address' };

// What Django's validators and djoser's serializers say of an invalid value in these fields.
const invalidByField: Readonly<Record<string, string>> = {
  email: 'Enter a valid email address.',
  username: 'Enter a valid username. This value may contain only letters, numbers, and ./-/_ characters.',
  uid: "Invalid user id or user doesn't exist.",
  token: 'Invalid token for given user.',
};

/** djoser's set_<field>/ serializers copy the model's field as new_<field>, with its validators' words. */
const modelField = (field: string): string => field.replace(/^new_(?=email$|username$)/, '');

/** Every problem as DRF's serializers and Django's validators word it. */
export const djoserWording: Wording = {
  blank: () => 'This field may not be blank.',
  required: () => 'This field is required.',
  invalid: (_problem, field) => invalidByField[modelField(field)] ?? 'Invalid value.',
  taken: (_problem, field) =>
    modelField(field) === 'username'
      ? 'A user with that username already exists.'
      : `user with this ${fieldLabels[modelField(field)] ?? field.replaceAll('_', ' ')} already exists.`,
  // only passwords have a minimum length (never below 2: an empty one is blank)
  too_short: ({ min }) => passwordTooShort(min),
  too_long: ({ max }) => `Ensure this field has no more than ${max} characters.`,
  too_common: () => 'This password is too common.',
  too_similar: ({ to }) => `The password is too similar to the ${fieldLabels[to] ?? to}.`,
  wrong_password: () => 'Invalid password.',
  null: () => 'This field may not be null.',
  not_a_string: () => 'Not a valid string.',
  not_an_object: ({ got }) =>
    got === 'null' ? 'No data provided' : `Invalid data. Expected a dictionary, but got ${got}.`,
};

/** DRF's envelope: `{"<field>": ["msg"]}` for validation, `{"detail": …}` for everything else. */
export function djoserEnvelope(error: GatehouseError): FieldErrors | DetailBody {
  // DRF's Throttled, which names the wait (the same number as Retry-After)
  if (error.code === 'rate_limited') {
    const wait = error.retryAfter ?? 1;
    return {
      detail: `Request was throttled. Expected available in ${wait} second${wait === 1 ? '' : 's'}.`,
      code: 'throttled',
    };
  }
  if (error.code !== 'validation_failed') return bodyByCode[error.code];
  return wordFields(djoserWording, error.fields);
}

/** What the schema refused, as a DRF serializer reads it. */
function describeSchemaProblems(problems: readonly SchemaProblem[], body: unknown): FieldProblems {
  const fields: FieldProblems = {};
  for (const problem of problems) {
    const missing = problem.keyword === 'required' ? problem.params.missingProperty : undefined;
    if (typeof missing === 'string') {
      fields[missing] ??= { code: 'required' };
    } else if (problem.instancePath === '') {
      fields.non_field_errors = { code: 'not_an_object', got: jsonKindOf(body) };
    } else {
      const field = problem.instancePath.split('/')[1] ?? '';
      fields[field] ??= fieldProblem(problem, (body as Record<string, unknown>)[field]);
    }
  }
  return fields;
}

function fieldProblem(problem: SchemaProblem, value: unknown): Problem {
  if (value === null) return { code: 'null' };
  if (problem.keyword === 'minLength') return { code: 'blank' };
  if (problem.keyword === 'type') return { code: 'not_a_string' };
  return { code: 'invalid' };
}

// DRF names the Python type the JSON decoded to.
function jsonKindOf(body: unknown): JsonKind {
  if (body === null) return 'null';
  if (Array.isArray(body)) return 'list';
  if (typeof body === 'string') return 'str';
  if (typeof body === 'boolean') return 'bool';
  return Number.isInteger(body) ? 'int' : 'float';
}

/** simplejwt's views and authentication both challenge with their first header type and realm "api". */
export const djoserChallenge = 'Bearer realm="api"';

/** The djoser + simplejwt dialect under /auth. */
export const djoserDialect: Dialect = {
  name: 'djoser',
  // DRF authenticates before it reads the body, so a stranger learns nothing from validation
  authenticateAt: 'onRequest',
  statusByCode,
  envelope: djoserEnvelope,
  challenge: (error) => (statusByCode[error.code] === 401 ? djoserChallenge : undefined),
  describeSchemaProblems,
};

export const DetailSchema = Type.Object(
  {
    detail: Type.String(),
    code: Type.Optional(Type.String()),
    messages: Type.Optional(
      Type.Array(
        Type.Object({ token_class: Type.String(), token_type: Type.String(), message: Type.String() }),
      ),
    ),
  },
  { description: 'DRF error: a detail, with a code for authentication failures' },
);
const FieldErrorsSchema = Type.Record(Type.String(), Type.Array(Type.String()), {
  description: 'DRF validation errors: field (or non_field_errors) → messages',
});

/** DRF's 400: field errors, or a detail for a request it could not read. */
export const BadRequestSchema = Type.Union([FieldErrorsSchema, DetailSchema]);

/** Declares the error statuses a route can answer with, in DRF's envelope (a 400 is either kind). */
export function drfErrors(...statuses: number[]) {
  return Object.fromEntries(
    statuses.map((status) => [status, status === 400 ? BadRequestSchema : DetailSchema]),
  );
}
