import type { AuditTrail } from '../audit/audit-trail.ts';
import type { Clock } from '../clock.ts';
import type { RequestContext } from '../context.ts';
import { throwIfInvalid, type FieldProblems } from '../errors.ts';
import type { Store, UnitOfWork } from '../store/store.ts';
import type { User } from '../store/user-repository.ts';
import {
  addressAskedFor,
  decodeUid,
  endedByNewPassword,
  hashToken,
  mailedToCurrentAddress,
  mailNewToken,
  tokenRefused,
} from './one-time-tokens.ts';
import type { PasswordHasher } from './password-hasher.ts';
import type { PasswordPolicy } from './password-policy.ts';
import type { AttemptLimits, MailPort, SessionPort } from './ports.ts';
import { loginLockKey } from './password-checks.ts';
import { normalizePassword } from './user-fields.ts';

export interface PasswordResetDeps {
  store: Store;
  hasher: PasswordHasher;
  policy: PasswordPolicy;
  mail: MailPort;
  sessions: Pick<SessionPort, 'endAll'>;
  limits: Pick<AttemptLimits, 'admitMail' | 'clearLoginFailures'>;
  audit: AuditTrail;
  clock: Clock;
  /** how long the link in a reset mail stays usable, ms */
  tokenTtl: number;
}

/** A reset as a door hands it over: the token from the mail, djoser's `uid` when it sends one, and the new password. */
export interface ResetConfirmation {
  token: string;
  uid?: string | undefined;
  newPassword: string;
}

export type PasswordReset = ReturnType<typeof createPasswordReset>;

/**
 * A way back for someone who forgot their password: a token mailed to their address, which sets a new
 * password, ends every session and lifts the login lock. Asking for the mail answers the same whether or
 * not the address has an account.
 */
export function createPasswordReset(deps: PasswordResetDeps) {
  const { store, hasher, policy, mail, sessions, limits, audit, clock, tokenTtl } = deps;

  const mailResetLink = async (unit: UnitOfWork, user: User): Promise<void> => {
    // an account registered by username alone has no address to mail (docs/decisions.md)
    if (user.email === null) return;
    await mailNewToken(unit, mail, {
      user,
      purpose: 'password-reset',
      email: user.email,
      now: clock.now(),
      ttl: tokenTtl,
    });
  };

  return {
    /**
     * Queues, in `unit`, a reset link to the user's address, uncounted: what staff send on someone's
     * behalf (the audit log names who did it).
     */
    mailResetLink,

    /** Mails a reset link to `email` when an active account has it and the address has mails left. */
    async request(email: string): Promise<void> {
      const address = addressAskedFor(email);
      if (!(await limits.admitMail(address))) return;
      await store.transaction(async (unit) => {
        const user = await unit.users.findByEmail(address);
        if (user?.isActive !== true) return;
        await mailResetLink(unit, user);
      });
    },

    /**
     * Sets the new password if the token is this account's live reset token. The password policy applies;
     * a refused password spends nothing, so the same link can be tried again.
     */
    async confirm(input: ResetConfirmation, context: RequestContext): Promise<void> {
      const tokenHash = hashToken(input.token);
      const found = await store.oneTimeTokens.findUsable(tokenHash, clock.now(), 'password-reset');
      const userId = input.uid === undefined ? found?.userId : decodeUid(input.uid);
      const user = userId === undefined ? undefined : await store.users.findById(userId);
      if (input.uid !== undefined && user === undefined) throw tokenRefused('uid');
      if (
        found === undefined ||
        user === undefined ||
        found.userId !== user.id ||
        !user.isActive ||
        !mailedToCurrentAddress(found, user)
      )
        throw tokenRefused();

      const password = normalizePassword(input.newPassword);
      const fields: FieldProblems = {};
      const problem = policy.check(password, user);
      if (problem !== undefined) fields.new_password = problem;
      throwIfInvalid(fields);
      const passwordHash = await hasher.hash(password);

      await store.transaction(async (unit) => {
        // the look above spent nothing: of two confirms racing here, one uses the token and the other is refused
        const used = await unit.oneTimeTokens.consume(tokenHash, clock.now(), ['password-reset'], user.id);
        if (used === undefined) throw tokenRefused();
        const updated = await unit.users.update(user.id, { passwordHash, updatedAt: clock.now() });
        if (!updated.ok || updated.value === undefined) throw tokenRefused();
        await unit.oneTimeTokens.deleteOfUser(user.id, endedByNewPassword);
        await sessions.endAll(unit, user.id, 'password_reset');
        if (user.email !== null) await mail.queue(unit, { kind: 'password-changed', to: user.email });
        await audit.record(unit, { type: 'password_reset', userId: user.id, context });
        unit.afterCommit(() => limits.clearLoginFailures(loginLockKey(user)));
      });
    },
  };
}
