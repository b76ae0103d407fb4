import type { Logger } from 'pino';
import { conduitDialect } from './http/conduit/envelope.ts';
import { conduitRoutes } from './http/conduit/routes.ts';
import { djoserDialect } from './http/djoser/envelope.ts';
import { djoserRoutes } from './http/djoser/routes.ts';
import { staffDialect } from './http/staff/envelope.ts';
import { staffRoutes } from './http/staff/routes.ts';
import { buildHttpServer } from './http/server.ts';
import { createMetrics } from './metrics/prometheus.ts';
import { createServices, type ServiceOptions } from './services.ts';
import { isMigrated } from './store/migrator.ts';
import type { Worker } from './worker.ts';

/**
 * Every dialect Gatehouse speaks, one entry each: a new one is an entry here and its folder under http/.
 * Each is mounted under its prefix with the routes its factory makes from the services; the first also
 * answers outside every prefix (probes, unknown paths). A URL belongs to the dialect with the longest prefix
 * it starts with: /api/admin is the staff's, the rest of /api Conduit's.
 */
export const dialects = [
  { dialect: conduitDialect, prefix: '/api', routes: conduitRoutes },
  { dialect: djoserDialect, prefix: '/auth', routes: djoserRoutes },
  { dialect: staffDialect, prefix: '/api/admin', routes: staffRoutes },
] as const;

/**
 * The one composition root of the HTTP service: the services, the dialects they are spoken in, and the
 * background workers that run beside the requests. `serve` starts the workers once it listens; closing
 * the app stops them.
 */
export async function buildApp(options: ServiceOptions & { logger: Logger }) {
  const { config, database, logger } = options;
  const metrics = createMetrics();
  const services = await createServices({ ...options, metrics: metrics.events });

  let migrated = false;
  // What runs in the background of a server; no other command starts any of them.
  const workers: readonly Worker[] = [
    services.changeListener,
    services.mail.relay,
    services.auditPruner,
    services.accountEraser,
    services.staff.reactivation,
  ];
  metrics.watchDatabase({
    pool: database.poolStats,
    isListening: database.dialect === 'postgres' ? services.changeListener.isUp : undefined,
  });
  // after the pool's gauges, which a scrape reads first: they show the pool before the depth's own count
  metrics.watchOutbox(services.mail.depth);
  const app = await buildHttpServer({
    config,
    logger,
    dialects: dialects.map(({ dialect, prefix, routes }) => ({ dialect, prefix, routes: routes(services) })),
    authenticate: services.sessions.authenticate,
    keys: services.keys,
    metrics,
    isUnavailable: (error) => database.isUnavailableError(error),
    isReady: async () => {
      const reachable = await database.ping();
      // nothing un-applies a migration: once all are seen applied, a probe needs no second query
      migrated ||= reachable && (await isMigrated(database));
      return { database: reachable, migrations: reachable && migrated, mail: services.mail.delivery };
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
    for (const worker of workers) await worker.stop();
    await services.close();
  });
  return { app, workers };
}
