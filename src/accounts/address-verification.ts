import type { AuditTrail } from '../audit/audit-trail.ts';
import type { Clock } from '../clock.ts';
import type { RequestContext } from '../context.ts';
import { GatehouseError } from '../errors.ts';
import type { TokenPurpose } from '../store/one-time-token-repository.ts';
import type { Store, UnitOfWork } from '../store/store.ts';
import type { User } from '../store/user-repository.ts';
import {
  addressAskedFor,
  decodeUid,
  hashToken,
  mailedToCurrentAddress,
  mailNewToken,
  tokenRefused,
} from './one-time-tokens.ts';
import type { MailPort, SessionPort } from './ports.ts';
import { sameAddress, taken } from './user-fields.ts';

export interface AddressVerificationDeps {
  store: Store;
  mail: MailPort;
  sessions: Pick<SessionPort, 'userChanged'>;
  /** counts a mail to an address; false when it has had its share and none may go out */
  admitMail: (address: string) => Promise<boolean>;
  audit: AuditTrail;
  clock: Clock;
  /** how long a verification (or new-address) token stays usable, ms */
  tokenTtl: number;
}

export type AddressVerification = ReturnType<typeof createAddressVerification>;

// The purposes a token confirming an address may have: a new account's address, or a changed one.
const addressPurposes: readonly TokenPurpose[] = ['verify-email', 'email-change'];

/**
 * Proving that a person reads the mail of their address: a token mailed there, confirmed through a link.
 * Every answer to a request for a mail is the same whether or not the address has an account.
 */
export function createAddressVerification(deps: AddressVerificationDeps) {
  const { store, mail, sessions, admitMail, audit, clock, tokenTtl } = deps;

  const mailToken = (
    unit: UnitOfWork,
    user: User,
    purpose: 'verify-email' | 'email-change',
    email: string,
  ): Promise<void> => mailNewToken(unit, mail, { user, purpose, email, now: clock.now(), ttl: tokenTtl });

  /** Marks the address a consumed token was mailed to as verified, in `unit`. */
  async function confirmIn(
    unit: UnitOfWork,
    consumed: { userId: string; purpose: TokenPurpose; email: string },
    context: RequestContext,
  ) {
    const { userId, purpose, email } = consumed;
    const user = await unit.users.findById(userId);
    // a deactivated account, or a token for an address the account has since left, confirms nothing
    if (user?.isActive !== true) return undefined;
    if (purpose === 'verify-email' && (user.email === null || !sameAddress(user.email, email)))
      return undefined;
    const updated = await unit.users.update(user.id, {
      ...(purpose === 'email-change' ? { email } : {}),
      emailVerifiedAt: clock.now(),
      updatedAt: clock.now(),
    });
    if (!updated.ok) {
      throw new GatehouseError('validation_failed', 'address taken meanwhile', { fields: { email: taken } });
    }
    sessions.userChanged(unit, user.id);
    // the address the account leaves is told, with no token: a change its owner did not make shows
    if (purpose === 'email-change' && user.email !== null) {
      await mail.queue(unit, { kind: 'email-changed', to: user.email, newEmail: email });
    }
    await audit.record(unit, {
      type: purpose === 'email-change' ? 'email_change_confirmed' : 'email_verified',
      userId: user.id,
      context,
      detail: purpose === 'email-change' ? { from: user.email, to: email } : { email },
    });
    return updated.value;
  }

  return {
    /**
     * Queues, in `unit`, a verification mail to the user's address (a new account's, or a changed one);
     * an account without an address has nothing to verify.
     */
    mailVerification: async (unit: UnitOfWork, user: User): Promise<void> => {
      if (user.email !== null) await mailToken(unit, user, 'verify-email', user.email);
    },

    /** Queues, in `unit`, a token to confirm `email` as the user's new address. */
    mailNewAddress: (unit: UnitOfWork, user: User, email: string): Promise<void> =>
      mailToken(unit, user, 'email-change', email),

    /**
     * Mails a new verification token to `email` if it belongs to an active account not yet verified, and
     * the address has mails left this hour. Answers the same in every case.
     */
    async resend(email: string): Promise<void> {
      const address = addressAskedFor(email);
      if (!(await admitMail(address))) return;
      await store.transaction(async (unit) => {
        const user = await unit.users.findByEmail(address);
        if (user?.isActive !== true || user.emailVerifiedAt !== null) return;
        await mailToken(unit, user, 'verify-email', user.email ?? address);
      });
    },

    /**
     * Confirms the address a token was mailed to: a new account's, or the new address of a change, which
     * then becomes the account's. Forged, expired, used, superseded and wrong-purpose tokens are alike
     * refused, and change nothing.
     */
    async confirm(token: string, context: RequestContext): Promise<User> {
      const user = await store.transaction(async (unit) => {
        const consumed = await unit.oneTimeTokens.consume(hashToken(token), clock.now(), addressPurposes);
        if (consumed === undefined) return undefined;
        const confirmed = await confirmIn(unit, consumed, context);
        // roll back the use: a token that confirmed nothing is refused, and stays as it was
        if (confirmed === undefined) throw tokenRefused();
        return confirmed;
      });
      if (user === undefined) throw tokenRefused();
      return user;
    },

    /**
     * djoser's `activation/`: `uid` names the account, `token` must be its verification token, and only
     * then may its address already be verified (djoser's "stale token"). A token is checked first, as
     * djoser's serializer checks it, so that a uid alone tells nobody whether the address is verified.
     */
    async activate(uid: string, token: string, context: RequestContext): Promise<void> {
      const userId = decodeUid(uid);
      const user = userId === undefined ? undefined : await store.users.findById(userId);
      if (user === undefined) throw tokenRefused('uid');
      const tokenHash = hashToken(token);
      if (user.emailVerifiedAt !== null) {
        // stale only for a token that is genuinely this address's: still live, or spent verifying it
        const issued = await store.oneTimeTokens.findIssued(tokenHash, clock.now(), 'verify-email', user.id);
        if (issued === undefined || !mailedToCurrentAddress(issued, user)) throw tokenRefused();
        throw new GatehouseError('already_verified', 'already verified');
      }
      await store.transaction(async (unit) => {
        const consumed = await unit.oneTimeTokens.consume(tokenHash, clock.now(), ['verify-email'], user.id);
        if (consumed === undefined) throw tokenRefused();
        if ((await confirmIn(unit, consumed, context)) === undefined) throw tokenRefused();
      });
    },
  };
}
