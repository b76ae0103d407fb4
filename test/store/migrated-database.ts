import { randomUUID } from 'node:crypto';
import { openDatabase, type Database } from '../../src/store/database.ts';
import { migrateToLatest } from '../../src/store/migrator.ts';
import { createUserRepository } from '../../src/store/user-repository.ts';
import { createTestDatabase, type DialectName } from '../support/databases.ts';

export interface MigratedDatabase {
  database: Database;
  close(): Promise<void>;
}

/** A fresh database of the given kind with every migration applied, and no app over it. */
export async function openMigratedDatabase(dialect: DialectName): Promise<MigratedDatabase> {
  const testDatabase = await createTestDatabase(dialect);
  const database = openDatabase({
    url: testDatabase.url,
    poolSize: 5,
    connectTimeout: 5000,
    statementTimeout: 10_000,
    queryTimeout: 11_000,
  });
  await migrateToLatest(database);
  return {
    database,
    async close() {
      await database.close();
      await testDatabase.drop();
    },
  };
}

/**
 * A private in-memory SQLite database with every migration applied: for the domain's unit tests, which
 * need a real store but may not import a driver themselves (the lint's layering rules).
 */
export async function openMemoryDatabase(): Promise<MigratedDatabase> {
  const database = openDatabase({
    url: 'sqlite::memory:',
    poolSize: 1,
    connectTimeout: 5000,
    statementTimeout: 10_000,
    queryTimeout: 11_000,
  });
  await migrateToLatest(database);
  return { database, close: () => database.close() };
}

/** Stores a user to hang sessions and follows on; returns its id. */
export async function insertUser(database: Database): Promise<string> {
  const id = randomUUID();
  const name = `member${id.slice(0, 8)}`;
  const inserted = await createUserRepository(database).insert({
    id,
    email: `${name}@example.com`,
    username: name,
    passwordHash: '$argon2id$v=19$m=1024,t=1,p=1$c2FsdHNhbHQ$aGFzaA',
    createdAt: 1_700_000_000_000,
  });
  if (!inserted.ok) throw new Error(`could not store ${name}: ${inserted.taken} taken`);
  return id;
}
