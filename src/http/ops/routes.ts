import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { GatehouseError } from '../../errors.ts';
import type { GatehouseMetrics } from '../../metrics/prometheus.ts';
import type { KeyRing } from '../../keys/key-ring.ts';
import type { MailDelivery } from '../../mail/mail-outbox.ts';
import { conduitErrors } from '../conduit/envelope.ts';
import { retryAfterSeconds } from '../dialect.ts';

export interface OpsRoutesOptions {
  keys: KeyRing;
  /**
   * Database reachable and every migration applied, and how mail is delivered (`smtp`, `log` in
   * development, `not_configured` in production without SMTP_URL), which never makes the instance unready:
   * sign-ins work without mail, and queued mails wait for it.
   */
  isReady: () => Promise<{ database: boolean; migrations: boolean; mail: MailDelivery }>;
  metrics: Pick<GatehouseMetrics, 'exposition' | 'contentType'>;
  /** when set, /metrics answers only a request bearing it */
  metricsToken: string | undefined;
}

/**
 * Seconds a relying party may cache the key set. A key leaves JWKS only once every token it signed has
 * expired, so a stale copy that still holds it accepts nothing live; a new key signs before caches have
 * seen it, so relying parties refetch on an unknown kid (as jose's createRemoteJWKSet does).
 */
const jwksMaxAge = 300;

const Jwk = Type.Object({
  kty: Type.String(),
  kid: Type.Optional(Type.String()),
  alg: Type.Optional(Type.String()),
  use: Type.Optional(Type.String()),
  crv: Type.Optional(Type.String()),
  x: Type.Optional(Type.String()),
  y: Type.Optional(Type.String()),
  n: Type.Optional(Type.String()),
  e: Type.Optional(Type.String()),
});

// The schemes every Gatehouse credential may come in (the contract's section 1).
const credentialPattern = /^(?:Bearer|Token) +(\S+) *$/i;

/**
 * Refuses a scrape without the metrics token: metrics tell traffic volumes and failed logins. Digests are
 * compared, so the comparison takes one time whatever the guess and whatever its length.
 */
function tokenCheck(token: string) {
  const expected = createHash('sha256').update(token).digest();
  return (header: string | undefined): void => {
    if (header === undefined || header.trim() === '')
      throw new GatehouseError('token_missing', 'no credentials');
    const presented = credentialPattern.exec(header)?.[1] ?? '';
    if (!timingSafeEqual(createHash('sha256').update(presented).digest(), expected)) {
      throw new GatehouseError('token_invalid', 'not the metrics token');
    }
  };
}

/** Probes for orchestrators, metrics for Prometheus, and the public keys other services verify our tokens with. */
export const opsRoutes: FastifyPluginCallbackTypebox<OpsRoutesOptions> = (app, options, done) => {
  const { keys, isReady, metrics, metricsToken } = options;
  // unset: open, for a service only its own network reaches (see METRICS_TOKEN)
  const checkToken = metricsToken === undefined ? undefined : tokenCheck(metricsToken);
  app.get(
    '/healthz',
    {
      schema: {
        summary: 'The process is up',
        tags: ['ops'],
        response: { 200: Type.Object({ status: Type.String() }) },
      },
    },
    () => ({ status: 'ok' }),
  );

  const Readiness = Type.Object({
    status: Type.String(),
    database: Type.Boolean(),
    migrations: Type.Boolean(),
    mail: Type.Union([Type.Literal('smtp'), Type.Literal('file'), Type.Literal('not_configured')], {
      description:
        'how mail is delivered; `not_configured` (production without SMTP_URL) leaves the status ready',
    }),
  });
  app.get(
    '/readyz',
    {
      schema: {
        summary: 'The database is reachable and migrated (and how mail is delivered)',
        tags: ['ops'],
        response: { 200: Readiness, 503: Readiness },
      },
    },
    async (_request, reply) => {
      const checks = await isReady();
      const ready = checks.database && checks.migrations;
      // the contract's answer to an unreachable database: 503 with when to ask again
      if (!ready) void reply.header('retry-after', String(retryAfterSeconds));
      return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'unavailable', ...checks });
    },
  );

  app.get(
    '/.well-known/jwks.json',
    {
      schema: {
        summary: 'Public signing keys (empty with HS256)',
        tags: ['ops'],
        response: { 200: Type.Object({ keys: Type.Array(Jwk) }) },
      },
    },
    async (_request, reply) => {
      // Public and cacheable, unlike every other response (see jwksMaxAge).
      reply.header('cache-control', `public, max-age=${jwksMaxAge}`);
      return keys.jwks();
    },
  );

  app.get(
    '/metrics',
    {
      schema: {
        summary: 'Counters and gauges in the Prometheus text format (version 0.0.4)',
        tags: ['ops'],
        response: {
          200: {
            description: 'The exposition; `Authorization: Bearer <METRICS_TOKEN>` when that is set',
            content: { 'text/plain': { schema: Type.String() } },
          },
          ...conduitErrors(401),
        },
      },
    },
    async (request, reply) => {
      checkToken?.(request.headers.authorization);
      const exposition = await metrics.exposition();
      return reply.type(metrics.contentType).send(exposition);
    },
  );
  done();
};
