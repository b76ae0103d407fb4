import type { Database } from './database.ts';

export interface RefreshTokenRecord {
  tokenHash: string;
  sessionId: string;
  issuedAt: number;
  /** when it was exchanged for its successor; null while it is the session's live token */
  rotatedAt: number | null;
}

export interface RefreshTokenRepository {
  insert(record: { tokenHash: string; sessionId: string; issuedAt: number }): Promise<void>;
  find(tokenHash: string): Promise<RefreshTokenRecord | undefined>;
  /**
   * Retires the live token `parentHash` and records `childHash` as the session's new live token, in one
   * transaction. False when the parent was no longer live: another request rotated it first.
   */
  rotate(parentHash: string, childHash: string, at: number): Promise<boolean>;
}

export function createRefreshTokenRepository({ db }: Database): RefreshTokenRepository {
  return {
    async insert(record) {
      await db
        .insertInto('refresh_tokens')
        .values({
          token_hash: record.tokenHash,
          session_id: record.sessionId,
          issued_at: record.issuedAt,
          rotated_at: null,
        })
        .execute();
    },

    async find(tokenHash) {
      const row = await db
        .selectFrom('refresh_tokens')
        .selectAll()
        .where('token_hash', '=', tokenHash)
        .executeTakeFirst();
      return (
        row && {
          tokenHash: row.token_hash,
          sessionId: row.session_id,
          issuedAt: row.issued_at,
          rotatedAt: row.rotated_at,
        }
      );
    },

    rotate(parentHash, childHash, at) {
      // The conditional update is the arbiter: on PostgreSQL a concurrent rotation waits on the row lock and
      // then finds rotated_at set; SQLite runs one transaction at a time.
      return db.transaction().execute(async (trx) => {
        const parent = await trx
          .updateTable('refresh_tokens')
          .set({ rotated_at: at })
          .where('token_hash', '=', parentHash)
          .where('rotated_at', 'is', null)
          .returning('session_id')
          .executeTakeFirst();
        if (parent === undefined) return false;
        await trx
          .insertInto('refresh_tokens')
          .values({ token_hash: childHash, session_id: parent.session_id, issued_at: at, rotated_at: null })
          .execute();
        return true;
      });
    },
  };
}
