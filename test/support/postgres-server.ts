import { createServer } from 'node:net';
import pg from 'pg';
import { locateBinaries, startEmbeddedPostgres } from './embedded-postgres.ts';

/** A PostgreSQL server to create test or benchmark databases on, and how to let it go. */
export interface PostgresServer {
  /** a superuser connection to its `postgres` database */
  adminUrl: string;
  stop(): Promise<void>;
}

/**
 * The server `DATABASE_URL_TEST` names, once it answers, or else a throwaway one from the binaries of the
 * embedded-postgres package, so a fresh machine needs nothing installed. Fails with a
 * PostgresUnavailableError, whose message is one line saying why.
 */
export async function providePostgres(adminUrl: string | undefined): Promise<PostgresServer> {
  if (adminUrl !== undefined && adminUrl !== '') {
    await checkReachable(adminUrl);
    return { adminUrl, stop: () => Promise.resolve() };
  }
  const binaries = await locateBinaries();
  const port = await freePort();
  console.log(`starting embedded PostgreSQL on port ${port} (set DATABASE_URL_TEST to use your own server)`);
  return startEmbeddedPostgres(binaries, port);
}

// One clear line now rather than the same connection error from every test later.
async function checkReachable(adminUrl: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 5000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('select 1');
  } catch (error) {
    const reason = error instanceof Error && error.message !== '' ? error.message : String(error);
    let server = 'the server DATABASE_URL_TEST names';
    try {
      const url = new URL(adminUrl);
      server += ` (${url.hostname}:${url.port || '5432'})`;
    } catch {
      // a URL pg could read but URL cannot: the reason says enough
    }
    throw new Error(`cannot use ${server}: ${reason.split('\n')[0] ?? reason}`, { cause: error });
  } finally {
    await client.end().catch(() => undefined);
  }
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
