import { buildApp } from '../../src/app.ts';
import type { Clock } from '../../src/clock.ts';
import { loadConfig } from '../../src/config/config.ts';
import { createLogger } from '../../src/http/logger.ts';
import type { HttpServer } from '../../src/http/server.ts';
import { testEnvironment, type TestApp } from '../support/test-app.ts';

/**
 * A second instance over the test app's database and SECRET_KEY, as another server of the same deployment;
 * `env` may change its settings (JWT_ALGORITHM). Close it before the test app.
 */
export async function startAnotherInstance(
  test: TestApp,
  options: { env?: Record<string, string>; clock?: Clock } = {},
): Promise<HttpServer> {
  const config = loadConfig({
    ...testEnvironment,
    DATABASE_URL: test.config.databaseUrl,
    CONDUIT_TOKEN_TTL: `${test.config.conduitTokenTtl}ms`,
    ACCESS_TOKEN_TTL: `${test.config.accessTokenTtl}ms`,
    ...options.env,
  });
  const { app, workers } = await buildApp({
    config,
    database: test.database,
    secretKey: test.secretKey,
    logger: createLogger('silent'),
    clock: options.clock ?? test.clock,
  });
  await app.ready();
  for (const worker of workers) worker.start();
  return app;
}
