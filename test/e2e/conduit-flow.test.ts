import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestDatabase, dialects, type TestDatabase } from '../support/databases.ts';
import { processEnvironment, startServer, type ServerProcess } from '../support/server-process.ts';
import { newUser } from '../support/test-app.ts';

interface UserBody {
  user: { email: string; username: string; bio: string | null; image: string | null; token: string };
}

const appOrigin = 'http://app.example';

for (const dialect of dialects) {
  describe(`a real server on ${dialect}, over 127.0.0.1`, () => {
    let database: TestDatabase;
    let server: ServerProcess;
    // every secret the server saw, none of which may reach its logs
    const secrets: string[] = [];
    before(async () => {
      database = await createTestDatabase(dialect);
      server = await startServer({
        env: processEnvironment({ DATABASE_URL: database.url, CORS_ORIGINS: appOrigin }),
      });
    });
    after(async () => {
      await server.stop();
      await database.drop();
    });

    async function register() {
      const user = newUser('e2e');
      secrets.push(user.password);
      const response = await server.request('POST', '/api/users', { body: { user } });
      assert.equal(response.status, 201, response.text);
      const { token } = (response.body as UserBody).user;
      secrets.push(token);
      return { ...user, token };
    }

    it('answers /healthz and /readyz', async () => {
      const health = await server.request('GET', '/healthz');
      assert.equal(health.status, 200);
      assert.deepEqual(health.body, { status: 'ok' });
      const ready = await server.request('GET', '/readyz');
      assert.equal(ready.status, 200);
      assert.deepEqual(ready.body, { status: 'ready', database: true, migrations: true, mail: 'file' });
    });

    it('registers, logs in, reads and updates the user, and follows a profile', async () => {
      const alice = await register();
      const bob = await register();

      const login = await server.request('POST', '/api/users/login', {
        body: { user: { email: alice.email.toUpperCase(), password: alice.password } },
      });
      assert.equal(login.status, 200, login.text);
      assert.equal(login.headers.get('cache-control'), 'no-store');
      const token = (login.body as UserBody).user.token;
      secrets.push(token);
      assert.notEqual(token, alice.token);

      const current = await server.request('GET', '/api/user', { token });
      assert.equal(current.status, 200);
      assert.deepEqual(current.body, {
        user: { email: alice.email, username: alice.username, bio: null, image: null, token },
      });

      const updated = await server.request('PUT', '/api/user', {
        token,
        body: { user: { bio: 'I like tea', image: 'https://example.com/alice.png' } },
      });
      assert.equal(updated.status, 200, updated.text);
      assert.equal((updated.body as UserBody).user.bio, 'I like tea');

      const anonymous = await server.request('GET', `/api/profiles/${alice.username}`);
      assert.equal(anonymous.status, 200);
      assert.deepEqual(anonymous.body, {
        profile: {
          username: alice.username,
          bio: 'I like tea',
          image: 'https://example.com/alice.png',
          following: false,
        },
      });

      const follow = await server.request('POST', `/api/profiles/${alice.username}/follow`, {
        token: bob.token,
      });
      assert.equal(follow.status, 200, follow.text);
      assert.equal((follow.body as { profile: { following: boolean } }).profile.following, true);
      const seen = await server.request('GET', `/api/profiles/${alice.username}`, { token: bob.token });
      assert.equal((seen.body as { profile: { following: boolean } }).profile.following, true);

      const unfollow = await server.request('DELETE', `/api/profiles/${alice.username}/follow`, {
        token: bob.token,
      });
      assert.equal(unfollow.status, 200, unfollow.text);
      assert.equal((unfollow.body as { profile: { following: boolean } }).profile.following, false);

      const missing = await server.request('GET', '/api/profiles/nobody-by-this-name');
      assert.equal(missing.status, 404);
      assert.deepEqual(missing.body, { errors: { profile: ['not found'] } });
    });

    it('serves its OpenAPI 3.1 document and the page that shows it', async () => {
      const document = await server.request('GET', '/openapi.json');
      assert.equal(document.status, 200, document.text);
      assert.equal(document.headers.get('content-type'), 'application/json; charset=utf-8');
      const body = document.body as { openapi: string; paths: object };
      assert.equal(body.openapi, '3.1.0');
      assert.ok('/api/users/login' in body.paths);

      const page = await server.request('GET', '/docs');
      assert.equal(page.status, 200);
      assert.match(page.headers.get('content-security-policy') ?? '', /default-src 'none'/);
      const script = await server.request('GET', '/docs/static/swagger-ui-bundle.js');
      assert.equal(script.status, 200);
    });

    it('accepts trailing slashes', async () => {
      const user = await register();
      const login = await server.request('POST', '/api/users/login/', {
        body: { user: { email: user.email, password: user.password } },
      });
      assert.equal(login.status, 200, login.text);
      assert.equal((await server.request('GET', '/api/user/', { token: user.token })).status, 200);
      assert.equal((await server.request('GET', `/api/profiles/${user.username}/`)).status, 200);
      assert.equal((await server.request('GET', '/healthz/')).status, 200);
    });

    it('accepts Content-Type: application/json on bodiless GET, POST and DELETE', async () => {
      const alice = await register();
      const bob = await register();
      const headers = { 'content-type': 'application/json' };
      const current = await server.request('GET', '/api/user', { token: alice.token, headers });
      assert.equal(current.status, 200, current.text);
      const follow = await server.request('POST', `/api/profiles/${bob.username}/follow`, {
        token: alice.token,
        headers,
      });
      assert.equal(follow.status, 200, follow.text);
      const unfollow = await server.request('DELETE', `/api/profiles/${bob.username}/follow`, {
        token: alice.token,
        headers,
      });
      assert.equal(unfollow.status, 200, unfollow.text);
    });

    it('answers a CORS preflight from a listed origin, and not from another', async () => {
      const preflight = (origin: string) =>
        server.request('OPTIONS', '/api/users/login', {
          headers: {
            origin,
            'access-control-request-method': 'POST',
            'access-control-request-headers': 'content-type',
          },
        });
      const allowed = await preflight(appOrigin);
      assert.equal(allowed.status, 204);
      assert.equal(allowed.headers.get('access-control-allow-origin'), appOrigin);
      assert.match(allowed.headers.get('access-control-allow-methods') ?? '', /POST/);

      const refused = await preflight('http://evil.example');
      assert.equal(refused.headers.get('access-control-allow-origin'), null);

      const simple = await server.request('GET', '/healthz', { headers: { origin: appOrigin } });
      assert.equal(simple.headers.get('access-control-allow-origin'), appOrigin);
    });

    it('turns bad requests into envelopes, never a stack', async () => {
      const malformed = await server.request('POST', '/api/users/login', {
        body: undefined,
        headers: { 'content-type': 'application/json' },
      });
      // an empty JSON body reaches the schema: the user object is missing
      assert.ok([400, 422].includes(malformed.status), malformed.text);
      const response = await fetch(new URL('/api/users/login', server.url), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"user": {',
      });
      assert.equal(response.status, 400);
      assert.deepEqual(await response.json(), { errors: { body: ['is not valid JSON'] } });
      const wrongType = await fetch(new URL('/api/users/login', server.url), {
        method: 'POST',
        headers: { 'content-type': 'text/plain' },
        body: 'hello',
      });
      assert.equal(wrongType.status, 415);
      const invalid = await server.request('GET', '/api/user', { token: 'not.a.token' });
      assert.equal(invalid.status, 401);
      assert.match(invalid.headers.get('www-authenticate') ?? '', /Token/);
    });

    it('writes JSON log lines with a request id, and no password, token, hash or stack', async () => {
      const user = await register();
      const last = await server.request('GET', '/api/user', { token: user.token });
      const requestId = last.headers.get('x-request-id') ?? '';
      assert.match(requestId, /^[0-9a-f-]{36}$/);
      // the log may trail the response a little
      await server.waitForLine((line) => line.includes(requestId) && line.includes('request completed'));

      assert.ok(server.stdout.length > 10);
      for (const line of server.stdout) {
        const entry = JSON.parse(line) as Record<string, unknown>;
        assert.equal(typeof entry.level, 'number', line);
        assert.equal(typeof entry.msg, 'string', line);
        // process lines (listening, migrations) stand alone; every line about a request names it
        if ('req' in entry || 'res' in entry || 'err' in entry) {
          assert.match(String(entry.requestId), /^[0-9a-f-]{36}$/, line);
        }
        for (const secret of secrets) assert.ok(!line.includes(secret), `a secret in the log: ${line}`);
        assert.ok(!line.includes('$argon2'), line);
        assert.ok(!line.includes('    at '), line);
        assert.doesNotMatch(line, /eyJ[\w-]+\.eyJ/, 'a JWT in the log');
      }
      const completed = server.stdout.filter((line) => line.includes('request completed'));
      assert.ok(completed.length >= 10);
      assert.deepEqual(server.stderr, []);
    });
  });
}
