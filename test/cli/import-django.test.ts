import assert from 'node:assert/strict';
import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { openDatabase, type Database } from '../../src/store/database.ts';
import { createTestDatabase, dialects, type TestDatabase } from '../support/databases.ts';
import {
  copyToPostgres,
  makeDjangoProject,
  skipWithoutDjango,
  type DjangoFixture,
} from '../support/django-fixtures.ts';
import { runAtTerminal, skipWithoutTerminal } from '../support/terminal.ts';
import {
  linesOf,
  processEnvironment,
  runCommand,
  scratchDir,
  startServer,
} from '../support/server-process.ts';

// Every hash below is real Django's (test/support/django-project.py), and every user signs in over HTTP
// with the password Django was given, on each target database, from a source of the same kind.

const tokenExp = Math.floor(Date.now() / 1000) + 86_400;

function open(url: string): Database {
  return openDatabase({
    url,
    poolSize: 1,
    connectTimeout: 5_000,
    statementTimeout: 10_000,
    queryTimeout: 10_000,
  });
}

async function userRow(database: Database, email: string) {
  return database.db
    .selectFrom('users')
    .selectAll()
    .where('email_normalized', '=', email.toLowerCase())
    .executeTakeFirstOrThrow();
}

describe('gatehouse import-django', { skip: skipWithoutDjango }, () => {
  let auth: DjangoFixture;
  let conduit: DjangoFixture;
  before(async () => {
    [auth, conduit] = await Promise.all([
      makeDjangoProject('auth', 'django-insecure-fixture-key', tokenExp),
      makeDjangoProject('conduit', 'django-insecure-fixture-key', tokenExp),
    ]);
  });

  for (const dialect of dialects) {
    describe(`into ${dialect}, from a Django ${dialect} database`, () => {
      let target: TestDatabase;
      let source: TestDatabase | undefined;
      let env: Record<string, string>;
      let database: Database;
      // the source database as the command is given it, and the table to name where two are present
      let authSource: string[];
      let conduitSource: string[];
      let sqliteCopy = '';

      before(async () => {
        target = await createTestDatabase(dialect);
        env = processEnvironment({ DATABASE_URL: target.url });
        const migrated = await runCommand(['migrate'], { env });
        assert.equal(migrated.code, 0, migrated.stderr);
        database = open(target.url);
        if (dialect === 'sqlite') {
          // a copy of its own: a test below changes a row the way Django would
          sqliteCopy = join(scratchDir(), 'django.sqlite3');
          copyFileSync(auth.database, sqliteCopy);
          authSource = [sqliteCopy];
          conduitSource = [`sqlite:${conduit.database}`];
        } else {
          // both tables in one PostgreSQL database: the table must then be named
          source = await createTestDatabase('postgres');
          await copyToPostgres(auth.database, 'auth_user', source.url);
          await copyToPostgres(conduit.database, 'authentication_user', source.url);
          authSource = [source.url, '--table', 'auth_user'];
          conduitSource = [source.url, '--table', 'authentication_user'];
        }
      });
      after(async () => {
        await database.close();
        await target.drop();
        await source?.drop();
      });

      async function userCount(): Promise<number> {
        const row = await database.db
          .selectFrom('users')
          .select((eb) => eb.fn.countAll<number | string>().as('n'))
          .executeTakeFirstOrThrow();
        return Number(row.n);
      }

      it('refuses every bad argument with one line and a non-zero exit, writing nothing', async () => {
        const notADatabase = join(scratchDir(), 'notes.txt');
        writeFileSync(
          notADatabase,
          'not a database at all, but long enough to have a header page\n'.repeat(100),
        );
        const cases: Array<[string[], number, RegExp]> = [
          [[], 2, /^gatehouse import-django: usage: gatehouse import-django <sqlite file/],
          [[authSource[0] ?? '', 'extra'], 2, /usage: gatehouse import-django/],
          [[...authSource, '--batch-size', '0'], 2, /--batch-size: a whole number from 1 to 1000/],
          [[...authSource, '--batch-size', 'many'], 2, /--batch-size: a whole number from 1 to 1000/],
          [
            [authSource[0] ?? '', '--table', 'users; drop table x'],
            2,
            /--table: "users; drop table x" is not a table name/,
          ],
          [[...authSource, '--bogus'], 2, /Unknown option '--bogus'/],
          [[join(scratchDir(), 'missing.sqlite3')], 1, /missing\.sqlite3: no such file$/],
          [[notADatabase], 1, /cannot read the Django database: file is not a database$/],
          [
            ['mysql://django@127.0.0.1/django'],
            1,
            /mysql:\/\/django@127\.0\.0\.1\/django: not a SQLite file or a postgres:\/\/ URL$/,
          ],
          [
            ['postgres://nobody@127.0.0.1:1/django'],
            1,
            /cannot read the Django database: .*ECONNREFUSED|cannot read the Django database: connect/,
          ],
          [[authSource[0] ?? '', '--table', 'nope'], 1, /no table named nope$/],
        ];
        if (dialect === 'sqlite')
          cases.push([
            [authSource[0] ?? '', '--table', 'auth_group'],
            1,
            /table auth_group is not a Django user table/,
          ]);
        if (dialect === 'postgres')
          cases.push([
            [authSource[0] ?? ''],
            1,
            /several tables look like Django user tables \(.*auth_user.*\): name one with --table$/,
          ]);
        for (const [args, code, message] of cases) {
          const result = await runCommand(['import-django', ...args], { env });
          assert.equal(result.code, code, `${args.join(' ')}: ${result.stderr}`);
          assert.equal(linesOf(result.stderr).length, 1, result.stderr);
          assert.match(result.stderr.trim(), message);
          assert.ok(result.stderr.startsWith('gatehouse import-django: '), result.stderr);
        }
        assert.equal(await userCount(), 0);
      });

      it('reports every bad row in a dry run and writes nothing', async () => {
        const result = await runCommand(['import-django', ...authSource, '--dry-run'], { env });
        assert.equal(result.code, 0, result.stderr);
        assert.match(
          result.stdout,
          /dry run: 22 rows in auth_user: imported would be 18, updated would be 0/,
        );
        assert.equal(await userCount(), 0);
        // stderr is no terminal here: no progress line, no output at all
        assert.equal(result.stderr, '');
      });

      it('shows its progress on a terminal', { skip: skipWithoutTerminal }, async () => {
        const { code, output } = await runAtTerminal(
          ['import-django', ...authSource, '--dry-run', '--batch-size', '5'],
          {
            env,
            dialogue: [],
          },
        );
        assert.equal(code, 0, output);
        for (const step of [
          '5/22 rows (22%)',
          '10/22 rows (45%)',
          '15/22 rows (68%)',
          '20/22 rows (90%)',
          '22/22 rows (100%)',
        ])
          assert.ok(output.includes(step), output);
        assert.match(output, /dry run: 22 rows in auth_user/);
        assert.equal(await userCount(), 0);
      });

      it('imports the users, reporting each skipped or changed row, and audits the run', async () => {
        const result = await runCommand(['import-django', ...authSource], { env });
        assert.equal(result.code, 0, result.stderr);
        const lines = linesOf(result.stdout);
        const lineOf = (key: string) => {
          const user = auth.users.find((candidate) => candidate.key === key);
          return lines.find((line) => line.startsWith(`django user ${String(user?.id)}:`)) ?? '';
        };
        assert.match(lineOf('invalid'), /skipped \(invalid_email\)/);
        const usernameOnly =
          /imported; no email: signs in by username only \(under \/auth\), and gets no mail until an address is added/;
        for (const key of ['noemail', 'noemail2']) assert.match(lineOf(key), usernameOnly);
        const nameless = auth.users.find((user) => user.key === 'nameless');
        assert.match(lineOf('nameless'), usernameOnly);
        assert.match(
          lineOf('nameless'),
          new RegExp(`; no username and no email: imported as "user-${String(nameless?.id)}"$`),
        );
        const kept = auth.users.find((user) => user.key === 'dup_new');
        assert.match(
          lineOf('dup_old'),
          new RegExp(`skipped \\(duplicate_email\\).*Django user ${String(kept?.id)}, who is kept`),
        );
        assert.match(
          lineOf('md5'),
          /imported; password hash md5 not supported: no usable password \(must reset\)/,
        );
        assert.match(lineOf('unusable'), /imported; unusable password in Django/);
        const twin = auth.users.find((user) => user.key === 'twin');
        assert.match(
          lineOf('twin'),
          new RegExp(
            `imported; username "PBKDF2_SHA256_AUTH" is taken: imported as "PBKDF2_SHA256_AUTH-${String(twin?.id)}"$`,
          ),
        );
        const staffRow = auth.users.find((user) => user.key === 'staff');
        assert.match(
          lineOf('spaced'),
          new RegExp(`skipped \\(duplicate_email\\).*Django user ${String(staffRow?.id)}, who is kept`),
        );
        assert.match(lineOf('tabbed'), /skipped \(email_taken\): the email belongs to a Gatehouse account/);
        assert.match(
          lineOf('plus'),
          /imported; username "first\.last\+auth@site" is not valid here: imported as "first\.last_auth_site"/,
        );
        assert.equal(lines.filter((line) => line.startsWith('django user')).length, 11, result.stdout);
        assert.match(
          lines.at(-1) ?? '',
          /^22 rows in auth_user: imported 18, updated 0, unchanged 0, skipped 4 \(invalid_email 1, duplicate_email 2, email_taken 1\); without a usable password \(must reset\) 2; without an email \(sign in by username\) 3$/,
        );
        assert.equal(await userCount(), 18);
        // Django's "" is no address: both rows hold none, and neither holds the other's
        for (const key of ['noemail', 'noemail2', 'nameless']) {
          const user = auth.users.find((candidate) => candidate.key === key);
          const stored = await database.db
            .selectFrom('users')
            .select(['email', 'email_normalized', 'email_verified_at'])
            .where('legacy_id', '=', String(user?.id))
            .executeTakeFirstOrThrow();
          assert.deepEqual(stored, { email: null, email_normalized: null, email_verified_at: null }, key);
        }

        const staff = auth.users.find((user) => user.key === 'staff');
        const row = await userRow(database, staff?.email ?? '');
        assert.equal(row.is_staff, 1);
        assert.equal(row.is_superuser, 1);
        assert.equal(row.legacy_id, String(staff?.id));
        assert.equal(row.password_hash, staff?.storedHash, 'the Django hash is kept as it is');
        const named = await userRow(database, 'pbkdf2_sha256.auth@example.com');
        assert.deepEqual([named.first_name, named.last_name], ['Ada', 'Lovelace']);

        const events = await database.db
          .selectFrom('audit_events')
          .selectAll()
          .where('type', '=', 'users_imported')
          .execute();
        assert.deepEqual(
          events.map((event) => event.actor),
          ['system'],
        );
        assert.deepEqual(JSON.parse(events.map((event) => event.detail).join('')), {
          source: 'django',
          table: 'auth_user',
          imported: 18,
          updated: 0,
          unchanged: 0,
          skipped: 4,
          mustReset: 2,
          withoutEmail: 3,
          completed: true,
        });
      });

      it('signs every imported user in with their Django password as typed, and upgrades the hash to argon2id', async () => {
        const server = await startServer({ env });
        const login = (email: string, password: string) =>
          server.request('POST', '/api/users/login', { body: { user: { email, password } } });
        const nfkc = auth.users.find((user) => user.key === 'nfkc');
        assert.ok(nfkc);
        const typed = nfkc.password;
        const normalized = typed.normalize('NFKC');
        assert.notEqual(normalized, typed, 'the fixture password is one NFKC changes');
        try {
          // Django hashed the password as typed: its NFKC form is another password to that hash
          assert.equal((await login(nfkc.email, normalized)).status, 401);
          assert.equal((await userRow(database, nfkc.email)).password_hash, nfkc.storedHash);

          // an empty email is no sign-in at all (blank), and that user was not imported
          for (const user of auth.users.filter((candidate) => candidate.email !== '')) {
            const response = await login(user.email, user.password);
            const signsIn = user.expect === 'imported' || user.expect === 'renamed';
            assert.equal(response.status, signsIn ? 200 : 401, `${user.key}: ${response.text}`);
            if (!signsIn) continue;
            const row = await userRow(database, user.email);
            assert.match(row.password_hash, /^\$argon2id\$/, `${user.key}'s hash is upgraded`);
            assert.equal(
              (await login(user.email, user.password)).status,
              200,
              `${user.key} signs in again with the new hash`,
            );
          }
          // a wrong password is refused for a Django hash too
          const response = await server.request('POST', '/api/users/login', {
            body: { user: { email: 'bcrypt.auth@example.com', password: 'not-the-password' } },
          });
          assert.equal(response.status, 401);

          // upgraded from the password as typed, the hash now holds under Gatehouse's rule: either form
          assert.equal((await login(nfkc.email, typed)).status, 200);
          assert.equal((await login(nfkc.email, normalized)).status, 200);
        } finally {
          await server.stop();
        }
      });

      it('signs a user imported without an email in by username, with their Django password, as djoser does', async () => {
        const server = await startServer({ env: { ...env, DJOSER_LOGIN_FIELD: 'username' } });
        try {
          for (const key of ['noemail', 'noemail2', 'nameless']) {
            const user = auth.users.find((candidate) => candidate.key === key);
            assert.ok(user);
            const username = user.username === '' ? `user-${String(user.id)}` : user.username;
            const created = await server.request('POST', '/auth/jwt/create/', {
              body: { username, password: user.password },
            });
            assert.equal(created.status, 200, `${key}: ${created.text}`);
            const { access } = created.body as { access: string };
            const me = await server.request('GET', '/auth/users/me/', {
              headers: { authorization: `JWT ${access}` },
            });
            assert.equal(me.status, 200, me.text);
            assert.deepEqual(me.body, {
              id: (me.body as { id: string }).id,
              email: '',
              username,
              first_name: user.firstName ?? '',
              last_name: '',
              roles: [],
            });
            const stored = await database.db
              .selectFrom('users')
              .select('password_hash')
              .where('legacy_id', '=', String(user.id))
              .executeTakeFirstOrThrow();
            assert.match(stored.password_hash, /^\$argon2id\$/, `${key}'s hash is upgraded`);
            // and again through djoser's token login, with the new hash
            const token = await server.request('POST', '/auth/token/login/', {
              body: { username, password: user.password },
            });
            assert.equal(token.status, 200, token.text);
          }
          // Conduit signs in by email: such an account has none to give
          const noemail = auth.users.find((candidate) => candidate.key === 'noemail');
          const conduit = await server.request('POST', '/api/users/login', {
            body: { user: { email: '', password: noemail?.password } },
          });
          assert.equal(conduit.status, 422, conduit.text);
        } finally {
          await server.stop();
        }
      });

      it('re-runs idempotently: nothing duplicated, upgraded hashes kept, a row changed in Django updated', async () => {
        const again = await runCommand(['import-django', ...authSource], { env });
        assert.equal(again.code, 0, again.stderr);
        assert.match(linesOf(again.stdout).at(-1) ?? '', /imported 0, updated 0, unchanged 18, skipped 4/);
        assert.equal(await userCount(), 18);
        assert.match((await userRow(database, 'scrypt.auth@example.com')).password_hash, /^\$argon2id\$/);

        // Django changes a name: that row alone is updated, and its upgraded hash stays
        const scrypt = auth.users.find((user) => user.key === 'scrypt');
        await changeSourceRow(dialect, source?.url, sqliteCopy, 'auth_user', scrypt?.id ?? 0);
        const changed = await runCommand(['import-django', ...authSource], { env });
        assert.equal(changed.code, 0, changed.stderr);
        assert.match(linesOf(changed.stdout).at(-1) ?? '', /imported 0, updated 1, unchanged 17, skipped 4/);
        const row = await userRow(database, 'scrypt.auth@example.com');
        assert.equal(row.first_name, 'Grace');
        assert.match(row.password_hash, /^\$argon2id\$/);
      });

      it("imports the Conduit tutorial's custom user table (authentication_user), whose users sign in", async () => {
        // a Gatehouse of its own: Django ids identify users within one project only
        const own = await createTestDatabase(dialect);
        const ownEnv = processEnvironment({ DATABASE_URL: own.url });
        try {
          assert.equal((await runCommand(['migrate'], { env: ownEnv })).code, 0);
          const result = await runCommand(['import-django', ...conduitSource], { env: ownEnv });
          assert.equal(result.code, 0, result.stderr);
          assert.match(
            result.stdout,
            /reading authentication_user \(id, password, email, username, is_active, is_staff, is_superuser, created_at, last_login\)/,
          );
          assert.match(
            linesOf(result.stdout).at(-1) ?? '',
            /^13 rows in authentication_user: imported 12, updated 0, unchanged 0, skipped 1 \(invalid_email 1\)/,
          );
          const server = await startServer({ env: ownEnv });
          try {
            for (const key of ['pbkdf2_sha256', 'argon2id', 'bcrypt_sha256']) {
              const user = conduit.users.find((candidate) => candidate.key === key);
              const response = await server.request('POST', '/api/users/login', {
                body: { user: { email: user?.email, password: user?.password } },
              });
              assert.equal(response.status, 200, `${key}: ${response.text}`);
            }
          } finally {
            await server.stop();
          }
        } finally {
          await own.drop();
        }
      });

      it('keeps the batches before a failing one, none of the failing one, and a re-run continues', async () => {
        const own = await createTestDatabase(dialect);
        const ownEnv = processEnvironment({ DATABASE_URL: own.url });
        const ownDatabase = open(own.url);
        try {
          assert.equal((await runCommand(['migrate'], { env: ownEnv })).code, 0);
          // the database refuses the 7th user (ids in order; batches of 3): the third batch fails
          const refused = auth.users.find((user) => user.key === 'inactive')?.email ?? '';
          await refuseInsertsOf(ownDatabase, dialect, refused);
          const failed = await runCommand(['import-django', ...authSource, '--batch-size', '3'], {
            env: ownEnv,
          });
          assert.equal(failed.code, 1);
          const lastLine = linesOf(failed.stderr).at(-1) ?? '';
          assert.match(
            lastLine,
            /^gatehouse import-django: stopped by a failure \(.*\); the batches before it are kept, and a re-run continues$/,
          );
          assert.equal(linesOf(failed.stderr).length, 1, failed.stderr);
          const countRows = async () =>
            Number(
              (
                await ownDatabase.db
                  .selectFrom('users')
                  .select((eb) => eb.fn.countAll<number | string>().as('n'))
                  .executeTakeFirstOrThrow()
              ).n,
            );
          assert.equal(await countRows(), 6, 'two batches of three are committed; the third is not');
          const event = await ownDatabase.db
            .selectFrom('audit_events')
            .select('detail')
            .where('type', '=', 'users_imported')
            .executeTakeFirstOrThrow();
          assert.equal((JSON.parse(event.detail) as { completed: boolean }).completed, false);

          await allowInserts(ownDatabase, dialect);
          const resumed = await runCommand(['import-django', ...authSource, '--batch-size', '3'], {
            env: ownEnv,
          });
          assert.equal(resumed.code, 0, resumed.stderr);
          assert.match(
            linesOf(resumed.stdout).at(-1) ?? '',
            /imported 12, updated 0, unchanged 6, skipped 4/,
          );
          assert.equal(await countRows(), 18);
        } finally {
          await ownDatabase.close();
          await own.drop();
        }
      });

      it('reports in a dry run exactly what the run reports, for collisions between rows of different batches', async () => {
        // a Gatehouse and a Django source of this test's own: the source is changed below
        const own = await createTestDatabase(dialect);
        const ownEnv = processEnvironment({ DATABASE_URL: own.url });
        let ownSource: TestDatabase | undefined;
        let sourceArgs: string[];
        let changeSource: (statement: (table: string) => ReturnType<typeof sql>) => Promise<void>;
        if (dialect === 'sqlite') {
          const file = join(scratchDir(), 'django.sqlite3');
          copyFileSync(auth.database, file);
          sourceArgs = [file];
          changeSource = async (statement) => {
            const sourceDatabase = open(`sqlite:${file}`);
            await statement('auth_user').execute(sourceDatabase.db);
            await sourceDatabase.close();
          };
        } else {
          ownSource = await createTestDatabase('postgres');
          await copyToPostgres(auth.database, 'auth_user', ownSource.url);
          sourceArgs = [ownSource.url];
          const url = ownSource.url;
          changeSource = async (statement) => {
            const sourceDatabase = open(url);
            await statement('auth_user').execute(sourceDatabase.db);
            await sourceDatabase.close();
          };
        }
        const ownDatabase = open(own.url);
        // the report with the dry run's words taken out: what remains must be the run's, line for line
        const report = (stdout: string) =>
          linesOf(stdout).map((line) =>
            line
              .replace(' — dry run, nothing is written', '')
              .replace(/^dry run: /, '')
              .replaceAll('would be ', ''),
          );
        const dryRunThenRun = async (batchArgs: string[], runEnv = ownEnv) => {
          const args = ['import-django', ...sourceArgs, ...batchArgs, '--emails-verified'];
          const dry = await runCommand([...args, '--dry-run'], { env: runEnv });
          assert.equal(dry.code, 0, dry.stderr);
          const real = await runCommand(args, { env: runEnv });
          assert.equal(real.code, 0, real.stderr);
          assert.deepEqual(report(dry.stdout), report(real.stdout), batchArgs.join(' '));
          return linesOf(real.stdout);
        };
        const idOf = (key: string) => String(auth.users.find((user) => user.key === key)?.id);
        try {
          assert.equal((await runCommand(['migrate'], { env: ownEnv })).code, 0);
          // batches of one: every colliding pair is split, the later row meeting the earlier only as a
          // committed account in the run, and only as a row held in memory in the dry run
          const first = await dryRunThenRun(['--batch-size', '1']);
          assert.ok(
            first.includes(
              `django user ${idOf('twin')}: imported; username "PBKDF2_SHA256_AUTH" is taken: imported as "PBKDF2_SHA256_AUTH-${idOf('twin')}"`,
            ),
            first.join('\n'),
          );
          assert.ok(
            first.some((line) => line.startsWith(`django user ${idOf('tabbed')}: skipped (email_taken)`)),
            first.join('\n'),
          );
          assert.match(first.at(-1) ?? '', /imported 18, updated 0, unchanged 0, skipped 4/);
          // --emails-verified: an address is marked verified, an absent one is not
          const verified = await ownDatabase.db
            .selectFrom('users')
            .select(['legacy_id', 'email_verified_at'])
            .where('legacy_id', 'in', [idOf('pbkdf2_sha256'), idOf('noemail')])
            .orderBy('legacy_id')
            .execute();
          assert.deepEqual(
            verified.map((row) => [row.legacy_id, row.email_verified_at !== null]),
            [
              [idOf('pbkdf2_sha256'), true],
              [idOf('noemail'), false],
            ],
          );

          // Django renames a user and changes their address, and gives both freed ones to a later user: the
          // run frees them in one batch and hands them on in another, and the dry run must see them freed
          // although it rolled that batch back
          const [renamed, heir] = [idOf('pbkdf2_sha1'), idOf('argon2id')];
          await changeSource(
            (table) =>
              sql`update ${sql.table(table)} set username = 'renamed_auth', email = 'renamed.auth@example.com'
                where id = ${Number(renamed)}`,
          );
          await changeSource(
            (table) =>
              sql`update ${sql.table(table)} set username = 'pbkdf2_sha1_auth', email = 'pbkdf2_sha1.auth@example.com'
                where id = ${Number(heir)}`,
          );
          const second = await dryRunThenRun(['--batch-size', '1']);
          assert.match(second.at(-1) ?? '', /imported 0, updated 2, unchanged 16, skipped 4/);
          assert.ok(!second.some((line) => line.startsWith(`django user ${heir}:`)), second.join('\n'));
          const names = await ownDatabase.db
            .selectFrom('users')
            .select(['legacy_id', 'username', 'email'])
            .where('legacy_id', 'in', [renamed, heir])
            .orderBy('username')
            .execute();
          assert.deepEqual(
            names.map((row) => [row.legacy_id, row.username, row.email]),
            [
              [heir, 'pbkdf2_sha1_auth', 'pbkdf2_sha1.auth@example.com'],
              [renamed, 'renamed_auth', 'renamed.auth@example.com'],
            ],
          );
          // and in one batch (the default size), every colliding pair together, into a fresh database
          const fresh = await createTestDatabase(dialect);
          try {
            const freshEnv = processEnvironment({ DATABASE_URL: fresh.url });
            assert.equal((await runCommand(['migrate'], { env: freshEnv })).code, 0);
            const together = await dryRunThenRun([], freshEnv);
            assert.match(together.at(-1) ?? '', /imported 18, updated 0, unchanged 0, skipped 4/);
          } finally {
            await fresh.drop();
          }
        } finally {
          await ownDatabase.close();
          await own.drop();
          await ownSource?.drop();
        }
      });
    });
  }
});

