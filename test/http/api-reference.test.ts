import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { callerOptional, callerRequired } from '../../src/http/authenticate.ts';
import { dialects } from '../support/databases.ts';
import { request, startTestApp, type TestApp } from '../support/test-app.ts';

// compiled to dist/test/http/, three levels below the repository
const referencePath = 'docs/api.md';
const reference = readFileSync(fileURLToPath(new URL(`../../../${referencePath}`, import.meta.url)), 'utf8');

/** Routes the reference documents that the OpenAPI document leaves out on purpose. */
const outsideDocument: ReadonlyMap<string, string> = new Map([
  ['GET /docs', 'Swagger UI, whose plugin hides its own routes from the document'],
  ['GET /admin', 'the staff console: a page and its assets, not API'],
]);

type Caller = 'none' | 'optional' | 'required';

interface Entry {
  /** a Caller, or the security requirements themselves when they are neither form the routes use */
  caller: string;
  statuses: string[];
}

interface DocumentedRoute {
  /** the line of its heading, for messages */
  line: number;
  caller: Caller | undefined;
  statuses: string[] | undefined;
}

interface OpenApiDocument {
  paths: Record<string, Record<string, { security?: unknown[]; responses: Record<string, unknown> }>>;
}

/**
 * The routes of docs/api.md: each a heading `### METHOD /path` whose section has a line
 * `- Caller: none|optional|required` and a line `- Statuses: 200, 401, …`. A heading that repeats one
 * before it is a problem of its own.
 */
function readReference(text: string): { routes: Map<string, DocumentedRoute>; problems: string[] } {
  const routes = new Map<string, DocumentedRoute>();
  const problems: string[] = [];
  let current: DocumentedRoute | undefined;
  text.split('\n').forEach((line, index) => {
    if (/^#{1,6} /.test(line)) {
      // any heading ends the section before it; only a route heading opens one
      const key = /^### ((?:GET|POST|PUT|PATCH|DELETE) \/\S*)$/.exec(line)?.[1];
      current = undefined;
      if (key === undefined) return;
      if (routes.has(key)) problems.push(`${referencePath}:${index + 1}: ${key} is documented twice`);
      current = { line: index + 1, caller: undefined, statuses: undefined };
      routes.set(key, current);
      return;
    }
    if (current === undefined) return;
    const caller = /^- Caller: (none|optional|required)\b/.exec(line)?.[1];
    if (caller !== undefined) current.caller = caller as Caller;
    const statuses = /^- Statuses: (.*)$/.exec(line)?.[1];
    if (statuses !== undefined) current.statuses = statuses.split(',').map((status) => status.trim());
  });
  return { routes, problems };
}

/** `METHOD /path` of every operation in the OpenAPI document, with its caller and declared statuses. */
function readDocument(document: OpenApiDocument): Map<string, Entry> {
  const entries = new Map<string, Entry>();
  const same = (security: unknown[] | undefined, expected: readonly unknown[]) =>
    JSON.stringify(security) === JSON.stringify(expected);
  for (const [path, item] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(item)) {
      // the console's cookie (and its CSRF header) is documented once, in the Staff section's Credentials;
      // openapi.test.ts proves which routes take it
      const security = operation.security?.filter(
        (requirement) =>
          !(typeof requirement === 'object' && requirement !== null && 'ConsoleCookie' in requirement),
      );
      const caller =
        security === undefined
          ? 'none'
          : same(security, callerRequired)
            ? 'required'
            : same(security, callerOptional)
              ? 'optional'
              : JSON.stringify(operation.security);
      entries.set(`${method.toUpperCase()} ${path}`, { caller, statuses: Object.keys(operation.responses) });
    }
  }
  return entries;
}

const listed = (statuses: readonly string[]) => statuses.join(', ');

for (const dialect of dialects) {
  describe(`docs/api.md against GET /openapi.json on ${dialect}`, () => {
    let test: TestApp;
    let operations: Map<string, Entry>;
    const { routes, problems: readingProblems } = readReference(reference);
    before(async () => {
      test = await startTestApp(dialect);
      const response = await request(test.app, 'GET', '/openapi.json');
      assert.equal(response.status, 200, response.text);
      operations = readDocument(response.body as OpenApiDocument);
    });
    after(() => test.close());

    it('documents every route of the OpenAPI document, and no other', () => {
      const problems = [...readingProblems];
      for (const key of operations.keys()) {
        if (!routes.has(key))
          problems.push(`${key} is in /openapi.json but has no "### ${key}" in ${referencePath}`);
      }
      for (const [key, route] of routes) {
        if (!operations.has(key) && !outsideDocument.has(key)) {
          problems.push(`${referencePath}:${route.line}: ${key} is documented but not in /openapi.json`);
        }
      }
      assert.deepEqual(problems, []);
    });

    it('lists for every route exactly the statuses the OpenAPI document declares', () => {
      const problems: string[] = [];
      for (const [key, operation] of operations) {
        const route = routes.get(key);
        if (route === undefined) continue; // the test above names it
        const where = `${referencePath}:${route.line}: ${key}`;
        if (route.statuses === undefined) {
          problems.push(
            `${where} has no "- Statuses:" line; /openapi.json declares ${listed(operation.statuses)}`,
          );
          continue;
        }
        const documented = route.statuses;
        const missing = operation.statuses.filter((status) => !documented.includes(status));
        const extra = documented.filter((status) => !operation.statuses.includes(status));
        if (missing.length > 0) {
          problems.push(`${where} lacks ${listed(missing)}, which /openapi.json declares for it`);
        }
        if (extra.length > 0) {
          problems.push(`${where} lists ${listed(extra)}, which /openapi.json does not declare for it`);
        }
      }
      assert.deepEqual(problems, []);
    });

    it('says of every route whether it needs a caller, as its security in the OpenAPI document does', () => {
      const problems: string[] = [];
      for (const [key, operation] of operations) {
        const route = routes.get(key);
        if (route === undefined) continue;
        if (route.caller !== operation.caller) {
          problems.push(
            `${referencePath}:${route.line}: ${key} says "- Caller: ${route.caller ?? '(no such line)'}", ` +
              `/openapi.json's security means "${operation.caller}"`,
          );
        }
      }
      assert.deepEqual(problems, []);
    });

    it('documents the routes the OpenAPI document leaves out, which still answer', async () => {
      for (const [key, reason] of outsideDocument) {
        assert.ok(routes.has(key), `${key} (${reason}) is not in ${referencePath}`);
        assert.ok(!operations.has(key), `${key} is in /openapi.json now: drop it from outsideDocument`);
        const [method, path] = key.split(' ') as ['GET', string];
        const response = await request(test.app, method, path);
        assert.equal(response.status, 200, `${key}: ${response.status}`);
        assert.deepEqual(routes.get(key)?.statuses, ['200'], `${key}: its Statuses line`);
      }
    });

    it('reads the reference as it is meant to be read: route headings, their callers and statuses', () => {
      // guards the reader above: a format it no longer understands must not pass as an empty reference
      assert.ok(routes.size > operations.size, `only ${routes.size} routes read from ${referencePath}`);
      const registration = routes.get('POST /api/users');
      assert.equal(registration?.caller, 'none');
      assert.deepEqual(registration.statuses, ['201', '400', '413', '415', '422', '429', '503']);
      assert.equal(routes.get('GET /api/profiles/{username}')?.caller, 'optional');
      assert.equal(routes.get('DELETE /auth/users/me/')?.caller, 'required');
    });
  });
}
