import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { KeyRing } from '../../sessions/key-ring.ts';

export interface OpsRoutesOptions {
  keys: KeyRing;
  /** database reachable and every migration applied */
  isReady: () => Promise<{ database: boolean; migrations: boolean }>;
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

/** Probes for orchestrators and the public keys other services verify our tokens with. */
export const opsRoutes: FastifyPluginCallbackTypebox<OpsRoutesOptions> = (app, { keys, isReady }, done) => {
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
  });
  app.get(
    '/readyz',
    {
      schema: {
        summary: 'The database is reachable and migrated',
        tags: ['ops'],
        response: { 200: Readiness, 503: Readiness },
      },
    },
    async (_request, reply) => {
      const checks = await isReady();
      const ready = checks.database && checks.migrations;
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
  done();
};
