import { parseCookie, stringifySetCookie } from 'cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { CookieCredentials } from '../dialect.ts';

/** The cookie that holds a console session's access token. */
const consoleCookieName = 'gatehouse_console';

/**
 * The header a page of the console sends its CSRF token in, on every request that changes something
 * (the cookie alone would be sent by any site's forged form too).
 */
export const csrfHeaderName = 'x-csrf-token';

/** The methods that change something: with the cookie, each must carry the CSRF token too. */
const unsafeMethods = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** Whether a request of `method` that comes with the console's cookie must carry its CSRF token. */
export function needsCsrfToken(method: string): boolean {
  return unsafeMethods.has(method);
}

/** The access token in the console's cookie, if the request carries one. */
function tokenInConsoleCookie(request: FastifyRequest): string | undefined {
  const header = request.headers.cookie;
  if (header === undefined) return undefined;
  const token = parseCookie(header)[consoleCookieName];
  return token === undefined || token === '' ? undefined : token;
}

// httpOnly: no page script reads it; SameSite=Strict: no other site's page makes the browser send it;
// Path=/ so that the console (/admin) and its API (/api/admin) both get it
const attributes = { httpOnly: true, sameSite: 'strict', path: '/' } as const;

/** Hands the browser the console's token, for exactly as long as it lives. */
export function setConsoleCookie(
  reply: FastifyReply,
  token: string,
  { maxAgeSeconds, secure }: { maxAgeSeconds: number; secure: boolean },
): void {
  reply.header(
    'set-cookie',
    stringifySetCookie({
      name: consoleCookieName,
      value: token,
      maxAge: maxAgeSeconds,
      secure,
      ...attributes,
    }),
  );
}

/** Tells the browser to forget the console's token. */
export function clearConsoleCookie(reply: FastifyReply, { secure }: { secure: boolean }): void {
  reply.header(
    'set-cookie',
    stringifySetCookie({
      name: consoleCookieName,
      value: '',
      maxAge: 0,
      expires: new Date(0),
      secure,
      ...attributes,
    }),
  );
}

/**
 * The console's cookie as the staff dialect reads it, and as the OpenAPI document declares it: the
 * cookie (`ConsoleCookie`) on every staff route that names a caller, and with it the CSRF header
 * (`ConsoleCsrf`) on every write. Neither is needed with an Authorization header.
 */
export const consoleCookieCredentials: CookieCredentials = {
  tokenOf: tokenInConsoleCookie,
  securitySchemes: {
    ConsoleCookie: {
      type: 'apiKey',
      in: 'cookie',
      name: consoleCookieName,
      description:
        "The staff console's session: httpOnly, SameSite=Strict, set by POST /api/admin/session and read " +
        'only when there is no Authorization header.',
    },
    ConsoleCsrf: {
      type: 'apiKey',
      in: 'header',
      name: 'X-CSRF-Token',
      description:
        "The `csrfToken` of the console's session (POST or GET /api/admin/session), which every POST, PUT, " +
        'PATCH and DELETE that comes with its cookie must carry; else 403 csrf_failed.',
    },
  },
  securityFor(methods) {
    return methods.some(needsCsrfToken) ? { ConsoleCookie: [], ConsoleCsrf: [] } : { ConsoleCookie: [] };
  },
};
