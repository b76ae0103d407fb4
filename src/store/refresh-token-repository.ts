import type { Executor } from './executor.ts';

export interface RefreshTokenRecord {
  tokenHash: string;
  sessionId: string;
  issuedAt: number;
  /** when it was exchanged for its successor; null while it is the session's live token */
  rotatedAt: number | null;
  /** its successor, sealed under a key only this token yields; null while live (or retired before 0017) */
  successorSealed: string | null;
}

export interface RefreshTokenRepository {
  insert(record: { tokenHash: string; sessionId: string; issuedAt: number }): Promise<void>;
  find(tokenHash: string): Promise<RefreshTokenRecord | undefined>;
  /**
   * Marks the live token `tokenHash` as exchanged for the successor `successorSealed` holds. False when it
   * was no longer live: another request rotated it first (on PostgreSQL a concurrent rotation waits on the
   * row lock, then finds it rotated).
   */
  retire(tokenHash: string, at: number, successorSealed: string): Promise<boolean>;
}

export function createRefreshTokenRepository({ db }: Executor): RefreshTokenRepository {
  return {
    async insert(record) {
      await db
        .insertInto('refresh_tokens')
        .values({
          token_hash: record.tokenHash,
          session_id: record.sessionId,
          issued_at: record.issuedAt,
          rotated_at: null,
          successor_sealed: null,
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
          successorSealed: row.successor_sealed,
        }
      );
    },

    async retire(tokenHash, at, successorSealed) {
      const result = await db
        .updateTable('refresh_tokens')
        .set({ rotated_at: at, successor_sealed: successorSealed })
        .where('token_hash', '=', tokenHash)
        .where('rotated_at', 'is', null)
        .executeTakeFirst();
      return result.numUpdatedRows > 0n;
    },
  };
}
