import type { FastifyPluginCallback, FastifyReply, FastifyRequest } from 'fastify';
import { routeNotFound } from '../dialect.ts';
import { loadConsoleFiles, type Asset } from './assets.ts';

/**
 * The console runs our own files and nothing else: no inline script or style (no `style=` either), no
 * other origin, no frames, no form posting elsewhere. chart.js sizes its canvas through the CSSOM, which
 * style-src does not govern; the favicon is a data: URI.
 */
const consolePolicy = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

/** Whether the client's copy (If-None-Match) is this one. */
function isFresh(request: FastifyRequest, asset: Asset): boolean {
  const header = request.headers['if-none-match'];
  if (header === undefined) return false;
  return header.split(',').some((tag) => {
    const trimmed = tag.trim();
    return trimmed === '*' || trimmed === asset.etag || trimmed === `W/${asset.etag}`;
  });
}

// Every file may be revalidated and answered 304 in one round trip, never used unchecked: names carry no
// version, and a page and its scripts from two deployments must not meet.
function sendAsset(request: FastifyRequest, reply: FastifyReply, asset: Asset) {
  reply.header('cache-control', 'no-cache').header('etag', asset.etag);
  if (isFresh(request, asset)) return reply.code(304).send();
  return reply.type(asset.contentType).send(asset.body);
}

/**
 * The staff console under /admin: its one page (client-side routes live in the fragment, so the server
 * has one URL to answer) and its assets, all from Gatehouse itself. It holds no data: the page calls
 * /api/admin with the console's cookie. Routes are left out of the OpenAPI document: they are not API.
 */
export const consoleRoutes: FastifyPluginCallback = (app, _options, done) => {
  const { page, assets } = loadConsoleFiles();

  app.addHook('onSend', (_request, reply, payload, next) => {
    reply
      .header('content-security-policy', consolePolicy)
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'no-referrer')
      .header('cross-origin-resource-policy', 'same-origin');
    next(null, payload);
  });
  // an unknown console URL answers in the same envelope as any other, under the same headers
  app.setNotFoundHandler(routeNotFound);

  app.get('/', { schema: { hide: true } }, (request, reply) => sendAsset(request, reply, page));
  app.get<{ Params: { '*': string } }>('/assets/*', { schema: { hide: true } }, (request, reply) => {
    const asset = assets.get(request.params['*']);
    if (asset === undefined) return routeNotFound();
    return sendAsset(request, reply, asset);
  });
  done();
};