/** A trigger that makes the target database refuse to insert a user with `email`, as a failing disk would. */
async function refuseInsertsOf(database: Database, dialect: string, email: string): Promise<void> {
  if (dialect === 'sqlite') {
    await sql`create trigger refuse_user before insert on users when new.email = ${sql.lit(email)}
      begin select raise(abort, 'refused by the test'); end`.execute(database.db);
    return;
  }
  await sql`create function refuse_user() returns trigger language plpgsql as $$
    begin if new.email = ${sql.lit(email)} then raise exception 'refused by the test'; end if; return new; end $$`.execute(
    database.db,
  );
  await sql`create trigger refuse_user before insert on users for each row execute function refuse_user()`.execute(
    database.db,
  );
}

async function allowInserts(database: Database, dialect: string): Promise<void> {
  await sql`drop trigger refuse_user${dialect === 'sqlite' ? sql`` : sql` on users`}`.execute(database.db);
}

/** Django changes a user's first name (the Conduit table has none: its username instead). */
async function changeSourceRow(
  dialect: string,
  postgresUrl: string | undefined,
  sqliteFile: string,
  table: string,
  id: number,
): Promise<void> {
  const database = dialect === 'sqlite' ? open(`sqlite:${sqliteFile}`) : open(postgresUrl ?? '');
  try {
    await sql`update ${sql.table(table)} set first_name = 'Grace' where id = ${id}`.execute(database.db);
  } finally {
    await database.close();
  }
}
