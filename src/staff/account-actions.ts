import type { AccountService } from '../accounts/account-service.ts';
import type { AddressVerification } from '../accounts/address-verification.ts';
import { codePointLength } from '../accounts/user-fields.ts';
import type { PasswordReset } from '../accounts/password-reset.ts';
import type { AuditDetail, AuditEvent, AuditTrail } from '../audit/audit-trail.ts';
import type { Clock } from '../clock.ts';
import type { CallerContext } from '../context.ts';
import { GatehouseError, throwIfInvalid, type FieldProblems } from '../errors.ts';
import type { RateLimits } from '../limits/rate-limits.ts';
import type { SessionService } from '../sessions/session-service.ts';
import type { Store, UnitOfWork } from '../store/store.ts';
import type { User } from '../store/user-repository.ts';
import { reactivateIn } from './reactivation.ts';
import { normalizeRoles } from './roles.ts';

export interface AccountActionsDeps {
  store: Store;
  accounts: Pick<AccountService, 'deactivateIn'>;
  sessions: Pick<SessionService, 'endAll' | 'endOne' | 'userChanged'>;
  passwordReset: Pick<PasswordReset, 'mailResetLink'>;
  verification: Pick<AddressVerification, 'mailVerification'>;
  limits: Pick<RateLimits, 'loginLock' | 'clearLoginFailures'>;
  audit: AuditTrail;
  clock: Clock;
}

/** The longest reason staff may give for an action, in characters. */
export const maxReasonLength = 500;

export interface DeactivationRequest {
  reason: string;
  /** epoch ms in the future at which the account reactivates by itself */
  until?: number | undefined;
}

export interface FlagChanges {
  isStaff?: boolean | undefined;
  isSuperuser?: boolean | undefined;
  reason?: string | undefined;
}

export type AccountActions = ReturnType<typeof createAccountActions>;

/**
 * What staff do to an account. Each action checks who may do it, then changes the account and records
 * the event (the staff member as actor, the reason in its detail) in one unit of work; what sessions it
 * ends, every instance hears of after the commit, through the same change feed as any revocation.
 *
 * Who may: staff act on any account but a superuser's, which only superusers may change; only superusers
 * grant or remove staff and superuser; nobody changes their own flags or deactivates themselves here; and
 * the last active superuser is neither demoted nor deactivated.
 */
