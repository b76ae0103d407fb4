import { createHmac, timingSafeEqual } from 'node:crypto';
import type { AccountService } from '../accounts/account-service.ts';
import type { Credentials } from '../accounts/sign-in.ts';
import type { Clock } from '../clock.ts';
import type { CallerContext, RequestContext } from '../context.ts';
import { deriveKey } from '../keys/secret-box.ts';
import type { SessionService } from '../sessions/session-service.ts';
import type { User } from '../store/user-repository.ts';

export interface ConsoleSessionsDeps {
  accounts: Pick<AccountService, 'signIn'>;
  sessions: Pick<SessionService, 'logout'>;
  secretKey: string;
  clock: Clock;
}

/** A staff member signed in to the console: the token its cookie holds, and the CSRF token its pages send. */
export interface ConsoleSignIn {
  user: User;
  accessToken: string;
  /** seconds until the token expires, and its session with it */
  expiresIn: number;
  csrfToken: string;
}

export type ConsoleSessions = ReturnType<typeof createConsoleSessions>;

/**
 * The staff console's sign-in: a password sign-in like every other (the same limits and lock), for staff
 * only, opening a session of its own whose one access token the console keeps in an httpOnly cookie. A
 * page proves it is the console's, not another site's, by sending the CSRF token: an HMAC of the session's
 * id under a key derived from SECRET_KEY, so no store holds it and it dies with the session.
 */
export function createConsoleSessions({ accounts, sessions, secretKey, clock }: ConsoleSessionsDeps) {
  const csrfKey = deriveKey(secretKey, 'console-csrf');
  const csrfTokenOf = (sessionId: string): string =>
    createHmac('sha256', csrfKey).update(sessionId).digest('base64url');

  return {
    /** Signs a staff member in; forbidden (and no session opened) for anyone else who knows their password. */
    async signIn(credentials: Credentials, context: RequestContext): Promise<ConsoleSignIn> {
      const { user, tokens } = await accounts.signIn(credentials, context, 'console-session');
      return {
        user,
        accessToken: tokens.accessToken,
        expiresIn: Math.max(0, Math.floor((tokens.expiresAt - clock.now()) / 1000)),
        csrfToken: csrfTokenOf(tokens.sessionId),
      };
    },

    csrfTokenOf,

    /** Whether `token` is the CSRF token of this session, compared in constant time. */
    isCsrfTokenValid(sessionId: string, token: string | undefined): boolean {
      if (token === undefined) return false;
      const expected = Buffer.from(csrfTokenOf(sessionId));
      const given = Buffer.from(token);
      return given.length === expected.length && timingSafeEqual(given, expected);
    },

    /** Ends the console's session: its cookie's token is refused from now on, on every instance. */
    signOut(context: CallerContext): Promise<void> {
      return sessions.logout(context, 'session');
    },
  };
}
