import type { Clock } from '../clock.ts';
import { GatehouseError, throwIfInvalid, type FieldErrors } from '../errors.ts';
import type { User, UserChanges, UserRepository } from '../store/user-repository.ts';

export type { User };
import type { PasswordHasher } from './password-hasher.ts';
import type { PasswordPolicy } from './password-policy.ts';
import {
  blank,
  checkBio,
  checkEmail,
  checkImage,
  checkUsername,
  normalizeEmail,
  normalizePassword,
  normalizeUsername,
  invalid,
  taken,
} from './user-fields.ts';

export interface Registration {
  email?: string | undefined;
  username?: string | undefined;
  password?: string | undefined;
}

export interface Credentials {
  email?: string | undefined;
  password?: string | undefined;
}

/** What a user may change about themselves; `null` clears bio and image. */
export interface ProfileChanges {
  email?: string | null | undefined;
  username?: string | null | undefined;
  password?: string | null | undefined;
  bio?: string | null | undefined;
  image?: string | null | undefined;
}

/** What the account domain needs from sessions, without knowing how sessions work. */
export interface SessionHooks {
  /** A user's stored fields changed: cached copies must go. */
  userChanged(userId: string): Promise<void>;
  /** The password changed: every session but the one that changed it ends (cached copies go too). */
  passwordChanged(userId: string, keepSessionId: string | undefined): Promise<void>;
  /** The account was deactivated: every session ends (cached copies go too). */
  userDeactivated(userId: string): Promise<void>;
}

export interface AccountServiceDeps {
  users: UserRepository;
  hasher: PasswordHasher;
  policy: PasswordPolicy;
  sessions: SessionHooks;
  clock: Clock;
  newId: () => string;
}

export type AccountService = ReturnType<typeof createAccountService>;

