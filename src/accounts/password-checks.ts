import { foldCase } from '../case-fold.ts';
import type { RequestContext } from '../context.ts';
import { GatehouseError, throwIfInvalid, type FieldProblems, type Problem } from '../errors.ts';
import type { User, UserRepository } from '../store/user-repository.ts';
import type { PasswordHasher } from './password-hasher.ts';
import type { AttemptLimits, PasswordAttempt } from './ports.ts';
import { blank, normalizePassword } from './user-fields.ts';

export interface PasswordCheckDeps {
  users: Pick<UserRepository, 'findByEmail' | 'findByUsername'>;
  hasher: PasswordHasher;
  limits: AttemptLimits;
}

/**
 * Who a password login names (both normalised): by email, by username, or by both when they must name
 * the same account. An empty string is a field left blank.
 */
export type LoginName = { email: string; username?: string } | { email?: undefined; username: string };

/**
 * The key of the lock failed logins set on an account: its email when it has one (what the lock has
 * always counted, whichever of email or username a login names, so switching names dodges nothing), else
 * its id. Neither form can be an address (no `@`), so no address shares it.
 */
export function loginLockKey(user: User): string {
  return user.email ?? `user:${user.id}`;
}

export type PasswordChecks = ReturnType<typeof createPasswordChecks>;

/**
 * Every check of a password someone typed, each counted against its account's lock before the hash runs
 * and taken back unless the password was wrong: so no more guesses are ever checked than the limit allows,
 * however many arrive at once, and a right password costs the owner nothing.
 */
export function createPasswordChecks({ users, hasher, limits }: PasswordCheckDeps) {
  /**
   * The account a login names, if any, and the key its failures count under. An email counts as typed,
   * existing or not; a username counts under its account's key, or (unknown) under the name itself.
   */
  async function findLogin(name: LoginName): Promise<{ user: User | undefined; lockKey: string }> {
    if (name.email !== undefined) {
      const user = name.email === '' ? undefined : await users.findByEmail(name.email);
      // both named: the same account, or none
      const agrees =
        name.username === undefined ||
        (user !== undefined && foldCase(user.username) === foldCase(name.username));
      return { user: agrees ? user : undefined, lockKey: name.email };
    }
    const user = name.username === '' ? undefined : await users.findByUsername(name.username);
    if (user !== undefined) return { user, lockKey: loginLockKey(user) };
    return {
      user: undefined,
      lockKey: name.username === '' ? '' : `username:${foldCase(name.username)}`,
    };
  }

  /** The user these credentials belong to; one answer for every kind of refusal. */
  async function checkCredentials(name: LoginName, user: User | undefined, typed: string): Promise<User> {
    const password = normalizePassword(typed);
    const fields: FieldProblems = {};
    if (name.email === '') fields.email = blank;
    if (name.email === undefined && name.username === '') fields.username = blank;
    if (password === '') fields.password = blank;
    throwIfInvalid(fields);
    if (user === undefined) {
      // hash anyway: an unknown name must cost what a wrong password costs
      await hasher.verifyNothing(password);
      throw new CredentialsRefused(name.email === undefined ? 'unknown_username' : 'unknown_email');
    }
    const matches = await hasher.verify(user.passwordHash, password, typed);
    if (!matches) throw new CredentialsRefused('wrong_password', user.id);
    if (!user.isActive) throw new CredentialsRefused('inactive', user.id);
    return user;
  }

  /** The problem with the current password the caller typed, or undefined when it is right. */
  async function checkCurrentPassword(
    user: User,
    password: string | undefined,
  ): Promise<Problem | undefined> {
    const typed = password ?? '';
    const given = normalizePassword(typed);
    if (given === '') return blank;
    return (await hasher.verify(user.passwordHash, given, typed)) ? undefined : { code: 'wrong_password' };
  }

  return {
    /**
     * A password login from the client in `context`: the name normalised, the password as typed (a hash
     * imported from Django is of the password as typed; every other is of its NFKC form). The user, and
     * the attempt still counted: the caller releases it, in the unit of work that signs the user in.
     */
    async proveCredentials(
      name: LoginName,
      password: string,
      context: RequestContext,
    ): Promise<{ user: User; attempt: PasswordAttempt }> {
      // read before the count: the lock to count against is the account's, whichever name it is found by
      const { user, lockKey } = await findLogin(name);
      const attempt = await limits.beginLogin(context.ip, lockKey);
      try {
        return { user: await checkCredentials(name, user, password), attempt };
      } catch (error) {
        if (error instanceof CredentialsRefused) error.lockedNow = attempt.locksOnFailure;
        else await releaseQuietly(attempt);
        throw error;
      }
    },

    /**
     * A signed-in user's current password, under the same lock as their logins: a stolen token must be no
     * unlimited way to guess it. The problem with it, or undefined when it is right.
     */
    async proveCurrent(user: User, password: string | undefined): Promise<Problem | undefined> {
      const attempt = await limits.beginPasswordCheck(loginLockKey(user));
      let problem: Problem | undefined;
      try {
        problem = await checkCurrentPassword(user, password);
      } catch (error) {
        await releaseQuietly(attempt);
        throw error;
      }
      if (problem?.code !== 'wrong_password') await attempt.release();
      return problem;
    },
  };
}

/**
 * Takes back an attempt on a path that ends in an error: that error is the answer, whatever becomes of
 * the count (a store that cannot take it back leaves one extra count in the window).
 */
export async function releaseQuietly(attempt: PasswordAttempt): Promise<void> {
  await attempt.release().catch(() => undefined);
}

export function invalidCredentials(): GatehouseError {
  return new GatehouseError('invalid_credentials', 'email or password is invalid');
}

/**
 * invalid_credentials, with why and whose account (when there is one) for the security history only:
 * every reason answers the client alike.
 */
export class CredentialsRefused extends GatehouseError {
  readonly reason: 'wrong_password' | 'unknown_email' | 'unknown_username' | 'inactive';
  readonly userId: string | undefined;
  /** this refusal was the last guess the email's lock allowed: it is locked from now on */
  lockedNow = false;

  constructor(reason: CredentialsRefused['reason'], userId?: string) {
    super('invalid_credentials', 'email or password is invalid');
    this.reason = reason;
    this.userId = userId;
  }
}
