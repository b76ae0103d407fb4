import type { SessionPort } from '../accounts/ports.ts';
import type { AuditTrail } from '../audit/audit-trail.ts';
import type { Clock } from '../clock.ts';
import { GatehouseError } from '../errors.ts';
import type { Store, UnitOfWork } from '../store/store.ts';
import type { User } from '../store/user-repository.ts';
import { periodicWorker, type Worker } from '../worker.ts';

/**
 * In `unit`: the account is active again and its deactivation forgotten (with it the erasure a
 * deactivation schedules); cached copies go on every instance after the commit.
 */
export async function reactivateIn(
  unit: UnitOfWork,
  sessions: Pick<SessionPort, 'userChanged'>,
  userId: string,
  now: number,
): Promise<User> {
  const updated = await unit.users.update(userId, {
    isActive: true,
    deactivatedAt: null,
    deactivationReason: null,
    deactivatedUntil: null,
    deactivatedBy: null,
    updatedAt: now,
  });
  if (!updated.ok || updated.value === undefined) throw new GatehouseError('user_not_found', 'no such user');
  sessions.userChanged(unit, userId);
  return updated.value;
}

export interface ScheduledReactivationDeps {
  store: Store;
  sessions: Pick<SessionPort, 'userChanged'>;
  audit: AuditTrail;
  clock: Clock;
  /** told when a round failed; the next round tries again */
  onFailure: (error: unknown) => void;
}

/** How often deactivations that have ended are looked for: an account reactivates at most this late. */
const reactivationInterval = 60_000;
const batchSize = 100;

/**
 * Reactivates the accounts staff deactivated until a time that has come, each in a unit of its own with
 * its `reactivated` event (actor: the system). A worker, so an account is active again within a minute of
 * its `until` whether or not anyone tries to sign in, and the staff's list shows it so.
 */
export function createScheduledReactivation(
  deps: ScheduledReactivationDeps,
): Worker & { reactivateDue(): Promise<number> } {
  const { store, sessions, audit, clock, onFailure } = deps;

  async function reactivateOne(userId: string): Promise<void> {
    await store.transaction(async (unit) => {
      const user = await unit.users.findById(userId);
      const now = clock.now();
      // activated, or deactivated anew, since it was found: nothing is due
      if (
        user === undefined ||
        user.isActive ||
        user.deactivatedUntil === null ||
        user.deactivatedUntil > now
      )
        return;
      await reactivateIn(unit, sessions, userId, now);
      const until = new Date(user.deactivatedUntil).toISOString();
      await audit.record(unit, { type: 'reactivated', userId, detail: { until } });
    });
  }

  /** Reactivates every account that is due now; how many. */
  async function reactivateDue(): Promise<number> {
    let reactivated = 0;
    for (;;) {
      const due = await store.users.findReactivatableAt(clock.now(), batchSize);
      for (const userId of due) await reactivateOne(userId);
      reactivated += due.length;
      if (due.length < batchSize) return reactivated;
    }
  }

  return {
    ...periodicWorker('scheduled-reactivation', reactivationInterval, reactivateDue, onFailure),
    reactivateDue,
  };
}
