/**
 * The vocabulary of expected failure. The domain throws these; each HTTP dialect maps a code to a status
 * and an envelope, so no throw site ever states a status.
 */
export type ErrorCode =
  // the request
  | 'malformed_request'
  | 'headers_too_large'
  | 'request_timeout'
  | 'malformed_body'
  | 'unsupported_media_type'
  | 'payload_too_large'
  | 'route_not_found'
  | 'validation_failed'
  // who is asking
  | 'invalid_credentials'
  | 'email_not_verified'
  | 'token_missing'
  | 'token_invalid'
  | 'refresh_token_invalid'
  | 'rate_limited'
  | 'forbidden'
  | 'csrf_failed'
  // what they ask for
  | 'user_not_found'
  | 'profile_not_found'
  | 'cannot_follow_self'
  | 'session_not_found'
  | 'already_verified'
  | 'cannot_change_self'
  | 'last_superuser'
  | 'account_erased'
  | 'account_inactive'
  | 'mail_not_found'
  | 'not_failed'
  // the service
  | 'service_unavailable'
  | 'response_timeout'
  | 'internal_error';

/**
 * What is wrong with one field, as a code with its data; never a sentence. Each dialect words every code
 * in a table the compiler checks is complete. The first group comes from the domain, the second from a
 * dialect's reading of its request schema.
 */
export type Problem =
  | { code: 'blank' }
  | { code: 'invalid' }
  | { code: 'taken' }
  | { code: 'too_short'; min: number }
  | { code: 'too_long'; max: number }
  | { code: 'too_common' }
  | { code: 'too_similar'; to: 'username' | 'email' }
  | { code: 'wrong_password' }
  // the request's shape
  | { code: 'required' }
  | { code: 'null' }
  | { code: 'not_a_string' }
  | { code: 'not_an_object'; got: JsonKind };

export type ProblemCode = Problem['code'];

/** What a JSON body decoded to, named as Python names it (DRF says so in its message). */
export type JsonKind = 'null' | 'list' | 'str' | 'bool' | 'int' | 'float';

/** Field name → its problem; a field has at most one. */
export type FieldProblems = Record<string, Problem>;

export class GatehouseError extends Error {
  override readonly name = 'GatehouseError';
  readonly code: ErrorCode;
  readonly fields: FieldProblems;
  /** Whole seconds until the same request can succeed, when that is known (rate_limited). */
  readonly retryAfter: number | undefined;
  /**
   * The limits that refused (rate_limited), by name: for the audit log and the logs, never sent, since
   * the answer is one for every limit.
   */
  readonly limits: readonly string[];

  constructor(
    code: ErrorCode,
    message: string,
    options: {
      fields?: FieldProblems;
      retryAfter?: number;
      limits?: readonly string[];
      cause?: unknown;
    } = {},
  ) {
    super(message, { cause: options.cause });
    this.code = code;
    this.fields = options.fields ?? {};
    this.retryAfter = options.retryAfter;
    this.limits = options.limits ?? [];
  }
}

/** Throws one validation error carrying every field problem found, if there are any. */
export function throwIfInvalid(fields: FieldProblems): void {
  if (Object.keys(fields).length > 0) {
    throw new GatehouseError('validation_failed', 'validation failed', { fields });
  }
}
