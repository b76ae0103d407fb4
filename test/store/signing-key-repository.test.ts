import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { sql } from 'kysely';
import {
  createSigningKeyRepository,
  type SigningKeyRepository,
  type StoredSigningKey,
} from '../../src/store/signing-key-repository.ts';
import { dialects } from '../support/databases.ts';
import { openMigratedDatabase, type MigratedDatabase } from './migrated-database.ts';

const start = 1_700_000_000_000;

/** A key row; the repository stores the JWK texts without reading them. */
function newKey(createdAt: number, kid: string = randomUUID()): StoredSigningKey {
  return {
    kid,
    algorithm: 'EdDSA',
    publicJwk: JSON.stringify({ kty: 'OKP', kid }),
    privateJwkEncrypted: `v1.sealed-${kid}`,
    createdAt,
    retiredAt: null,
  };
}

for (const dialect of dialects) {
  describe(`signing key repository on ${dialect}`, () => {
    let store: MigratedDatabase;
    let keys: SigningKeyRepository;
    beforeEach(async () => {
      store = await openMigratedDatabase(dialect);
      keys = createSigningKeyRepository(store.database);
    });
    afterEach(() => store.close());

    it('stores the first key unretired, every column as given', async () => {
      const first = newKey(start);
      await keys.rotate(first);
      assert.deepEqual(await keys.list(), [first]);
    });

    it('retires every unretired key as of the new key’s creation, and leaves retired ones alone', async () => {
      const first = newKey(start);
      const second = newKey(start + 1000);
      const third = newKey(start + 5000);
      await keys.rotate(first);
      await keys.rotate(second);
      await keys.rotate(third);
      assert.deepEqual(await keys.list(), [
        third,
        { ...second, retiredAt: third.createdAt },
        { ...first, retiredAt: second.createdAt },
      ]);
    });

    it('changes nothing when the new key cannot be stored', async () => {
      const first = newKey(start);
      await keys.rotate(first);
      // the same kid again: the insert fails after the update ran, inside the one transaction
      await assert.rejects(keys.rotate({ ...newKey(start + 1000), kid: first.kid }));
      assert.deepEqual(await keys.list(), [first]);
    });

    it('lists newest first, the kid breaking a tie the same way on every read', async () => {
      const early = newKey(start, 'a-early');
      const tieLow = newKey(start + 1000, 'b-tie');
      const tieHigh = newKey(start + 1000, 'c-tie');
      await store.database.db
        .insertInto('signing_keys')
        .values(
          [tieLow, early, tieHigh].map((key) => ({
            kid: key.kid,
            algorithm: key.algorithm,
            public_jwk: key.publicJwk,
            private_jwk_encrypted: key.privateJwkEncrypted,
            created_at: key.createdAt,
            retired_at: null,
          })),
        )
        .execute();
      assert.deepEqual(
        (await keys.list()).map((key) => key.kid),
        ['c-tie', 'b-tie', 'a-early'],
      );
    });

    it('stores a first key only while no key is unretired', async () => {
      const first = newKey(start);
      assert.equal(await keys.insertIfNoSigner(first), true);
      assert.equal(await keys.insertIfNoSigner(newKey(start + 1000)), false);
      assert.deepEqual(await keys.list(), [first]);

      await keys.retireAll(start + 2000);
      const after = newKey(start + 3000);
      assert.equal(await keys.insertIfNoSigner(after), true);
      assert.deepEqual(await keys.list(), [after, { ...first, retiredAt: start + 2000 }]);
    });

    it('stores one first key however many try at once', async () => {
      // open the pool's connections first, so that the attempts really run side by side
      await Promise.all(Array.from({ length: 5 }, () => sql`select 1`.execute(store.database.db)));
      const attempts = Array.from({ length: 10 }, (_, index) => newKey(start + index));
      const stored = await Promise.all(attempts.map((key) => keys.insertIfNoSigner(key)));
      assert.equal(stored.filter(Boolean).length, 1);
      const winner = attempts[stored.indexOf(true)];
      assert.deepEqual(await keys.list(), [winner]);
    });

    it('retires all unretired keys at a given moment and counts them', async () => {
      const first = newKey(start);
      const second = newKey(start + 1000);
      await keys.rotate(first);
      await keys.rotate(second);
      assert.equal(await keys.retireAll(start + 9000), 1);
      assert.equal(await keys.retireAll(start + 20_000), 0);
      assert.deepEqual(await keys.list(), [
        { ...second, retiredAt: start + 9000 },
        { ...first, retiredAt: second.createdAt },
      ]);
    });
  });
}
