import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import {
  locateBinaries,
  PostgresUnavailableError,
  startEmbeddedPostgres,
  type PostgresBinaries,
} from './embedded-postgres.ts';

const root = fileURLToPath(new URL('../../../', import.meta.url));

function hasPostgresUser(): boolean {
  try {
    execFileSync('id', ['-u', 'postgres'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
// As root the server runs as the `postgres` user; without one there is nothing to try here.
const skipAsRootWithoutUser =
  process.getuid?.() === 0 && !hasPostgresUser() && 'running as root with no postgres user to run as';

async function freePort(): Promise<number> {
  const probe = createServer().listen(0, '127.0.0.1');
  await new Promise((resolve) => probe.once('listening', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

async function currentUser(url: string): Promise<string> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const result = await client.query<{ user: string }>('select current_user as user');
    return result.rows[0]?.user ?? '';
  } finally {
    await client.end();
  }
}

function assertOneLineNamingTheWayOut(error: unknown): true {
  assert.ok(error instanceof PostgresUnavailableError, String(error));
  assert.doesNotMatch(error.message, /\n/);
  assert.match(error.message, /DATABASE_URL_TEST/);
  return true;
}

describe('the embedded PostgreSQL', { skip: skipAsRootWithoutUser }, () => {
  let binaries: PostgresBinaries;
  before(async () => {
    binaries = await locateBinaries();
  });

  it('starts from binaries in a folder only its owner may enter, as a clone in /root or mktemp -d', async () => {
    const privateFolder = mkdtempSync(join(tmpdir(), 'gatehouse-private-'));
    try {
      assert.equal(statSync(privateFolder).mode & 0o777, 0o700);
      const installation = dirname(dirname(binaries.postgres));
      const copy = join(privateFolder, 'node_modules', 'pg-binaries');
      cpSync(installation, copy, { recursive: true, verbatimSymlinks: true });
      const inCopy = (program: string) => join(copy, relative(installation, program));

      const server = await startEmbeddedPostgres(
        { initdb: inCopy(binaries.initdb), postgres: inCopy(binaries.postgres) },
        await freePort(),
      );
      try {
        assert.equal(await currentUser(server.adminUrl), 'postgres');
      } finally {
        await server.stop();
      }
      await assert.rejects(currentUser(server.adminUrl), /ECONNREFUSED/);
    } finally {
      rmSync(privateFolder, { recursive: true, force: true });
    }
  });

  it('fails with one line naming DATABASE_URL_TEST when its programs cannot be run', async () => {
    // programs that are not executable: spawning them fails with an 'error' event, not an exit code
    const installation = mkdtempSync(join(tmpdir(), 'gatehouse-not-programs-'));
    try {
      mkdirSync(join(installation, 'bin'));
      const fake = {
        initdb: join(installation, 'bin', 'initdb'),
        postgres: join(installation, 'bin', 'postgres'),
      };
      for (const program of Object.values(fake)) writeFileSync(program, 'not a program\n', { mode: 0o644 });
      await assert.rejects(startEmbeddedPostgres(fake, await freePort()), assertOneLineNamingTheWayOut);
    } finally {
      rmSync(installation, { recursive: true, force: true });
    }
  });

  describe('on a port already taken', () => {
    // whoever holds the port hangs up at once, so the start-up probes do not wait on it
    const taken = createServer((socket) => socket.destroy());
    before(() => new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve)));
    after(
      () =>
        new Promise<void>((resolve) => {
          taken.close(() => {
            resolve();
          });
        }),
    );

    it('fails with one line saying why the server ended', async () => {
      const { port } = taken.address() as AddressInfo;
      await assert.rejects(startEmbeddedPostgres(binaries, port), (error) => {
        assertOneLineNamingTheWayOut(error);
        assert.match((error as Error).message, /postgres ended/);
        return true;
      });
    });
  });
});

describe('npm test without a PostgreSQL to run on', () => {
  it('says so in one line and exits 1 when DATABASE_URL_TEST names a server that does not answer', async () => {
    const child = spawn(process.execPath, [join(root, 'scripts', 'test.js'), 'no-test-has-this-name'], {
      env: { PATH: process.env.PATH ?? '', DATABASE_URL_TEST: 'postgres://postgres@127.0.0.1:1/postgres' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const code = await new Promise((resolve) => child.once('close', resolve));
    assert.equal(code, 1, stderr);
    assert.deepEqual(
      stderr.split('\n').filter((line) => line !== ''),
      [
        'npm test: cannot use the server DATABASE_URL_TEST names (127.0.0.1:1): connect ECONNREFUSED 127.0.0.1:1',
      ],
    );
  });
});
