import { execFile, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import Sqlite from 'better-sqlite3';
import pg from 'pg';
import { onCi } from './ci.ts';
import { scratchDir } from './server-process.ts';

// This file runs compiled, from dist/test/support/; the script stays in the source tree.
const root = fileURLToPath(new URL('../../../', import.meta.url));
const script = join(root, 'test', 'support', 'django-project.py');
// Debian's Python, which has python3-django, -argon2, -bcrypt and PyJWT (not a pyenv one on PATH)
const python = '/usr/bin/python3';
const fixtureTimeout = 120_000;

/**
 * The `skip` option of every test whose fixtures real Django makes: on a developer's machine without
 * Debian's Django and its hashers, a reason in one line; false when they are there, and always under CI,
 * where .ci/run installs them and their absence must fail.
 */
export const skipWithoutDjango: string | false =
  onCi || spawnSync(python, ['-c', 'import django, argon2, bcrypt, jwt'], { timeout: 30_000 }).status === 0
    ? false
    : `no Django for ${python}: apt-get install python3-django python3-argon2 python3-bcrypt python3-jwt (with CI=true this fails)`;

/** A user as the Django fixture made it, and what the importer should do with it. */
export interface DjangoFixtureUser {
  key: string;
  id: number;
  email: string;
  username: string;
  password: string;
  hasher: string;
  expect:
    | 'imported'
    | 'inactive'
    | 'must_reset'
    | 'renamed'
    | 'invalid_email'
    | 'duplicate_email'
    | 'email_taken'
    /** imported without an email: signs in by username */
    | 'username_only';
  isActive: boolean;
  isStaff: boolean;
  isSuperuser: boolean;
  firstName: string | null;
  lastName: string | null;
  storedHash: string;
}

export interface DjangoFixture {
  table: 'auth_user' | 'authentication_user';
  /** the SQLite file Django wrote */
  database: string;
  users: DjangoFixtureUser[];
  /** the old system's tokens for the pbkdf2_sha256 user, by kind */
  tokens: Record<'conduit' | 'drfJwt' | 'simplejwt' | 'simplejwtRefresh' | 'otherKey', string>;
  /** a Conduit-style token per user, by key */
  tokensByUser: Record<string, string>;
  /** a drf-jwt token per user, by key: one a test can be sure was never presented */
  unseenTokensByUser: Record<string, string>;
  django: string;
}

/**
 * A throwaway Django project's database, made by real Django (test/support/django-project.py): `auth` is
 * Django's own user table, `conduit` the Conduit tutorial's custom one. Tokens are signed with
 * `secretKey` and expire at `tokenExp` (epoch seconds).
 */
export async function makeDjangoProject(
  mode: 'auth' | 'conduit',
  secretKey: string,
  tokenExp: number,
): Promise<DjangoFixture> {
  const folder = scratchDir();
  const { stdout } = await promisify(execFile)(python, [script, folder, mode, secretKey, String(tokenExp)], {
    timeout: fixtureTimeout,
    env: { PATH: '/usr/bin:/bin' },
  });
  return JSON.parse(stdout) as DjangoFixture;
}

/**
 * Copies Django tables from a SQLite file into a PostgreSQL database, with the column types Django's
 * PostgreSQL backend gives them (boolean, timestamp with time zone): what `migrate` would have made there.
 * psycopg2 is not installed, so Django cannot write to PostgreSQL itself.
 */
export async function copyToPostgres(sqliteFile: string, table: string, url: string): Promise<void> {
  const source = new Sqlite(sqliteFile, { readonly: true });
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const columns = source.prepare(`pragma table_info("${table}")`).all() as Array<{
      name: string;
      type: string;
    }>;
    const typeOf = (type: string): string => {
      if (/^bool/i.test(type)) return 'boolean';
      if (/^datetime/i.test(type)) return 'timestamp with time zone';
      if (/^integer/i.test(type)) return 'integer';
      return 'varchar(254)';
    };
    const definitions = columns.map(
      ({ name, type }) => `"${name}" ${name === 'id' ? 'serial primary key' : typeOf(type)}`,
    );
    await client.query(`create table "${table}" (${definitions.join(', ')})`);
    const rows = source.prepare(`select * from "${table}"`).all() as Array<Record<string, unknown>>;
    for (const row of rows) {
      const values = columns.map(({ name, type }) => {
        const value = row[name];
        if (value === null) return null;
        if (/^bool/i.test(type)) return value === 1;
        // Django's SQLite backend writes UTC without an offset
        if (/^datetime/i.test(type)) return `${(value as string).replace(' ', 'T')}Z`;
        return value;
      });
      const names = columns.map(({ name }) => `"${name}"`).join(', ');
      const placeholders = columns.map((_, index) => `$${index + 1}`).join(', ');
      await client.query(`insert into "${table}" (${names}) values (${placeholders})`, values);
    }
  } finally {
    source.close();
    await client.end();
  }
}
