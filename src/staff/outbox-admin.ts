import type { AuditTrail } from '../audit/audit-trail.ts';
import type { Clock } from '../clock.ts';
import type { CallerContext } from '../context.ts';
import { GatehouseError, throwIfInvalid } from '../errors.ts';
import { decodeCursor, encodeCursor } from '../sessions/session-cursor.ts';
import type { OutboxEntry } from '../store/outbox-repository.ts';
import type { Store } from '../store/store.ts';
import type { MailState } from '../store/tables.ts';

export type { OutboxEntry };

/** Mails per page of the staff's outbox list: when the caller names no size, and the most a page holds. */
export const outboxPageSize = { default: 50, max: 100 } as const;

export interface OutboxPage {
  mails: OutboxEntry[];
  /** the cursor of the next page; null on the last */
  nextCursor: string | null;
}

export interface OutboxAdminDeps {
  store: Pick<Store, 'outbox' | 'transaction'>;
  audit: Pick<AuditTrail, 'record'>;
  clock: Clock;
  /** tells this instance's relay that a mail is due now, rather than at its next poll */
  wakeRelay: () => void;
}

export type OutboxAdmin = ReturnType<typeof createOutboxAdmin>;

/** The mail outbox as staff see it: what waits, what went, what failed and why; and a second chance. */
export function createOutboxAdmin({ store, audit, clock, wakeRelay }: OutboxAdminDeps) {
  return {
    /** One page of the mails (in `state`, when given), newest first, after the mail `cursor` names. */
    async page(
      state: MailState | undefined,
      {
        limit: asked = outboxPageSize.default,
        cursor,
      }: { limit?: number | undefined; cursor?: string | undefined },
    ): Promise<OutboxPage> {
      const after = cursor === undefined ? undefined : decodeCursor(cursor);
      throwIfInvalid({
        ...(Number.isSafeInteger(asked) && asked >= 1 ? {} : { limit: { code: 'invalid' } }),
        ...(cursor !== undefined && after === undefined ? { cursor: { code: 'invalid' } } : {}),
      });
      // more than a page holds is capped, not refused (the contract's "`?limit=` capped")
      const limit = Math.min(asked, outboxPageSize.max);
      const found = await store.outbox.list(state, { limit: limit + 1, after });
      const mails = found.slice(0, limit);
      const last = mails.at(-1);
      return { mails, nextCursor: found.length > limit && last !== undefined ? encodeCursor(last) : null };
    },

    /**
     * Puts a failed mail back in the queue for the relay, with its attempts counted afresh, recorded in
     * the audit log with the staff member who asked, in one unit of work. mail_not_found for an unknown
     * mail, not_failed for one that is queued or sent (nothing changes then).
     */
    async retry(context: CallerContext, id: string): Promise<OutboxEntry> {
      const mail = await store.transaction(async (unit) => {
        const requeued = await unit.outbox.requeueFailed(id, clock.now());
        if (requeued === undefined) {
          const existing = await unit.outbox.findById(id);
          throw existing === undefined
            ? new GatehouseError('mail_not_found', 'no such mail')
            : new GatehouseError('not_failed', `the mail is ${existing.state}, not failed`);
        }
        await audit.record(unit, {
          type: 'mail_retried',
          context,
          actor: { kind: 'staff', id: context.caller.user.id },
          detail: { mail: requeued.id, kind: requeued.kind, to: requeued.recipient },
        });
        unit.afterCommit(wakeRelay);
        return requeued;
      });
      return mail;
    },
  };
}
