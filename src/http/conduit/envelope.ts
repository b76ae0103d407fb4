import { Type } from 'typebox';
import type { ErrorCode, FieldProblems, GatehouseError } from '../../errors.ts';
import type { Dialect } from '../dialect.ts';
import type { SchemaProblem } from '../failure.ts';
import { wordFields } from '../wording.ts';
import { conduitWording } from './wording.ts';

/** `{"<field>": ["<message>"]}`: RealWorld's errors object. */
type FieldErrors = Record<string, string[]>;

/** The status of every failure in the Conduit dialect; a new code without one fails to compile. */
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
  user_not_found: 404,
  profile_not_found: 404,
  cannot_follow_self: 422,
  session_not_found: 404,
  already_verified: 409,
  // staff actions: no Conduit route gives rise to these, but every code has its answer in every dialect
  cannot_change_self: 403,
  last_superuser: 409,
  account_erased: 409,
  account_inactive: 409,
  csrf_failed: 403,
  mail_not_found: 404,
  not_failed: 409,
  service_unavailable: 503,
  response_timeout: 503,
  internal_error: 500,
} as const satisfies Record<ErrorCode, number>;

const bodyByCode = {
  malformed_request: { body: ['is not a valid HTTP request'] },
  headers_too_large: { headers: ['are too large'] },
  request_timeout: { body: ['was not received in time'] },
  malformed_body: { body: ['is not valid JSON'] },
  unsupported_media_type: { body: ['must be sent as application/json'] },
  payload_too_large: { body: ['is too large'] },
  route_not_found: { body: ['not found'] },
  invalid_credentials: { 'email or password': ['is invalid'] },
  email_not_verified: { email: ['is not verified yet: follow the link in the verification mail'] },
  token_missing: { token: ['is missing'] },
  token_invalid: { token: ['is invalid or expired'] },
  refresh_token_invalid: { refresh_token: ['is invalid or expired'] },
  // one body for every limit: a locked email must read the same whether or not its account exists
  rate_limited: { body: ['too many requests, try again later'] },
  forbidden: { body: ['is not yours to ask for'] },
  user_not_found: { user: ['not found'] },
  profile_not_found: { profile: ['not found'] },
  cannot_follow_self: { profile: ['cannot be followed by its owner'] },
  session_not_found: { session: ['not found'] },
  already_verified: { email: ['is already verified'] },
  cannot_change_self: { user: ['cannot be changed this way by its owner'] },
  last_superuser: { user: ['is the last active superuser'] },
  account_erased: { user: ['has been erased'] },
  account_inactive: { user: ['is inactive'] },
  csrf_failed: { body: ['lacks a valid CSRF token'] },
  mail_not_found: { mail: ['not found'] },
  not_failed: { mail: ['has not failed'] },
  service_unavailable: { body: ['is temporarily unavailable, retry later'] },
  response_timeout: { body: ['is temporarily unavailable, retry later'] },
  internal_error: { body: ['something went wrong'] },
} as const satisfies Record<Exclude<ErrorCode, 'validation_failed'>, FieldErrors>;

/** `{"errors": {"<field>": ["<message>"]}}`; errors not about one field use the key `body`. */
function conduitEnvelope(error: GatehouseError): { errors: FieldErrors } {
  if (error.code === 'validation_failed') return { errors: wordFields(conduitWording, error.fields) };
  return { errors: bodyByCode[error.code] };
}

const challenge = 'Token realm="gatehouse", Bearer realm="gatehouse"';

/** What the schema refused, as RealWorld reads it: a missing field or body is blank, a wrong one invalid. */
function describeSchemaProblems(problems: readonly SchemaProblem[]): FieldProblems {
  const fields: FieldProblems = {};
  for (const problem of problems) {
    const missing = problem.keyword === 'required' ? problem.params.missingProperty : undefined;
    if (typeof missing === 'string') {
      fields[missing] ??= { code: 'required' };
      continue;
    }
    const field = problem.instancePath.split('/').pop() ?? '';
    fields[field === '' ? 'body' : field] ??= field === '' ? { code: 'blank' } : { code: 'invalid' };
  }
  return fields;
}

/** The Conduit dialect: /api and everything outside /auth. */
export const conduitDialect: Dialect = {
  name: 'conduit',
  // RealWorld reads the body before it asks who is calling: a bad body is a 422 even without a token
  authenticateAt: 'preHandler',
  statusByCode,
  envelope: conduitEnvelope,
  // every 401 names its schemes (RFC 9110 §15.5.2), a refused password or refresh token too; only a bad
  // token says what was wrong with it (RFC 6750 §3)
  challenge(error) {
    if (error.code === 'token_invalid') return `${challenge}, error="invalid_token"`;
    return statusByCode[error.code] === 401 ? challenge : undefined;
  },
  describeSchemaProblems,
};

const ConduitErrorSchema = Type.Object(
  { errors: Type.Record(Type.String(), Type.Array(Type.String())) },
  { description: 'RealWorld error envelope' },
);

/** Declares the error statuses a route can answer with, all in the Conduit envelope. */
export function conduitErrors(...statuses: number[]) {
  return Object.fromEntries(statuses.map((status) => [status, ConduitErrorSchema]));
}
