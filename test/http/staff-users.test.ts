import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { createUserRepository } from '../../src/store/user-repository.ts';
import { dialects } from '../support/databases.ts';
import { createFakeClock } from '../support/fake-clock.ts';
import { bearer, registerUser, request, startTestApp, type TestApp } from '../support/test-app.ts';
import { errorCodeOf, registerStaff, userIdOf } from './staff-shapes.ts';

interface ListedUser {
  id: string;
  email: string;
  username: string;
  isActive: boolean;
  isStaff: boolean;
  emailVerified: boolean;
  roles: string[];
  joinedAt: string;
  lastLoginAt: string | null;
}
interface ListBody {
  users: ListedUser[];
  nextCursor: string | null;
}

for (const dialect of dialects) {
  describe(`the staff's user list (GET /api/admin/users) on ${dialect}`, () => {
    // every registration a second after the one before, so that sign-up order is known
    const clock = createFakeClock();
    let test: TestApp;
    let staff: Awaited<ReturnType<typeof registerStaff>>;
    before(async () => {
      test = await startTestApp(dialect, { clock });
      staff = await registerStaff(test);
    });
    after(() => test.close());

    /** A prefix no other test's accounts start with. */
    const freshPrefix = () => `p${randomBytes(4).toString('hex')}`;
    const register = async (prefix: string) => {
      clock.advance(1000);
      const user = await registerUser(test.app, prefix);
      return { ...user, id: await userIdOf(test.database, user.email) };
    };
    const list = (query: string) =>
      request(test.app, 'GET', `/api/admin/users?${query}`, { headers: bearer(staff.token) });
    const listed = async (query: string): Promise<ListBody> => {
      const response = await list(query);
      assert.equal(response.status, 200, response.text);
      return response.body as ListBody;
    };
    const idsOf = (body: ListBody) => body.users.map((user) => user.id);

    it('finds accounts by a prefix of their email or username, in any casing, and by nothing else', async () => {
      const prefix = freshPrefix();
      const first = await register(prefix);
      const second = await register(prefix);
      await register(freshPrefix());
      const byPrefix = await listed(`q=${prefix.toUpperCase()}&sort=joined`);
      assert.deepEqual(idsOf(byPrefix), [first.id, second.id]);
      assert.equal(byPrefix.nextCursor, null);
      const byEmail = await listed(`q=${encodeURIComponent(first.email.toUpperCase())}`);
      assert.deepEqual(idsOf(byEmail), [first.id]);
      const byUsername = await listed(`q=${first.username}`);
      assert.deepEqual(idsOf(byUsername), [first.id]);
      // a part from the middle is no prefix
      assert.deepEqual(idsOf(await listed(`q=${prefix.slice(1)}`)), []);
      const [user] = byEmail.users;
      assert.ok(user !== undefined);
      assert.equal(user.email, first.email);
      assert.deepEqual(user.roles, []);
      assert.equal(user.isActive, true);
      assert.doesNotMatch(JSON.stringify(byPrefix), /argon2|password/i);
    });

    it('filters by active, staff, verified and role', async () => {
      const prefix = freshPrefix();
      const plain = await register(prefix);
      const deactivated = await register(prefix);
      const verified = await register(prefix);
      const colleague = await register(prefix);
      await test.database.db
        .updateTable('users')
        .set({ is_active: 0 })
        .where('id', '=', deactivated.id)
        .execute();
      await test.database.db
        .updateTable('users')
        .set({ email_verified_at: clock.now() })
        .where('id', '=', verified.id)
        .execute();
      await test.database.db
        .updateTable('users')
        .set({ is_staff: 1 })
        .where('id', '=', colleague.id)
        .execute();
      const roles = await request(test.app, 'PUT', `/api/admin/users/${plain.id}/roles`, {
        headers: bearer(staff.token),
        body: { roles: ['Organizer', 'attendee'] },
      });
      assert.equal(roles.status, 200, roles.text);
      const q = `q=${prefix}&sort=joined`;
      assert.deepEqual(idsOf(await listed(`${q}&active=false`)), [deactivated.id]);
      assert.deepEqual(idsOf(await listed(`${q}&active=true`)), [plain.id, verified.id, colleague.id]);
      assert.deepEqual(idsOf(await listed(`${q}&staff=true`)), [colleague.id]);
      assert.deepEqual(idsOf(await listed(`${q}&verified=true`)), [verified.id]);
      assert.deepEqual(idsOf(await listed(`${q}&verified=false&staff=false`)), [plain.id, deactivated.id]);
      assert.deepEqual(idsOf(await listed(`${q}&role=ORGANIZER`)), [plain.id]);
      assert.deepEqual(idsOf(await listed(`${q}&role=organizer&active=false`)), []);
      const [withRoles] = (await listed(`${q}&role=attendee`)).users;
      assert.deepEqual(withRoles?.roles, ['attendee', 'organizer']);
    });

    it('sorts by sign-up and by last sign-in, either way; never signed in sorts as the oldest', async () => {
      const prefix = freshPrefix();
      const [a, b, c] = [await register(prefix), await register(prefix), await register(prefix)];
      // sign-ins in the order c, a; b never signs in (its registration's session is no sign-in)
      for (const user of [c, a]) {
        clock.advance(1000);
        const signIn = await request(test.app, 'POST', '/api/users/login', {
          body: { user: { email: user.email, password: user.password } },
        });
        assert.equal(signIn.status, 200, signIn.text);
      }
      const q = `q=${prefix}`;
      assert.deepEqual(idsOf(await listed(`${q}&sort=joined`)), [a.id, b.id, c.id]);
      assert.deepEqual(idsOf(await listed(`${q}&sort=-joined`)), [c.id, b.id, a.id]);
      // these three are the latest sign-ups of all
      assert.deepEqual(idsOf(await listed('limit=3')), [c.id, b.id, a.id], 'newest first by default');
      assert.deepEqual(idsOf(await listed(`${q}&sort=lastLogin`)), [b.id, c.id, a.id]);
      assert.deepEqual(idsOf(await listed(`${q}&sort=-lastLogin`)), [a.id, c.id, b.id]);
      const byLogin = await listed(`${q}&sort=-lastLogin`);
      assert.equal(byLogin.users[2]?.lastLoginAt, null);
      assert.match(String(byLogin.users[0]?.lastLoginAt), /^\d{4}-\d\d-\d\dT/);
    });

    /** Registers an account with exactly these names; its id. */
    const registerNamed = async (username: string, email: string) => {
      clock.advance(1000);
      const response = await request(test.app, 'POST', '/api/users', {
        body: { user: { username, email, password: 'a-long-passphrase-42' } },
      });
      assert.equal(response.status, 201, response.text);
      return userIdOf(test.database, email);
    };

    it('orders a search by the name it matched, A to Z, by default; an account matched twice by the lesser, once', async () => {
      const prefix = freshPrefix();
      // in order of sign-up: matched by username only, by email only, by both (the email the lesser),
      // by both (the username the lesser, in capitals: names compare as stored, lower-cased)
      const byUsername = await registerNamed(`${prefix}m`, `other-${prefix}@example.com`);
      const byEmail = await registerNamed(`other-${prefix}`, `${prefix}c@example.com`);
      const emailLesser = await registerNamed(`${prefix}z`, `${prefix}a@example.com`);
      const usernameLesser = await registerNamed(`${prefix}B`, `${prefix}y@example.com`);
      const byName = [emailLesser, usernameLesser, byEmail, byUsername];
      assert.deepEqual(idsOf(await listed(`q=${prefix.toUpperCase()}`)), byName);
      assert.deepEqual(idsOf(await listed(`q=${prefix}&sort=match`)), byName);
      assert.deepEqual(idsOf(await listed(`q=${prefix}&sort=-joined`)), [
        usernameLesser,
        emailLesser,
        byEmail,
        byUsername,
      ]);
      // the filters narrow this order as any other
      await test.database.db.updateTable('users').set({ is_active: 0 }).where('id', '=', byEmail).execute();
      assert.deepEqual(idsOf(await listed(`q=${prefix}&active=true`)), [
        emailLesser,
        usernameLesser,
        byUsername,
      ]);
      assert.deepEqual(idsOf(await listed(`q=${prefix}&active=false`)), [byEmail]);
      // a longer prefix matches fewer names: here only the emails beginning with `<prefix>a`
      assert.deepEqual(idsOf(await listed(`q=${prefix}a`)), [emailLesser]);
    });

    it('pages in name order with a cursor that stays correct while accounts are added', async () => {
      const prefix = freshPrefix();
      const named = (letter: string) =>
        registerNamed(`${prefix}${letter}`, `${letter}-${prefix}@example.com`);
      const [b, d, f, h] = [await named('b'), await named('d'), await named('f'), await named('h')];
      const q = `q=${prefix}&limit=2`;
      const page1 = await listed(q);
      assert.deepEqual(idsOf(page1), [b, d]);
      // added meanwhile: two that sort before the cursor, one after it
      await named('a');
      await named('c');
      const e = await named('e');
      const page2 = await listed(`${q}&cursor=${String(page1.nextCursor)}`);
      assert.deepEqual(idsOf(page2), [e, f]);
      const page3 = await listed(`${q}&cursor=${String(page2.nextCursor)}`);
      assert.deepEqual(idsOf(page3), [h]);
      assert.equal(page3.nextCursor, null);
      // the cursor carries its position, not the query: the same search from the first page's cursor
      // with a size of 100 lists everything after `d`, each once
      const rest = await listed(`q=${prefix}&limit=100&cursor=${String(page1.nextCursor)}`);
      assert.deepEqual(idsOf(rest), [e, f, h]);
    });

    it('pages with a cursor that stays correct while accounts are added', async () => {
      const prefix = freshPrefix();
      const first = [];
      for (let index = 0; index < 5; index += 1) first.push(await register(prefix));
      const q = `q=${prefix}&limit=2`;

      // newest first: accounts added after the first page sort before it and never shift the pages after
      const page1 = await listed(`${q}&sort=-joined`);
      assert.deepEqual(idsOf(page1), [first[4]?.id, first[3]?.id]);
      const added = [await register(prefix), await register(prefix)];
      const page2 = await listed(`${q}&sort=-joined&cursor=${String(page1.nextCursor)}`);
      assert.deepEqual(idsOf(page2), [first[2]?.id, first[1]?.id]);
      const page3 = await listed(`${q}&sort=-joined&cursor=${String(page2.nextCursor)}`);
      assert.deepEqual(idsOf(page3), [first[0]?.id]);
      assert.equal(page3.nextCursor, null);

      // oldest first: they come at the end, each once
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const page: ListBody = await listed(`${q}&sort=joined${cursor === null ? '' : `&cursor=${cursor}`}`);
        seen.push(...idsOf(page));
        if (seen.length === 2) await register(prefix).then((user) => added.push(user));
        cursor = page.nextCursor;
      } while (cursor !== null);
      assert.deepEqual(
        seen,
        [...first, ...added].map((user) => user.id),
      );
    });

    it('caps a limit above 100 at 100 accounts a page, as the contract says ("`?limit=` capped")', async () => {
      const prefix = freshPrefix();
      const users = createUserRepository(test.database);
      for (let index = 0; index < 101; index += 1) {
        const created = await users.insert({
          id: randomUUID(),
          email: `${prefix}${String(index)}@example.com`,
          username: `${prefix}${String(index)}`,
          passwordHash: 'not-a-hash',
          createdAt: clock.now(),
        });
        assert.ok(created.ok);
      }
      for (const limit of ['100', '101', '1000', '999999999']) {
        const page = await listed(`q=${prefix}&limit=${limit}`);
        assert.equal(page.users.length, 100, limit);
        assert.notEqual(page.nextCursor, null, limit);
      }
      const rest = await listed(
        `q=${prefix}&limit=101&cursor=${String((await listed(`q=${prefix}&limit=101`)).nextCursor)}`,
      );
      assert.equal(rest.users.length, 1);
      assert.equal(rest.nextCursor, null);
    });

    it('refuses bad queries with 422 naming the field', async () => {
      const page = await listed('limit=1&sort=joined');
      const otherSortCursor = String(page.nextCursor);
      const prefix = freshPrefix();
      await register(prefix);
      await register(prefix);
      const nameCursor = String((await listed(`q=${prefix}&limit=1`)).nextCursor);
      const forged = (text: string) => Buffer.from(text).toString('base64url');
      const cases: Array<[string, string]> = [
        ['limit=0', 'limit'],
        ['limit=ten', 'limit'],
        ['limit=-1', 'limit'],
        ['limit=1.5', 'limit'],
        ['cursor=not-a-cursor', 'cursor'],
        [`sort=-joined&cursor=${otherSortCursor}`, 'cursor'],
        ['role=not%20a%20role', 'role'],
        ['active=yes', 'active'],
        ['staff=1', 'staff'],
        ['verified=', 'verified'],
        ['sort=name', 'sort'],
        [`q=${'a'.repeat(255)}`, 'q'],
        // the order of matched names needs a search
        ['sort=match', 'q'],
        ['q=%20%20&sort=match', 'q'],
        // a cursor of one order read in the other
        [`q=${prefix}&cursor=${otherSortCursor}`, 'cursor'],
        [`q=${prefix}&sort=joined&cursor=${nameCursor}`, 'cursor'],
        [`cursor=${nameCursor}`, 'cursor'],
        [`q=${prefix}&cursor=${forged('match:a b:x')}`, 'cursor'],
        [`q=${prefix}&cursor=${forged(`match:a:${'x'.repeat(255)}`)}`, 'cursor'],
        [`q=${prefix}&cursor=${'A'.repeat(1451)}`, 'cursor'],
      ];
      for (const [query, field] of cases) {
        const response = await list(query);
        assert.equal(response.status, 422, `${query}: ${response.text}`);
        assert.equal(errorCodeOf(response.body), 'validation_failed');
        const { fields } = (response.body as { error: { fields: Record<string, string[]> } }).error;
        assert.deepEqual(Object.keys(fields), [field], query);
      }
    });

    it('serves staff only: 401 to the anonymous, 403 to everyone else', async () => {
      const anonymous = await request(test.app, 'GET', '/api/admin/users');
      assert.equal(anonymous.status, 401, anonymous.text);
      assert.equal(errorCodeOf(anonymous.body), 'token_missing');
      const person = await registerUser(test.app);
      const refused = await request(test.app, 'GET', '/api/admin/users', { headers: bearer(person.token) });
      assert.equal(refused.status, 403, refused.text);
      assert.equal(errorCodeOf(refused.body), 'forbidden');
    });
  });
}
