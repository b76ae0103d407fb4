import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Sqlite from 'better-sqlite3';

// dist/bench/django-import.js → the repository's bin/
const cli = fileURLToPath(new URL('../../bin/gatehouse.js', import.meta.url));

/** One `gatehouse import-django` of a Django database with `users` users into a fresh database. */
export interface ImportRun {
  users: number;
  target: string;
  /** `--dry-run`: every batch written and rolled back, the run's names kept in memory */
  dryRun: boolean;
  seconds: number;
  usersPerSecond: number;
  /** the import process's peak resident set (GNU time's %M), in MiB */
  peakRssMib: number;
}

// Django 3.2's auth_user, as its migrations make it on SQLite.
const authUserTable = `CREATE TABLE "auth_user" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT,
  "password" varchar(128) NOT NULL, "last_login" datetime NULL, "is_superuser" bool NOT NULL,
  "username" varchar(150) NOT NULL UNIQUE, "last_name" varchar(150) NOT NULL, "email" varchar(254) NOT NULL,
  "is_staff" bool NOT NULL, "is_active" bool NOT NULL, "date_joined" datetime NOT NULL,
  "first_name" varchar(150) NOT NULL)`;
// One Django pbkdf2_sha256 hash for every row: the import copies hashes, it never computes one.
const djangoHash = 'pbkdf2_sha256$260000$GOxbZTw8dAST5m1HZxfWdr$9Q0QvK9tW1bVx9Nw3kOY9O0o2Yb4oKQnGQ3bQ3iYp2c=';

/** A Django SQLite database whose auth_user holds `users` rows, made directly (Django would take hours). */
export function makeDjangoDatabase(file: string, users: number): void {
  const database = new Sqlite(file);
  try {
    database.pragma('journal_mode = WAL');
    database.exec(authUserTable);
    const insert = database.prepare(
      `insert into auth_user (password, last_login, is_superuser, username, last_name, email, is_staff,
        is_active, date_joined, first_name) values (?, ?, 0, ?, ?, ?, 0, 1, ?, ?)`,
    );
    database.transaction(() => {
      for (let index = 1; index <= users; index += 1) {
        insert.run(
          djangoHash,
          index % 3 === 0 ? null : '2024-05-01 09:30:00.123456',
          `user${index}`,
          'Lovelace',
          `user${index}@example.com`,
          '2020-01-01 00:00:00',
          'Ada',
        );
      }
    })();
  } finally {
    database.close();
  }
}

/**
 * Runs the real binary under GNU time against `source` into a fresh database (a SQLite file, or
 * `databaseUrl`): migrate first (not timed), then the import (or its dry run), timed from start to exit.
 */
export async function measureImport(
  source: string,
  users: number,
  databaseUrl: string | undefined,
  dryRun: boolean,
): Promise<ImportRun> {
  const directory = await mkdtemp(join(tmpdir(), 'gatehouse-bench-import-'));
  try {
    const env = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      DATABASE_URL: databaseUrl ?? `sqlite:${join(directory, 'gatehouse.db')}`,
      SECRET_KEY: randomBytes(32).toString('hex'),
      LOG_LEVEL: 'warn',
    };
    await run(['node', cli, 'migrate'], env, directory);
    const started = process.hrtime.bigint();
    const { stderr } = await run(
      [
        '/usr/bin/time',
        '-f',
        'peak-rss-kib %M',
        'node',
        cli,
        'import-django',
        source,
        ...(dryRun ? ['--dry-run'] : []),
      ],
      env,
      directory,
    );
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const peak = /peak-rss-kib (\d+)/.exec(stderr)?.[1];
    if (peak === undefined) throw new Error(`no peak RSS reported: ${stderr}`);
    return {
      users,
      target: databaseUrl === undefined ? 'sqlite' : 'postgres',
      dryRun,
      seconds,
      usersPerSecond: users / seconds,
      peakRssMib: Number(peak) / 1024,
    };
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
}

function run(
  command: string[],
  env: Record<string, string>,
  cwd: string,
): Promise<{ stdout: string; stderr: string }> {
  const [program = '', ...args] = command;
  const child = spawn(program, args, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => {
      if (code === 0) resolve({ stdout, stderr });
      else reject(new Error(`${command.slice(0, 4).join(' ')} exited ${String(code)}: ${stderr}`));
    });
  });
}
