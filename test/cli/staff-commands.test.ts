import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
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
  ['users', 'list', 'everyone'],
  ['users', 'list', '--limit', '1001'],
  ['users', 'list', '--active'],
  ['users', 'deactivate', 'a@example.com'],
  ['users', 'deactivate', '--reason', 'spam'],
  ['users', 'deactivate', 'a@example.com', '--reason', 'spam', '--until', 'later'],
  ['users', 'activate'],
  ['users', 'unlock'],
  ['users', 'unlock', 'a@example.com', 'b@example.com'],
  ['users', 'set-roles'],
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

/** An account written straight into the users table, as a registration would leave it. */
async function insertUser(database: Database, name: string, createdAt: number): Promise<string> {
  const id = randomUUID();
  await database.db
    .insertInto('users')
    .values({
      id,
      email: `${name}@example.com`,
      email_normalized: `${name}@example.com`,
      username: name,
      username_normalized: name,
      password_hash: '$argon2id$v=19$m=1024,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo',
      bio: null,
      image: null,
      is_active: 1,
      is_staff: 0,
      is_superuser: 0,
      email_verified_at: null,
      last_login_at: null,
      deactivated_at: null,
      erased_at: null,
      roles: '[]',
      deactivation_reason: null,
      deactivated_until: null,
      deactivated_by: null,
      created_at: createdAt,
      updated_at: createdAt,
    })
    .execute();
  return id;
}

