import { sql, type Kysely } from 'kysely';

// Frozen once landed: a later change to the schema is a new migration, never an edit here.

/**
 * A user's unrevoked sessions, newest first: the session list reads its pages in this order (keyset on
 * created_at, id), and each sign-in counts them against MAX_SESSIONS_PER_USER. Partial, so revoked
 * sessions (kept 30 days past their expiry) are never walked.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createIndex('sessions_unrevoked_by_user_idx')
    .on('sessions')
    .columns(['user_id', 'created_at', 'id'])
    .where(sql.ref('revoked_at'), 'is', null)
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('sessions_unrevoked_by_user_idx').execute();
}
