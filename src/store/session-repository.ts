import type { ExpressionBuilder } from 'kysely';
import type { Executor } from './executor.ts';
import type { SessionRow, Tables } from './tables.ts';

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
  | 'logout'
  | 'password_changed'
  | 'password_reset'
  | 'deactivated'
  | 'reuse_detected'
  | 'session_limit'
  | 'staff';

/** A session's place in the list, newest first: where the next page starts (after it). */
export interface SessionPosition {
  createdAt: number;
  id: string;
}

/** Which sessions count as live: neither revoked, expired at `now`, nor unused since `idleSince`. */
export interface Liveness {
  now: number;
  idleSince: number;
}

export interface SessionRepository {
  insert(session: NewSession): Promise<Session>;
  findById(id: string): Promise<Session | undefined>;
  /** Records use; a no-op for a revoked session. */
  touch(id: string, at: number): Promise<void>;
  /** Up to `limit` of the user's live sessions, newest first (created, then id), after `after` if given. */
  listLive(
    userId: string,
    liveness: Liveness,
    page: { limit: number; after?: SessionPosition | undefined },
  ): Promise<Session[]>;
  /**
   * Revokes the user's live sessions beyond the `keep` most recently used (among those used at the same
   * moment, the newer are kept); returns the ids it revoked. `keep` 0 revokes them all.
   */
  revokeLeastRecentlyUsed(
    userId: string,
    keep: number,
    liveness: Liveness,
    reason: RevocationReason,
  ): Promise<string[]>;
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

    async listLive(userId, liveness, { limit, after }) {
      let query = db.selectFrom('sessions').selectAll().where(liveOf(userId, liveness));
      // keyset: sessions opened since the previous page sort before `after`, so they never shift it
      if (after !== undefined) {
        query = query.where((eb) =>
          eb(eb.refTuple('created_at', 'id'), '<', eb.tuple(after.createdAt, after.id)),
        );
      }
      const rows = await query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
      return rows.map(toSession);
    },

    async revokeLeastRecentlyUsed(userId, keep, liveness, reason) {
      let query = db
        .updateTable('sessions')
        .set({ revoked_at: liveness.now, revoked_reason: reason })
        .where(liveOf(userId, liveness));
      if (keep > 0) {
        // Most people hold far fewer sessions than the cap: fewer than `keep` unrevoked ones (a walk of the
        // partial index, no row read) means fewer live ones, and nothing to end. Only at the cap are the
        // live ones read and sorted by last use, which every sign-in otherwise paid for.
        const atCap = await db
          .selectFrom('sessions')
          .select('id')
          .where('user_id', '=', userId)
          .where('revoked_at', 'is', null)
          .orderBy('created_at')
          .orderBy('id')
          .limit(1)
          .offset(keep - 1)
          .executeTakeFirst();
        if (atCap === undefined) return [];
        // the last session kept; every live one that sorts after it goes
        const boundary = await db
          .selectFrom('sessions')
          .select(['last_used_at', 'created_at', 'id'])
          .where(liveOf(userId, liveness))
          .orderBy('last_used_at', 'desc')
          .orderBy('created_at', 'desc')
          .orderBy('id', 'desc')
          .limit(1)
          .offset(keep - 1)
          .executeTakeFirst();
        if (boundary === undefined) return [];
        query = query.where((eb) =>
          eb(
            eb.refTuple('last_used_at', 'created_at', 'id'),
            '<',
            eb.tuple(boundary.last_used_at, boundary.created_at, boundary.id),
          ),
        );
      }
      const rows = await query.returning('id').execute();
      return rows.map((row) => row.id);
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

function liveOf(userId: string, { now, idleSince }: Liveness) {
  return (eb: ExpressionBuilder<Tables, 'sessions'>) =>
    eb.and([
      eb('user_id', '=', userId),
      eb('revoked_at', 'is', null),
      eb('expires_at', '>', now),
      eb('last_used_at', '>', idleSince),
    ]);
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
