import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Validator } from '@seriousme/openapi-schema-validator';
import { dialects as mountedDialects } from '../../src/app.ts';
import { GatehouseError } from '../../src/errors.ts';
import { callerOptional, callerRequired } from '../../src/http/authenticate.ts';
import type { Dialect } from '../../src/http/dialect.ts';
import { dialectFinder, type HttpServer } from '../../src/http/server.ts';
import { staffDialect } from '../../src/http/staff/envelope.ts';
import { dialects } from '../support/databases.ts';
import { newUser, registerUser, request, startTestApp, type TestApp } from '../support/test-app.ts';
import { notFound as djoserNotFound } from './djoser-shapes.ts';
import { consoleSignIn, registerStaff } from './staff-shapes.ts';

interface Schema {
  type?: string;
  properties?: Record<string, Schema>;
  required?: string[];
  minLength?: number;
  enum?: unknown[];
  anyOf?: Schema[];
}

interface Operation {
  security?: unknown[];
  requestBody?: { required?: boolean; content: { 'application/json': { schema: Schema } } };
  responses: Record<string, unknown>;
}

interface OpenApiDocument {
  openapi: string;
  info: { title: string; version: string };
  servers: Array<{ url: string }>;
  paths: Record<string, Record<string, Operation>>;
  components: { securitySchemes: Record<string, unknown> };
}

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

interface DocumentedOperation {
  method: Method;
  path: string;
  operation: Operation;
}

const conduitNotFound = { errors: { body: ['not found'] } };
const badToken = { authorization: 'Bearer not.a.token' };
const forgedCookie = { cookie: 'gatehouse_console=not.a.token' };
const csrfFailed = staffDialect.envelope(new GatehouseError('csrf_failed', ''));
const publicUrl = 'http://gatehouse.test';

function operationsOf(document: OpenApiDocument): DocumentedOperation[] {
  return Object.entries(document.paths).flatMap(([path, item]) =>
    Object.entries(item).map(([method, operation]) => ({
      method: method.toUpperCase() as Method,
      path,
      operation,
    })),
  );
}

/** `METHOD /path` with `:param` segments and no trailing slash, the way the router stores a route. */
const routeKey = (method: string, path: string) =>
  `${method} ${path.replace(/\{(\w+)\}/g, ':$1').replace(/(.)\/$/, '$1')}`;

/**
 * Every method and path in Fastify's own radix tree (`printRoutes`), HEAD left out: the router answers it
 * for every GET. Each line is `<tree drawing>── <segment> (<METHODS>)`; a path is its ancestors' segments
 * and its own, end to end, and a node without methods is only a shared prefix.
 */
function registeredRoutes(app: HttpServer): string[] {
  const parents: string[] = [];
  const routes: string[] = [];
  for (const line of app.printRoutes().split('\n')) {
    const match = /^((?:[│ ] {3})*)[├└]── (\S+)(?: \(([A-Z, ]+)\))?$/.exec(line);
    if (match === null) continue;
    const depth = (match[1] ?? '').length / 4;
    const path = (parents[depth - 1] ?? '') + (match[2] ?? '');
    parents[depth] = path;
    for (const method of (match[3] ?? '').split(', ')) {
      if (method !== '' && method !== 'HEAD') routes.push(routeKey(method, path));
    }
  }
  return routes.sort();
}

/** The smallest body the schema accepts: each required field with the least value of its type. */
function minimalValue(schema: Schema): unknown {
  if (schema.enum !== undefined) return schema.enum[0];
  if (schema.anyOf?.[0] !== undefined) return minimalValue(schema.anyOf[0]);
  if (schema.type === 'object') {
    return Object.fromEntries(
      (schema.required ?? []).map((name) => [name, minimalValue(schema.properties?.[name] ?? {})]),
    );
  }
  if (schema.type === 'string') return 'x'.repeat(Math.max(1, schema.minLength ?? 1));
  if (schema.type === 'array') return [];
  throw new Error(`no minimal value for ${JSON.stringify(schema)}`);
}

