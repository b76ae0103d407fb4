import { foldCase } from '../case-fold.ts';
import type { AuditEvent, AuditTrail } from '../audit/audit-trail.ts';
import type { Clock } from '../clock.ts';
import type { CallerContext, RequestContext } from '../context.ts';
import { GatehouseError, throwIfInvalid, type FieldProblems, type Problem } from '../errors.ts';
import type { Store, UnitOfWork } from '../store/store.ts';
import type { User, UserChanges } from '../store/user-repository.ts';
import type { PasswordHasher } from './password-hasher.ts';
import type { PasswordPolicy } from './password-policy.ts';
import {
  createPasswordChecks,
  CredentialsRefused,
  invalidCredentials,
  type LoginName,
} from './password-checks.ts';
import type { AddressVerification } from './address-verification.ts';
import { endedByNewPassword } from './one-time-tokens.ts';
import type { AttemptLimits, Grant, Grants, MailPort, SessionPort } from './ports.ts';
import {
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
} from './user-fields.ts';

export type { User };

// The name of the limit that locks an email after failed logins (limits/rate-limits.ts), as refusals carry it.
const emailLock = 'login-failures';

export interface Registration {
  email?: string | undefined;
  username?: string | undefined;
  password?: string | undefined;
}

/** A password login: by email, by username, or by both when they name the same account. */
export interface Credentials {
  email?: string | undefined;
  username?: string | undefined;
  password?: string | undefined;
}

/**
 * How a door registers and edits accounts: whether an account may be without an email (djoser's username
 * login), so that a blank one leaves it out at registration and removes it at an update.
 */
export interface RegistrationRules {
  emailRequired: boolean;
}

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

/** A user who has just signed in (or registered), with what their door asked to be handed. */
export interface SignedIn<G extends Grant> {
  user: User;
  tokens: Grants[G];
}

export interface AccountServiceDeps {
  store: Store;
  hasher: PasswordHasher;
  policy: PasswordPolicy;
  sessions: SessionPort;
  limits: AttemptLimits;
  mail: MailPort;
  verification: Pick<AddressVerification, 'mailVerification' | 'mailNewAddress'>;
  audit: AuditTrail;
  /** REQUIRE_VERIFIED_EMAIL: nobody signs in before their address is verified */
  requireVerifiedEmail: boolean;
  /** SEND_VERIFICATION_EMAIL: a new account, or a new address, is mailed a verification link */
  sendVerificationEmail: boolean;
  clock: Clock;
  newId: () => string;
}

export type AccountService = ReturnType<typeof createAccountService>;

/**
 * Every sequence that changes an account, whichever door it comes through: the limits it is counted
 * against, the hash, and the change with its consequences (sessions opened or ended) in one unit of work.
 */
