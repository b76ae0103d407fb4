import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { openDatabase, type Database } from '../../src/store/database.ts';
import { storeEvents, userIdOf } from '../http/staff-records.ts';
import { createTestDatabase, dialects, type TestDatabase } from '../support/databases.ts';
import { linesOf, processEnvironment, runCommand } from '../support/server-process.ts';

const password = 'grey-heron-lantern-7';
const hour = 3_600_000;

// Misuses refused before any database is opened: usage errors, exit 2.
const misuses: string[][] = [
  ['users'],
  ['users', 'spin'],
  ['users', 'show'],
  ['users', 'show', 'a@example.com', 'b@example.com'],
  ['users', 'show', '--long', 'a@example.com'],
  ['audit', 'everything'],
  ['audit', '--limit', '0'],
  ['audit', '--limit', 'ten'],
  ['audit', '--limit', '10001'],
  ['audit', '--since', 'soon'],
  ['audit', '--since', '2026-13-45'],
  ['audit', '--type', 'Sign-In'],
  ['audit', '--verbose'],
];

describe('gatehouse users and audit used wrongly', { concurrency: 4 }, () => {
  for (const args of misuses) {
    it(`exits 2 with one line on stderr for: gatehouse ${args.join(' ')}`, async () => {
      const result = await runCommand(args, { env: processEnvironment() });
      assert.equal(result.code, 2, result.stderr);
      const lines = linesOf(result.stderr);
      assert.equal(lines.length, 1, result.stderr);
      assert.match(lines[0] ?? '', /^gatehouse (users|audit): \S/);
      assert.equal(result.stdout, '');
    });
  }
});

for (const dialect of dialects) {
  describe(`gatehouse users show and gatehouse audit on ${dialect}`, () => {
    let testDatabase: TestDatabase;
    let database: Database;
    let env: Record<string, string>;
    let rootId: string;
    const run = (args: string[]) => runCommand(args, { env });
    before(async () => {
      testDatabase = await createTestDatabase(dialect);
      env = processEnvironment({ DATABASE_URL: testDatabase.url });
      const migrated = await run(['migrate']);
      assert.equal(migrated.code, 0, migrated.stderr);
      const created = await runCommand(
        ['createsuperuser', '--no-input', '--email', 'Root@Example.com', '--username', 'root'],
        { env: { ...env, GATEHOUSE_SUPERUSER_PASSWORD: password } },
      );
      assert.equal(created.code, 0, created.stderr);
      database = openDatabase({
        url: testDatabase.url,
        poolSize: 1,
        connectTimeout: 5000,
        statementTimeout: 5000,
        queryTimeout: 6000,
      });
      rootId = await userIdOf(database, 'Root@Example.com');
      const now = Date.now();
      await storeEvents(database, [
        {
          type: 'sign_in_failed',
          userId: rootId,
          createdAt: now - 3 * hour,
          detail: { reason: 'wrong_password' },
        },
        { type: 'sign_in_succeeded', userId: rootId, createdAt: now - 2 * hour, userAgent: 'cli-test/1.0' },
        { type: 'sign_in_failed', userId: 'someone-else', createdAt: now - 30 * 24 * hour },
      ]);
    });
    after(async () => {
      await database.close();
      await testDatabase.drop();
    });

    it('shows one account by email in any casing, or by id: flags, sessions, latest events', async () => {
      for (const reference of ['root@example.COM', rootId]) {
        const result = await run(['users', 'show', reference]);
        assert.equal(result.code, 0, result.stderr);
        const text = result.stdout;
        assert.match(text, new RegExp(`^id +${rootId}$`, 'm'));
        assert.match(text, /^email +Root@Example\.com$/m);
        assert.match(text, /^username +root$/m);
        assert.match(text, /^active +yes$/m);
        assert.match(text, /^staff +yes$/m);
        assert.match(text, /^superuser +yes$/m);
        assert.match(text, /^last sign-in +never$/m);
        assert.match(text, /^live sessions \(0\):$/m);
        assert.match(text, /^latest events \(3\):$/m);
        // newest first: createsuperuser's own event, then the two written above
        const rows = linesOf(text.slice(text.indexOf('latest events'))).slice(2);
        assert.deepEqual(
          rows.map((row) => row.split(/ {2,}/)[1]),
          ['superuser_created', 'sign_in_succeeded', 'sign_in_failed'],
        );
        assert.doesNotMatch(text, /argon2|password_hash/);
      }
    });

    it('refuses an unknown account in one line, exit 1', async () => {
      for (const reference of ['nobody@example.com', 'no-such-id']) {
        const result = await run(['users', 'show', reference]);
        assert.equal(result.code, 1, result.stderr);
        assert.deepEqual(linesOf(result.stderr), [`gatehouse users: no user ${reference}`]);
        assert.equal(result.stdout, '');
      }
    });

    it('lists the audit log newest first as a table, filtered by user, type, since and limit', async () => {
      const all = await run(['audit']);
      assert.equal(all.code, 0, all.stderr);
      const lines = linesOf(all.stdout);
      assert.match(lines[0] ?? '', /^AT +TYPE +USER +ACTOR +IP +DETAIL$/);
      assert.deepEqual(
        lines.slice(1).map((line) => line.split(/ {2,}/)[1]),
        ['superuser_created', 'sign_in_succeeded', 'sign_in_failed', 'sign_in_failed'],
      );
      const typeOf = async (args: string[]) => {
        const result = await run(['audit', ...args]);
        assert.equal(result.code, 0, result.stderr);
        return linesOf(result.stdout)
          .slice(1)
          .map((line) => line.split(/ {2,}/)[1]);
      };
      assert.deepEqual(await typeOf(['--user', 'ROOT@example.com', '--type', 'sign_in_failed']), [
        'sign_in_failed',
      ]);
      assert.deepEqual(await typeOf(['--user', rootId, '--limit', '2']), [
        'superuser_created',
        'sign_in_succeeded',
      ]);
      assert.deepEqual(await typeOf(['--since', '150m']), ['superuser_created', 'sign_in_succeeded']);
      const since = new Date(Date.now() - 7 * 24 * hour).toISOString();
      assert.deepEqual(await typeOf(['--type', 'sign_in_failed', '--since', since]), ['sign_in_failed']);
      const detail = await run(['audit', '--type', 'sign_in_failed', '--user', rootId]);
      assert.match(detail.stdout, /\{"reason":"wrong_password"\}/);
      const none = await run(['audit', '--type', 'erased']);
      assert.equal(none.code, 0, none.stderr);
      assert.equal(none.stdout, 'no events match\n');
    });

    it('refuses an unknown --user in one line, exit 1', async () => {
      const result = await run(['audit', '--user', 'nobody@example.com']);
      assert.equal(result.code, 1, result.stderr);
      assert.deepEqual(linesOf(result.stderr), ['gatehouse audit: no user nobody@example.com']);
      assert.equal(result.stdout, '');
    });
  });
}
