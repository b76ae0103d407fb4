import type { AuditTrail } from '../audit/audit-trail.ts';
import type { Clock } from '../clock.ts';
import type { RequestContext } from '../context.ts';
import { throwIfInvalid, type FieldProblems, type Problem } from '../errors.ts';
import type { Store, UnitOfWork } from '../store/store.ts';
import type { User } from '../store/user-repository.ts';
import type { AddressVerification } from './address-verification.ts';
import type { PasswordHasher } from './password-hasher.ts';
import type { PasswordPolicy } from './password-policy.ts';
import type { AttemptLimits, Grant, Grants, SessionPort } from './ports.ts';
import {
  addProblem,
  addressOf,
  checkEmail,
  checkUsername,
  normalizeEmail,
  normalizePassword,
  normalizeUsername,
  taken,
  takenError,
} from './user-fields.ts';

/** What a registration gives: every field may be missing, and is then refused (or, an email, left out). */
export interface Registration {
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

export interface RegistrationDeps {
  store: Store;
  hasher: PasswordHasher;
  policy: PasswordPolicy;
  sessions: SessionPort;
  limits: AttemptLimits;
  verification: Pick<AddressVerification, 'mailVerification'>;
  audit: AuditTrail;
  /** REQUIRE_VERIFIED_EMAIL: nobody signs in before their address is verified */
  requireVerifiedEmail: boolean;
  /** SEND_VERIFICATION_EMAIL: a new account, or a new address, is mailed a verification link */
  sendVerificationEmail: boolean;
  clock: Clock;
  newId: () => string;
}

/** New accounts, whoever asks: a person at a door (counted per IP), or an operator. */
export function createRegistration(deps: RegistrationDeps) {
  const { store, hasher, policy, sessions, limits, verification, audit } = deps;
  const { requireVerifiedEmail, sendVerificationEmail, clock, newId } = deps;

  /** What is wrong with a normalised email or username for a new account: its form, or someone has it. */
  async function newNameProblem(field: 'email' | 'username', value: string): Promise<Problem | undefined> {
    const problem = field === 'email' ? checkEmail(value) : checkUsername(value);
    if (problem !== undefined) return problem;
    const owner =
      field === 'email' ? await store.users.findByEmail(value) : await store.users.findByUsername(value);
    return owner === undefined ? undefined : taken;
  }

  /** Validates a new account and hashes its password; the insert is the caller's. */
  async function prepareUser(input: Registration, rules: RegistrationRules = { emailRequired: true }) {
    const email = addressOf(input.email ?? '', rules.emailRequired);
    const username = normalizeUsername(input.username ?? '');
    const password = normalizePassword(input.password ?? '');
    const fields: FieldProblems = {};
    if (email !== null) addProblem(fields, 'email', await newNameProblem('email', email));
    addProblem(fields, 'username', await newNameProblem('username', username));
    addProblem(fields, 'password', policy.check(password, { username, email }));
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

  return {
    /**
     * What is wrong with `value` as a new account's email or username, if anything: its form, or someone
     * has it. What an operator's prompt checks before it asks for the next field.
     */
    newNameProblem: (field: 'email' | 'username', value: string) =>
      newNameProblem(field, field === 'email' ? normalizeEmail(value) : normalizeUsername(value)),

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
  };
}
