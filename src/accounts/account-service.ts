import { foldCase } from '../case-fold.ts';
import type { AuditEvent } from '../audit/audit-trail.ts';
import type { CallerContext, RequestContext } from '../context.ts';
import { GatehouseError, throwIfInvalid, type FieldProblems } from '../errors.ts';
import type { UnitOfWork } from '../store/store.ts';
import type { User, UserChanges } from '../store/user-repository.ts';
import type { AddressVerification } from './address-verification.ts';
import { endedByNewPassword } from './one-time-tokens.ts';
import { createPasswordChecks } from './password-checks.ts';
import type { MailPort } from './ports.ts';
import { createRegistration, type RegistrationDeps, type RegistrationRules } from './registration.ts';
import { createSignIn } from './sign-in.ts';
import {
  addProblem,
  addressOf,
  checkBio,
  checkEmail,
  checkImage,
  checkName,
  checkUsername,
  normalizeEmail,
  normalizeName,
  normalizePassword,
  normalizeUsername,
  sameAddress,
  taken,
  takenError,
} from './user-fields.ts';

export type { User };

/** What a user may change about themselves; `null` or `""` clears bio, image and the names. */
export interface ProfileChanges {
  email?: string | null | undefined;
  username?: string | null | undefined;
  password?: string | null | undefined;
  bio?: string | null | undefined;
  image?: string | null | undefined;
  firstName?: string | null | undefined;
  lastName?: string | null | undefined;
}

/** How an update is asked for: with the current password proved (`proof`), under a door's `rules`. */
export interface UpdateOptions {
  proof?: { currentPassword: string | undefined } | undefined;
  rules?: RegistrationRules | undefined;
}

export interface EmailChange {
  currentPassword?: string | undefined;
  newEmail?: string | undefined;
}

export interface PasswordChange {
  currentPassword?: string | undefined;
  newPassword?: string | undefined;
}

/** Why, by whom and until when an account is deactivated: null reason and `by` when its owner did it. */
export interface Deactivation {
  reason: string | null;
  /** epoch ms at which it ends by itself; null: until someone activates the account */
  until: number | null;
  /** the staff member who did it */
  by: string | null;
}

export interface AccountServiceDeps extends RegistrationDeps {
  mail: MailPort;
  verification: Pick<AddressVerification, 'mailVerification' | 'mailNewAddress'>;
}

export type AccountService = ReturnType<typeof createAccountService>;

/**
 * Every sequence that changes an account, whichever door it comes through: the limits it is counted
 * against, the hash, and the change with its consequences (sessions opened or ended) in one unit of work.
 */
