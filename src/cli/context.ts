import { createServices, type Services } from '../services.ts';
import { loadConfig, type Config } from '../config/config.ts';
import { resolveSecretKey } from '../config/secret-key.ts';
import { openDatabase, type Database } from '../store/database.ts';

export type Env = Readonly<Record<string, string | undefined>>;

/** A command's failure, told to the user in one line. */
export class CommandError extends Error {
  override readonly name = 'CommandError';
}

export function openConfiguredDatabase(config: Config): Database {
  return openDatabase({
    url: config.databaseUrl,
    createFolder: config.createDatabaseFolder,
    poolSize: 2,
    connectTimeout: config.databaseConnectTimeout,
    statementTimeout: config.databaseStatementTimeout,
    queryTimeout: config.databaseQueryTimeout,
  });
}

/** Runs `work` with the configured services, closing the database however it ends. */
export async function withServices<T>(
  env: Env,
  work: (services: Services, config: Config) => Promise<T>,
): Promise<T> {
  const config = loadConfig(env);
  const database = openConfiguredDatabase(config);
  let services: Services | undefined;
  try {
    services = await createServices({ config, database, secretKey: resolveSecretKey(config) });
    return await work(services, config);
  } finally {
    await services?.close();
    await database.close();
  }
}
