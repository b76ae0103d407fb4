import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { createUserRepository, type NewUser, type UserRepository } from '../../src/store/user-repository.ts';
import { dialects } from '../support/databases.ts';
import { openMigratedDatabase, type MigratedDatabase } from './migrated-database.ts';

let sequence = 0;

/** A user row no other test in the file uses. */
/** A new row with an address (what most tests here need); `{ email: null }` makes one without. */
function newRow(overrides: Partial<NewUser & { email: string }> = {}): NewUser & { email: string } {
  sequence += 1;
  const name = `Person${sequence}${randomUUID().slice(0, 6)}`;
  return {
    id: randomUUID(),
    email: `${name}@Example.com`,
    username: name,
    passwordHash: '$argon2id$v=19$m=1024,t=1,p=1$c2FsdHNhbHQ$aGFzaA',
    createdAt: 1_700_000_000_000,
    ...overrides,
  };
}

for (const dialect of dialects) {
  describe(`user repository on ${dialect}`, () => {
    let store: MigratedDatabase;
    let users: UserRepository;
    before(async () => {
      store = await openMigratedDatabase(dialect);
      users = createUserRepository(store.database);
    });
    after(() => store.close());

    it('inserts a user and reads it back with defaults: active, not staff, unverified, no bio or image', async () => {
      const row = newRow();
      const inserted = await users.insert(row);
      assert.ok(inserted.ok);
      assert.deepEqual(inserted.value, {
        id: row.id,
        email: row.email,
        username: row.username,
        passwordHash: row.passwordHash,
        bio: null,
        image: null,
        isActive: true,
        isStaff: false,
        isSuperuser: false,
        emailVerifiedAt: null,
        lastLoginAt: null,
        deactivatedAt: null,
        deactivationReason: null,
        deactivatedUntil: null,
        deactivatedBy: null,
        erasedAt: null,
        roles: [],
        createdAt: row.createdAt,
        updatedAt: row.createdAt,
        firstName: null,
        lastName: null,
        legacyId: null,
        legacyTokensRevokedAt: null,
      });
      assert.deepEqual(await users.findById(row.id), inserted.value);
    });

    it('sets roles in the row and in the role index alike, sorted and distinct, and clears both', async () => {
      const row = newRow();
      assert.ok((await users.insert(row)).ok);
      const set = await users.setRoles(row.id, ['organizer', 'attendee', 'organizer'], row.createdAt + 1);
      assert.deepEqual(set?.roles, ['attendee', 'organizer']);
      assert.deepEqual((await users.findById(row.id))?.roles, ['attendee', 'organizer']);
      const indexed = () =>
        store.database.db
          .selectFrom('user_roles')
          .select('role')
          .where('user_id', '=', row.id)
          .orderBy('role')
          .execute();
      assert.deepEqual(await indexed(), [{ role: 'attendee' }, { role: 'organizer' }]);
      assert.deepEqual((await users.setRoles(row.id, [], row.createdAt + 2))?.roles, []);
      assert.deepEqual(await indexed(), []);
      assert.equal(await users.setRoles(randomUUID(), ['x'], 1), undefined);
    });

    it('never offers for erasure a deactivation with an end, and offers it for reactivation once it has come', async () => {
      const paused = newRow();
      const ended = newRow();
      for (const row of [paused, ended]) assert.ok((await users.insert(row)).ok);
      await users.update(paused.id, {
        isActive: false,
        deactivatedAt: 10,
        deactivatedUntil: 2_000,
        updatedAt: 10,
      });
      await users.update(ended.id, { isActive: false, deactivatedAt: 10, updatedAt: 10 });
      const erasable = await users.findErasableBefore(1_000, 1_000);
      assert.ok(erasable.includes(ended.id));
      assert.ok(!erasable.includes(paused.id));
      assert.ok(!(await users.findReactivatableAt(1_999, 1_000)).includes(paused.id));
      assert.ok((await users.findReactivatableAt(2_000, 1_000)).includes(paused.id));
      assert.ok(!(await users.findReactivatableAt(2_000, 1_000)).includes(ended.id));
    });

    it('stores staff and superuser flags when asked to', async () => {
      const inserted = await users.insert(newRow({ isStaff: true, isSuperuser: true }));
      assert.ok(inserted.ok);
      assert.equal(inserted.value.isStaff, true);
      assert.equal(inserted.value.isSuperuser, true);
    });

    it('finds a user by email and by username in any casing, keeping the stored casing', async () => {
      const row = newRow();
      assert.ok((await users.insert(row)).ok);
      for (const email of [row.email, row.email.toLowerCase(), row.email.toUpperCase()]) {
        assert.equal((await users.findByEmail(email))?.email, row.email, email);
      }
      for (const username of [row.username, row.username.toLowerCase(), row.username.toUpperCase()]) {
        assert.equal((await users.findByUsername(username))?.id, row.id, username);
      }
    });

    it('finds nobody for an unknown email, username or id, nor for a value with a NUL character', async () => {
      assert.equal(await users.findByEmail('nobody@example.com'), undefined);
      assert.equal(await users.findByUsername('nobody'), undefined);
      assert.equal(await users.findById(randomUUID()), undefined);
      assert.equal(await users.findByEmail('no\u0000body@example.com'), undefined);
      assert.equal(await users.findByUsername('no\u0000body'), undefined);
    });

    it("refuses an insert whose email differs from another's only in casing, as taken: email", async () => {
      const first = newRow();
      assert.ok((await users.insert(first)).ok);
      const second = newRow({ email: first.email.toUpperCase() });
      assert.deepEqual(await users.insert(second), { ok: false, taken: 'email' });
      assert.equal(await users.findById(second.id), undefined);
    });

    it("refuses an insert whose username differs from another's only in casing, as taken: username", async () => {
      const first = newRow();
      assert.ok((await users.insert(first)).ok);
      const second = newRow({ username: first.username.toLowerCase() });
      assert.deepEqual(await users.insert(second), { ok: false, taken: 'username' });
      assert.equal(await users.findById(second.id), undefined);
    });

    it('lets exactly one of many simultaneous inserts of one email through', async () => {
      const email = newRow().email;
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, index) =>
          users.insert(newRow({ email: index % 2 === 0 ? email : email.toLowerCase() })),
        ),
      );
      assert.equal(results.filter((result) => result.ok).length, 1);
      for (const result of results.filter((each) => !each.ok))
        assert.deepEqual(result, { ok: false, taken: 'email' });
    });

    it('throws, rather than reporting taken, when the primary key collides', async () => {
      const first = newRow();
      assert.ok((await users.insert(first)).ok);
      await assert.rejects(users.insert(newRow({ id: first.id })));
    });

    it('updates only the fields it is given and returns the new row', async () => {
      const row = newRow();
      assert.ok((await users.insert(row)).ok);
      const updated = await users.update(row.id, {
        bio: 'bio',
        image: 'https://example.com/i.png',
        updatedAt: 1_800_000_000_000,
      });
      assert.ok(updated.ok && updated.value !== undefined);
      const user = updated.value;
      assert.equal(user.bio, 'bio');
      assert.equal(user.image, 'https://example.com/i.png');
      assert.equal(user.updatedAt, 1_800_000_000_000);
      assert.equal(user.email, row.email);
      assert.equal(user.passwordHash, row.passwordHash);
      assert.deepEqual(await users.findById(row.id), user);
    });

    it('updates flags, verification and last login, and clears bio and image with null', async () => {
      const row = newRow();
      assert.ok((await users.insert(row)).ok);
      await users.update(row.id, { bio: 'x', image: 'http://example.com/x.png', updatedAt: 1 });
      const updated = await users.update(row.id, {
        bio: null,
        image: null,
        isActive: false,
        isStaff: true,
        emailVerifiedAt: 1_750_000_000_000,
        lastLoginAt: 1_760_000_000_000,
        updatedAt: 2,
      });
      assert.ok(updated.ok && updated.value !== undefined);
      const user = updated.value;
      assert.equal(user.bio, null);
      assert.equal(user.image, null);
      assert.equal(user.isActive, false);
      assert.equal(user.isStaff, true);
      assert.equal(user.isSuperuser, false);
      assert.equal(user.emailVerifiedAt, 1_750_000_000_000);
      assert.equal(user.lastLoginAt, 1_760_000_000_000);
    });

    it('keeps email lookups working after the email changes, under the new address only', async () => {
      const row = newRow();
      assert.ok((await users.insert(row)).ok);
      const email = `Moved.${row.email}`;
      assert.ok((await users.update(row.id, { email, updatedAt: 3 })).ok);
      assert.equal((await users.findByEmail(email.toLowerCase()))?.id, row.id);
      assert.equal(await users.findByEmail(row.email), undefined);
    });

    it("refuses an update to another user's email or username in any casing, and changes nothing", async () => {
      const owner = newRow();
      const other = newRow();
      assert.ok((await users.insert(owner)).ok);
      assert.ok((await users.insert(other)).ok);
      const before = await users.findById(owner.id);
      assert.deepEqual(
        await users.update(owner.id, { email: other.email.toLowerCase(), bio: 'no', updatedAt: 4 }),
        {
          ok: false,
          taken: 'email',
        },
      );
      assert.deepEqual(
        await users.update(owner.id, { username: other.username.toUpperCase(), updatedAt: 4 }),
        {
          ok: false,
          taken: 'username',
        },
      );
      assert.deepEqual(await users.findById(owner.id), before);
    });

    it('lets a user take their own email and username in another casing', async () => {
      const row = newRow();
      assert.ok((await users.insert(row)).ok);
      const updated = await users.update(row.id, {
        email: row.email.toUpperCase(),
        username: row.username.toLowerCase(),
        updatedAt: 5,
      });
      assert.ok(updated.ok && updated.value !== undefined);
      const user = updated.value;
      assert.equal(user.email, row.email.toUpperCase());
      assert.equal(user.username, row.username.toLowerCase());
    });

    it('answers ok with no user for an update of an unknown id', async () => {
      assert.deepEqual(await users.update(randomUUID(), { bio: 'x', updatedAt: 6 }), {
        ok: true,
        value: undefined,
      });
    });
  });
}
