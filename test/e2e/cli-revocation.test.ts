import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestDatabase, dialects, type TestDatabase } from '../support/databases.ts';
import { poll } from '../support/poll.ts';
import {
  processEnvironment,
  runCommand,
  startServer,
  type ServerProcess,
} from '../support/server-process.ts';
import { newUser } from '../support/test-app.ts';

// Long enough that only the server hearing of the command's write can explain a refusal in time.
const cacheTtl = '10m';
// How long the test waits; the contract's bound is 1 s (measured in the note, not judged by a timed test).
const patience = 5_000;

interface UserBody {
  user: { token: string };
}

for (const dialect of dialects) {
  describe(`a staff command run beside the server reaches its cached sessions, on ${dialect}`, () => {
    let database: TestDatabase;
    let server: ServerProcess;
    let env: Record<string, string>;
    before(async () => {
      database = await createTestDatabase(dialect);
      env = processEnvironment({ DATABASE_URL: database.url, SESSION_CACHE_TTL: cacheTtl });
      server = await startServer({ env });
    });
    after(async () => {
      await server.stop();
      await database.drop();
    });

    /** A user signed in, whose session the server has just read and now holds in its cache. */
    async function cachedSession() {
      const user = newUser('cli');
      const registered = await server.request('POST', '/api/users', { body: { user } });
      assert.equal(registered.status, 201, registered.text);
      const { token } = (registered.body as UserBody).user;
      assert.equal((await server.request('GET', '/api/user', { token })).status, 200);
      return { ...user, token };
    }

    const refusedSoon = async (token: string) =>
      (
        await poll(
          () => server.request('GET', '/api/user', { token }),
          (r) => r.status === 401,
          patience,
        )
      ).status;

    it('gatehouse users deactivate: the deactivated account is refused at once', async () => {
      const user = await cachedSession();
      const result = await runCommand(['users', 'deactivate', user.email, '--reason', 'test'], { env });
      assert.equal(result.code, 0, result.stderr);
      assert.equal(await refusedSoon(user.token), 401);
    });

    it('gatehouse changepassword: the sessions it ends are refused at once', async () => {
      const user = await cachedSession();
      const result = await runCommand(['changepassword', user.email], {
        env,
        input: 'another-long-passphrase-7\n',
      });
      assert.equal(result.code, 0, result.stderr);
      assert.equal(await refusedSoon(user.token), 401);
    });
  });
}
