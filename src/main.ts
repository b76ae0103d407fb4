import { buildApp } from './app.ts';
import { loadConfig } from './config/config.ts';
import { resolveSecretKey } from './config/secret-key.ts';
import { drainTimeout } from './http/connections.ts';
import { createLogger } from './http/logger.ts';
import { openDatabase } from './store/database.ts';
import { migrateToLatest } from './store/migrator.ts';

/** `gatehouse serve`: config → database → migrations → app → listen → workers; drains on SIGTERM. */
export async function serve(env: Readonly<Record<string, string | undefined>>): Promise<void> {
  const config = loadConfig(env);
  const logger = createLogger(config.logLevel);
  const database = openDatabase({
    url: config.databaseUrl,
    createFolder: config.createDatabaseFolder,
    poolSize: config.databasePoolSize,
    connectTimeout: config.databaseConnectTimeout,
    statementTimeout: config.databaseStatementTimeout,
    queryTimeout: config.databaseQueryTimeout,
    onIdleError: (error) => {
      logger.warn({ err: error }, 'database connection lost; the pool will reconnect');
    },
  });
  if (config.migrateOnStart) {
    const applied = await migrateToLatest(database);
    if (applied.length > 0) logger.info({ migrations: applied }, 'migrations applied');
  }
  const { app, workers } = await buildApp({ config, database, secretKey: resolveSecretKey(config), logger });
  await app.listen({ host: config.host, port: config.port });
  // only a server that is sure to run starts its background work; closing the app stops it
  for (const worker of workers) worker.start();

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'draining');
    setTimeout(() => {
      logger.warn('drain timed out; exiting');
      process.exit(1);
    }, drainTimeout).unref();
    void app
      .close()
      .then(() => database.close())
      .then(() => process.exit(0));
  };
  process.once('SIGTERM', () => {
    stop('SIGTERM');
  });
  process.once('SIGINT', () => {
    stop('SIGINT');
  });
}
