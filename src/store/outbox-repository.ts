import { sql } from 'kysely';
import type { Executor } from './executor.ts';
import type { MailOutboxRow, MailState } from './tables.ts';

export interface NewMail {
  id: string;
  kind: string;
  recipient: string;
  /** what the mail says, already sealed by the caller */
  payloadSealed: string;
  createdAt: number;
}

/** A queued mail a relay has claimed: it alone sends it until `claimedUntil`. */
export interface ClaimedMail {
  id: string;
  kind: string;
  recipient: string;
  payloadSealed: string | null;
  /** attempts made before this one */
  attempts: number;
  claimedUntil: number;
}

/** An outbox row as it stands, for whoever reads the outbox (the tests, the staff API). */
export interface OutboxEntry {
  id: string;
  kind: string;
  recipient: string;
  state: MailState;
  attempts: number;
  nextAttemptAt: number;
  lastError: string | null;
  createdAt: number;
  sentAt: number | null;
  /** whether what the mail says is still stored (it is erased once the mail is finished) */
  hasPayload: boolean;
}

export interface OutboxRepository {
  /** Queues a mail, due at once. */
  insert(mail: NewMail): Promise<void>;
  /**
   * Claims up to `limit` queued mails due at `now` that no live lease holds, leasing them until `until`:
   * however many relays claim at once, each mail goes to one.
   */
  claimDue(now: number, until: number, limit: number): Promise<ClaimedMail[]>;
  /** The SMTP server took the mail: sent, its payload erased. */
  markSent(id: string, at: number): Promise<void>;
  /**
   * One more attempt failed with `reason`: the mail waits until `retryAt`, or, when that is undefined, is
   * given up on (failed; its sealed payload stays until the mail is pruned, so that staff can retry it).
   */
  recordFailure(id: string, reason: string, retryAt: number | undefined): Promise<void>;
  /** Gives claimed mails back unattempted, due as they were. */
  release(ids: readonly string[]): Promise<void>;
  /** Mails waiting to be sent: the outbox's depth. */
  countQueued(): Promise<number>;
  /** Deletes sent and failed mails created before `cutoff`; returns how many. */
  deleteFinishedBefore(cutoff: number): Promise<number>;
  findById(id: string): Promise<OutboxEntry | undefined>;
  /** Up to `limit` mails (in `state`, when given), newest first, after `after`. */
  list(
    state: MailState | undefined,
    page: { limit: number; after?: OutboxPosition | undefined },
  ): Promise<OutboxEntry[]>;
  /**
   * Puts a failed mail back in the queue, due at `now` with no attempts made; undefined when no failed
   * mail has that id (unknown, or not failed: nothing changes then).
   */
  requeueFailed(id: string, now: number): Promise<OutboxEntry | undefined>;
}

/** A mail's place in the outbox list, newest first: where the next page starts (after it). */
export interface OutboxPosition {
  createdAt: number;
  id: string;
}

