import { parseCookie, stringifySetCookie } from 'cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';

/** The cookie that holds a console session's access token. */
const consoleCookieName = 'gatehouse_console';

/**
 * The header a page of the console sends its CSRF token in, on every request that changes something
 * (the cookie alone would be sent by any site's forged form too).
 */
export const csrfHeaderName = 'x-csrf-token';

/** The access token in the console's cookie, if the request carries one. */
export function tokenInConsoleCookie(request: FastifyRequest): string | undefined {
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
