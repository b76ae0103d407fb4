import { randomUUID } from 'node:crypto';
import type { Database } from '../../src/store/database.ts';

/** An audit event as a test writes it straight into the log: only what the test cares about. */
export interface StoredEvent {
  id?: string;
  type: string;
  createdAt: number;
  userId?: string | null;
  actor?: 'self' | 'staff' | 'system';
  actorId?: string | null;
  userAgent?: string | null;
  detail?: Record<string, unknown>;
}

/** Writes events into the audit log as the trail would; returns their ids in order. */
export async function storeEvents(database: Database, events: readonly StoredEvent[]): Promise<string[]> {
  const rows = events.map((event) => ({
    id: event.id ?? randomUUID(),
    type: event.type,
    user_id: event.userId ?? null,
    actor: event.actor ?? 'self',
    actor_id: event.actorId ?? null,
    session_id: null,
    ip: '192.0.2.7',
    user_agent: event.userAgent ?? null,
    request_id: null,
    detail: JSON.stringify(event.detail ?? {}),
    created_at: event.createdAt,
  }));
  // in chunks: SQLite takes at most 32,766 bound values in one statement
  for (let start = 0; start < rows.length; start += 500) {
    await database.db
      .insertInto('audit_events')
      .values(rows.slice(start, start + 500))
      .execute();
  }
  return rows.map((row) => row.id);
}

/** The id of the account with this email. */
export async function userIdOf(database: Database, email: string): Promise<string> {
  const row = await database.db
    .selectFrom('users')
    .select('id')
    .where('email', '=', email)
    .executeTakeFirstOrThrow();
  return row.id;
}

/** How many audit events there are: a read must leave it as it was. */
export async function countEvents(database: Database): Promise<number> {
  const row = await database.db
    .selectFrom('audit_events')
    .select((eb) => eb.fn.countAll<number | string>().as('count'))
    .executeTakeFirstOrThrow();
  return Number(row.count);
}
