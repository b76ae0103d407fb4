import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestDatabase, dialects, type TestDatabase } from '../support/databases.ts';
import {
  linesOf,
  processEnvironment,
  runCommand,
  startServer,
  type ServerProcess,
} from '../support/server-process.ts';
import { newUser } from '../support/test-app.ts';

const newPassword = 'copper-kettle-orchard-31';

for (const dialect of dialects) {
  describe(`gatehouse changepassword on ${dialect}`, () => {
    let database: TestDatabase;
    let env: Record<string, string>;
    let server: ServerProcess;
    before(async () => {
      database = await createTestDatabase(dialect);
      env = processEnvironment({ DATABASE_URL: database.url });
      // sessions are read from the database on every request, so a revocation shows at once
      server = await startServer({ env: { ...env, SESSION_CACHE_TTL: '0' } });
    });
    after(async () => {
      await server.stop();
      await database.drop();
    });

    async function register() {
      const user = newUser('cli');
      const response = await server.request('POST', '/api/users', { body: { user } });
      assert.equal(response.status, 201, response.text);
      return { ...user, token: (response.body as { user: { token: string } }).user.token };
    }
    async function logIn(email: string, password: string) {
      return server.request('POST', '/api/users/login', { body: { user: { email, password } } });
    }

    it('sets the password read from stdin and signs every session out', async () => {
      const user = await register();
      const second = await logIn(user.email, user.password);
      assert.equal(second.status, 200);
      const secondToken = (second.body as { user: { token: string } }).user.token;
      assert.equal((await server.request('GET', '/api/user', { token: user.token })).status, 200);

      const result = await runCommand(['changepassword', user.email.toUpperCase()], {
        env,
        input: `${newPassword}\n`,
      });
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, new RegExp(`password changed for ${user.username}`));
      assert.ok(!result.stdout.includes(newPassword) && !result.stderr.includes(newPassword));

      for (const token of [user.token, secondToken]) {
        const response = await server.request('GET', '/api/user', { token });
        assert.equal(response.status, 401, response.text);
        assert.deepEqual(response.body, { errors: { token: ['is invalid or expired'] } });
      }
      assert.equal((await logIn(user.email, user.password)).status, 401);
      const fresh = await logIn(user.email, newPassword);
      assert.equal(fresh.status, 200, fresh.text);
      const freshToken = (fresh.body as { user: { token: string } }).user.token;
      assert.equal((await server.request('GET', '/api/user', { token: freshToken })).status, 200);
    });

    it('refuses an unknown email with one line on stderr, before asking for a password', async () => {
      const result = await runCommand(['changepassword', 'nobody-here@example.com'], {
        env,
        input: `${newPassword}\n`,
      });
      assert.equal(result.code, 1);
      assert.deepEqual(linesOf(result.stderr), [
        'gatehouse changepassword: no such user: nobody-here@example.com',
      ]);
      assert.equal(result.stdout, '');
    });

    it('refuses a weak password, leaving the old one and the sessions in place', async () => {
      const user = await register();
      const result = await runCommand(['changepassword', user.email], { env, input: 'short\n' });
      assert.notEqual(result.code, 0);
      assert.equal(linesOf(result.stderr).length, 1, result.stderr);
      assert.match(result.stderr, /password/);
      assert.equal((await server.request('GET', '/api/user', { token: user.token })).status, 200);
      assert.equal((await logIn(user.email, user.password)).status, 200);
    });

    it('refuses to run without an email, or without a password on stdin', async () => {
      const user = await register();
      for (const [args, input] of [
        [['changepassword'], `${newPassword}\n`],
        [['changepassword', user.email, 'extra'], `${newPassword}\n`],
        [['changepassword', user.email], ''],
      ] as const) {
        const result = await runCommand(args, { env, input });
        assert.notEqual(result.code, 0, `${args.join(' ')} succeeded`);
        assert.equal(linesOf(result.stderr).length, 1, result.stderr);
      }
      assert.equal((await logIn(user.email, user.password)).status, 200);
    });
  });
}
