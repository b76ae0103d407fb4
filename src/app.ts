import type { Logger } from 'pino';
import { buildHttpServer } from './http/server.ts';
import { createMetrics } from './metrics/prometheus.ts';
import { createServices, type ServiceOptions } from './services.ts';
import { isMigrated } from './store/migrator.ts';

/** The one composition root of the HTTP service. */
export async function buildApp(options: ServiceOptions & { logger: Logger }) {
  const { config, database, logger } = options;
  const metrics = createMetrics();
  const services = await createServices({ ...options, metrics: metrics.events });
  const listener = services.listenForChanges();
  metrics.watchDatabase({ pool: database.poolStats, isListening: listener.isListening });
  const app = await buildHttpServer({
    config,
    logger,
    ...services,
    metrics,
    isUnavailable: (error) => database.isUnavailableError(error),
    isReady: async () => {
      const reachable = await database.ping();
      return { database: reachable, migrations: reachable && (await isMigrated(database)) };
    },
  });
  // Before listening the keys are read, never written: a server that cannot read them, or whose SECRET_KEY
  // does not open the signer, does not start, and a start that fails (the port taken) changes nothing.
  app.addHook('onReady', () => services.keys.load());
  // Listening, the server is sure to run: on a table with no signer the first key is made now rather than
  // at the first login, so that JWKS and `gatehouse keys list` show it at once.
  app.addHook('onListen', async () => {
    try {
      await services.keys.signer();
    } catch (error) {
      logger.warn({ err: error }, 'could not load or make the signing key; the next signing tries again');
    }
  });
  app.addHook('onClose', async () => {
    await listener.close();
    await services.close();
  });
  return app;
}
