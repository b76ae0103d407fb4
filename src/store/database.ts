import { existsSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type SqliteDatabase from 'better-sqlite3';
import {
  Kysely,
  PostgresDialect,
  SqliteDialect,
  sql,
  type SqliteDatabase as SqliteDialectDatabase,
} from 'kysely';
import { ConfigError } from '../config/config.ts';
import { loadOnFirstUse, requirePackage } from '../lazy-package.ts';
import { listenOn, type ListenHandlers, type Listener } from './pg-listener.ts';
import { createPgPool, destroyingBrokenConnections } from './postgres-pool.ts';
import type { Tables } from './tables.ts';

export type { ListenHandlers, Listener };

export type DialectName = 'sqlite' | 'postgres';

/** better-sqlite3, loaded once a SQLite database is opened. */
export const sqliteDriver = loadOnFirstUse(() => requirePackage('better-sqlite3') as typeof SqliteDatabase);

/** A connection pool right now: connections open, of those idle, and queries waiting for one. */
export interface PoolStats {
  total: number;
  idle: number;
  waiting: number;
}

export interface DatabaseOptions {
  url: string;
  /** SQLite: make the file's folder when it is missing; otherwise a missing folder is refused */
  createFolder?: boolean;
  poolSize: number;
  /** PostgreSQL: opening a connection, or waiting for a free one of the pool */
  connectTimeout: number;
  /** PostgreSQL: the server's bound on a statement */
  statementTimeout: number;
  /** PostgreSQL: the client's bound on the answer to one query */
  queryTimeout: number;
  /** called when an idle PostgreSQL connection fails; the pool replaces it */
  onIdleError?: (error: Error) => void;
}

/** An open database: the query builder plus what the rest of the service must know about its driver. */
export interface Database {
  readonly db: Kysely<Tables>;
  readonly dialect: DialectName;
  /** A connection-level fault (server down, timeout, busy): the request may succeed later → 503. */
  isUnavailableError(error: unknown): boolean;
  /** The unique index a failed insert or update ran into, by its column, or undefined. */
  uniqueViolationColumn(error: unknown): string | undefined;
  /** Sends a message to every instance listening on the channel (PostgreSQL NOTIFY). */
  notify(channel: string, payload: string): Promise<void>;
  /**
   * Hears the channel until closed, checking every `heartbeat` ms that the connection still answers. On
   * SQLite no other instance sends anything, but another process (the CLI) may write: that is reported as
   * `onUnannounced` within a quarter of a second.
   */
  listen(channel: string, heartbeat: number, handlers: ListenHandlers): Listener;
  /** Answers a trivial query right now (within 2 s at most)? For readiness probes; never throws. */
  ping(): Promise<boolean>;
  /** The PostgreSQL pool's state, for metrics; SQLite has one connection and no pool. */
  readonly poolStats?: () => PoolStats;
  close(): Promise<void>;
}

/** Opens `sqlite:<path>` (WAL) or `postgres://…`; only this module imports a driver. */
export function openDatabase(options: DatabaseOptions): Database {
  return options.url.startsWith('sqlite:')
    ? openSqlite(options.url.slice('sqlite:'.length), options.createFolder === true)
    : openPostgres(options);
}

function openSqlite(path: string, createFolder: boolean): Database {
  const file = path === ':memory:' ? path : resolve(path);
  if (file !== ':memory:' && !existsSync(dirname(file))) {
    if (!createFolder) {
      throw new ConfigError(
        `DATABASE_URL: the folder ${dirname(file)} does not exist (create it, or correct the path)`,
      );
    }
    mkdirSync(dirname(file), { recursive: true });
  }
  const connection = new (sqliteDriver())(file);
  connection.pragma('journal_mode = WAL');
  connection.pragma('synchronous = NORMAL');
  connection.pragma('foreign_keys = ON');
  connection.pragma('busy_timeout = 5000');
  const db = new Kysely<Tables>({ dialect: new SqliteDialect({ database: withStatementCache(connection) }) });
  return {
    db,
    dialect: 'sqlite',
    isUnavailableError: (error) =>
      ['SQLITE_BUSY', 'SQLITE_LOCKED', 'SQLITE_IOERR'].includes(codeOf(error) ?? ''),
    uniqueViolationColumn(error) {
      if (!String(codeOf(error)).startsWith('SQLITE_CONSTRAINT')) return undefined;
      // "UNIQUE constraint failed: users.email_normalized"
      const match = /UNIQUE constraint failed: \w+\.(\w+)/.exec(error instanceof Error ? error.message : '');
      return match?.[1];
    },
    notify: () => Promise.resolve(),
    listen: (_channel, _heartbeat, handlers) => watchOutsideChanges(connection, handlers),
    ping: () => pingWith(db),
    close: () => db.destroy(),
  };
}

// How often a SQLite server looks for another process's commits: well within the contract's 1 s for a
// revocation to reach every instance, and a look is one read of a counter in shared memory.
const outsideChangeInterval = 250;

/**
 * SQLite's listener: another process's commit (`gatehouse users deactivate` while the server runs) sends no
 * message, but it moves the file's data version, which this connection's own commits never do. A moved
 * version is reported as a change nobody announced.
 */
function watchOutsideChanges(connection: SqliteDatabase.Database, handlers: ListenHandlers): Listener {
  const dataVersion = connection.prepare('pragma data_version').pluck();
  let seen = dataVersion.get();
  const timer = setInterval(() => {
    if (!connection.open) return;
    try {
      const version = dataVersion.get();
      if (version === seen) return;
      seen = version;
      handlers.onUnannounced();
    } catch (error) {
      handlers.onError(error instanceof Error ? error : new Error(String(error)));
    }
  }, outsideChangeInterval);
  timer.unref();
  return {
    close: () => {
      clearInterval(timer);
      return Promise.resolve();
    },
  };
}

// Distinct statements the service runs are a few dozen; the bound only guards against a runaway.
const maxCachedStatements = 500;

/**
 * Kysely prepares every query anew; SQLite then parses and plans the same text again each time, which costs
 * more than running it. The service's statements are few and fixed, so each is prepared once. Safe because
 * better-sqlite3 runs a statement to completion synchronously before the next one starts.
 */
function withStatementCache(connection: SqliteDatabase.Database): SqliteDialectDatabase {
  const statements = new Map<string, SqliteDatabase.Statement>();
  return {
    prepare(text) {
      let statement = statements.get(text);
      if (statement === undefined) {
        if (statements.size >= maxCachedStatements) statements.clear();
        statement = connection.prepare(text);
        statements.set(text, statement);
      }
      return statement;
    },
    close() {
      statements.clear();
      connection.close();
    },
  };
}

const unavailableNetworkCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
]);
// SQLSTATE: 08 connection exception, 57P01-3 shutdown / cannot connect now, 53300 too many connections,
// 57014 statement timeout.
const unavailableSqlStates = /^(08...|57P0[123]|53300|57014)$/;
// pg's own errors for a connection that is gone, could not be had in time, or did not answer in time
const unavailableMessages =
  /Connection terminated|timeout exceeded when trying to connect|connection error|Client was closed|Query read timeout/i;
