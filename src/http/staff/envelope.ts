import { Type } from 'typebox';
import type { ErrorCode, FieldProblems, GatehouseError } from '../../errors.ts';
import type { Dialect } from '../dialect.ts';
import type { SchemaProblem } from '../failure.ts';
import { wordFields, type Wording } from '../wording.ts';
import { consoleCookieCredentials } from './console-cookie.ts';

/**
 * The staff API's status for every failure. Its clients are Gatehouse's own console and operators'
 * scripts, so it speaks no one else's dialect: validation is a 422 and every answer names a stable code.
 */
const statusByCode = {
  malformed_request: 400,
  headers_too_large: 431,
  request_timeout: 408,
  malformed_body: 400,
  unsupported_media_type: 415,
  payload_too_large: 413,
  route_not_found: 404,
  validation_failed: 422,
  invalid_credentials: 401,
  email_not_verified: 403,
  token_missing: 401,
  token_invalid: 401,
  refresh_token_invalid: 401,
  rate_limited: 429,
  forbidden: 403,
  csrf_failed: 403,
  user_not_found: 404,
  profile_not_found: 404,
  cannot_follow_self: 422,
  session_not_found: 404,
  already_verified: 409,
  cannot_change_self: 403,
  last_superuser: 409,
  account_erased: 409,
  account_inactive: 409,
  mail_not_found: 404,
  not_failed: 409,
  service_unavailable: 503,
  response_timeout: 503,
  internal_error: 500,
} as const satisfies Record<ErrorCode, number>;

// One English sentence per code, for a person reading the console or a script's log.
const messageByCode = {
  malformed_request: 'The request is not valid HTTP.',
  headers_too_large: 'The request headers are too large.',
  request_timeout: 'The request was not received in time.',
  malformed_body: 'The request body is not valid JSON.',
  unsupported_media_type: 'The request body must be sent as application/json.',
  payload_too_large: 'The request body is too large.',
  route_not_found: 'Not found.',
  validation_failed: 'Some fields are invalid.',
  invalid_credentials: 'The email or password is wrong.',
  email_not_verified: 'The email address is not verified yet.',
  token_missing: 'Sign in first.',
  token_invalid: 'The credentials are invalid or expired; sign in again.',
  refresh_token_invalid: 'The refresh token is invalid or expired.',
  rate_limited: 'Too many requests; try again later.',
  // a non-staff caller, or staff asking what only a superuser may do
  forbidden: 'You are not allowed to do this.',
  csrf_failed: 'The X-CSRF-Token header is missing or wrong; reload the console.',
  user_not_found: 'No such user.',
  profile_not_found: 'No such profile.',
  cannot_follow_self: 'A profile cannot be followed by its owner.',
  session_not_found: 'No such session.',
  already_verified: 'The email address is already verified.',
  cannot_change_self: 'Staff cannot do this to their own account.',
  last_superuser: 'The last active superuser cannot be removed or deactivated.',
  account_erased: 'The account has been erased; it cannot be activated.',
  account_inactive: 'The account is deactivated; activate it first.',
  mail_not_found: 'No such mail.',
  not_failed: 'Only a failed mail can be retried.',
  service_unavailable: 'The service is temporarily unavailable; retry later.',
  response_timeout: 'The service is temporarily unavailable; retry later.',
  internal_error: 'Something went wrong.',
} as const satisfies Record<ErrorCode, string>;

/** Every field problem in plain English, for the console to show beside its field. */
const staffWording: Wording = {
  blank: () => 'must not be blank',
  required: () => 'is required',
  invalid: () => 'is invalid',
  taken: () => 'is already taken',
  too_short: ({ min }) => `must be at least ${min} characters`,
  too_long: ({ max }) => `must be at most ${max} characters`,
  too_common: () => 'is too common',
  too_similar: ({ to }) => `is too similar to the ${to}`,
  wrong_password: () => 'is wrong',
  null: () => 'must not be null',
  not_a_string: () => 'must be a string',
  not_an_object: () => 'must be a JSON object',
};

interface StaffErrorBody {
  error: { code: ErrorCode; message: string; fields?: Record<string, string[]> };
}

/** `{"error": {"code", "message", "fields"?}}`: a stable code to act on, a sentence to show. */
function staffEnvelope(error: GatehouseError): StaffErrorBody {
  const body: StaffErrorBody = { error: { code: error.code, message: messageByCode[error.code] } };
  if (error.code === 'validation_failed') body.error.fields = wordFields(staffWording, error.fields);
  return body;
}

/** What the schema refused: a missing field is required, a wrong one (or a wrong body) invalid. */
function describeSchemaProblems(problems: readonly SchemaProblem[]): FieldProblems {
  const fields: FieldProblems = {};
  for (const problem of problems) {
    const missing = problem.keyword === 'required' ? problem.params.missingProperty : undefined;
    if (typeof missing === 'string') {
      fields[missing] ??= { code: 'required' };
      continue;
    }
    const field = problem.instancePath.split('/').pop() ?? '';
    fields[field === '' ? 'body' : field] ??= { code: 'invalid' };
  }
  return fields;
}

/** The staff dialect: /api/admin, for the console and operators' scripts. */
export const staffDialect: Dialect = {
  name: 'staff',
  // who is asking is settled before anything else is read: a stranger learns nothing of the staff API
  authenticateAt: 'onRequest',
  statusByCode,
  envelope: staffEnvelope,
  // every 401 names its scheme (RFC 9110 §15.5.2), a refused console sign-in too
  challenge(error) {
    if (error.code === 'token_invalid') return 'Bearer realm="gatehouse", error="invalid_token"';
    return statusByCode[error.code] === 401 ? 'Bearer realm="gatehouse"' : undefined;
  },
  describeSchemaProblems,
  // the console's cookie, when no Authorization header is given; a write with it needs the CSRF token
  // (session-routes.ts)
  cookieCredentials: consoleCookieCredentials,
};

const StaffErrorSchema = Type.Object(
  {
    error: Type.Object({
      code: Type.String(),
      message: Type.String(),
      fields: Type.Optional(Type.Record(Type.String(), Type.Array(Type.String()))),
    }),
  },
  { description: 'Staff API error envelope: a stable code and an English sentence' },
);

/** Declares the error statuses a staff route can answer with, all in the staff envelope. */
export function staffErrors(...statuses: number[]) {
  return Object.fromEntries(statuses.map((status) => [status, StaffErrorSchema]));
}
