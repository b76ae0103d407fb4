import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { Kysely, PostgresDialect, SqliteDialect, sql, type RawBuilder } from 'kysely';
import { sqliteDriver } from './database.ts';
import { postgresDriver } from './postgres-pool.ts';

/** One row of a Django project's user table, in plain values; absent columns read as null. */
export interface DjangoUserRow {
  /** the primary key as Django stores it (an integer, or a UUID's text) */
  id: number | string;
  password: string;
  email: string | null;
  username: string | null;
  firstName: string | null;
  lastName: string | null;
  isActive: boolean;
  isStaff: boolean;
  isSuperuser: boolean;
  /** date_joined (auth_user) or created_at (the Conduit tutorial's user), epoch ms */
  joinedAt: number | null;
  lastLoginAt: number | null;
}

/** A Django project's user table, read-only. */
export interface DjangoSource {
  readonly table: string;
  /** the Django columns the rows are read from, in the order DjangoUserRow names them */
  readonly columns: readonly string[];
  count(): Promise<number>;
  /** Up to `limit` rows after the row whose key is `after` (from the first when undefined), in key order. */
  readPage(after: number | string | undefined, limit: number): Promise<DjangoUserRow[]>;
  /**
   * The rows whose email (or username) another row holds too, ignoring case and surrounding spaces: Django
   * makes neither unique without regard to case. Only those rows, so memory follows the duplicates, not
   * the users. Blank values are nobody's and never duplicates.
   */
  findDuplicates(field: 'email' | 'username'): Promise<DjangoUserRow[]>;
  close(): Promise<void>;
}

/** A source that cannot be read as a Django user table; its message is one line for the operator. */
class DjangoSourceError extends Error {
  override readonly name = 'DjangoSourceError';
}

// What every Django user model has (AbstractBaseUser: password, last_login; a primary key named id) and
// one of the two login fields.
const requiredColumns = ['id', 'password', 'last_login'];
const identifyingColumns = ['email', 'username'];

/** Maps each DjangoUserRow field to the Django columns that may hold it, in preference order. */
const columnChoices = {
  email: ['email'],
  username: ['username'],
  firstName: ['first_name'],
  lastName: ['last_name'],
  isActive: ['is_active'],
  isStaff: ['is_staff'],
  isSuperuser: ['is_superuser'],
  joinedAt: ['date_joined', 'created_at'],
  lastLoginAt: ['last_login'],
} as const;
type MappedField = keyof typeof columnChoices;

// The source is only read, with one connection: pg's own deadlines, generous, as an import is no request.
const connectTimeout = 10_000;
const queryTimeout = 120_000;

/**
 * Opens a Django project's database: a SQLite file (a path, or `sqlite:<path>`) read-only, or a PostgreSQL
 * URL. Finds the user table (`table`, or the one table shaped like a Django user model).
 */
export async function openDjangoSource(url: string, table: string | undefined): Promise<DjangoSource> {
  let db: Kysely<unknown>;
  try {
    db =
      url.startsWith('postgres://') || url.startsWith('postgresql://') ? openPostgres(url) : openSqlite(url);
  } catch (error) {
    throw readable(error);
  }
  try {
    return await describeSource(db, table);
  } catch (error) {
    await db.destroy();
    throw readable(error);
  }
}

function openSqlite(url: string): Kysely<unknown> {
  const path = url.startsWith('sqlite:') ? url.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '') : url;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(path)) {
    throw new DjangoSourceError(`${url}: not a SQLite file or a postgres:// URL`);
  }
  const file = resolve(path);
  if (!existsSync(file)) throw new DjangoSourceError(`${file}: no such file`);
  const connection = new (sqliteDriver())(file, { readonly: true, fileMustExist: true });
  return new Kysely({ dialect: new SqliteDialect({ database: connection }) });
}

function openPostgres(url: string): Kysely<unknown> {
  const pool = new (postgresDriver().Pool)({
    connectionString: url,
    max: 1,
    connectionTimeoutMillis: connectTimeout,
    query_timeout: queryTimeout,
  });
  pool.on('error', () => undefined);
  return new Kysely({ dialect: new PostgresDialect({ pool }) });
}

