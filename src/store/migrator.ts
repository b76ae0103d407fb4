import { Migrator, type Migration, type MigrationResultSet } from 'kysely';
import type { Database } from './database.ts';
import * as initial from './migrations/0001-initial.ts';
import * as refreshTokens from './migrations/0003-refresh-tokens.ts';
import * as sessionExpiryIndex from './migrations/0005-session-expiry-index.ts';
import * as liveSessionsIndex from './migrations/0006-live-sessions-index.ts';
import * as mailOutbox from './migrations/0007-mail-outbox.ts';
import * as oneTimeTokens from './migrations/0008-one-time-tokens.ts';
import * as auditEvents from './migrations/0009-audit-events.ts';
import * as accountErasure from './migrations/0010-account-erasure.ts';
import * as staffRolesAndDeactivation from './migrations/0011-staff-roles-and-deactivation.ts';
import * as staffRecords from './migrations/0012-staff-records.ts';
import * as optionalEmail from './migrations/0013-optional-email.ts';
import * as rateLimits from './migrations/0002-rate-limits.ts';
import * as djangoImport from './migrations/0014-django-import.ts';
import * as auditHourlyCounts from './migrations/0015-audit-hourly-counts.ts';
import * as caseFoldedUsernames from './migrations/0016-case-folded-usernames.ts';
import * as sealedRefreshSuccessors from './migrations/0017-sealed-refresh-successors.ts';

// Listed here rather than read from a folder at run time, so the compiled build needs no file scanning.
const migrations: Record<string, Migration> = {
  '0001-initial': initial,
  '0002-rate-limits': rateLimits,
  '0003-refresh-tokens': refreshTokens,
  '0005-session-expiry-index': sessionExpiryIndex,
  '0006-live-sessions-index': liveSessionsIndex,
  '0007-mail-outbox': mailOutbox,
  '0008-one-time-tokens': oneTimeTokens,
  '0009-audit-events': auditEvents,
  '0010-account-erasure': accountErasure,
  '0011-staff-roles-and-deactivation': staffRolesAndDeactivation,
  '0012-staff-records': staffRecords,
  '0013-optional-email': optionalEmail,
  '0014-django-import': djangoImport,
  '0015-audit-hourly-counts': auditHourlyCounts,
  '0016-case-folded-usernames': caseFoldedUsernames,
  '0017-sealed-refresh-successors': sealedRefreshSuccessors,
};

/** Every migration this build knows, in the order they apply. */
export const migrationNames: readonly string[] = Object.keys(migrations).sort();

export interface MigrationStatus {
  name: string;
  executedAt: Date | undefined;
}

function migratorFor(database: Database): Migrator {
  return new Migrator({
    db: database.db,
    provider: { getMigrations: () => Promise.resolve(migrations) },
    migrationTableName: 'gatehouse_migrations',
    migrationLockTableName: 'gatehouse_migrations_lock',
  });
}

/** Applies every pending migration; Kysely's lock keeps concurrent instances from racing. */
export async function migrateToLatest(database: Database): Promise<string[]> {
  const result: MigrationResultSet = await migratorFor(database).migrateToLatest();
  if (result.error !== undefined) {
    throw result.error instanceof Error
      ? result.error
      : new Error('migration failed', { cause: result.error });
  }
  return (result.results ?? []).map((migration) => migration.migrationName);
}

export async function listMigrations(database: Database): Promise<MigrationStatus[]> {
  const all = await migratorFor(database).getMigrations();
  return all.map((migration) => ({ name: migration.name, executedAt: migration.executedAt }));
}

/** True when every known migration has run: what /readyz reports. */
export async function isMigrated(database: Database): Promise<boolean> {
  try {
    return (await listMigrations(database)).every((migration) => migration.executedAt !== undefined);
  } catch {
    return false;
  }
}