export function createAccountActions(deps: AccountActionsDeps) {
  const { store, accounts, sessions, passwordReset, verification, limits, audit, clock } = deps;

  /** The account, if this staff member may act on it at all. */
  async function target(context: CallerContext, userId: string, unit: UnitOfWork | Store = store) {
    const user = await unit.users.findById(userId);
    if (user === undefined) throw new GatehouseError('user_not_found', 'no such user');
    if (user.isSuperuser && !context.caller.user.isSuperuser) {
      throw new GatehouseError('forbidden', "only superusers act on a superuser's account");
    }
    return user;
  }

  function refuseSelf(context: CallerContext, user: User): void {
    if (user.id === context.caller.user.id) throw new GatehouseError('cannot_change_self', 'not on oneself');
  }

  /** In `unit`: refuses if `user` is the last active superuser, after locking the superusers' rows. */
  async function keepASuperuser(unit: UnitOfWork, user: User): Promise<void> {
    if (!user.isSuperuser || !user.isActive) return;
    const others = (await unit.users.lockActiveSuperusers()).filter((id) => id !== user.id);
    if (others.length === 0) throw new GatehouseError('last_superuser', 'the last active superuser stays');
  }

  /** The event of a staff action on `user`: the staff member as actor, with the request it came in. */
  function staffEvent(
    context: CallerContext,
    type: AuditEvent['type'],
    user: User,
    detail: AuditDetail,
  ): AuditEvent {
    return {
      type,
      userId: user.id,
      context,
      sessionId: context.caller.session.id,
      actor: { kind: 'staff', id: context.caller.user.id },
      detail,
    };
  }

  return {
    /** Deactivates the account (until a time, if given): every session ends, sign-ins are refused. */
    async deactivate(context: CallerContext, userId: string, request: DeactivationRequest): Promise<User> {
      const reason = checkedReason(request.reason, true);
      if (request.until !== undefined && !(request.until > clock.now())) {
        throwIfInvalid({ until: { code: 'invalid' } });
      }
      const until = request.until ?? null;
      return store.transaction(async (unit) => {
        const user = await target(context, userId, unit);
        refuseSelf(context, user);
        if (user.erasedAt !== null) throw new GatehouseError('account_erased', 'erased');
        await keepASuperuser(unit, user);
        const detail = { reason, until: until === null ? null : new Date(until).toISOString() };
        const event = staffEvent(context, 'deactivated', user, detail);
        return accounts.deactivateIn(unit, user, { reason, until, by: context.caller.user.id }, event);
      });
    },

    /**
     * Activates the account, however it was deactivated (by its owner too, which also stops the erasure
     * that deactivation had scheduled). An active account stays as it is, and nothing is recorded.
     */
    async activate(context: CallerContext, userId: string, reason?: string): Promise<User> {
      const given = reason === undefined ? undefined : checkedReason(reason, false);
      return store.transaction(async (unit) => {
        const user = await target(context, userId, unit);
        if (user.erasedAt !== null) throw new GatehouseError('account_erased', 'erased');
        if (user.isActive) return user;
        const activated = await reactivateIn(unit, sessions, user.id, clock.now());
        await audit.record(
          unit,
          staffEvent(context, 'activated', user, given === undefined ? {} : { reason: given }),
        );
        return activated;
      });
    },

    /** Ends every live session of the account. */
    async revokeSessions(context: CallerContext, userId: string): Promise<void> {
      await store.transaction(async (unit) => {
        const user = await target(context, userId, unit);
        await sessions.endAll(unit, user.id, 'staff');
        await audit.record(unit, staffEvent(context, 'sessions_revoked', user, {}));
      });
    },

    /** Ends one live session of the account; session_not_found for any other. */
    async revokeSession(context: CallerContext, userId: string, sessionId: string): Promise<void> {
      await store.transaction(async (unit) => {
        const user = await target(context, userId, unit);
        const session = await unit.sessions.findById(sessionId);
        if (session?.userId !== user.id || !(await sessions.endOne(unit, sessionId, 'staff'))) {
          throw new GatehouseError('session_not_found', 'no such live session of the user');
        }
        await audit.record(unit, staffEvent(context, 'session_revoked', user, { session: sessionId }));
      });
    },

    /** Mails the account a password-reset link (an active account's only: a deactivated one could not use it). */
    async mailPasswordReset(context: CallerContext, userId: string): Promise<void> {
      await store.transaction(async (unit) => {
        const user = await target(context, userId, unit);
        if (!user.isActive) throw new GatehouseError('account_inactive', 'deactivated');
        await passwordReset.mailResetLink(unit, user);
        await audit.record(unit, staffEvent(context, 'password_reset_mailed', user, {}));
      });
    },

    /** Mails the account a new verification link; already_verified when its address is. */
    async mailVerification(context: CallerContext, userId: string): Promise<void> {
      await store.transaction(async (unit) => {
        const user = await target(context, userId, unit);
        if (user.emailVerifiedAt !== null) throw new GatehouseError('already_verified', 'already verified');
        if (!user.isActive) throw new GatehouseError('account_inactive', 'deactivated');
        await verification.mailVerification(unit, user);
        await audit.record(unit, staffEvent(context, 'verification_mailed', user, {}));
      });
    },

    /**
     * Replaces the account's roles. Tokens issued from now on carry them; those already out keep theirs
     * until they expire (docs/decisions.md).
     */
    async setRoles(
      context: CallerContext,
      userId: string,
      names: readonly string[],
      reason?: string,
    ): Promise<User> {
      const normalized = normalizeRoles(names);
      const fields: FieldProblems = {};
      if (!normalized.ok) fields.roles = normalized.problem;
      const given = reason === undefined ? undefined : checkedReason(reason, false, fields);
      throwIfInvalid(fields);
      if (!normalized.ok) throw new Error('unreachable: invalid roles were refused above');
      return store.transaction(async (unit) => {
        const user = await target(context, userId, unit);
        const updated = await unit.users.setRoles(user.id, normalized.roles, clock.now());
        if (updated === undefined) throw new GatehouseError('user_not_found', 'no such user');
        sessions.userChanged(unit, user.id);
        const detail = {
          roles: updated.roles.join(' '),
          previous: user.roles.join(' '),
          ...reasonDetail(given),
        };
        await audit.record(unit, staffEvent(context, 'roles_changed', user, detail));
        return updated;
      });
    },

    /** Grants or removes staff and superuser: superusers only, never on themselves. */
    async setFlags(context: CallerContext, userId: string, changes: FlagChanges): Promise<User> {
      const fields: FieldProblems = {};
      if (changes.isStaff === undefined && changes.isSuperuser === undefined)
        fields.isStaff = { code: 'required' };
      const given = changes.reason === undefined ? undefined : checkedReason(changes.reason, false, fields);
      throwIfInvalid(fields);
      if (!context.caller.user.isSuperuser) {
        throw new GatehouseError('forbidden', 'only superusers grant or remove staff and superuser');
      }
      return store.transaction(async (unit) => {
        const user = await target(context, userId, unit);
        refuseSelf(context, user);
        if (changes.isSuperuser === false) await keepASuperuser(unit, user);
        const flags = {
          ...(changes.isStaff === undefined ? {} : { isStaff: changes.isStaff }),
          ...(changes.isSuperuser === undefined ? {} : { isSuperuser: changes.isSuperuser }),
        };
        const updated = await unit.users.update(user.id, { ...flags, updatedAt: clock.now() });
        if (!updated.ok || updated.value === undefined)
          throw new GatehouseError('user_not_found', 'no such user');
        sessions.userChanged(unit, user.id);
        const detail = {
          isStaff: updated.value.isStaff,
          isSuperuser: updated.value.isSuperuser,
          ...reasonDetail(given),
        };
        await audit.record(unit, staffEvent(context, 'flags_changed', user, detail));
        return updated.value;
      });
    },

    /**
     * Lifts the login lock on the account's email (its failure count goes). The counter is the limits'
     * (not in a unit of work): it is cleared first, and the event recorded once it is.
     */
    async clearLock(context: CallerContext, userId: string): Promise<void> {
      const user = await target(context, userId);
      const lock = await limits.loginLock(user.email);
      await limits.clearLoginFailures(user.email);
      await audit.record(store, staffEvent(context, 'lock_cleared', user, { failures: lock.failures }));
    },
  };
}

/** A reason as recorded: trimmed, required (`required`) or optional, at most maxReasonLength characters. */
function checkedReason(reason: string, required: boolean, fields: FieldProblems = {}): string {
  const trimmed = reason.trim();
  if (trimmed === '' && required) fields.reason = { code: 'blank' };
  if (codePointLength(trimmed) > maxReasonLength) fields.reason = { code: 'too_long', max: maxReasonLength };
  throwIfInvalid(fields);
  return trimmed;
}

function reasonDetail(reason: string | undefined): AuditDetail {
  return reason === undefined || reason === '' ? {} : { reason };
}
