import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { Kysely } from 'kysely';
import { down, up } from '../../src/store/migrations/0016-case-folded-usernames.ts';
import { createUserRepository } from '../../src/store/user-repository.ts';
import { dialects } from '../support/databases.ts';
import { openMigratedDatabase, type MigratedDatabase } from './migrated-database.ts';

for (const dialect of dialects) {
  describe(`migration 0016 (case-folded usernames) on ${dialect}`, () => {
    let store: MigratedDatabase;
    before(async () => {
      store = await openMigratedDatabase(dialect);
    });
    after(() => store.close());

    const db = () => store.database.db as unknown as Kysely<unknown>;
    const keyOf = async (id: string) =>
      (
        await store.database.db
          .selectFrom('users')
          .select('username_normalized')
          .where('id', '=', id)
          .executeTakeFirstOrThrow()
      ).username_normalized;

    /** A user as 0015 stored one: its key the lower case of its name. */
    async function insertAsBefore(username: string): Promise<string> {
      const id = randomUUID();
      await store.database.db
        .insertInto('users')
        .values({
          id,
          email: `${id}@example.com`,
          email_normalized: `${id}@example.com`,
          username,
          username_normalized: username.toLowerCase(),
          password_hash: '$argon2id$x',
          is_active: 1,
          is_staff: 0,
          is_superuser: 0,
          roles: '[]',
          created_at: 1_700_000_000_000,
          updated_at: 1_700_000_000_000,
        })
        .execute();
      return id;
    }

    it('re-keys names beyond ASCII by their case fold, keeps the later of a colliding pair as it was, and goes back down', async () => {
      const suffix = randomUUID().slice(0, 6);
      await down(db());
      const ascii = await insertAsBefore(`Plain_${suffix}`);
      const medial = await insertAsBefore(`ασ${suffix}ασ`);
      const sharp = await insertAsBefore(`Straße${suffix}`);
      // before: lower case kept these apart from `medial`, each a key of its own
      const final = await insertAsBefore(`ΑΣ${suffix}ΑΣ`);
      assert.notEqual(await keyOf(final), await keyOf(medial));

      await up(db());
      assert.equal(await keyOf(ascii), `plain_${suffix}`);
      assert.equal(await keyOf(sharp), `strasse${suffix}`);
      const folded = `ασ${suffix}ασ`;
      const keys = [await keyOf(medial), await keyOf(final)];
      // exactly one of the pair holds the folded key; the other keeps its old one, and both still sign in
      assert.equal(keys.filter((key) => key === folded).length, 1, keys.join(', '));
      const users = createUserRepository(store.database);
      assert.ok((await users.findByUsername(`ΑΣ${suffix}ΑΣ`)) !== undefined);
      // a new account can take neither form
      const taken = await users.insert({
        id: randomUUID(),
        email: null,
        username: `Ασ${suffix}ας`,
        passwordHash: '$argon2id$x',
        createdAt: 1_700_000_000_000,
      });
      assert.deepEqual(taken, { ok: false, taken: 'username' });

      await down(db());
      assert.equal(await keyOf(sharp), `straße${suffix}`);
      assert.equal(await keyOf(ascii), `plain_${suffix}`);
      await up(db());
    });
  });
}
