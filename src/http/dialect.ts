import type { FastifyPluginAsyncTypebox, FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { GatehouseError, type ErrorCode, type FieldProblems } from '../errors.ts';
import { toGatehouseError, type SchemaProblem } from './failure.ts';

/**
 * How one dialect speaks: a status for every code, its envelope (which words every problem code), its
 * authentication challenge, how it reads what the schema refused, and when it asks who is calling. The
 * core's errors know none of this.
 */
export interface Dialect {
  /** names it in metrics and logs */
  readonly name: string;
  readonly statusByCode: Readonly<Record<ErrorCode, number>>;
  envelope(error: GatehouseError): unknown;
  /** The WWW-Authenticate value a failure carries, if any. */
  challenge(error: GatehouseError): string | undefined;
  /** The schema's complaints about a request body (`body` as parsed), as field problems. */
  describeSchemaProblems(problems: readonly SchemaProblem[], body: unknown): FieldProblems;
  /**
   * When a route that names a caller authenticates: before its body is read (`onRequest`, as DRF does), or
   * once the body has passed its schema (`preHandler`, as RealWorld servers do).
   */
  readonly authenticateAt: 'onRequest' | 'preHandler';
  /**
   * Credentials a request carries besides an Authorization header (which always wins), if this dialect
   * reads any: the staff console's cookie. Conduit and djoser read none.
   */
  readonly cookieCredentials?: CookieCredentials;
}

/** OpenAPI security requirement: the names of schemes that must all be met, each with no scopes. */
export type SecurityRequirement = Readonly<Record<string, readonly []>>;

/** A cookie that carries an access token, and how the OpenAPI document declares it. */
export interface CookieCredentials {
  /** the access token in the request's cookie, if any */
  tokenOf(request: FastifyRequest): string | undefined;
  /** the OpenAPI security schemes it takes (the cookie, and whatever header must come with it) */
  readonly securitySchemes: Readonly<Record<string, object>>;
  /**
   * What a route of `methods` asks of the cookie's caller: for a write (any of them unsafe), the cookie
   * and its CSRF header together.
   */
  securityFor(methods: readonly string[]): SecurityRequirement;
}

/** A dialect as the server mounts it: the URL prefix it answers under and the routes it serves there. */
export interface MountedDialect {
  readonly dialect: Dialect;
  readonly prefix: string;
  readonly routes: FastifyPluginAsyncTypebox | FastifyPluginCallbackTypebox;
}

/** Seconds a client should wait before retrying after a 503. */
export const retryAfterSeconds = 5;

/** A failure as its dialect answers it: status, the headers it carries, and the envelope. */
export function failureAnswer(
  dialect: Dialect,
  failure: GatehouseError,
): { status: number; headers: Record<string, string>; body: unknown } {
  const status = dialect.statusByCode[failure.code];
  const headers: Record<string, string> = {};
  if (failure.retryAfter !== undefined) headers['retry-after'] = String(failure.retryAfter);
  else if (status === 503) headers['retry-after'] = String(retryAfterSeconds);
  const challenge = dialect.challenge(failure);
  if (challenge !== undefined) headers['www-authenticate'] = challenge;
  return { status, headers, body: dialect.envelope(failure) };
}

/** Answers a failure in the dialect's envelope; real faults are logged (with the request id), never sent. */
export function sendFailure(
  dialect: Dialect,
  failure: GatehouseError,
  request: FastifyRequest,
  reply: FastifyReply,
): FastifyReply {
  const { status, headers, body } = failureAnswer(dialect, failure);
  // a fault carries its cause; a refusal without one (a drain, a missed deadline) is no error to log
  if (status >= 500 && failure.cause !== undefined)
    request.log.error({ err: failure.cause }, failure.message);
  return reply.code(status).headers(headers).send(body);
}

/**
 * The error handler of a scope whose routes speak `dialect`: every failure there, Fastify's own request
 * errors included, answers in its envelope.
 */
export function dialectErrorHandler(dialect: Dialect, isUnavailable: (error: unknown) => boolean) {
  return async (error: unknown, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    const failure = toGatehouseError(error, isUnavailable, (problems) =>
      dialect.describeSchemaProblems(problems, request.body),
    );
    // a URL no route serves is not found, whatever its body (a QUERY without a content type, say)
    const unrouted =
      request.is404 && (failure.code === 'malformed_body' || failure.code === 'unsupported_media_type');
    return sendFailure(
      dialect,
      unrouted ? new GatehouseError('route_not_found', 'no such route') : failure,
      request,
      reply,
    );
  };
}

/** The not-found handler of every scope: its error handler then answers in the scope's dialect. */
export function routeNotFound(): never {
  throw new GatehouseError('route_not_found', 'no such route');
}
