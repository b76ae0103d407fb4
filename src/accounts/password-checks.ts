import type { RequestContext } from '../context.ts';
import { GatehouseError, throwIfInvalid, type FieldProblems, type Problem } from '../errors.ts';
import type { User, UserRepository } from '../store/user-repository.ts';
import type { PasswordHasher } from './password-hasher.ts';
import type { AttemptLimits, PasswordAttempt } from './ports.ts';
import { blank, normalizePassword } from './user-fields.ts';

export interface PasswordCheckDeps {
  users: Pick<UserRepository, 'findByEmail'>;
  hasher: PasswordHasher;
  limits: AttemptLimits;
}

/**
 * Every check of a password someone typed, each counted against its email's lock before the hash runs
 * and taken back unless the password was wrong: so no more guesses are ever checked than the limit allows,
 * however many arrive at once, and a right password costs the owner nothing.
 */
export function createPasswordChecks({ users, hasher, limits }: PasswordCheckDeps) {
  /** The user these credentials belong to; one answer for every kind of refusal. */
  async function checkCredentials(email: string, password: string): Promise<User> {
    const fields: FieldProblems = {};
    if (email === '') fields.email = blank;
    if (password === '') fields.password = blank;
    throwIfInvalid(fields);
    const user = await users.findByEmail(email);
    if (user === undefined) {
      // hash anyway: an unknown email must cost what a wrong password costs
      await hasher.verifyNothing(password);
      throw new CredentialsRefused('unknown_email');
    }
    const matches = await hasher.verify(user.passwordHash, password);
    if (!matches) throw new CredentialsRefused('wrong_password', user.id);
    if (!user.isActive) throw new CredentialsRefused('inactive', user.id);
    return user;
  }

  /** The problem with the current password the caller typed, or undefined when it is right. */
  async function checkCurrentPassword(
    user: User,
    password: string | undefined,
  ): Promise<Problem | undefined> {
    const given = normalizePassword(password ?? '');
    if (given === '') return blank;
    return (await hasher.verify(user.passwordHash, given)) ? undefined : { code: 'wrong_password' };
  }

  return {
    /** A password login (normalised email and password) from the client in `context`. */
    async proveCredentials(email: string, password: string, context: RequestContext): Promise<User> {
      const attempt = await limits.beginLogin(context.ip, email);
      try {
        return await releasedUnless(
          attempt,
          () => checkCredentials(email, password),
          (outcome) => 'error' in outcome && outcome.error instanceof CredentialsRefused,
        );
      } catch (error) {
        if (error instanceof CredentialsRefused) error.lockedNow = attempt.locksOnFailure;
        throw error;
      }
    },

    /**
     * A signed-in user's current password, under the same lock as their logins: a stolen token must be no
     * unlimited way to guess it. The problem with it, or undefined when it is right.
     */
    async proveCurrent(user: User, password: string | undefined): Promise<Problem | undefined> {
      const attempt = await limits.beginPasswordCheck(user.email);
      return releasedUnless(
        attempt,
        () => checkCurrentPassword(user, password),
        (outcome) => 'result' in outcome && outcome.result?.code === 'wrong_password',
      );
    },
  };
}

export function invalidCredentials(): GatehouseError {
  return new GatehouseError('invalid_credentials', 'email or password is invalid');
}

/**
 * invalid_credentials, with why and whose account (when there is one) for the security history only:
 * every reason answers the client alike.
 */
export class CredentialsRefused extends GatehouseError {
  readonly reason: 'wrong_password' | 'unknown_email' | 'inactive';
  readonly userId: string | undefined;
  /** this refusal was the last guess the email's lock allowed: it is locked from now on */
  lockedNow = false;

  constructor(reason: CredentialsRefused['reason'], userId?: string) {
    super('invalid_credentials', 'email or password is invalid');
    this.reason = reason;
    this.userId = userId;
  }
}

/**
 * Runs a password check under a counted attempt and takes the attempt back unless `wasWrong` finds that
 * the check refused the password (by its result or by the error it threw): only wrong guesses stay counted.
 */
async function releasedUnless<T>(
  attempt: PasswordAttempt,
  check: () => Promise<T>,
  wasWrong: (outcome: { result: T } | { error: unknown }) => boolean,
): Promise<T> {
  let result: T;
  try {
    result = await check();
  } catch (error) {
    if (!wasWrong({ error })) {
      // the check's own failure is the answer, whatever becomes of the count
      await attempt.release().catch(() => undefined);
    }
    throw error;
  }
  if (!wasWrong({ result })) await attempt.release();
  return result;
}
