import type { Executor } from './executor.ts';

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

export interface AuditRepository {
  insert(record: AuditRecord): Promise<void>;
  /** The user's events of these types (of every type when `types` is undefined), newest first. */
  listForUser(userId: string, types: readonly string[] | undefined, limit: number): Promise<AuditRecord[]>;
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
      return rows.map((row) => ({
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
      }));
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
