import { parseArgs } from 'node:util';
import { loadConfig } from '../config/config.ts';
import { listMigrations, migrateToLatest } from '../store/migrator.ts';
import { openConfiguredDatabase, type Env } from './context.ts';

/** `gatehouse migrate [--status]`: applies pending migrations, or lists them with when they ran. */
export async function migrate(args: string[], env: Env): Promise<void> {
  const { values } = parseArgs({
    args,
    options: { status: { type: 'boolean', default: false } },
    strict: true,
  });
  const database = openConfiguredDatabase(loadConfig(env));
  try {
    if (values.status) {
      for (const migration of await listMigrations(database)) {
        const state =
          migration.executedAt === undefined ? 'pending' : `applied ${migration.executedAt.toISOString()}`;
        console.log(`${migration.name}\t${state}`);
      }
      return;
    }
    const applied = await migrateToLatest(database);
    console.log(applied.length === 0 ? 'no pending migrations' : `applied: ${applied.join(', ')}`);
  } finally {
    await database.close();
  }
}
