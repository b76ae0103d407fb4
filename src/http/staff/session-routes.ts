import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { GatehouseError } from '../../errors.ts';
import type { ConsoleSessions } from '../../staff/console-sessions.ts';
import { callerContextOf, callerOf, contextOf } from '../authenticate.ts';
import { clearConsoleCookie, csrfHeaderName, needsCsrfToken, setConsoleCookie } from './console-cookie.ts';
import { staffErrors } from './envelope.ts';
import { StaffUser, toStaffUser } from './schemas.ts';

export interface ConsoleServices {
  staff: { console: ConsoleSessions; secureCookies: boolean };
}

const SignInBody = Type.Object({
  email: Type.String({ maxLength: 1024 }),
  password: Type.String({ maxLength: 4096 }),
});

const ConsoleSessionResponse = Type.Object({
  user: StaffUser,
  csrfToken: Type.String({ description: 'send it as X-CSRF-Token with every POST, PUT, PATCH and DELETE' }),
});

const NoContent = Type.Null({ description: 'no content' });

/**
 * The CSRF defence of the staff API: a request that changes something with the console's cookie for
 * credentials must also carry the session's CSRF token, which only the console's own pages can read. A
 * preValidation hook, so that it runs once the caller is known (onRequest) and before the body is used.
 */
export function refuseForgedWrites(console: Pick<ConsoleSessions, 'isCsrfTokenValid'>) {
  return (request: FastifyRequest, _reply: FastifyReply, done: (error?: Error) => void): void => {
    if (request.credentialsIn === 'cookie' && needsCsrfToken(request.method)) {
      const header = request.headers[csrfHeaderName];
      const token = typeof header === 'string' ? header : undefined;
      if (!console.isCsrfTokenValid(callerOf(request).session.id, token)) {
        done(new GatehouseError('csrf_failed', 'missing or wrong CSRF token'));
        return;
      }
    }
    done();
  };
}

/** The console's sign-in, its check of who is signed in, and its sign-out (POST/GET/DELETE /session). */
export function sessionRoutes({ staff }: ConsoleServices): FastifyPluginCallbackTypebox {
  const secure = staff.secureCookies;
  return (app, _options, done) => {
    app.post(
      '/session',
      {
        schema: {
          summary: 'Sign in to the staff console: a session cookie and its CSRF token',
          tags: ['staff'],
          body: SignInBody,
          response: { 200: ConsoleSessionResponse, ...staffErrors(400, 401, 403, 413, 415, 422, 429, 503) },
        },
      },
      async (request, reply) => {
        const signedIn = await staff.console.signIn(request.body, contextOf(request));
        setConsoleCookie(reply, signedIn.accessToken, { maxAgeSeconds: signedIn.expiresIn, secure });
        return { user: toStaffUser(signedIn.user), csrfToken: signedIn.csrfToken };
      },
    );

    app.get(
      '/session',
      {
        config: { caller: 'staff' },
        schema: {
          summary: 'Who is signed in to the console, and the CSRF token of that session',
          tags: ['staff'],
          response: { 200: ConsoleSessionResponse, ...staffErrors(401, 403, 503) },
        },
      },
      (request) => {
        const caller = callerOf(request);
        return { user: toStaffUser(caller.user), csrfToken: staff.console.csrfTokenOf(caller.session.id) };
      },
    );

    app.delete(
      '/session',
      {
        // whoever holds the session may end it, staff or no longer
        config: { caller: 'required' },
        schema: {
          summary: 'Sign out of the console: its session ends and the cookie goes',
          tags: ['staff'],
          response: { 204: NoContent, ...staffErrors(401, 403, 503) },
        },
      },
      async (request, reply) => {
        await staff.console.signOut(callerContextOf(request));
        clearConsoleCookie(reply, { secure });
        return reply.code(204).send(null);
      },
    );
    done();
  };
}