/** The `mail_outbox` table over an executor: the database, or a unit of work's transaction. */
export function createOutboxRepository({ db, dialect }: Executor): OutboxRepository {
  return {
    async insert(mail) {
      // SQL text rather than the builder: a queued mail is written inside the request's own unit of work,
      // and building this statement took the builder longer than running it
      await sql`
        insert into mail_outbox (id, kind, recipient, payload_sealed, state, attempts, next_attempt_at,
          claimed_until, last_error, created_at, sent_at)
        values (${mail.id}, ${mail.kind}, ${mail.recipient}, ${mail.payloadSealed}, 'queued', 0,
          ${mail.createdAt}, null, null, ${mail.createdAt}, null)`.execute(db);
    },

    async claimDue(now, until, limit) {
      // PostgreSQL: rows another relay is claiming right now are skipped rather than waited for. The
      // outer conditions repeat the inner ones because PostgreSQL re-reads them on a row that changed
      // under the statement: a row claimed meanwhile is left alone, never claimed twice. SQLite has one
      // writer at a time, so the statement sees no concurrent claim.
      const lockClause = dialect === 'postgres' ? sql`for update skip locked` : sql``;
      const { rows } = await sql<MailOutboxRow>`
        update mail_outbox set claimed_until = ${until}
        where id in (
          select id from mail_outbox
          where state = 'queued' and next_attempt_at <= ${now}
            and (claimed_until is null or claimed_until < ${now})
          order by next_attempt_at
          limit ${limit}
          ${lockClause}
        )
          and state = 'queued' and (claimed_until is null or claimed_until < ${now})
        returning *`.execute(db);
      return rows.map((row) => ({
        id: row.id,
        kind: row.kind,
        recipient: row.recipient,
        payloadSealed: row.payload_sealed,
        attempts: row.attempts,
        claimedUntil: Number(row.claimed_until),
      }));
    },

    async markSent(id, at) {
      // once per mail sent, on the relay's path between two sends: SQL text, as the insert
      await sql`
        update mail_outbox set state = 'sent', sent_at = ${at}, attempts = attempts + 1,
          payload_sealed = null, claimed_until = null, last_error = null
        where id = ${id} and state = 'queued'`.execute(db);
    },

    async recordFailure(id, reason, retryAt) {
      await db
        .updateTable('mail_outbox')
        .set((eb) => ({
          attempts: eb('attempts', '+', 1),
          last_error: reason,
          claimed_until: null,
          ...(retryAt === undefined ? { state: 'failed' as const } : { next_attempt_at: retryAt }),
        }))
        .where('id', '=', id)
        .where('state', '=', 'queued')
        .execute();
    },

    async release(ids) {
      if (ids.length === 0) return;
      await db
        .updateTable('mail_outbox')
        .set({ claimed_until: null })
        .where('id', 'in', ids)
        .where('state', '=', 'queued')
        .execute();
    },

    async countQueued() {
      const row = await db
        .selectFrom('mail_outbox')
        .select((eb) => eb.fn.countAll<number | string>().as('count'))
        .where('state', '=', 'queued')
        .executeTakeFirstOrThrow();
      return Number(row.count);
    },

    async deleteFinishedBefore(cutoff) {
      const result = await db
        .deleteFrom('mail_outbox')
        .where('created_at', '<', cutoff)
        .where('state', 'in', ['sent', 'failed'])
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    },

    async findById(id) {
      const row = await db.selectFrom('mail_outbox').selectAll().where('id', '=', id).executeTakeFirst();
      return row && toEntry(row);
    },

    async list(state, { limit, after }) {
      let query = db.selectFrom('mail_outbox').selectAll();
      if (state !== undefined) query = query.where('state', '=', state);
      if (after !== undefined) {
        // as the audit log's pages: a plain bound to seek the index by, then the tie on the id
        query = query
          .where('created_at', '<=', after.createdAt)
          .where((eb) => eb.or([eb('created_at', '<', after.createdAt), eb('id', '<', after.id)]));
      }
      const rows = await query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
      return rows.map(toEntry);
    },

    async requeueFailed(id, now) {
      // compare-and-set: of two retries at once, one finds the mail failed; the relay never claims a
      // failed mail, so nothing else writes the row meanwhile
      const row = await db
        .updateTable('mail_outbox')
        .set({ state: 'queued', attempts: 0, next_attempt_at: now, claimed_until: null, last_error: null })
        .where('id', '=', id)
        .where('state', '=', 'failed')
        .returningAll()
        .executeTakeFirst();
      return row && toEntry(row);
    },
  };
}

function toEntry(row: MailOutboxRow): OutboxEntry {
  return {
    id: row.id,
    kind: row.kind,
    recipient: row.recipient,
    state: row.state,
    attempts: row.attempts,
    nextAttemptAt: row.next_attempt_at,
    lastError: row.last_error,
    createdAt: row.created_at,
    sentAt: row.sent_at,
    hasPayload: row.payload_sealed !== null,
  };
}