// A readiness probe answers within this even when DATABASE_QUERY_TIMEOUT is longer.
const maxPingTime = 2_000;

function openPostgres(options: DatabaseOptions): Database {
  const pool = createPgPool(options);
  // Without a listener, an idle client's error (server restart, dropped socket) would crash the process.
  pool.on('error', (error) => {
    options.onIdleError?.(error);
  });
  const db = new Kysely<Tables>({
    dialect: new PostgresDialect({ pool: destroyingBrokenConnections(pool) }),
  });
  return {
    db,
    dialect: 'postgres',
    isUnavailableError(error) {
      const code = codeOf(error);
      if (code !== undefined && (unavailableNetworkCodes.has(code) || unavailableSqlStates.test(code)))
        return true;
      const message = error instanceof Error ? error.message : '';
      return unavailableMessages.test(message);
    },
    uniqueViolationColumn(error) {
      if (codeOf(error) !== '23505') return undefined;
      // our unique indexes are named <table>_<column>_key
      const constraint = (error as { constraint?: string }).constraint ?? '';
      return /^[a-z]+_(\w+)_key$/.exec(constraint)?.[1];
    },
    async notify(channel, payload) {
      await sql`select pg_notify(${channel}, ${payload})`.execute(db);
    },
    listen: (channel, heartbeat, handlers) =>
      listenOn({ url: options.url, channel, connectTimeout: options.connectTimeout, heartbeat }, handlers),
    ping: () => pingWithin(db, Math.min(options.queryTimeout, maxPingTime)),
    poolStats: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
    close: () => db.destroy(),
  };
}

/** False when the trivial query fails or has not answered within `deadline`; never throws. */
async function pingWithin(db: Kysely<Tables>, deadline: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((resolve) => {
    timer = setTimeout(resolve, deadline, false);
  });
  try {
    // the query left behind is bounded by its own deadline
    return await Promise.race([pingWith(db), late]);
  } finally {
    clearTimeout(timer);
  }
}

async function pingWith(db: Kysely<Tables>): Promise<boolean> {
  try {
    await sql`select 1`.execute(db);
    return true;
  } catch {
    return false;
  }
}

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}
