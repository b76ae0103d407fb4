import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createTestDatabase, dialects, type TestDatabase } from '../support/databases.ts';
import { processEnvironment, startServer, type ServerProcess } from '../support/server-process.ts';

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
  });
}
