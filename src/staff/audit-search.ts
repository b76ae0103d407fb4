import { throwIfInvalid, type FieldProblems } from '../errors.ts';
import { decodeCursor, encodeCursor } from '../sessions/session-cursor.ts';
import type { AuditFilter, AuditRecord, AuditRepository } from '../store/audit-repository.ts';

/** Events per page of the staff's audit log: when the caller names no size, and the most a page holds. */
export const auditPageSize = { default: 50, max: 100 } as const;

export type { AuditFilter, AuditRecord };

// Events read per query while exporting: large enough that the round trips do not dominate, small enough
// that memory stays flat however large the log.
const exportBatch = 500;

export interface AuditPage {
  events: AuditRecord[];
  /** the cursor of the next page; null on the last */
  nextCursor: string | null;
}

export interface AuditSearchDeps {
  events: Pick<AuditRepository, 'search'>;
}

export type AuditSearch = ReturnType<typeof createAuditSearch>;

/** Refuses a time range that ends before it begins; every other filter is checked at the edge. */
function checkRange(filter: AuditFilter): FieldProblems {
  const { since, until } = filter;
  return since !== undefined && until !== undefined && until <= since ? { until: { code: 'invalid' } } : {};
}

/** The whole audit log as staff read it: filtered, newest first, a page at a time or all of it. */
export function createAuditSearch({ events }: AuditSearchDeps) {
  return {
    /**
     * One page of the events matching `filter`, newest first, after the event `cursor` names: events
     * written meanwhile never move the next page, and none is skipped or repeated.
     */
    async page(
      filter: AuditFilter,
      {
        limit: asked = auditPageSize.default,
        cursor,
      }: { limit?: number | undefined; cursor?: string | undefined },
    ): Promise<AuditPage> {
      const after = cursor === undefined ? undefined : decodeCursor(cursor);
      throwIfInvalid({
        ...checkRange(filter),
        ...(Number.isSafeInteger(asked) && asked >= 1 ? {} : { limit: { code: 'invalid' } }),
        ...(cursor !== undefined && after === undefined ? { cursor: { code: 'invalid' } } : {}),
      });
      // more than a page holds is capped, not refused (the contract's "`?limit=` capped")
      const limit = Math.min(asked, auditPageSize.max);
      // one more than the page, to know whether another follows
      const found = await events.search(filter, { limit: limit + 1, after });
      const page = found.slice(0, limit);
      const last = page.at(-1);
      return {
        events: page,
        nextCursor: found.length > limit && last !== undefined ? encodeCursor(last) : null,
      };
    },

    /**
     * Every event matching `filter`, newest first, in batches read one after the other as the consumer
     * takes them; the filter is checked before the first batch is read.
     */
    all(filter: AuditFilter): AsyncGenerator<AuditRecord[]> {
      throwIfInvalid(checkRange(filter));
      return (async function* batches() {
        let after: AuditRecord | undefined;
        for (;;) {
          const batch = await events.search(filter, { limit: exportBatch, after });
          if (batch.length > 0) yield batch;
          if (batch.length < exportBatch) return;
          after = batch.at(-1);
        }
      })();
    },
  };
}