export function createAccountService(deps: AccountServiceDeps) {
  const { store, hasher, policy, sessions, limits, mail, verification, audit } = deps;
  const { requireVerifiedEmail, sendVerificationEmail, clock, newId } = deps;
  const passwords = createPasswordChecks({ users: store.users, hasher, limits });

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

  /** Validates a new account and hashes its password; the insert is the caller's. */
  async function prepareUser(input: Registration, rules: RegistrationRules = { emailRequired: true }) {
    const email = addressOf(input.email ?? '', rules);
    const username = normalizeUsername(input.username ?? '');
    const password = normalizePassword(input.password ?? '');
    const fields: FieldProblems = {};
    if (email !== null) addProblem(fields, 'email', checkEmail(email));
    addProblem(fields, 'username', checkUsername(username));
    addProblem(fields, 'password', policy.check(password, { username, email }));
    if (email !== null && fields.email === undefined && (await store.users.findByEmail(email)) !== undefined)
      fields.email = taken;
    if (fields.username === undefined && (await store.users.findByUsername(username)) !== undefined) {
      fields.username = taken;
    }
    throwIfInvalid(fields);
    return {
      id: newId(),
      email,
      username,
      passwordHash: await hasher.hash(password),
      createdAt: clock.now(),
    };
  }

  async function insertUser(
    unit: UnitOfWork,
    user: Awaited<ReturnType<typeof prepareUser>>,
    flags: { isStaff?: boolean; isSuperuser?: boolean } = {},
  ): Promise<User> {
    const created = await unit.users.insert({ ...user, ...flags });
    // the unique indexes settle a race the look-ups above could not see
    if (!created.ok) throw takenError(created.taken);
    return created.value;
  }

  /** A person's new account: the user, the mail that verifies their address and the event, in `unit`. */
  async function insertAccount(
    unit: UnitOfWork,
    user: Awaited<ReturnType<typeof prepareUser>>,
    context: RequestContext,
  ) {
    const created = await insertUser(unit, user);
    if (sendVerificationEmail) await verification.mailVerification(unit, created);
    await audit.record(unit, { type: 'registered', userId: created.id, context });
    return created;
  }

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
    /** Creates an active user without signing them in (djoser's registration); counted per IP. */
    async register(input: Registration, context: RequestContext, rules?: RegistrationRules): Promise<User> {
      await limits.admitRegistration(context.ip);
      const prepared = await prepareUser(input, rules);
      return store.transaction((unit) => insertAccount(unit, prepared, context));
    },

    /**
     * Creates an active user and opens their first session, both or neither. Where addresses must be
     * verified first, no session opens: `tokens` is then undefined.
     */
    async registerAndSignIn<G extends Grant>(
      input: Registration,
      context: RequestContext,
      grant: G,
    ): Promise<{ user: User; tokens: Grants[G] | undefined }> {
      await limits.admitRegistration(context.ip);
      const prepared = await prepareUser(input);
      if (requireVerifiedEmail) {
        const user = await store.transaction((unit) => insertAccount(unit, prepared, context));
        return { user, tokens: undefined };
      }
      await sessions.readyToIssue();
      const { user, issue } = await store.transaction(async (unit) => {
        const created = await insertAccount(unit, prepared, context);
        return { user: created, issue: (await sessions.open(unit, created, context, grant)).issue };
      });
      return { user, tokens: await issue() };
    },

    /** Creates a user for an operator (createsuperuser): staff flags only here, no limits, no session. */
    async createUser(
      input: Registration,
      flags: { isStaff?: boolean; isSuperuser?: boolean },
    ): Promise<User> {
      const prepared = await prepareUser(input);
      return store.transaction(async (unit) => {
        const created = await insertUser(unit, prepared, flags);
        const type = flags.isSuperuser === true ? 'superuser_created' : 'registered';
        await audit.record(unit, { type, userId: created.id });
        return created;
      });
    },

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
      let user: User;
      try {
        user = await passwords.proveCredentials(loginNameOf(input), typed, context);
      } catch (error) {
        await recordFailedSignIn(error, context);
        throw error;
      }
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
      const signedIn = await store.transaction(async (unit) => {
        const updated = await unit.users.update(user.id, changes);
        if (!updated.ok) throw takenError(updated.taken);
        // removed since its password was checked: as good as an unknown email
        if (updated.value === undefined) throw invalidCredentials();
        const { sessionId, issue } = await sessions.open(unit, updated.value, context, grant);
        // under the session it opened, so that its owner can tell it in their history (`current`)
        await audit.record(unit, { type: 'sign_in_succeeded', userId: user.id, context, sessionId });
        return { user: updated.value, issue };
      });
      return { user: signedIn.user, tokens: await signedIn.issue() };
    },

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
        email = addressOf(input.email ?? '', rules);
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

/**
 * The address a field gives, normalised; left blank where none is required, no address at all (an
 * account without one, and so without mail). Anywhere else a blank stays text, refused as blank.
 */
function addressOf(given: string, rules: RegistrationRules): string | null {
  const email = normalizeEmail(given);
  return email === '' && !rules.emailRequired ? null : email;
}

function takenError(field: 'email' | 'username'): GatehouseError {
  return new GatehouseError('validation_failed', `${field} taken`, { fields: { [field]: taken } });
}

function addProblem(fields: FieldProblems, field: string, problem: Problem | undefined): void {
  if (problem !== undefined) fields[field] = problem;
}

function emptyToNull(value: string | null): string | null {
  return value === null || value === '' ? null : value;
}
