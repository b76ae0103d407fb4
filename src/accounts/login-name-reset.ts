import { foldCase } from '../case-fold.ts';
import type { AuditTrail } from '../audit/audit-trail.ts';
import type { Clock } from '../clock.ts';
import type { RequestContext } from '../context.ts';
import { GatehouseError, throwIfInvalid, type FieldProblems } from '../errors.ts';
import type { Store } from '../store/store.ts';
import type { UserChanges } from '../store/user-repository.ts';
import type { AddressVerification } from './address-verification.ts';
import {
  addressAskedFor,
  decodeUid,
  hashToken,
  mailedToCurrentAddress,
  mailNewToken,
  tokenRefused,
} from './one-time-tokens.ts';
import type { AttemptLimits, MailPort, SessionPort } from './ports.ts';
import {
  checkEmail,
  checkUsername,
  normalizeEmail,
  normalizeUsername,
  sameAddress,
  taken,
} from './user-fields.ts';

export interface LoginNameResetDeps {
  store: Store;
  mail: MailPort;
  sessions: Pick<SessionPort, 'userChanged'>;
  limits: Pick<AttemptLimits, 'admitMail'>;
  verification: Pick<AddressVerification, 'mailVerification'>;
  audit: AuditTrail;
  clock: Clock;
  /** how long the link stays usable, ms (the password-reset lifetime: it is as much a way in) */
  tokenTtl: number;
}

/** A confirmation as djoser's reset_<field>_confirm/ hands it over; `value` is the new login name. */
export interface LoginNameConfirmation {
  uid: string;
  token: string;
  field: 'email' | 'username';
  value: string;
}

export type LoginNameReset = ReturnType<typeof createLoginNameReset>;

/**
 * djoser's reset_username/ (reset_email/ when the email is the login field): a token mailed to the
 * account's address lets its owner choose a new login name. Asking answers the same whether or not the
 * address has an account, and counts against the address's mails like every "mail me" request.
 */
export function createLoginNameReset(deps: LoginNameResetDeps) {
  const { store, mail, sessions, limits, verification, audit, clock, tokenTtl } = deps;
  return {
    async request(email: string): Promise<void> {
      const address = addressAskedFor(email);
      if (!(await limits.admitMail(address))) return;
      await store.transaction(async (unit) => {
        const user = await unit.users.findByEmail(address);
        if (user?.isActive !== true) return;
        const token = { user, purpose: 'login-name-reset' as const, email: user.email ?? address };
        await mailNewToken(unit, mail, { ...token, now: clock.now(), ttl: tokenTtl });
      });
    },

    /**
     * Sets the new login name if the token is this account's live one. A refused name spends nothing, so
     * the same link can be tried again; a new email takes effect at once, unverified, and is mailed.
     */
    async confirm(input: LoginNameConfirmation, context: RequestContext): Promise<void> {
      const tokenHash = hashToken(input.token);
      const userId = decodeUid(input.uid);
      const user = userId === undefined ? undefined : await store.users.findById(userId);
      if (user === undefined) throw tokenRefused('uid');
      const found = await store.oneTimeTokens.findUsable(tokenHash, clock.now(), 'login-name-reset');
      if (
        found === undefined ||
        found.userId !== user.id ||
        !user.isActive ||
        !mailedToCurrentAddress(found, user)
      )
        throw tokenRefused();

      const fields: FieldProblems = {};
      const changes: UserChanges = { updatedAt: clock.now() };
      if (input.field === 'username') {
        const username = normalizeUsername(input.value);
        const problem = checkUsername(username);
        if (problem !== undefined) fields.username = problem;
        else if (
          foldCase(username) !== foldCase(user.username) &&
          (await store.users.findByUsername(username))
        )
          fields.username = taken;
        changes.username = username;
      } else {
        const email = normalizeEmail(input.value);
        const problem = checkEmail(email);
        if (problem !== undefined) fields.email = problem;
        else if (
          !(user.email !== null && sameAddress(email, user.email)) &&
          (await store.users.findByEmail(email))
        )
          fields.email = taken;
        changes.email = email;
        if (user.email === null || !sameAddress(email, user.email)) changes.emailVerifiedAt = null;
      }
      throwIfInvalid(fields);

      await store.transaction(async (unit) => {
        const used = await unit.oneTimeTokens.consume(tokenHash, clock.now(), ['login-name-reset'], user.id);
        if (used === undefined) throw tokenRefused();
        const updated = await unit.users.update(user.id, changes);
        // the unique indexes settle a race the look-ups above could not see
        if (!updated.ok) {
          throw new GatehouseError('validation_failed', 'taken meanwhile', {
            fields: { [updated.taken]: taken },
          });
        }
        if (updated.value === undefined) throw tokenRefused();
        sessions.userChanged(unit, user.id);
        if (changes.emailVerifiedAt === null) {
          await verification.mailVerification(unit, updated.value);
          await audit.record(unit, {
            type: 'email_change_confirmed',
            userId: user.id,
            context,
            detail: { from: user.email, to: updated.value.email },
          });
        }
      });
    },
  };
}
