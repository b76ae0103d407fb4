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
  app.addHook('onClose', async () => {
    await listener.close();
    await services.close();
  });
  return app;
}