export function createAccountService({ users, hasher, policy, sessions, clock, newId }: AccountServiceDeps) {
  function takenError(field: 'email' | 'username'): GatehouseError {
    return new GatehouseError('validation_failed', `${field} taken`, { fields: { [field]: [taken] } });
  }

  const service = {
    /** Creates an active user; staff flags only through the command line. */
    async register(
      input: Registration,
      flags: { isStaff?: boolean; isSuperuser?: boolean } = {},
    ): Promise<User> {
      const email = normalizeEmail(input.email ?? '');
      const username = normalizeUsername(input.username ?? '');
      const password = normalizePassword(input.password ?? '');
      const fields: FieldErrors = {};
      addProblem(fields, 'email', checkEmail(email));
      addProblem(fields, 'username', checkUsername(username));
      addProblem(fields, 'password', policy.check(password, { username, email }));
      if (fields.email === undefined && (await users.findByEmail(email)) !== undefined)
        fields.email = [taken];
      if (fields.username === undefined && (await users.findByUsername(username)) !== undefined) {
        fields.username = [taken];
      }
      throwIfInvalid(fields);

      const created = await users.insert({
        id: newId(),
        email,
        username,
        passwordHash: await hasher.hash(password),
        createdAt: clock.now(),
        ...flags,
      });
      // the unique indexes settle a race the look-ups above could not see
      if (!created.ok) throw takenError(created.taken);
      return created.value;
    },

    /** The user these credentials belong to; one answer for every kind of refusal. */
    async authenticate(input: Credentials): Promise<User> {
      const email = normalizeEmail(input.email ?? '');
      const password = normalizePassword(input.password ?? '');
      const fields: FieldErrors = {};
      if (email === '') fields.email = [blank];
      if (password === '') fields.password = [blank];
      throwIfInvalid(fields);

      const user = await users.findByEmail(email);
      if (user === undefined) {
        // hash anyway: an unknown email must cost what a wrong password costs
        await hasher.verifyNothing(password);
        throw invalidCredentials();
      }
      const matches = await hasher.verify(user.passwordHash, password);
      if (!matches || !user.isActive) throw invalidCredentials();

      const now = clock.now();
      const changes: UserChanges = { lastLoginAt: now, updatedAt: now };
      if (hasher.needsRehash(user.passwordHash)) changes.passwordHash = await hasher.hash(password);
      const updated = await users.update(user.id, changes);
      return updated.ok && updated.value !== undefined ? updated.value : user;
    },

    /** Applies a user's own changes; a new password ends their other sessions. */
    async update(user: User, input: ProfileChanges, currentSessionId?: string): Promise<User> {
      const fields: FieldErrors = {};
      const changes: UserChanges = { updatedAt: clock.now() };
      let email = user.email;
      let username = user.username;

      if (input.email !== undefined) {
        email = normalizeEmail(input.email ?? '');
        addProblem(fields, 'email', checkEmail(email));
        if (email.toLowerCase() !== user.email.toLowerCase()) {
          if (fields.email === undefined && (await users.findByEmail(email)) !== undefined)
            fields.email = [taken];
          // a new address counts as unverified until it is confirmed
          changes.emailVerifiedAt = null;
        }
        changes.email = email;
      }
      if (input.username !== undefined) {
        username = normalizeUsername(input.username ?? '');
        addProblem(fields, 'username', checkUsername(username));
        if (username.toLowerCase() !== user.username.toLowerCase() && fields.username === undefined) {
          if ((await users.findByUsername(username)) !== undefined) fields.username = [taken];
        }
        changes.username = username;
      }
      let password: string | undefined;
      if (input.password !== undefined) {
        password = normalizePassword(input.password ?? '');
        addProblem(fields, 'password', policy.check(password, { username, email }));
      }
      if (input.bio !== undefined) {
        const bio = emptyToNull(input.bio);
        if (bio !== null) addProblem(fields, 'bio', checkBio(bio));
        changes.bio = bio;
      }
      if (input.image !== undefined) {
        const image = emptyToNull(input.image);
        if (image !== null) addProblem(fields, 'image', checkImage(image));
        changes.image = image;
      }
      throwIfInvalid(fields);

      if (password !== undefined) changes.passwordHash = await hasher.hash(password);
      return save(user, changes, () =>
        password === undefined
          ? sessions.userChanged(user.id)
          : sessions.passwordChanged(user.id, currentSessionId),
      );
    },

    /** A password change that proves knowledge of the current one; the other sessions end. */
    async changePassword(
      user: User,
      input: { currentPassword?: string | undefined; newPassword?: string | undefined },
      currentSessionId: string,
    ): Promise<void> {
      const password = normalizePassword(input.newPassword ?? '');
      const fields: FieldErrors = {};
      addProblem(fields, 'current_password', await checkCurrentPassword(user, input.currentPassword));
      addProblem(fields, 'new_password', policy.check(password, user));
      throwIfInvalid(fields);
      await save(user, { passwordHash: await hasher.hash(password), updatedAt: clock.now() }, () =>
        sessions.passwordChanged(user.id, currentSessionId),
      );
    },

    /** Deactivates the caller's own account: every session ends, logins are refused from now on. */
    async deactivate(user: User, currentPassword: string | undefined): Promise<void> {
      const fields: FieldErrors = {};
      addProblem(fields, 'current_password', await checkCurrentPassword(user, currentPassword));
      throwIfInvalid(fields);
      await save(user, { isActive: false, updatedAt: clock.now() }, () => sessions.userDeactivated(user.id));
    },

    /** Sets a password chosen by an operator (changepassword); the policy still applies. */
    async setPassword(email: string, newPassword: string): Promise<User> {
      const user = await users.findByEmail(normalizeEmail(email));
      if (user === undefined) throw new GatehouseError('user_not_found', 'no user with that email');
      return service.update(user, { password: newPassword });
    },
  };
  /**
   * Stores the changes, then tells the sessions once: `announce` is the hook that fits the change (each
   * one drops cached copies and tells the other instances), plain `userChanged` unless said otherwise.
   */
  async function save(
    user: User,
    changes: UserChanges,
    announce: () => Promise<void> = () => sessions.userChanged(user.id),
  ): Promise<User> {
    const updated = await users.update(user.id, changes);
    if (!updated.ok) throw takenError(updated.taken);
    if (updated.value === undefined) throw new GatehouseError('token_invalid', 'user no longer exists');
    await announce();
    return updated.value;
  }

  /** A problem with the current password the caller typed, or undefined when it is right. */
  async function checkCurrentPassword(user: User, password: string | undefined): Promise<string | undefined> {
    const given = normalizePassword(password ?? '');
    if (given === '') return blank;
    return (await hasher.verify(user.passwordHash, given)) ? undefined : invalid;
  }

  return service;
}

function invalidCredentials(): GatehouseError {
  return new GatehouseError('invalid_credentials', 'email or password is invalid');
}

function addProblem(fields: FieldErrors, field: string, problem: string | undefined): void {
  if (problem !== undefined) fields[field] = [problem];
}

function emptyToNull(value: string | null): string | null {
  return value === null || value === '' ? null : value;
}