for (const dialect of dialects) {
  describe(`gatehouse users list and the user actions on ${dialect}`, () => {
    let testDatabase: TestDatabase;
    let database: Database;
    let env: Record<string, string>;
    let aliceId: string;
    const run = (args: string[]) => runCommand(args, { env });
    const alice = () =>
      database.db.selectFrom('users').selectAll().where('id', '=', aliceId).executeTakeFirstOrThrow();
    const systemEvents = (type: string) =>
      database.db
        .selectFrom('audit_events')
        .selectAll()
        .where('type', '=', type)
        .where('user_id', '=', aliceId)
        .execute();
    before(async () => {
      testDatabase = await createTestDatabase(dialect);
      env = processEnvironment({ DATABASE_URL: testDatabase.url });
      const migrated = await run(['migrate']);
      assert.equal(migrated.code, 0, migrated.stderr);
      const created = await runCommand(
        ['createsuperuser', '--no-input', '--email', 'root@example.com', '--username', 'root'],
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
      const now = Date.now();
      // albert joined before alice, so that newest first and A to Z differ
      await insertUser(database, 'albert', now - 3 * hour);
      aliceId = await insertUser(database, 'alice', now - 2 * hour);
      await insertUser(database, 'bob', now - hour);
    });
    after(async () => {
      await database.close();
      await testDatabase.drop();
    });

    const usernames = async (args: string[]) => {
      const result = await run(['users', 'list', ...args]);
      assert.equal(result.code, 0, result.stderr);
      const lines = linesOf(result.stdout);
      if (lines[0] === 'no users match') return [];
      assert.match(lines[0] ?? '', /^ID +EMAIL +USERNAME +ACTIVE +STAFF +ROLES +JOINED +LAST SIGN-IN$/);
      return lines.slice(1).map((line) => line.split(/ {2,}/)[2]);
    };

    it('lists accounts newest first, by prefix (A to Z), staff only, inactive only, and up to a limit', async () => {
      assert.deepEqual(await usernames([]), ['root', 'bob', 'alice', 'albert']);
      assert.deepEqual(await usernames(['--q', 'AL']), ['albert', 'alice']);
      assert.deepEqual(await usernames(['--staff']), ['root']);
      assert.deepEqual(await usernames(['--inactive']), []);
      assert.deepEqual(await usernames(['--limit', '2']), ['root', 'bob']);
    });

    it('deactivates with a reason and an end, audited as the system; activates again', async () => {
      const result = await run([
        'users',
        'deactivate',
        'ALICE@example.com',
        '--reason',
        'spam, twice',
        '--until',
        '7d',
      ]);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /^alice <alice@example\.com> deactivated until \S+; every session ended$/m);
      const row = await alice();
      assert.equal(row.is_active, 0);
      assert.equal(row.deactivation_reason, 'spam, twice');
      const until = Number(row.deactivated_until);
      assert.ok(Math.abs(until - (Date.now() + 7 * 24 * hour)) < 60_000, String(until));
      const [event] = await systemEvents('deactivated');
      assert.ok(event !== undefined);
      assert.equal(event.actor, 'system');
      assert.equal(event.actor_id, null);
      assert.equal((JSON.parse(event.detail) as { reason: string }).reason, 'spam, twice');
      assert.deepEqual(await usernames(['--inactive']), ['alice']);
      const shown = await run(['users', 'show', aliceId]);
      assert.match(shown.stdout, /^deactivated +\S+ until \S+: spam, twice$/m);

      const activated = await run(['users', 'activate', aliceId, '--reason', 'appealed']);
      assert.equal(activated.code, 0, activated.stderr);
      assert.match(activated.stdout, /^alice <alice@example\.com> activated$/m);
      assert.equal((await alice()).is_active, 1);
      const [activation] = await systemEvents('activated');
      assert.equal(activation?.actor, 'system');
      const again = await run(['users', 'activate', aliceId]);
      assert.equal(again.code, 0, again.stderr);
      assert.match(again.stdout, /is active already: nothing changed/);
      assert.equal((await systemEvents('activated')).length, 1);
    });

    it('refuses a blank reason, an end in the past and an unknown account, changing nothing', async () => {
      const before = await alice();
      const eventsBefore = await database.db.selectFrom('audit_events').select('id').execute();
      for (const [args, pattern] of [
        [['users', 'deactivate', aliceId, '--reason', '  '], /reason/],
        [['users', 'deactivate', aliceId, '--reason', 'x'.repeat(501)], /reason/],
        [['users', 'deactivate', aliceId, '--reason', 'spam', '--until', '2020-01-01T00:00:00Z'], /until/],
        [['users', 'deactivate', 'nobody@example.com', '--reason', 'spam'], /no user nobody@example\.com/],
        [['users', 'set-roles', aliceId, 'not a role!'], /roles/],
        [['users', 'unlock', 'no-such-id'], /no user no-such-id/],
      ] as const) {
        const result = await run([...args]);
        assert.equal(result.code, 1, `${args.join(' ')}: ${result.stderr}`);
        const lines = linesOf(result.stderr);
        assert.equal(lines.length, 1, result.stderr);
        assert.match(lines[0] ?? '', pattern);
        assert.equal(result.stdout, '');
      }
      assert.deepEqual(await alice(), before);
      assert.equal(
        (await database.db.selectFrom('audit_events').select('id').execute()).length,
        eventsBefore.length,
      );
    });

    it('sets roles and clears them, and lifts the login lock, each audited as the system', async () => {
      const set = await run(['users', 'set-roles', 'alice@example.com', 'organizer', 'Attendee']);
      assert.equal(set.code, 0, set.stderr);
      assert.match(set.stdout, /^roles of alice <alice@example\.com>: attendee, organizer$/m);
      assert.equal((await alice()).roles, '["attendee","organizer"]');
      const [changed] = await systemEvents('roles_changed');
      assert.equal(changed?.actor, 'system');
      assert.match(await run(['users', 'list', '--q', 'alice']).then((r) => r.stdout), /attendee,organizer/);
      const cleared = await run(['users', 'set-roles', aliceId]);
      assert.equal(cleared.code, 0, cleared.stderr);
      assert.match(cleared.stdout, /: \(none\)$/m);
      assert.equal((await alice()).roles, '[]');

      const unlocked = await run(['users', 'unlock', 'alice@example.com']);
      assert.equal(unlocked.code, 0, unlocked.stderr);
      assert.match(unlocked.stdout, /^alice@example\.com was not locked; 0 failed sign-ins forgotten$/m);
      const [lifted] = await systemEvents('lock_cleared');
      assert.equal(lifted?.actor, 'system');
    });
  });
}
