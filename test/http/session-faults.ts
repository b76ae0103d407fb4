import { sql } from 'kysely';
import type { Database } from '../../src/store/database.ts';
import type { DialectName } from '../support/databases.ts';

// Faults injected by a trigger that refuses every write of one kind to `sessions`: the second write of a
// change fails after the first has been made, as a crash or a lost connection between them would.
type Write = 'INSERT' | 'UPDATE';

/** From now on every `write` to `sessions` fails, until `healSessionWrites`. */
export async function failSessionWrites(
  database: Database,
  dialect: DialectName,
  write: Write,
): Promise<void> {
  if (dialect === 'sqlite') {
    await sql
      .raw(
        `CREATE TRIGGER injected_fault BEFORE ${write} ON sessions BEGIN SELECT RAISE(ABORT, 'injected'); END`,
      )
      .execute(database.db);
    return;
  }
  await sql
    .raw(
      `CREATE OR REPLACE FUNCTION injected_fault() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'injected'; END $$ LANGUAGE plpgsql`,
    )
    .execute(database.db);
  await sql
    .raw(
      `CREATE TRIGGER injected_fault BEFORE ${write} ON sessions FOR EACH ROW EXECUTE FUNCTION injected_fault()`,
    )
    .execute(database.db);
}

export async function healSessionWrites(database: Database, dialect: DialectName): Promise<void> {
  await sql
    .raw(`DROP TRIGGER injected_fault${dialect === 'postgres' ? ' ON sessions' : ''}`)
    .execute(database.db);
}
