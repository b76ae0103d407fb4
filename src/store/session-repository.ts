import type { Executor } from './executor.ts';
import type { SessionRow } from './tables.ts';

export interface Session {
  id: string;
  userId: string;
  createdAt: number;
  lastUsedAt: number;
  expiresAt: number;
  userAgent: string | null;
  ip: string | null;
  revokedAt: number | null;
}

export interface NewSession {
  id: string;
  userId: string;
  createdAt: number;
  expiresAt: number;
  userAgent: string | null;
  ip: string | null;
}

export type RevocationReason =
  'logout' | 'password_changed' | 'password_reset' | 'deactivated' | 'reuse_detected' | 'staff';

export interface SessionRepository {
  insert(session: NewSession): Promise<Session>;
  findById(id: string): Promise<Session | undefined>;
  /** Records use; a no-op for a revoked session. */
  touch(id: string, at: number): Promise<void>;
  /** The user's sessions that are neither revoked, expired nor idle past `idleSince`, most recently used first. */
  listLive(userId: string, now: number, idleSince: number): Promise<Session[]>;
  /** Revokes one live session; false if it was already revoked or does not exist. */
  revoke(id: string, at: number, reason: RevocationReason): Promise<boolean>;
  /** Deletes every session (and, by cascade, its refresh tokens) that expired before `cutoff`; returns how many. */
  deleteExpiredBefore(cutoff: number): Promise<number>;
  /** Deletes every session of the user (and, by cascade, its refresh tokens): what erasure does. */
  deleteAllOfUser(userId: string): Promise<void>;
  /** Revokes the user's live sessions, all but `exceptId` if given; returns the ids it revoked. */
  revokeAllOfUser(userId: string, at: number, reason: RevocationReason, exceptId?: string): Promise<string[]>;
}

export function createSessionRepository({ db }: Executor): SessionRepository {
  return {
    async insert(session) {
      const row = await db
        .insertInto('sessions')
        .values({
          id: session.id,
          user_id: session.userId,
          created_at: session.createdAt,
          last_used_at: session.createdAt,
          expires_at: session.expiresAt,
          user_agent: session.userAgent,
          ip: session.ip,
          revoked_at: null,
          revoked_reason: null,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      return toSession(row);
    },

    async findById(id) {
      const row = await db.selectFrom('sessions').selectAll().where('id', '=', id).executeTakeFirst();
      return row && toSession(row);
    },

    async touch(id, at) {
      await db
        .updateTable('sessions')
        .set({ last_used_at: at })
        .where('id', '=', id)
        .where('revoked_at', 'is', null)
        .execute();
    },

    async listLive(userId, now, idleSince) {
      const rows = await db
        .selectFrom('sessions')
        .selectAll()
        .where('user_id', '=', userId)
        .where('revoked_at', 'is', null)
        .where('expires_at', '>', now)
        .where('last_used_at', '>', idleSince)
        .orderBy('last_used_at', 'desc')
        .orderBy('id')
        .execute();
      return rows.map(toSession);
    },

    async revoke(id, at, reason) {
      const result = await db
        .updateTable('sessions')
        .set({ revoked_at: at, revoked_reason: reason })
        .where('id', '=', id)
        .where('revoked_at', 'is', null)
        .executeTakeFirst();
      return result.numUpdatedRows > 0n;
    },

    async deleteAllOfUser(userId) {
      await db.deleteFrom('sessions').where('user_id', '=', userId).execute();
    },

    async deleteExpiredBefore(cutoff) {
      const result = await db.deleteFrom('sessions').where('expires_at', '<', cutoff).executeTakeFirst();
      return Number(result.numDeletedRows);
    },

    async revokeAllOfUser(userId, at, reason, exceptId) {
      let query = db
        .updateTable('sessions')
        .set({ revoked_at: at, revoked_reason: reason })
        .where('user_id', '=', userId)
        .where('revoked_at', 'is', null);
      if (exceptId !== undefined) query = query.where('id', '!=', exceptId);
      const rows = await query.returning('id').execute();
      return rows.map((row) => row.id);
    },
  };
}

function toSession(row: SessionRow): Session {
  return {
    id: row.id,
    userId: row.user_id,
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
    expiresAt: row.expires_at,
    userAgent: row.user_agent,
    ip: row.ip,
    revokedAt: row.revoked_at,
  };
}
