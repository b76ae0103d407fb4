import type { Kysely } from 'kysely';

// Frozen once landed: a later change to the schema is a new migration, never an edit here.

/**
 * The activity's counts of settled hours, kept as `audit_daily_counts` keeps settled days (0012): the day
 * still open is then read as its kept hours and a live count of the last hour or two, not of every event
 * since midnight. Only the hours of open days are needed; the activity deletes those of settled days.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('audit_hourly_counts')
    .addColumn('hour', 'bigint', (column) => column.notNull())
    .addColumn('type', 'text', (column) => column.notNull())
    .addColumn('count', 'bigint', (column) => column.notNull())
    .addPrimaryKeyConstraint('audit_hourly_counts_pkey', ['hour', 'type'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('audit_hourly_counts').execute();
}
