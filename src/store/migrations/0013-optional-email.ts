import { sql, SqliteAdapter, type Kysely } from 'kysely';

// Frozen once landed: a later change to the schema is a new migration, never an edit here.

/**
 * A user's email becomes optional (djoser with the username as login field registers without one). The
 * unique index stays: both databases let any number of rows hold NULL in a unique column, so non-null
 * addresses remain unique case-insensitively.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  if (!isSqlite(db)) {
    await sql`alter table users alter column email drop not null`.execute(db);
    await sql`alter table users alter column email_normalized drop not null`.execute(db);
    return;
  }
  await rebuildSqliteUsers(db, (definition) =>
    definition
      .replace(/"email" text not null/i, '"email" text')
      .replace(/"email_normalized" text not null/i, '"email_normalized" text'),
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  if (!isSqlite(db)) {
    await sql`alter table users alter column email_normalized set not null`.execute(db);
    await sql`alter table users alter column email set not null`.execute(db);
    return;
  }
  await rebuildSqliteUsers(db, (definition) =>
    definition
      .replace(/"email" text(?=[,)])/i, '"email" text not null')
      .replace(/"email_normalized" text(?=[,)])/i, '"email_normalized" text not null'),
  );
}

function isSqlite(db: Kysely<unknown>): boolean {
  return db.getExecutor().adapter instanceof SqliteAdapter;
}

/**
 * SQLite cannot drop a NOT NULL: the table is made again from its own stored definition, changed by
 * `rewrite`, with every column and index it has now (whatever other migrations added), as SQLite's
 * documented twelve-step procedure does. Foreign keys are off meanwhile, so that dropping the old table
 * cascades to no session, token or follow; they are checked before the commit.
 */
async function rebuildSqliteUsers(
  db: Kysely<unknown>,
  rewrite: (definition: string) => string,
): Promise<void> {
  const table = await sql<{ sql: string }>`
    select sql from sqlite_master where type = 'table' and name = 'users'`.execute(db);
  const definition = table.rows[0]?.sql;
  if (definition === undefined) throw new Error('no users table to change');
  const changed = rewrite(definition);
  if (changed === definition) throw new Error('the users table does not have the expected email columns');
  const indexes = await sql<{ sql: string }>`
    select sql from sqlite_master where type = 'index' and tbl_name = 'users' and sql is not null`.execute(
    db,
  );

  // takes effect only outside a transaction; Kysely runs SQLite migrations outside one
  await sql`pragma foreign_keys = off`.execute(db);
  try {
    await db.transaction().execute(async (trx) => {
      await sql.raw(changed.replace(/^CREATE TABLE "?users"?/i, 'CREATE TABLE "users_rebuilt"')).execute(trx);
      await sql`insert into users_rebuilt select * from users`.execute(trx);
      await sql`drop table users`.execute(trx);
      await sql`alter table users_rebuilt rename to users`.execute(trx);
      for (const index of indexes.rows) await sql.raw(index.sql).execute(trx);
      const broken = await sql`pragma foreign_key_check`.execute(trx);
      if (broken.rows.length > 0) throw new Error('rebuilding users broke a foreign key');
    });
  } finally {
    await sql`pragma foreign_keys = on`.execute(db);
  }
}
