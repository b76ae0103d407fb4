import { sql, type Kysely } from 'kysely';

// Frozen once landed: a later change to the schema is a new migration, never an edit here.

/**
 * When an account was deactivated (its personal data is erased ERASE_DEACTIVATED_AFTER later) and when it
 * was erased. Accounts deactivated before this migration count from their last update.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('users').addColumn('deactivated_at', 'bigint').execute();
  await db.schema.alterTable('users').addColumn('erased_at', 'bigint').execute();
  await sql`update users set deactivated_at = updated_at where is_active = 0`.execute(db);
  await db.schema.createIndex('users_deactivated_at_idx').on('users').column('deactivated_at').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('users_deactivated_at_idx').execute();
  await db.schema.alterTable('users').dropColumn('erased_at').execute();
  await db.schema.alterTable('users').dropColumn('deactivated_at').execute();
}
