import type { AuditTrail } from '../audit/audit-trail.ts';
import type { Clock } from '../clock.ts';
import type { RequestContext } from '../context.ts';
import { GatehouseError } from '../errors.ts';
import type { Store } from '../store/store.ts';
import type { User, UserChanges } from '../store/user-repository.ts';
import type { PasswordHasher } from './password-hasher.ts';
import {
  CredentialsRefused,
  invalidCredentials,
  releaseQuietly,
  type LoginName,
  type PasswordChecks,
} from './password-checks.ts';
import type { Grant, Grants, PasswordAttempt, SessionPort } from './ports.ts';
import { normalizeEmail, normalizePassword, normalizeUsername, takenError } from './user-fields.ts';

// The name of the limit that locks an email after failed logins (limits/rate-limits.ts), as refusals carry it.
const emailLock = 'login-failures';

/** A password login: by email, by username, or by both when they name the same account. */
export interface Credentials {
  email?: string | undefined;
  username?: string | undefined;
  password?: string | undefined;
}

/** A user who has just signed in (or registered), with what their door asked to be handed. */
export interface SignedIn<G extends Grant> {
  user: User;
  tokens: Grants[G];
}

export interface SignInDeps {
  store: Store;
  hasher: PasswordHasher;
  sessions: SessionPort;
  audit: AuditTrail;
  /** every check of a typed password, under its account's lock */
  passwords: PasswordChecks;
  /** REQUIRE_VERIFIED_EMAIL: nobody signs in before their address is verified */
  requireVerifiedEmail: boolean;
  clock: Clock;
}

/** Signing in with a password, whichever door asks, and what a failed attempt leaves in the history. */
export function createSignIn(deps: SignInDeps) {
  const { store, hasher, sessions, audit, passwords, requireVerifiedEmail, clock } = deps;

  /** A failed password sign-in, in the history: why (kept from the client), and a lock it set off. */
  async function recordFailedSignIn(error: unknown, context: RequestContext): Promise<void> {
    if (error instanceof CredentialsRefused) {
      const event = { userId: error.userId, context };
      await audit.record(store, { ...event, type: 'sign_in_failed', detail: { reason: error.reason } });
      if (error.lockedNow) await audit.record(store, { ...event, type: 'locked_out' });
    } else if (error instanceof GatehouseError && error.code === 'rate_limited') {
      // the email's lock says so; any other limit (this IP's attempts) is the client's rate
      const reason = error.limits.includes(emailLock) ? 'locked' : 'rate_limited';
      await audit.record(store, { type: 'sign_in_failed', context, detail: { reason } });
    }
  }

  /**
   * Lets the user whose password was right in, or says why not: the last login recorded, a session opened
   * and the attempt released, all in one unit of work.
   */
  async function openSession<G extends Grant>(
    user: User,
    typed: string,
    attempt: PasswordAttempt,
    context: RequestContext,
    grant: G,
  ): Promise<{ user: User; issue: () => Promise<Grants[G]> }> {
    // said only to whoever knows the password, so it tells nobody else whether the account exists
    if (requireVerifiedEmail && user.emailVerifiedAt === null) {
      throw new GatehouseError('email_not_verified', 'address not verified yet');
    }
    // the console's session is for staff alone: anyone else is refused before a session exists
    if (grant === 'console-session' && !user.isStaff) {
      await audit.record(store, {
        type: 'sign_in_failed',
        userId: user.id,
        context,
        detail: { reason: 'not_staff' },
      });
      throw new GatehouseError('forbidden', 'the console is for staff');
    }
    const now = clock.now();
    const changes: UserChanges = { lastLoginAt: now, updatedAt: now };
    // of the normalised form, whichever form a Django hash matched: the next sign-in compares that form
    if (hasher.needsRehash(user.passwordHash))
      changes.passwordHash = await hasher.hash(normalizePassword(typed));
    await sessions.readyToIssue();
    return store.transaction(async (unit) => {
      const updated = await unit.users.update(user.id, changes);
      if (!updated.ok) throw takenError(updated.taken);
      // removed since its password was checked: as good as an unknown email
      if (updated.value === undefined) throw invalidCredentials();
      const { sessionId, issue } = await sessions.open(unit, updated.value, context, grant);
      // under the session it opened, so that its owner can tell it in their history (`current`)
      await audit.record(unit, { type: 'sign_in_succeeded', userId: user.id, context, sessionId });
      // a statement of this transaction rather than a commit of its own after it
      await attempt.release(unit);
      return { user: updated.value, issue };
    });
  }

  return {
    /**
     * Signs in with a password: the attempt is counted against the client's IP and the email before the
     * hash runs, then the last login is recorded and a session opened in one unit of work.
     */
    async signIn<G extends Grant>(
      input: Credentials,
      context: RequestContext,
      grant: G,
    ): Promise<SignedIn<G>> {
      const typed = input.password ?? '';
      const { user, attempt } = await passwords
        .proveCredentials(loginNameOf(input), typed, context)
        .catch(async (error: unknown) => {
          await recordFailedSignIn(error, context);
          throw error;
        });
      const signedIn = await openSession(user, typed, attempt, context, grant).catch(
        async (error: unknown) => {
          // the password was right, whatever refused the sign-in after it: the attempt no longer counts
          await releaseQuietly(attempt);
          throw error;
        },
      );
      return { user: signedIn.user, tokens: await signedIn.issue() };
    },
  };
}

/**
 * The name a login gives: the email, unless only a username is given (then the username); with both,
 * both, to name one account. A login that gives neither is a blank email, as it always was.
 */
function loginNameOf(input: Credentials): LoginName {
  const username = input.username === undefined ? undefined : normalizeUsername(input.username);
  if (input.email === undefined && username !== undefined) return { username };
  const email = normalizeEmail(input.email ?? '');
  return username === undefined ? { email } : { email, username };
}
