import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createTestDatabase, dialects, type TestDatabase } from '../support/databases.ts';
import { processEnvironment, startServer, type ServerProcess } from '../support/server-process.ts';
import { newUser } from '../support/test-app.ts';

// This file runs compiled, from dist/test/e2e/; the client script is not compiled and stays in test/e2e/.
const root = fileURLToPath(new URL('../../../', import.meta.url));
const client = join(root, 'test', 'e2e', 'djoser-client.py');

for (const dialect of dialects) {
  describe(`a Python client written for djoser + simplejwt, against the real server on ${dialect}`, () => {
    let database: TestDatabase;
    let server: ServerProcess;
    before(async () => {
      database = await createTestDatabase(dialect);
      server = await startServer({ env: processEnvironment({ DATABASE_URL: database.url }) });
    });
    after(async () => {
      await server.stop();
      await database.drop();
    });

    it('registers, logs in, refreshes, verifies, renames, changes the password and deletes, unchanged', async () => {
      const { stdout } = await promisify(execFile)('python3', [client, server.url], {
        timeout: 30_000,
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
      }).catch((error: unknown) => {
        const failed = error as { stdout?: string; stderr?: string };
        throw new Error(`the Python client failed: ${failed.stdout ?? ''}${failed.stderr ?? ''}`, {
          cause: error,
        });
      });
      assert.deepEqual(JSON.parse(stdout), {
        ok: true,
        steps: [
          'register',
          'register errors',
          'jwt/create',
          'users/me',
          'jwt/verify',
          'jwt/refresh',
          'users/me PATCH',
          'set_password',
          'delete me',
        ],
      });
      assert.deepEqual(server.stderr, []);
    });

    it('serves one user through both dialects at once: Conduit tokens on /auth, simplejwt tokens on /api', async () => {
      const user = newUser('both');
      const registered = await server.request('POST', '/api/users', { body: { user } });
      assert.equal(registered.status, 201, registered.text);
      const conduitToken = (registered.body as { user: { token: string } }).user.token;

      const created = await server.request('POST', '/auth/jwt/create/', {
        body: { email: user.email, password: user.password },
      });
      assert.equal(created.status, 200, created.text);
      const { access, refresh } = created.body as { access: string; refresh: string };

      const viaConduit = await server.request('GET', '/api/user', {
        headers: { authorization: `Bearer ${access}` },
      });
      assert.equal(viaConduit.status, 200, viaConduit.text);
      assert.equal((viaConduit.body as { user: { email: string } }).user.email, user.email);
      const viaDjoser = await server.request('GET', '/auth/users/me/', {
        headers: { authorization: `Token ${conduitToken}` },
      });
      assert.equal(viaDjoser.status, 200, viaDjoser.text);
      assert.equal((viaDjoser.body as { username: string }).username, user.username);

      // a password change through Conduit ends the simplejwt session: its refresh token is refused
      const changed = await server.request('POST', '/api/user/password', {
        headers: { authorization: `Token ${conduitToken}` },
        body: { current_password: user.password, new_password: 'a-changed-passphrase-9' },
      });
      assert.equal(changed.status, 204, changed.text);
      const refused = await server.request('POST', '/auth/jwt/refresh/', { body: { refresh } });
      assert.equal(refused.status, 401, refused.text);
      assert.deepEqual(refused.body, { detail: 'Token is invalid or expired', code: 'token_not_valid' });
    });
  });
}

/** Runs the client script in one of its flows against `url`; its JSON line. */
async function runClient(url: string, flow: string): Promise<unknown> {
  const { stdout } = await promisify(execFile)('python3', [client, url, flow], {
    timeout: 30_000,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
  }).catch((error: unknown) => {
    const failed = error as { stdout?: string; stderr?: string };
    throw new Error(`the Python client failed: ${failed.stdout ?? ''}${failed.stderr ?? ''}`, {
      cause: error,
    });
  });
  return JSON.parse(stdout);
}

for (const dialect of dialects) {
  describe(`djoser's documented client and a DRF test case, against the real server with DJOSER_LOGIN_FIELD=username on ${dialect}`, () => {
    let database: TestDatabase;
    let server: ServerProcess;
    before(async () => {
      database = await createTestDatabase(dialect);
      server = await startServer({
        env: processEnvironment({ DATABASE_URL: database.url, DJOSER_LOGIN_FIELD: 'username' }),
      });
    });
    after(async () => {
      await server.stop();
      await database.drop();
    });

    it("follows djoser's documentation: curl-style forms, no email, token/login and Token auth, JWT by username", async () => {
      assert.deepEqual(await runClient(server.url, 'docs'), {
        ok: true,
        steps: [
          'register by username',
          'token/login',
          'jwt/create by username',
          'users/me PATCH',
          'set_username',
          'token/logout',
        ],
      });
      assert.deepEqual(server.stderr, []);
    });

    it("passes the djoser seed's test case: multipart bodies as DRF's test client sends them, jwt/create with the username", async () => {
      assert.deepEqual(await runClient(server.url, 'drf-test'), {
        ok: true,
        steps: ['register multipart', 'jwt/create multipart'],
      });
      assert.deepEqual(server.stderr, []);
    });
  });
}
