import { PostgresAdapter, sql, type Kysely } from 'kysely';

// Frozen once landed: a later change to the schema is a new migration, never an edit here.

/**
 * What staff set on an account: its roles, and why (by whom, until when) it was deactivated; and the
 * indexes the staff's user list sorts and searches by.
 *
 * Roles live twice, on purpose: `users.roles` (a JSON array) is what every read of a user carries (the
 * session cache, the tokens), and `user_roles` is the index the list filters by. Both are written by one
 * repository method in one statement batch of one unit of work.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('users')
    .addColumn('roles', 'text', (column) => column.notNull().defaultTo('[]'))
    .execute();
  await db.schema.alterTable('users').addColumn('deactivation_reason', 'text').execute();
  await db.schema.alterTable('users').addColumn('deactivated_until', 'bigint').execute();
  await db.schema.alterTable('users').addColumn('deactivated_by', 'text').execute();
  // the reactivation worker looks for deactivations whose end has come
  await db.schema
    .createIndex('users_deactivated_until_idx')
    .on('users')
    .column('deactivated_until')
    .execute();

  await db.schema
    .createTable('user_roles')
    .addColumn('user_id', 'text', (column) => column.notNull().references('users.id').onDelete('cascade'))
    .addColumn('role', 'text', (column) => column.notNull())
    .addPrimaryKeyConstraint('user_roles_pkey', ['user_id', 'role'])
    .execute();
  await db.schema.createIndex('user_roles_role_idx').on('user_roles').columns(['role', 'user_id']).execute();

  // the staff list's sort orders, each with the id as tie-breaker (the keyset cursor's second half);
  // an account never signed in sorts as if it had at 0
  await db.schema.createIndex('users_joined_idx').on('users').columns(['created_at', 'id']).execute();
  await sql`create index users_last_login_idx on users ((coalesce(last_login_at, 0)), id)`.execute(db);
  // Prefix search compares code points, so that `q <= x < q + U+10FFFF` holds exactly the names starting
  // with q: SQLite's own (binary) order, and on PostgreSQL the "C" collation, whatever the database's.
  // SQLite's unique indexes on the normalised columns serve as they are.
  if (db.getExecutor().adapter instanceof PostgresAdapter) {
    await sql`create index users_email_prefix_idx on users ((email_normalized collate "C"))`.execute(db);
    await sql`create index users_username_prefix_idx on users ((username_normalized collate "C"))`.execute(
      db,
    );
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  if (db.getExecutor().adapter instanceof PostgresAdapter) {
    await db.schema.dropIndex('users_username_prefix_idx').execute();
    await db.schema.dropIndex('users_email_prefix_idx').execute();
  }
  await db.schema.dropIndex('users_last_login_idx').execute();
  await db.schema.dropIndex('users_joined_idx').execute();
  await db.schema.dropTable('user_roles').execute();
  await db.schema.dropIndex('users_deactivated_until_idx').execute();
  for (const column of ['deactivated_by', 'deactivated_until', 'deactivation_reason', 'roles']) {
    await db.schema.alterTable('users').dropColumn(column).execute();
  }
}