async function describeSource(db: Kysely<unknown>, named: string | undefined): Promise<DjangoSource> {
  const tables = await db.introspection.getTables();
  const shaped = tables.filter((candidate) => {
    const names = new Set(candidate.columns.map((column) => column.name));
    return (
      requiredColumns.every((name) => names.has(name)) && identifyingColumns.some((name) => names.has(name))
    );
  });
  let found;
  if (named !== undefined) {
    found = tables.find((candidate) => candidate.name === named);
    if (found === undefined) throw new DjangoSourceError(`no table named ${named}`);
    if (!shaped.includes(found)) {
      throw new DjangoSourceError(
        `table ${named} is not a Django user table (it needs id, password, last_login and email or username)`,
      );
    }
  } else if (shaped.length === 1) {
    found = shaped[0];
  } else if (shaped.length === 0) {
    throw new DjangoSourceError('no Django user table found (name it with --table)');
  } else {
    const names = shaped.map((candidate) => candidate.name).join(', ');
    throw new DjangoSourceError(
      `several tables look like Django user tables (${names}): name one with --table`,
    );
  }
  if (found === undefined) throw new DjangoSourceError('no Django user table found (name it with --table)');
  const table = found.name;
  const present = new Set(found.columns.map((column) => column.name));
  const mapped = new Map<MappedField, string>();
  for (const [field, choices] of Object.entries(columnChoices) as Array<[MappedField, readonly string[]]>) {
    const column = choices.find((choice) => present.has(choice));
    if (column !== undefined) mapped.set(field, column);
  }
  const selected = ['id', 'password', ...mapped.values()];
  const selectList = sql.join([
    sql.ref('id'),
    sql.ref('password'),
    ...[...mapped].map(([field, column]) => sql`${sql.ref(column)} as ${sql.ref(field)}`),
  ]);
  const from = sql.table(table);

  const toRow = (raw: Record<string, unknown>): DjangoUserRow => ({
    id: raw.id as number | string,
    password: typeof raw.password === 'string' ? raw.password : '',
    email: text(raw.email),
    username: text(raw.username),
    firstName: text(raw.firstName),
    lastName: text(raw.lastName),
    isActive: mapped.has('isActive') ? flag(raw.isActive) : true,
    isStaff: flag(raw.isStaff),
    isSuperuser: flag(raw.isSuperuser),
    joinedAt: time(raw.joinedAt),
    lastLoginAt: time(raw.lastLoginAt),
  });
  const run = async (query: RawBuilder<Record<string, unknown>>) => (await query.execute(db)).rows.map(toRow);

  return {
    table,
    columns: selected,
    async count() {
      const result = await sql<{ n: number | string }>`select count(*) as n from ${from}`.execute(db);
      return Number(result.rows[0]?.n ?? 0);
    },
    readPage(after, limit) {
      const where = after === undefined ? sql`` : sql`where ${sql.ref('id')} > ${after}`;
      return run(sql`select ${selectList} from ${from} ${where} order by ${sql.ref('id')} limit ${limit}`);
    },
    async findDuplicates(field) {
      const column = mapped.get(field);
      if (column === undefined) return [];
      // trim() strips spaces on both databases; the importer trims other whitespace too, and a row whose
      // address only that makes equal to another's is then reported as email_taken
      const key = sql`lower(trim(${sql.ref(column)}))`;
      return run(sql`select ${selectList} from ${from} where ${key} in (
        select ${key} from ${from} where ${sql.ref(column)} is not null and ${key} <> ''
        group by ${key} having count(*) > 1) order by ${sql.ref('id')}`);
    },
    close: () => db.destroy(),
  };
}

function text(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

function flag(value: unknown): boolean {
  return value === true || value === 1 || value === 1n || value === '1' || value === 't' || value === 'true';
}

/**
 * A Django DateTimeField as epoch ms: PostgreSQL hands a Date; SQLite a text such as
 * `2024-05-01 09:30:00.123456`, in UTC when USE_TZ is on (the default since Django 5.0, and what
 * startproject has set since 1.4).
 */
function time(value: unknown): number | null {
  if (value instanceof Date) return value.getTime();
  if (typeof value !== 'string' || value === '') return null;
  const match = /^(\d{4}-\d\d-\d\d)[ T](\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:?\d\d)?$/.exec(value.trim());
  if (match === null) return null;
  const fraction = (match[3] ?? '').slice(0, 4);
  const parsed = Date.parse(`${match[1]}T${match[2]}${fraction}${match[4] ?? 'Z'}`);
  return Number.isNaN(parsed) ? null : parsed;
}

/** A driver's failure as one line that names the database's complaint, never a stack. */
function readable(error: unknown): Error {
  if (error instanceof DjangoSourceError) return error;
  const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
  return new DjangoSourceError(`cannot read the Django database: ${message}`);
}