export function createAccountService(deps: AccountServiceDeps) {
  const { store, hasher, policy, sessions, limits, mail, verification, audit } = deps;
  const { sendVerificationEmail, clock } = deps;
  const passwords = createPasswordChecks({ users: store.users, hasher, limits });
  const registration = createRegistration(deps);
  const signIn = createSignIn({ ...deps, passwords });

  /**
   * Deactivates `user` in `unit`: logins are refused from now on, every session ends (every instance
   * hears of it once the unit commits), and `event` is recorded as `deactivated`.
   */
  async function deactivateIn(
    unit: UnitOfWork,
    user: User,
    deactivation: Deactivation,
    event: Omit<AuditEvent, 'type' | 'userId'>,
  ): Promise<User> {
    const now = clock.now();
    const updated = await save(unit, user, {
      isActive: false,
      deactivatedAt: now,
      deactivationReason: deactivation.reason,
      deactivatedUntil: deactivation.until,
      deactivatedBy: deactivation.by,
      updatedAt: now,
    });
    await sessions.endAll(unit, user.id, 'deactivated');
    await audit.record(unit, { ...event, type: 'deactivated', userId: user.id });
    return updated;
  }

  /** Stores a user's changes inside `unit`; the user must still exist. */
  async function save(unit: UnitOfWork, user: User, changes: UserChanges): Promise<User> {
    const updated = await unit.users.update(user.id, changes);
    if (!updated.ok) throw takenError(updated.taken);
    if (updated.value === undefined) throw new GatehouseError('token_invalid', 'user no longer exists');
    return updated.value;
  }

  /**
   * What follows a new address, or its removal, in the unit that stores it: a new one is mailed a
   * verification link (when `mailsNewAddress`), and the old one is told, so that a stolen session cannot
   * quietly take the account's mail elsewhere, nor cut the owner off from it.
   */
  async function addressChanged(
    unit: UnitOfWork,
    { from, to }: { from: User; to: User },
    by: { context: RequestContext; sessionId: string },
    mailsNewAddress: boolean,
  ): Promise<void> {
    if (to.email !== null && mailsNewAddress) await verification.mailVerification(unit, to);
    await audit.record(unit, {
      type: 'email_change_confirmed',
      userId: from.id,
      ...by,
      detail: { from: from.email, to: to.email, immediate: true },
    });
    if (from.email !== null) {
      await mail.queue(unit, { kind: 'email-changed', to: from.email, newEmail: to.email });
    }
  }

  /**
   * What follows a new password, in its unit: every other session ends, and the address is told, so that
   * a change the owner did not make does not go unnoticed.
   */
  async function passwordChanged(
    unit: UnitOfWork,
    user: User,
    by: { context?: RequestContext; sessionId?: string } = {},
  ): Promise<void> {
    await sessions.endAll(unit, user.id, 'password_changed', by.sessionId);
    await unit.oneTimeTokens.deleteOfUser(user.id, endedByNewPassword);
    if (user.email !== null) await mail.queue(unit, { kind: 'password-changed', to: user.email });
    await audit.record(unit, { type: 'password_changed', userId: user.id, ...by });
  }

  return {
    ...registration,
    ...signIn,

    /**
     * Applies the caller's own changes; a new password ends their other sessions in the same commit. With
     * `proof`, the current password must be proved too (djoser's set_email/, set_username/), checked under
     * the account's lock and reported as `current_password` beside the other fields' problems. Where
     * `rules` let an account be without an email, a blank one removes the address.
     */
    async update(
      context: CallerContext,
      input: ProfileChanges,
      { proof, rules = { emailRequired: true } }: UpdateOptions = {},
    ): Promise<User> {
      const { user } = context.caller;
      const by = { context, sessionId: context.caller.session.id };
      const fields: FieldProblems = {};
      if (proof !== undefined) {
        addProblem(fields, 'current_password', await passwords.proveCurrent(user, proof.currentPassword));
      }
      const changes: UserChanges = { updatedAt: clock.now() };
      let email = user.email;
      let username = user.username;

      if (input.email !== undefined) {
        email = addressOf(input.email ?? '', rules.emailRequired);
        if (email === null) changes.emailVerifiedAt = null;
        else {
          addProblem(fields, 'email', checkEmail(email));
          if (user.email === null || !sameAddress(email, user.email)) {
            if (fields.email === undefined && (await store.users.findByEmail(email)) !== undefined)
              fields.email = taken;
            // a new address counts as unverified until it is confirmed
            changes.emailVerifiedAt = null;
          }
        }
        changes.email = email;
      }
      if (input.username !== undefined) {
        username = normalizeUsername(input.username ?? '');
        addProblem(fields, 'username', checkUsername(username));
        if (foldCase(username) !== foldCase(user.username) && fields.username === undefined) {
          if ((await store.users.findByUsername(username)) !== undefined) fields.username = taken;
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
      for (const [key, field] of [
        ['firstName', 'first_name'],
        ['lastName', 'last_name'],
      ] as const) {
        if (input[key] === undefined) continue;
        const name = emptyToNull(normalizeName(input[key] ?? ''));
        if (name !== null) addProblem(fields, field, checkName(name));
        changes[key] = name;
      }
      throwIfInvalid(fields);

      if (password !== undefined) changes.passwordHash = await hasher.hash(password);
      // within the address's hourly mails, as every verification mail, so that moving back and forth mails
      // no address without end; counted before the unit, as SQLite's one connection is the counters' too
      const mailsNewAddress =
        sendVerificationEmail &&
        email !== null &&
        changes.email !== undefined &&
        changes.emailVerifiedAt === null &&
        (await limits.admitMail(email));
      return store.transaction(async (unit) => {
        const updated = await save(unit, user, changes);
        if (password === undefined) sessions.userChanged(unit, user.id);
        else await passwordChanged(unit, updated, by);
        // a new address takes effect at once (RealWorld clients expect it), as does a removed one
        const moved =
          updated.email === null
            ? user.email !== null
            : user.email === null || !sameAddress(updated.email, user.email);
        if (moved) await addressChanged(unit, { from: user, to: updated }, by, mailsNewAddress);
        return updated;
      });
    },

    /** A password change that proves knowledge of the current one; the other sessions end with it. */
    async changePassword(context: CallerContext, input: PasswordChange): Promise<void> {
      const { user } = context.caller;
      const password = normalizePassword(input.newPassword ?? '');
      const fields: FieldProblems = {};
      addProblem(fields, 'current_password', await passwords.proveCurrent(user, input.currentPassword));
      addProblem(fields, 'new_password', policy.check(password, user));
      throwIfInvalid(fields);
      const changes = { passwordHash: await hasher.hash(password), updatedAt: clock.now() };
      await store.transaction(async (unit) => {
        const by = { context, sessionId: context.caller.session.id };
        await passwordChanged(unit, await save(unit, user, changes), by);
      });
    },

    /**
     * Asks to move the account to a new address, proving the current password: a token goes to the new
     * address, and the account moves only when it is confirmed (address-verification.ts).
     */
    async requestEmailChange(context: CallerContext, input: EmailChange): Promise<void> {
      const { user } = context.caller;
      const email = normalizeEmail(input.newEmail ?? '');
      const fields: FieldProblems = {};
      addProblem(fields, 'current_password', await passwords.proveCurrent(user, input.currentPassword));
      addProblem(fields, 'new_email', checkEmail(email));
      if (fields.new_email === undefined && (await store.users.findByEmail(email)) !== undefined)
        fields.new_email = taken;
      throwIfInvalid(fields);
      // an address nobody has shown to be theirs yet: within its hourly mails, as every verification mail
      // (beyond them the answer is the same and no mail goes out), so no caller can mail it without end
      const mailed = await limits.admitMail(email);
      await store.transaction(async (unit) => {
        if (mailed) await verification.mailNewAddress(unit, user, email);
        await audit.record(unit, {
          type: 'email_change_requested',
          userId: user.id,
          context,
          sessionId: context.caller.session.id,
          detail: { to: email },
        });
      });
    },

    /** Deactivates the caller's own account: every session ends with it, logins are refused from now on. */
    async deactivate(context: CallerContext, currentPassword: string | undefined): Promise<void> {
      const { user } = context.caller;
      const fields: FieldProblems = {};
      addProblem(fields, 'current_password', await passwords.proveCurrent(user, currentPassword));
      throwIfInvalid(fields);
      await store.transaction(async (unit) => {
        const deactivation = { reason: null, until: null, by: null };
        await deactivateIn(unit, user, deactivation, { context, sessionId: context.caller.session.id });
      });
    },

    deactivateIn,

    /** Whether an account has this email: what an operator's command checks before asking for anything. */
    async hasAccount(email: string): Promise<boolean> {
      return (await store.users.findByEmail(normalizeEmail(email))) !== undefined;
    },

    /** Sets a password chosen by an operator (changepassword): the policy applies, every session ends. */
    async setPassword(email: string, newPassword: string): Promise<User> {
      const user = await store.users.findByEmail(normalizeEmail(email));
      if (user === undefined) throw new GatehouseError('user_not_found', 'no user with that email');
      const password = normalizePassword(newPassword);
      const fields: FieldProblems = {};
      addProblem(fields, 'password', policy.check(password, user));
      throwIfInvalid(fields);
      const changes = { passwordHash: await hasher.hash(password), updatedAt: clock.now() };
      return store.transaction(async (unit) => {
        const updated = await save(unit, user, changes);
        await passwordChanged(unit, updated);
        return updated;
      });
    },
  };
}

function emptyToNull(value: string | null): string | null {
  return value === null || value === '' ? null : value;
}
