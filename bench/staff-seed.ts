import { sql } from 'kysely';
import type { Database } from '../src/store/database.ts';

/** How large a seeded database is. */
export interface SeedSize {
  users: number;
  events: number;
}

const dayMs = 86_400_000;
// Accounts joined over three years; events fall over the audit log's default retention (AUDIT_RETENTION).
const joinedOverDays = 3 * 365;
const eventsOverDays = 365;
// Rows per INSERT … SELECT: each statement is one transaction PostgreSQL writes without a round trip a row.
const chunk = 500_000;

/**
 * Fills a migrated, empty PostgreSQL database in bulk, in SQL (`generate_series`), never a row at a time.
 * Users `n` get the id md5('user' || n) as a UUID, so that events can name a random user without a join;
 * emails and usernames start with hex from an md5 too, so that prefixes spread as real names do. The
 * events are a mix of the types the activity chart counts and others, spread evenly over a year.
 *
 * Rows are written in the order of their time (`n` and a jitter within its share of the span), as a
 * running service writes them: a sign-up's row when it signs up, an event when it happens. Rows in random
 * time order would put one day's events on every page of the table, which no live audit log looks like,
 * and make reading a day's entries of an index touch pages (the visibility map's) that it never would.
 */
export async function seedStaffData(database: Database, size: SeedSize, now: number): Promise<void> {
  const { db } = database;
  await sql`set synchronous_commit = off`.execute(db);
  // other tables' foreign keys hang on the users' primary key: it stays, and only the rest is dropped
  await withoutIndexes(database, 'users', { keepKeys: true }, () => seedUsers(database, size, now));
  await withoutIndexes(database, 'audit_events', { keepKeys: false }, () => seedEvents(database, size, now));
  // as autovacuum would in time: fresh statistics, and a visibility map for index-only scans
  await sql`vacuum analyze users`.execute(db);
  await sql`vacuum analyze audit_events`.execute(db);
}

/**
 * Runs `load` with the table's indexes and key constraints dropped, then puts each back from its own
 * definition, as PostgreSQL printed it: the same indexes the migrations made, built once from sorted data
 * rather than updated row by row (a random-UUID key makes every insert a random page write).
 */
async function withoutIndexes(
  database: Database,
  table: string,
  { keepKeys }: { keepKeys: boolean },
  load: () => Promise<void>,
): Promise<void> {
  const { db } = database;
  const constraints = keepKeys
    ? { rows: [] }
    : await sql<{ name: string; definition: string }>`
        select conname as name, pg_get_constraintdef(oid) as definition from pg_constraint
        where conrelid = ${table}::regclass and contype in ('p', 'u')`.execute(db);
  for (const { name } of constraints.rows) {
    await sql`alter table ${sql.table(table)} drop constraint ${sql.ref(name)}`.execute(db);
  }
  // the indexes no constraint owns (what is left once the constraints are gone, or beside those kept)
  const indexes = await sql<{ name: string; definition: string }>`
    select indexname as name, indexdef as definition from pg_indexes
    where tablename = ${table} and indexname not in (
      select conname from pg_constraint where conrelid = ${table}::regclass)`.execute(db);
  for (const { name } of indexes.rows) await sql`drop index ${sql.ref(name)}`.execute(db);
  await load();
  await sql`set maintenance_work_mem = '512MB'`.execute(db);
  for (const { name, definition } of constraints.rows) {
    await sql`alter table ${sql.table(table)} add constraint ${sql.ref(name)} ${sql.raw(definition)}`.execute(
      db,
    );
  }
  for (const { definition } of indexes.rows) await sql.raw(definition).execute(db);
}

async function seedUsers(database: Database, size: SeedSize, now: number): Promise<void> {
  const { db } = database;
  for (let start = 1; start <= size.users; start += chunk) {
    const end = Math.min(size.users, start + chunk - 1);
    await sql`
      insert into users (id, email, email_normalized, username, username_normalized, password_hash, bio, image,
        is_active, is_staff, is_superuser, email_verified_at, last_login_at, deactivated_at, erased_at,
        created_at, updated_at)
      select md5('user' || n)::uuid::text,
        substr(md5('e' || n), 1, 8) || n || '@example.com',
        substr(md5('e' || n), 1, 8) || n || '@example.com',
        substr(md5('u' || n), 1, 6) || '_' || n,
        substr(md5('u' || n), 1, 6) || '_' || n,
        '$argon2id$v=19$m=19456,t=2,p=1$c2VlZGVkc2VlZGVk$c2VlZGVkIGFjY291bnQsIG5vIHBhc3N3b3JkIHdvcmtz',
        null, null,
        case when n % 50 = 0 then 0 else 1 end,
        case when n % 10000 = 0 then 1 else 0 end,
        0,
        case when n % 3 = 0 then null else joined + 60000 end,
        case when n % 4 = 0 then null else ${now} - (random() * ${30 * dayMs})::bigint end,
        case when n % 50 = 0 then joined + ${dayMs} else null end,
        null,
        joined, joined
      from (
        select n, ${now - joinedOverDays * dayMs} + ((n - random()) * ${joinedOverDays * dayMs} / ${size.users})::bigint
          as joined
        from generate_series(${start}::bigint, ${end}::bigint) as n
      ) as seeded`.execute(db);
  }
}

async function seedEvents(database: Database, size: SeedSize, now: number): Promise<void> {
  const { db } = database;
  for (let start = 1; start <= size.events; start += chunk) {
    const end = Math.min(size.events, start + chunk - 1);
    // of every 100 events in a row: 45 sign-ins, 20 failed, 20 sign-ups, 1 lockout, 14 of other kinds,
    // interleaved (37 is prime to 100, so `kind` takes each value once in any 100 consecutive events): rows
    // in time order must not hold one type for hours on end
    await sql`
      insert into audit_events (id, type, user_id, actor, actor_id, session_id, ip, user_agent, request_id,
        detail, created_at)
      select md5('event' || n)::uuid::text,
        case
          when kind < 45 then 'sign_in_succeeded'
          when kind < 65 then 'sign_in_failed'
          when kind < 85 then 'registered'
          when kind < 86 then 'locked_out'
          when kind < 95 then 'signed_out'
          else 'password_changed'
        end,
        md5('user' || (1 + floor(random() * ${size.users}))::bigint)::uuid::text,
        'self', null, null, '192.0.2.' || (n % 250), 'bench/1.0', null,
        case when kind between 45 and 64 then '{"reason":"wrong_password"}' else '{}' end,
        ${now - eventsOverDays * dayMs} + ((n - random()) * ${eventsOverDays * dayMs} / ${size.events})::bigint
      from (
        select n, n * 37 % 100 as kind from generate_series(${start}::bigint, ${end}::bigint) as n
      ) as seeded`.execute(db);
  }
}
