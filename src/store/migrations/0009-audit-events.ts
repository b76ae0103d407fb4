import type { Kysely } from 'kysely';

// Frozen once landed: a later change to the schema is a new migration, never an edit here.

/**
 * The security history of every account: what happened, to whom, by whose hand, from where. Written in the
 * transaction of the change it records. No foreign key: an event outlives what it names (an erased
 * account's id, a session pruned long ago).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('audit_events')
    .addColumn('id', 'text', (column) => column.primaryKey())
    .addColumn('type', 'text', (column) => column.notNull())
    .addColumn('user_id', 'text')
    .addColumn('actor', 'text', (column) => column.notNull())
    .addColumn('actor_id', 'text')
    .addColumn('session_id', 'text')
    .addColumn('ip', 'text')
    .addColumn('user_agent', 'text')
    .addColumn('request_id', 'text')
    .addColumn('detail', 'text', (column) => column.notNull())
    .addColumn('created_at', 'bigint', (column) => column.notNull())
    .execute();
  // a person's own history, newest first; the whole log by time (staff, pruning); one type over time
  await db.schema
    .createIndex('audit_events_user_idx')
    .on('audit_events')
    .columns(['user_id', 'created_at'])
    .execute();
  await db.schema.createIndex('audit_events_time_idx').on('audit_events').column('created_at').execute();
  await db.schema
    .createIndex('audit_events_type_idx')
    .on('audit_events')
    .columns(['type', 'created_at'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('audit_events').execute();
}
