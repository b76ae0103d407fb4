import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { openDatabase } from '../../src/store/database.ts';
import { createTestDatabase, dialects, type TestDatabase } from '../support/databases.ts';
import {
  linesOf,
  processEnvironment,
  runCommand,
  startServer,
  type ServerProcess,
} from '../support/server-process.ts';
import { runAtTerminal, skipWithoutTerminal } from '../support/terminal.ts';

const password = 'grey-heron-lantern-7';

/** The users table as the CLI left it, read straight from the database. */
async function readUsers(url: string) {
  const database = openDatabase({
    url,
    poolSize: 1,
    connectTimeout: 5000,
    statementTimeout: 5000,
    queryTimeout: 6000,
  });
  try {
    return await database.db
      .selectFrom('users')
      .select(['email', 'username', 'is_staff', 'is_superuser', 'is_active', 'password_hash'])
      .orderBy('created_at')
      .execute();
  } finally {
    await database.close();
  }
}

for (const dialect of dialects) {
  describe(`gatehouse createsuperuser on ${dialect}`, () => {
    let database: TestDatabase;
    let env: Record<string, string>;
    let server: ServerProcess;
    before(async () => {
      database = await createTestDatabase(dialect);
      env = processEnvironment({ DATABASE_URL: database.url });
      const migrated = await runCommand(['migrate'], { env });
      assert.equal(migrated.code, 0, migrated.stderr);
      server = await startServer({ env });
    });
    after(async () => {
      await server.stop();
      await database.drop();
    });

    async function logIn(email: string, secret: string) {
      return server.request('POST', '/api/users/login', { body: { user: { email, password: secret } } });
    }

    it('creates a staff superuser from --no-input flags and GATEHOUSE_SUPERUSER_PASSWORD', async () => {
      const result = await runCommand(
        ['createsuperuser', '--no-input', '--email', 'root@example.com', '--username', 'root'],
        { env: { ...env, GATEHOUSE_SUPERUSER_PASSWORD: password } },
      );
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /superuser root <root@example\.com> created/);
      assert.ok(!result.stdout.includes(password) && !result.stderr.includes(password));

      const [row] = (await readUsers(database.url)).filter((user) => user.username === 'root');
      assert.ok(row !== undefined);
      assert.equal(row.is_staff, 1);
      assert.equal(row.is_superuser, 1);
      assert.equal(row.is_active, 1);
      assert.match(row.password_hash, /^\$argon2id\$/);

      const login = await logIn('ROOT@example.com', password);
      assert.equal(login.status, 200, login.text);
      assert.deepEqual((login.body as { user: { username: string } }).user.username, 'root');
    });

    it("takes Django's spelling --noinput as well", async () => {
      const result = await runCommand(
        ['createsuperuser', '--noinput', '--email', 'noinput@example.com', '--username', 'noinput'],
        { env: { ...env, GATEHOUSE_SUPERUSER_PASSWORD: password } },
      );
      assert.equal(result.code, 0, result.stderr);
      assert.equal((await logIn('noinput@example.com', password)).status, 200);
    });

    it('takes the password from the first line of stdin with --no-input', async () => {
      const result = await runCommand(
        ['createsuperuser', '--no-input', '--email', 'piped@example.com', '--username', 'piped'],
        { env, input: `${password}\n` },
      );
      assert.equal(result.code, 0, result.stderr);
      assert.equal((await logIn('piped@example.com', password)).status, 200);
      assert.equal((await logIn('piped@example.com', `${password}x`)).status, 401);
    });

    it('asks for email, username and password, answered line by line from a pipe', async () => {
      const result = await runCommand(['createsuperuser'], {
        env,
        input: `asked@example.com\nasked\n${password}\n`,
      });
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stderr, /Email: .*Username: .*Password: /s);
      assert.ok(!result.stderr.includes(password), 'the password was echoed');
      assert.equal((await logIn('asked@example.com', password)).status, 200);
    });

    it(
      'at a terminal, tells why a password was refused and asks again, as Django does',
      { skip: skipWithoutTerminal },
      async () => {
        const result = await runAtTerminal(['createsuperuser'], {
          env,
          dialogue: [
            { prompt: /Email: $/, answer: 'typed@example.com' },
            { prompt: /Username: $/, answer: 'typed' },
            { prompt: /Password: $/, answer: 'abc12' },
            { prompt: /Password \(again\): $/, answer: 'abc12' },
            { prompt: /too short.*\r?\nPassword: $/, answer: password },
            { prompt: /Password \(again\): $/, answer: password },
          ],
        });
        assert.equal(result.code, 0, result.output);
        assert.match(result.output, /password is too short \(minimum is 8 characters\); try another/);
        assert.match(result.output, /superuser typed <typed@example\.com> created/);
        assert.ok(
          !result.output.includes(password) && !result.output.includes('abc12'),
          'a password was echoed',
        );
        assert.equal((await logIn('typed@example.com', password)).status, 200);
      },
    );

    it(
      'at a terminal, asks again at once for an email or username that is taken or malformed, as Django does',
      { skip: skipWithoutTerminal },
      async () => {
        const result = await runAtTerminal(['createsuperuser'], {
          env,
          dialogue: [
            { prompt: /Email: $/, answer: 'ROOT@example.com' },
            { prompt: /has already been taken; try again\r?\nEmail: $/, answer: 'not-an-email' },
            { prompt: /is invalid; try again\r?\nEmail: $/, answer: 'second@example.com' },
            { prompt: /Username: $/, answer: 'Root' },
            { prompt: /has already been taken; try again\r?\nUsername: $/, answer: 'second' },
            { prompt: /Password: $/, answer: password },
            { prompt: /Password \(again\): $/, answer: password },
          ],
        });
        assert.equal(result.code, 0, result.output);
        assert.match(result.output, /email has already been taken; try again/);
        assert.match(result.output, /username has already been taken; try again/);
        assert.match(result.output, /superuser second <second@example\.com> created/);
        assert.equal((await logIn('second@example.com', password)).status, 200);
      },
    );

    const refusals: Array<{ name: string; args: string[]; env?: Record<string, string>; input?: string }> = [
      {
        name: 'an invalid email',
        args: ['--no-input', '--email', 'not-an-email', '--username', 'bademail'],
        input: `${password}\n`,
      },
      {
        name: 'an email already taken, in another casing',
        args: ['--no-input', '--email', 'Root@Example.com', '--username', 'rootagain'],
        input: `${password}\n`,
      },
      {
        name: 'a username already taken',
        args: ['--no-input', '--email', 'other-root@example.com', '--username', 'ROOT'],
        input: `${password}\n`,
      },
      {
        name: 'a too short password',
        args: ['--no-input', '--email', 'short@example.com', '--username', 'short'],
        input: 'abc12\n',
      },
      {
        name: 'a well-known common password',
        args: ['--no-input', '--email', 'common@example.com', '--username', 'common'],
        env: { GATEHOUSE_SUPERUSER_PASSWORD: 'password123' },
      },
      {
        name: '--no-input without --email',
        args: ['--no-input', '--username', 'noemail'],
        input: `${password}\n`,
      },
      {
        name: '--no-input without a password in the environment or on stdin',
        args: ['--no-input', '--email', 'nopass@example.com', '--username', 'nopass'],
      },
      { name: 'prompts that run out of answers', args: [], input: 'early@example.com\n' },
    ];
    // refusals change nothing, so they can run side by side
    describe('refusals', { concurrency: 4 }, () => {
      for (const refusal of refusals) {
        it(`refuses ${refusal.name} with one line on stderr and creates nobody`, async () => {
          const before = await readUsers(database.url);
          const result = await runCommand(['createsuperuser', ...refusal.args], {
            env: { ...env, ...refusal.env },
            ...(refusal.input === undefined ? {} : { input: refusal.input }),
          });
          assert.notEqual(result.code, 0);
          const lines = linesOf(result.stderr);
          assert.equal(lines.length, 1, result.stderr);
          assert.match(lines[0] ?? '', /gatehouse createsuperuser: \S/);
          assert.doesNotMatch(result.stderr, /^\s+at /m);
          assert.ok(!result.stderr.includes(password) && !result.stdout.includes(password));
          assert.deepEqual(await readUsers(database.url), before);
        });
      }
    });
  });
}
