import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { Kysely } from 'kysely';
import { down, up } from '../../src/store/migrations/0013-optional-email.ts';
import { createUserRepository } from '../../src/store/user-repository.ts';
import { dialects } from '../support/databases.ts';
import { openMigratedDatabase, type MigratedDatabase } from './migrated-database.ts';

const newRow = (email: string | null) => {
  const name = `p${randomUUID().slice(0, 8)}`;
  return {
    id: randomUUID(),
    email,
    username: name,
    passwordHash: '$argon2id$x',
    createdAt: 1_700_000_000_000,
  };
};

for (const dialect of dialects) {
  describe(`migration 0013 (optional email) on ${dialect}`, () => {
    let store: MigratedDatabase;
    before(async () => {
      store = await openMigratedDatabase(dialect);
    });
    after(() => store.close());

    const db = () => store.database.db as unknown as Kysely<unknown>;
    const count = async (table: 'users' | 'sessions') =>
      Number(
        (
          await store.database.db
            .selectFrom(table)
            .select((builder) => builder.fn.countAll().as('count'))
            .executeTakeFirstOrThrow()
        ).count,
      );

    it('keeps every user and what hangs off them across down and up, and lets emails be null after', async () => {
      const users = createUserRepository(store.database);
      await down(db());
      const address = `Kept.${randomUUID().slice(0, 6)}@Example.com`;
      const existing = newRow(address);
      assert.ok((await users.insert(existing)).ok);
      // before: an account without an email is refused by the schema
      await assert.rejects(users.insert(newRow(null)));
      await store.database.db
        .insertInto('sessions')
        .values({
          id: randomUUID(),
          user_id: existing.id,
          created_at: 1,
          last_used_at: 1,
          expires_at: 2,
          user_agent: null,
          ip: null,
          revoked_at: null,
          revoked_reason: null,
        })
        .execute();
      const [usersBefore, sessionsBefore] = [await count('users'), await count('sessions')];

      await up(db());
      assert.equal(await count('users'), usersBefore);
      assert.equal(await count('sessions'), sessionsBefore);
      assert.equal((await users.findByEmail(address.toLowerCase()))?.id, existing.id);

      // any number of accounts without an address; addresses stay unique in any casing
      for (const row of [newRow(null), newRow(null)]) {
        const inserted = await users.insert(row);
        assert.ok(inserted.ok);
        assert.equal(inserted.value.email, null);
      }
      assert.deepEqual(await users.insert(newRow(address.toUpperCase())), {
        ok: false,
        taken: 'email',
      });
      // the foreign keys still hold: removing a user removes their sessions
      await store.database.db.deleteFrom('users').where('id', '=', existing.id).execute();
      assert.equal(await count('sessions'), sessionsBefore - 1);
    });
  });
}
