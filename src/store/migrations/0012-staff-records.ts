import type { Kysely } from 'kysely';

// Frozen once landed: a later change to the schema is a new migration, never an edit here.

/**
 * What the staff API reads besides the accounts. The audit log already has its indexes by user, by type
 * and by time (0009; the activity per day counts over `type, created_at`); the staff also filter it by who
 * acted. The outbox is listed by state, newest first: without an index each page would sort the table.
 * Both lists page by keyset on `created_at, id`, so the id ends each index and ties need no sort.
 * A day's activity, once the day has settled, is counted once and kept: `audit_daily_counts`.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('audit_daily_counts')
    .addColumn('day', 'bigint', (column) => column.notNull())
    .addColumn('type', 'text', (column) => column.notNull())
    .addColumn('count', 'bigint', (column) => column.notNull())
    .addPrimaryKeyConstraint('audit_daily_counts_pkey', ['day', 'type'])
    .execute();
  await db.schema
    .createIndex('audit_events_actor_idx')
    .on('audit_events')
    .columns(['actor_id', 'created_at', 'id'])
    .execute();
  await db.schema
    .createIndex('mail_outbox_state_created_at_idx')
    .on('mail_outbox')
    .columns(['state', 'created_at', 'id'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('mail_outbox_state_created_at_idx').execute();
  await db.schema.dropIndex('audit_events_actor_idx').execute();
  await db.schema.dropTable('audit_daily_counts').execute();
}
