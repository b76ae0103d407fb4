import { sql } from 'kysely';
import type { Executor } from './executor.ts';
import type { AuditEventsTable } from './tables.ts';

/** Who made a change: the account's owner, a staff member, or Gatehouse itself (a timer, the CLI). */
export type AuditActor = 'self' | 'staff' | 'system';

export interface AuditRecord {
  id: string;
  type: string;
  userId: string | null;
  actor: AuditActor;
  actorId: string | null;
  sessionId: string | null;
  ip: string | null;
  userAgent: string | null;
  requestId: string | null;
  detail: Record<string, unknown>;
  createdAt: number;
}

/** Which events a search returns; every condition given must hold. Times are epoch ms, `until` excluded. */
export interface AuditFilter {
  userId?: string | undefined;
  type?: string | undefined;
  actorId?: string | undefined;
  since?: number | undefined;
  until?: number | undefined;
}

/** An event's place in the log, newest first: where the next page starts (after it). */
export interface AuditPosition {
  createdAt: number;
  id: string;
}

/** The UTC spans activity is counted in, numbered from the epoch: day 0 is 1970-01-01, hour 0 its first. */
export type TimeBucket = 'day' | 'hour';

/** How many events of one type fell in one day or hour (its number since the epoch). */
export interface BucketCount {
  bucket: number;
  type: string;
  count: number;
}

/** Each span's length in ms. */
export const bucketMs = { day: 86_400_000, hour: 3_600_000 } as const satisfies Record<TimeBucket, number>;

// Where each size's kept counts live, and the column that numbers its buckets.
const keptCounts = {
  day: { table: 'audit_daily_counts', column: 'day' },
  hour: { table: 'audit_hourly_counts', column: 'hour' },
} as const satisfies Record<TimeBucket, { table: string; column: string }>;

export interface AuditRepository {
  insert(record: AuditRecord): Promise<void>;
  /** The user's events of these types (of every type when `types` is undefined), newest first. */
  listForUser(userId: string, types: readonly string[] | undefined, limit: number): Promise<AuditRecord[]>;
  /**
   * Up to `limit` events matching `filter`, newest first, after `after`: an event written since the
   * previous page sorts before it, so pages never shift while the log grows.
   */
  search(
    filter: AuditFilter,
    page: { limit: number; after?: AuditPosition | undefined },
  ): Promise<AuditRecord[]>;
  /** Events of these types from `from` to before `to` (epoch ms), counted per type and UTC day or hour. */
  countPer(size: TimeBucket, types: readonly string[], from: number, to: number): Promise<BucketCount[]>;
  /** The kept counts of the days or hours numbered `first` to `last` (both included). */
  findKeptCounts(size: TimeBucket, first: number, last: number): Promise<BucketCount[]>;
  /** Keeps counts of settled days or hours; a count already kept (another instance's) stays as it is. */
  keepCounts(size: TimeBucket, counts: readonly BucketCount[]): Promise<void>;
  /** Deletes the kept counts of the hours before `hour` (hours since the epoch). */
  deleteHourlyCountsBefore(hour: number): Promise<void>;
  /** Deletes up to `limit` events older than `cutoff`; returns how many went. */
  deleteOlderThan(cutoff: number, limit: number): Promise<number>;
}

export function createAuditRepository({ db }: Executor): AuditRepository {
  return {
    async insert(record) {
      await db
        .insertInto('audit_events')
        .values({
          id: record.id,
          type: record.type,
          user_id: record.userId,
          actor: record.actor,
          actor_id: record.actorId,
          session_id: record.sessionId,
          ip: record.ip,
          user_agent: record.userAgent,
          request_id: record.requestId,
          detail: JSON.stringify(record.detail),
          created_at: record.createdAt,
        })
        .execute();
    },

    async listForUser(userId, types, limit) {
      let query = db.selectFrom('audit_events').selectAll().where('user_id', '=', userId);
      if (types !== undefined) query = query.where('type', 'in', types);
      const rows = await query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
      return rows.map(toRecord);
    },

    async search(filter, { limit, after }) {
      let query = db.selectFrom('audit_events').selectAll();
      if (filter.userId !== undefined) query = query.where('user_id', '=', filter.userId);
      if (filter.type !== undefined) query = query.where('type', '=', filter.type);
      if (filter.actorId !== undefined) query = query.where('actor_id', '=', filter.actorId);
      if (filter.since !== undefined) query = query.where('created_at', '>=', filter.since);
      if (filter.until !== undefined) query = query.where('created_at', '<', filter.until);
      if (after !== undefined) {
        // the plain bound lets either database seek its index to the page's start; the rest breaks ties
        query = query
          .where('created_at', '<=', after.createdAt)
          .where((eb) => eb.or([eb('created_at', '<', after.createdAt), eb('id', '<', after.id)]));
      }
      const rows = await query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
      return rows.map(toRecord);
    },

    async countPer(size, types, from, to) {
      // created_at is a whole number of ms on both databases, so integer division buckets alike on each
      const bucket = sql<number | string>`created_at / ${sql.lit(bucketMs[size])}`;
      const rows = await db
        .selectFrom('audit_events')
        .select((eb) => ['type', bucket.as('bucket'), eb.fn.countAll<number | string>().as('count')])
        .where('type', 'in', types)
        .where('created_at', '>=', from)
        .where('created_at', '<', to)
        .groupBy(['type', bucket])
        .execute();
      return rows.map((row) => ({ type: row.type, bucket: Number(row.bucket), count: Number(row.count) }));
    },

    async findKeptCounts(size, first, last) {
      const { table, column } = keptCounts[size];
      return db
        .selectFrom(table)
        .select((eb) => [eb.ref(column).as('bucket'), 'type', 'count'])
        .where(column, '>=', first)
        .where(column, '<=', last)
        .execute();
    },

    async keepCounts(size, counts) {
      const { table, column } = keptCounts[size];
      const rows = counts.map(({ bucket, type, count }) => ({ [column]: bucket, type, count }));
      // a year of days or a day of hours at most, four types each: well under SQLite's limit of bound values
      // per statement
      for (let start = 0; start < rows.length; start += 1000) {
        await db
          .insertInto(table)
          .values(rows.slice(start, start + 1000))
          .onConflict((conflict) => conflict.columns([column, 'type']).doNothing())
          .execute();
      }
    },

    async deleteHourlyCountsBefore(hour) {
      await db.deleteFrom('audit_hourly_counts').where('hour', '<', hour).execute();
    },

    async deleteOlderThan(cutoff, limit) {
      // a batch at a time, so that pruning a large backlog never holds a long lock
      const doomed = db
        .selectFrom('audit_events')
        .select('id')
        .where('created_at', '<', cutoff)
        .orderBy('created_at')
        .limit(limit);
      const result = await db.deleteFrom('audit_events').where('id', 'in', doomed).executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}

function toRecord(row: AuditEventsTable): AuditRecord {
  return {
    id: row.id,
    type: row.type,
    userId: row.user_id,
    actor: row.actor as AuditActor,
    actorId: row.actor_id,
    sessionId: row.session_id,
    ip: row.ip,
    userAgent: row.user_agent,
    requestId: row.request_id,
    detail: JSON.parse(row.detail) as Record<string, unknown>,
    createdAt: row.created_at,
  };
}
