import type { FastifyRequest, RouteOptions } from 'fastify';
import type { Caller, CallerContext, RequestContext } from '../context.ts';
import { GatehouseError } from '../errors.ts';
import type { Dialect, SecurityRequirement } from './dialect.ts';

/**
 * Whether a route serves only signed-in callers, anonymous ones too (bad credentials are still a 401), or
 * only signed-in staff (`is_staff`; anyone else signed in is refused as forbidden).
 */
export type CallerNeed = 'required' | 'optional' | 'staff';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** who may call this route; the same option yields its OpenAPI `security` */
    caller?: CallerNeed;
  }
  interface FastifyRequest {
    /** the authenticated caller, on routes that name one (`config.caller`) and were given credentials */
    caller: Caller | undefined;
    /**
     * where the caller's credentials came from: the Authorization header, or a cookie its dialect reads
     * (`Dialect.credentialsOf`), which a browser sends by itself and so needs a CSRF defence
     */
    credentialsIn: 'header' | 'cookie' | undefined;
  }
}

// `Token` is the Conduit scheme, `Bearer` everyone else's, and `JWT` the one djoser's documentation sets up
// for simplejwt; all work everywhere. Never a query parameter.
const schemePattern = /^(?:Token|Bearer|JWT) +/i;

/**
 * The token after the scheme, trailing spaces dropped; undefined without a known scheme. The token's own
 * characters are checked where it is verified (sessions/access-tokens.ts), and only on a cache miss: a
 * token found in the cache is, to the letter, one verified before. Scanning a 400-byte header with a
 * pattern on every request cost more than the rest of its authentication.
 */
function tokenIn(header: string): string | undefined {
  const scheme = schemePattern.exec(header);
  if (scheme === null) return undefined;
  let end = header.length;
  while (end > scheme[0].length && header.charCodeAt(end - 1) === 0x20) end -= 1;
  return end > scheme[0].length ? header.slice(scheme[0].length, end) : undefined;
}

/** What authentication needs of the sessions: the caller an access token belongs to, or token_invalid. */
export type AuthenticateToken = (token: string) => Promise<Caller>;

/**
 * An onRoute hook for a dialect's scope: a route whose `config.caller` is set gets its OpenAPI `security`
 * and an authentication hook at the stage its dialect authenticates in, which puts the caller on the
 * request (401 token_missing / token_invalid otherwise).
 */
export function authenticateRoutes(dialect: Dialect, authenticate: AuthenticateToken) {
  /** The request's caller, from its Authorization header or else its dialect's cookie; undefined: none given. */
  async function identify(request: FastifyRequest): Promise<Caller | undefined> {
    const header = request.headers.authorization;
    if (header !== undefined && header.trim() !== '') {
      const token = tokenIn(header);
      if (token === undefined) throw new GatehouseError('token_invalid', 'unreadable authorization header');
      request.credentialsIn = 'header';
      return authenticate(token);
    }
    const token = dialect.cookieCredentials?.tokenOf(request);
    if (token === undefined) return undefined;
    request.credentialsIn = 'cookie';
    return authenticate(token);
  }
  const hooks: Record<CallerNeed, (request: FastifyRequest) => Promise<void>> = {
    async required(request) {
      request.caller = await identify(request);
      if (request.caller === undefined) throw new GatehouseError('token_missing', 'no credentials');
    },
    async optional(request) {
      request.caller = await identify(request);
    },
    async staff(request) {
      await hooks.required(request);
      if (request.caller?.user.isStaff !== true) throw new GatehouseError('forbidden', 'staff only');
    },
  };
  return (route: RouteOptions): void => {
    const need = route.config?.caller;
    if (need === undefined) return;
    const security = need === 'optional' ? callerOptional : callerRequired;
    (route.schema ??= {}).security = [...security, ...cookieSecurity(dialect, route)];
    const stage = dialect.authenticateAt;
    route[stage] = [hooks[need], ...[route[stage] ?? []].flat()];
  };
}

/**
 * The security requirement a dialect's cookie meets on `route`, as one more alternative to the header
 * schemes; none where the dialect reads no cookie.
 */
function cookieSecurity(dialect: Dialect, route: RouteOptions): SecurityRequirement[] {
  const cookie = dialect.cookieCredentials;
  return cookie === undefined ? [] : [cookie.securityFor([route.method].flat())];
}

/** Who is asking, for a domain operation. */
export function contextOf(request: FastifyRequest): RequestContext {
  return { requestId: request.id, ip: request.ip, userAgent: request.headers['user-agent'] };
}

/** Who is asking, on a route with `config: { caller: 'required' }`. */
export function callerContextOf(request: FastifyRequest): CallerContext {
  return { ...contextOf(request), caller: callerOf(request) };
}

/** The caller of a route with `config: { caller: 'required' }`. */
export function callerOf(request: FastifyRequest): Caller {
  // a programming error, not a client's: the route does not name a caller
  if (request.caller === undefined) throw new Error('no caller: the route does not require one');
  return request.caller;
}

/**
 * The credentials above as OpenAPI security schemes: `Bearer` is what a generated client sends, `Token`
 * what RealWorld clients send (RealWorld's own document names it so); `JWT <jwt>` works too.
 */
export const credentialSchemes = {
  Bearer: {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description: 'An access token as `Authorization: Bearer <jwt>` (or `JWT <jwt>`); any dialect.',
  },
  Token: {
    type: 'apiKey',
    in: 'header',
    name: 'Authorization',
    description: 'The Conduit form, `Authorization: Token <jwt>`; any dialect.',
  },
} as const;

/**
 * The route schema's `security` where a caller is required: either scheme will do (and, in a dialect that
 * reads a cookie, the cookie's requirement after them).
 */
export const callerRequired = [{ Bearer: [] }, { Token: [] }] as const;

/** The route schema's `security` where a caller is optional (`{}`: anonymous); bad credentials are a 401. */
export const callerOptional = [{}, ...callerRequired] as const;
