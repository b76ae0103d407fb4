import { readFileSync } from 'node:fs';
import { STATUS_CODES } from 'node:http';
import { join } from 'node:path';
import type { SwaggerOptions, SwaggerTransformObject } from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type, type Static } from 'typebox';
import { bodyOptional } from '../absent-body.ts';
import { credentialSchemes } from '../authenticate.ts';
import { packageRoot } from '../package-root.ts';

/**
 * Seconds a client or proxy may keep the document. It is the same for everyone and changes only with a
 * deployment, so a few minutes of staleness after one costs nothing (as with the JWKS).
 */
const documentMaxAge = 300;

/** Where the UI lives; its page, assets and its own copy of the document are all under it. */
const docsPrefix = '/docs';

/** The package's version, from its package.json. */
function packageVersion(): string {
  const path = join(packageRoot(), 'package.json');
  const { version } = JSON.parse(readFileSync(path, 'utf8')) as { version: string };
  return version;
}

/**
 * Names every response by its status's reason phrase ("Created", "Unauthorized"), where @fastify/swagger
 * would write "Default Response" or the body schema's description; what the body holds stays in its schema.
 */
const describeResponses: SwaggerTransformObject = (documentObject) => {
  const paths = 'openapiObject' in documentObject ? documentObject.openapiObject.paths : undefined;
  for (const pathItem of Object.values(paths ?? {})) {
    for (const operation of Object.values(pathItem ?? {})) {
      if (typeof operation !== 'object' || !('responses' in operation)) continue;
      for (const [status, response] of Object.entries(operation.responses)) {
        if ('description' in response) response.description = STATUS_CODES[status] ?? status;
      }
      // @fastify/swagger marks every declared body required; a route that takes none says so
      const flagged = operation as typeof operation & { [bodyOptional]?: boolean };
      if (flagged[bodyOptional] === true) {
        if (operation.requestBody !== undefined && 'content' in operation.requestBody)
          operation.requestBody.required = false;
        Reflect.deleteProperty(flagged, bodyOptional);
      }
    }
  }
  return 'openapiObject' in documentObject ? documentObject.openapiObject : documentObject.swaggerObject;
};

/**
 * @fastify/swagger's options: the document's fixed parts. Register it before any route, so its onRoute hook
 * sees them all; every path, body, parameter and response comes from the routes' own schemas, and each
 * route's `security` from authenticate.ts. The security schemes are the Authorization header's and those of
 * the cookies the dialects read (`cookieSchemes`: the staff console's cookie and its CSRF header).
 */
export function apiDescription(
  publicUrl: string,
  cookieSchemes: Readonly<Record<string, object>>,
): SwaggerOptions {
  return {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Gatehouse',
        version: packageVersion(),
        description: [
          'Self-hosted authentication. `/api` speaks Conduit (RealWorld): errors are',
          '`{"errors": {"<field>": ["<message>"]}}`, validation answers 422. `/auth` speaks djoser 2 + simplejwt 5:',
          'errors are `{"<field>": ["<message>"]}` or `{"detail": "…"}`, validation answers 400.',
          'A token from either dialect works in both, as `Authorization: Bearer`, `Token` or `JWT`.',
          '`/api/admin` is the staff API (staff only): errors are `{"error": {"code", "message", "fields"?}}`.',
        ].join(' '),
      },
      servers: [{ url: publicUrl }],
      tags: [
        { name: 'conduit', description: 'RealWorld users and profiles under /api' },
        { name: 'sessions', description: "Gatehouse's extensions under /api: token pairs, logout, sessions" },
        { name: 'djoser', description: 'djoser and simplejwt under /auth' },
        { name: 'staff', description: 'The staff API under /api/admin, for the console and operators' },
        { name: 'ops', description: 'Probes, public keys and this document' },
      ],
      components: { securitySchemes: { ...credentialSchemes, ...cookieSchemes } },
    },
    transformObject: describeResponses,
    // PUBLIC_URL may carry a path (a service mounted behind a proxy); route paths are never relative to it
    stripBasePath: false,
  };
}

// The UI runs only our own files: no inline script, nothing from elsewhere. Swagger UI's stylesheet draws
// its icons from data: URIs; "Try it out" calls the API, which is this origin or PUBLIC_URL's.
function contentSecurityPolicy(publicUrl: string): string {
  const apiOrigin = new URL(publicUrl).origin;
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    `connect-src 'self' ${apiOrigin}`,
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

// Declared loosely: the document describes itself, and every field past `openapi` is sent as it is.
const OpenApiDocument = Type.Object({ openapi: Type.String() }, { additionalProperties: true });

export interface ApiDocsRoutesOptions {
  publicUrl: string;
}

/** GET /openapi.json and the Swagger UI at /docs, both from the document @fastify/swagger built. */
export const apiDocsRoutes: FastifyPluginAsyncTypebox<ApiDocsRoutesOptions> = async (app, { publicUrl }) => {
  app.get(
    '/openapi.json',
    {
      schema: {
        summary: 'This document (OpenAPI 3.1)',
        tags: ['ops'],
        response: { 200: OpenApiDocument },
      },
    },
    (_request, reply) => {
      reply.header('cache-control', `public, max-age=${documentMaxAge}`);
      // built once, on the first call, when every route is registered
      return app.swagger() as Static<typeof OpenApiDocument>;
    },
  );

  await app.register(swaggerUi, {
    routePrefix: docsPrefix,
    staticCSP: contentSecurityPolicy(publicUrl),
    theme: { title: 'Gatehouse API' },
  });
};
