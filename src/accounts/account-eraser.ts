import type { AuditTrail } from '../audit/audit-trail.ts';
import type { Clock } from '../clock.ts';
import type { Store } from '../store/store.ts';
import { periodicWorker, type Worker } from '../worker.ts';
import type { SessionPort } from './ports.ts';

export interface AccountEraserDeps {
  store: Store;
  sessions: Pick<SessionPort, 'userChanged'>;
  audit: AuditTrail;
  clock: Clock;
  /** ERASE_DEACTIVATED_AFTER, ms; 0: never */
  eraseAfter: number;
  /** told when a round failed; the next round tries again */
  onFailure: (error: unknown) => void;
}

// Hourly is plenty for a delay counted in days; each account is erased in a unit of its own.
const interval = 3_600_000;
const batchSize = 100;

/**
 * Erases the personal data of accounts deactivated ERASE_DEACTIVATED_AFTER ago: the address, name, bio,
 * image and password hash go, with every session and mailed token. The row stays, under its id, with
 * placeholders that are unique and that no address or name a person can register matches, so that the
 * audit log's events keep pointing at something.
 */
export function createAccountEraser(deps: AccountEraserDeps): Worker & { eraseDue(): Promise<number> } {
  const { store, sessions, audit, clock, eraseAfter, onFailure } = deps;

  async function erase(userId: string): Promise<void> {
    const now = clock.now();
    await store.transaction(async (unit) => {
      await unit.users.update(userId, {
        // `.invalid` is reserved (RFC 2606): no mail can ever reach it, and no sign-up can claim it
        email: `erased-${userId}@erased.invalid`,
        username: `erased-${userId}`,
        passwordHash: '',
        bio: null,
        image: null,
        firstName: null,
        lastName: null,
        emailVerifiedAt: null,
        erasedAt: now,
        updatedAt: now,
      });
      await unit.sessions.deleteAllOfUser(userId);
      await unit.oneTimeTokens.deleteAllOfUser(userId);
      sessions.userChanged(unit, userId);
      await audit.record(unit, { type: 'erased', userId });
    });
  }

  /** Erases every account that is due now; how many. */
  async function eraseDue(): Promise<number> {
    let erased = 0;
    for (;;) {
      const due = await store.users.findErasableBefore(clock.now() - eraseAfter, batchSize);
      for (const userId of due) await erase(userId);
      erased += due.length;
      if (due.length < batchSize) return erased;
    }
  }

  const worker = periodicWorker('account-eraser', interval, eraseDue, onFailure);
  return {
    ...worker,
    eraseDue,
    start() {
      if (eraseAfter !== 0) worker.start();
    },
  };
}
