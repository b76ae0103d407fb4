import { sql, SqliteAdapter, type Kysely } from 'kysely';

// Frozen once landed: a later change to the schema is a new migration, never an edit here.

const batchSize = 1000;

/** src/case-fold.ts as it stood when this was written: a migration never follows later code. */
const foldCase = (text: string) =>
  text.toUpperCase().toLowerCase().replaceAll('ς', 'σ').replaceAll('ß', 'ss');
const lowerCase = (text: string) => text.toLowerCase();

/**
 * Usernames are unique by their full case fold, where they were by their lower case, which let "ασ" and
 * "ΑΣ" be two accounts. Only a name with a character outside ASCII can change key, so only those rows are
 * read, a batch at a time. A row whose new key another account already holds keeps its old one, so the
 * migration never fails on them: both accounts stay, though either name now finds the first (until one
 * changes its name); from now on the index refuses such a pair.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await rekeyNonAsciiUsernames(db, foldCase);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await rekeyNonAsciiUsernames(db, lowerCase);
}

async function rekeyNonAsciiUsernames(db: Kysely<unknown>, keyOf: (username: string) => string) {
  const nonAscii =
    db.getExecutor().adapter instanceof SqliteAdapter
      ? sql`username glob '*[^ -~]*'`
      : sql`username ~ '[^ -~]'`;
  let after = '';
  for (;;) {
    const { rows } = await sql<{ id: string; username: string; username_normalized: string }>`
      select id, username, username_normalized from users
      where ${nonAscii} and id > ${after} order by id limit ${batchSize}`.execute(db);
    for (const row of rows) {
      const key = keyOf(row.username);
      if (key === row.username_normalized) continue;
      await sql`
        update users set username_normalized = ${key}
        where id = ${row.id} and not exists (select 1 from users where username_normalized = ${key})`.execute(
        db,
      );
    }
    const last = rows.at(-1);
    if (last === undefined || rows.length < batchSize) return;
    after = last.id;
  }
}
