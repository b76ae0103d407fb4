import type { Kysely } from 'kysely';

// Frozen once landed: a later change to the schema is a new migration, never an edit here.

/**
 * What `gatehouse import-django` keeps of a Django user besides the fields Gatehouse already had: its Django
 * primary key (so the old system's tokens map to the account, and a re-run finds the row it wrote), a
 * fingerprint of the source row as last imported (a re-run leaves unchanged rows alone), the names Django
 * holds, and when the user's old tokens stopped being honoured.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('users').addColumn('legacy_id', 'text').execute();
  await db.schema.alterTable('users').addColumn('legacy_fingerprint', 'text').execute();
  await db.schema.alterTable('users').addColumn('legacy_tokens_revoked_at', 'bigint').execute();
  await db.schema.alterTable('users').addColumn('first_name', 'text').execute();
  await db.schema.alterTable('users').addColumn('last_name', 'text').execute();
  // named <table>_<column>_key, as the store reads a unique violation's column from it
  await db.schema.createIndex('users_legacy_id_key').on('users').column('legacy_id').unique().execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('users_legacy_id_key').execute();
  for (const column of [
    'last_name',
    'first_name',
    'legacy_tokens_revoked_at',
    'legacy_fingerprint',
    'legacy_id',
  ])
    await db.schema.alterTable('users').dropColumn(column).execute();
}
