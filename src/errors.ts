/**
 * The vocabulary of expected failure. The domain throws these; each HTTP dialect maps a code to a status
 * and an envelope, so no throw site ever states a status.
 */
export type ErrorCode =
  // the request
  | 'malformed_body'
  | 'unsupported_media_type'
  | 'payload_too_large'
  | 'route_not_found'
  | 'validation_failed'
  // who is asking
  | 'invalid_credentials'
  | 'token_missing'
  | 'token_invalid'
  | 'refresh_token_invalid'
  | 'rate_limited'
  // what they ask for
  | 'user_not_found'
  | 'profile_not_found'
  | 'cannot_follow_self'
  | 'session_not_found'
  // the service
  | 'service_unavailable'
  | 'internal_error';

/** Field name → messages, in the RealWorld wording ("can't be blank", "has already been taken"). */
export type FieldErrors = Record<string, string[]>;

export class GatehouseError extends Error {
  override readonly name = 'GatehouseError';
  readonly code: ErrorCode;
  readonly fields: FieldErrors;
  /** Whole seconds until the same request can succeed, when that is known (rate_limited). */
  readonly retryAfter: number | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    options: { fields?: FieldErrors; retryAfter?: number; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.code = code;
    this.fields = options.fields ?? {};
    this.retryAfter = options.retryAfter;
  }
}

/** Throws one validation error carrying every field problem found, if there are any. */
export function throwIfInvalid(fields: FieldErrors): void {
  if (Object.keys(fields).length > 0) {
    throw new GatehouseError('validation_failed', 'validation failed', { fields });
  }
}