/** A request the route's schemas accept, so it reaches the handler: parameters named, body minimal. */
function call(app: HttpServer, { method, path, operation }: DocumentedOperation, headers = {}) {
  const url = path.replace(/\{\w+\}/g, 'nobody');
  const body = operation.requestBody?.content['application/json'].schema;
  return request(app, method, url, { headers, ...(body === undefined ? {} : { body: minimalValue(body) }) });
}

// Each route answers in the dialect mounted at its prefix, as the server finds it.
const dialectOf = dialectFinder(mountedDialects);
const missingCredentials = (dialect: Dialect) => dialect.envelope(new GatehouseError('token_missing', ''));
const invalidCredentials = (dialect: Dialect) => dialect.envelope(new GatehouseError('token_invalid', ''));

function isAnswer(response: { status: number; body: unknown }, status: number, body: unknown): boolean {
  return response.status === status && JSON.stringify(response.body) === JSON.stringify(body);
}

for (const dialect of dialects) {
  describe(`GET /openapi.json and /docs on ${dialect}`, () => {
    let test: TestApp;
    let document: OpenApiDocument;
    let operations: DocumentedOperation[];
    before(async () => {
      test = await startTestApp(dialect);
      const response = await request(test.app, 'GET', '/openapi.json');
      assert.equal(response.status, 200, response.text);
      document = response.body as OpenApiDocument;
      operations = operationsOf(document);
    });
    after(() => test.close());

    const documented = (method: Method, path: string) => {
      const found = operations.find((entry) => entry.method === method && entry.path === path);
      assert.ok(found, `${method} ${path} is not documented`);
      return found.operation;
    };

    it('answers a valid OpenAPI 3.1 document, cacheable for five minutes', async () => {
      const response = await request(test.app, 'GET', '/openapi.json');
      assert.equal(response.headers['content-type'], 'application/json; charset=utf-8');
      assert.equal(response.headers['cache-control'], 'public, max-age=300');
      assert.equal(document.openapi, '3.1.0');
      assert.equal(document.info.title, 'Gatehouse');
      assert.deepEqual(document.servers, [{ url: publicUrl }]);
      const validator = new Validator();
      const result = await validator.validate(document as unknown as Record<string, unknown>);
      assert.equal(validator.version, '3.1');
      assert.deepEqual(result.errors, undefined);
      assert.equal(result.valid, true);

      // and the validator is no rubber stamp: a response without its description is refused
      const broken = structuredClone(document);
      delete (broken.paths['/healthz']?.get?.responses['200'] as { description?: string }).description;
      assert.equal(
        (await new Validator().validate(broken as unknown as Record<string, unknown>)).valid,
        false,
      );
    });

    it('documents every route Fastify registered, with its methods, and no other', () => {
      // the UI's page, assets and its own copy of this document are not API: its plugin hides them; the
      // console's page and assets are hidden too
      const routes = registeredRoutes(test.app).filter(
        (route) => !/^[A-Z]+ \/(docs|admin)(\/|$)/.test(route),
      );
      assert.ok(routes.includes('POST /auth/jwt/create'), routes.join('\n'));
      const paths = operations.map(({ method, path }) => routeKey(method, path)).sort();
      assert.deepEqual(paths, routes);
    });

    it('reaches a route at every documented path and method, and answers a status documented for it', async () => {
      for (const entry of operations) {
        const response = await call(test.app, entry);
        const where = `${entry.method} ${entry.path}: ${response.status} ${response.text}`;
        assert.ok(String(response.status) in entry.operation.responses, where);
        assert.ok(
          !isAnswer(response, 404, conduitNotFound) && !isAnswer(response, 404, djoserNotFound),
          where,
        );
      }
    });

    it('marks a body required except where the route takes none (logout, a mail to yourself, an activation)', async () => {
      const bodyOptional = new Set([
        'POST /api/users/logout',
        'POST /api/users/verification',
        'POST /api/admin/users/{id}/activate',
      ]);
      for (const { method, path, operation } of operations) {
        if (operation.requestBody === undefined) continue;
        const optional = bodyOptional.has(`${method} ${path}`);
        assert.equal(operation.requestBody.required, !optional, `${method} ${path}`);
        assert.ok(!('x-body-optional' in operation), `${method} ${path} leaks the mark`);
      }
      // and the routes do take none (the mail first: logging out ends the session the token names)
      const user = await registerUser(test.app);
      const verification = await test.app.inject({
        method: 'POST',
        url: '/api/users/verification',
        headers: { authorization: `Token ${user.token}` },
      });
      assert.equal(verification.statusCode, 202);
      const response = await test.app.inject({
        method: 'POST',
        url: '/api/users/logout',
        headers: { authorization: `Token ${user.token}` },
      });
      assert.equal(response.statusCode, 204);
    });

    it('declares one success status per operation', () => {
      for (const { method, path, operation } of operations) {
        const successes = Object.keys(operation.responses).filter((status) => status.startsWith('2'));
        assert.equal(successes.length, 1, `${method} ${path}: ${successes.join(', ')}`);
      }
    });

    it('declares security exactly where a route asks for credentials, and marks where they are optional', async () => {
      assert.deepEqual(Object.keys(document.components.securitySchemes).sort(), [
        'Bearer',
        'ConsoleCookie',
        'ConsoleCsrf',
        'Token',
      ]);
      let login = await consoleSignIn(test.app, await registerStaff(test));
      const seen = { cookie: 0, cookieAndCsrf: 0 };
      for (const entry of operations) {
        const where = `${entry.method} ${entry.path}`;
        const kind = dialectOf(entry.path);
        const anonymous = await call(test.app, entry);
        const forged = await call(test.app, entry, badToken);
        const demandsCredentials = isAnswer(anonymous, 401, missingCredentials(kind));
        const readsCredentials = isAnswer(forged, 401, invalidCredentials(kind));
        const headers = demandsCredentials ? callerRequired : readsCredentials ? callerOptional : undefined;
        // the console's cookie: a route that reads it refuses a forged one as it does a forged token; a
        // route that also wants the CSRF header with it refuses the real cookie alone, and takes both
        const readsCookie = isAnswer(
          await call(test.app, entry, forgedCookie),
          401,
          invalidCredentials(kind),
        );
        const cookieAlone = await call(test.app, entry, { cookie: login.cookie });
        const wantsCsrf = isAnswer(cookieAlone, 403, csrfFailed);
        let cookie: unknown[] = [];
        if (readsCookie && wantsCsrf) {
          const both = await call(test.app, entry, { cookie: login.cookie, 'x-csrf-token': login.csrfToken });
          assert.ok(both.status !== 401 && !isAnswer(both, 403, csrfFailed), `${where}: ${both.text}`);
          // that was a sign-out: a new session for the routes after it
          if (where === 'DELETE /api/admin/session')
            login = await consoleSignIn(test.app, await registerStaff(test));
          cookie = [{ ConsoleCookie: [], ConsoleCsrf: [] }];
          seen.cookieAndCsrf += 1;
        } else if (readsCookie) {
          assert.notEqual(cookieAlone.status, 401, `${where}: ${cookieAlone.text}`);
          cookie = [{ ConsoleCookie: [] }];
          seen.cookie += 1;
        }
        assert.deepEqual(entry.operation.security, headers && [...headers, ...cookie], where);
      }
      // the staff API's reads and writes both: no route silently passed over
      assert.ok(seen.cookie >= 5 && seen.cookieAndCsrf >= 5, JSON.stringify(seen));
    });

    it('documents the statuses real requests get: registration 201, the current user 200 and 401', async () => {
      const user = newUser();
      const registered = await request(test.app, 'POST', '/api/users', { body: { user } });
      assert.equal(registered.status, 201, registered.text);
      assert.ok('201' in documented('POST', '/api/users').responses);

      const { token } = (registered.body as { user: { token: string } }).user;
      const current = await request(test.app, 'GET', '/api/user', { token });
      assert.equal(current.status, 200);
      const anonymous = await request(test.app, 'GET', '/api/user');
      assert.equal(anonymous.status, 401);
      assert.ok('200' in documented('GET', '/api/user').responses);
      assert.ok('401' in documented('GET', '/api/user').responses);
    });

    it('documents the statuses real requests get: simplejwt login 200 and 401', async () => {
      const user = await registerUser(test.app);
      const create = (password: string) =>
        request(test.app, 'POST', '/auth/jwt/create/', { body: { email: user.email, password } });
      assert.equal((await create(user.password)).status, 200);
      assert.equal((await create(`${user.password}-wrong`)).status, 401);
      const { responses } = documented('POST', '/auth/jwt/create/');
      assert.ok('200' in responses && '401' in responses);
    });

    it('tells no secret, stack trace or file path of the server', async () => {
      const response = await request(test.app, 'GET', '/openapi.json');
      for (const secret of [test.secretKey, test.config.databaseUrl, process.cwd(), 'node_modules']) {
        assert.ok(!response.text.includes(secret), `the document contains ${secret}`);
      }
      assert.doesNotMatch(response.text, /\bat .+:\d+:\d+/);
    });

    for (const page of ['/docs', '/docs/']) {
      it(`serves ${page} as HTML whose every asset comes from this server, under a tight CSP`, async () => {
        const response = await request(test.app, 'GET', page);
        assert.equal(response.status, 200);
        assert.equal(response.headers['content-type'], 'text/html; charset=utf-8');
        assert.equal(response.headers['cache-control'], 'no-store');
        const policy = String(response.headers['content-security-policy']);
        for (const directive of [
          "default-src 'none'",
          "script-src 'self'",
          "style-src 'self'",
          `connect-src 'self' ${publicUrl}`,
          "frame-ancestors 'none'",
        ]) {
          assert.ok(policy.split('; ').includes(directive), `${directive} in ${policy}`);
        }
        assert.doesNotMatch(policy, /unsafe|https?:(?!\/\/gatehouse\.test)|\*/);

        const base = new URL(page, publicUrl);
        const assets = [...response.text.matchAll(/(?:src|href)="([^"]+)"/g)].map((match) => match[1] ?? '');
        assert.ok(assets.length >= 5, response.text);
        assert.doesNotMatch(response.text, /<script(?![^>]*\bsrc=)[^>]*>/, 'an inline script');
        for (const asset of assets) {
          const url = new URL(asset, base);
          assert.equal(url.origin, publicUrl, asset);
          const served = await request(test.app, 'GET', url.pathname);
          assert.equal(served.status, 200, `${url.pathname}: ${served.status}`);
          assert.ok(served.headers['content-security-policy'], url.pathname);
        }
      });
    }

    it('feeds the UI the same document, and refuses paths outside its assets', async () => {
      const initializer = await request(test.app, 'GET', '/docs/static/swagger-initializer.js');
      assert.match(initializer.text, /resolveUrl\('\.\/json'\)/);
      const copy = await request(test.app, 'GET', '/docs/json');
      assert.deepEqual(copy.body, document);
      const outside = await request(test.app, 'GET', '/docs/static/..%2f..%2fpackage.json');
      assert.equal(outside.status, 404);
      assert.deepEqual(outside.body, conduitNotFound);
    });

    it('keeps Cache-Control: no-store on the API', async () => {
      const health = await request(test.app, 'GET', '/healthz');
      assert.equal(health.headers['cache-control'], 'no-store');
      assert.equal(health.headers['content-security-policy'], undefined);
    });
  });
}
