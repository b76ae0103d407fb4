import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createFollowRepository, type FollowRepository } from '../../src/store/follow-repository.ts';
import { dialects } from '../support/databases.ts';
import { insertUser, openMigratedDatabase, type MigratedDatabase } from './migrated-database.ts';

for (const dialect of dialects) {
  describe(`follow repository on ${dialect}`, () => {
    let store: MigratedDatabase;
    let follows: FollowRepository;
    before(async () => {
      store = await openMigratedDatabase(dialect);
      follows = createFollowRepository(store.database);
    });
    after(() => store.close());

    async function rowsBetween(followerId: string, followeeId: string): Promise<number> {
      const rows = await store.database.db
        .selectFrom('follows')
        .selectAll()
        .where('follower_id', '=', followerId)
        .where('followee_id', '=', followeeId)
        .execute();
      return rows.length;
    }

    it('follows one way only', async () => {
      const [reader, author] = [await insertUser(store.database), await insertUser(store.database)];
      assert.equal(await follows.isFollowing(reader, author), false);
      await follows.follow(reader, author, 1);
      assert.equal(await follows.isFollowing(reader, author), true);
      assert.equal(await follows.isFollowing(author, reader), false);
    });

    it('keeps one row when the same follow is stored twice, and the first time', async () => {
      const [reader, author] = [await insertUser(store.database), await insertUser(store.database)];
      await follows.follow(reader, author, 1);
      await follows.follow(reader, author, 2);
      assert.equal(await rowsBetween(reader, author), 1);
      const row = await store.database.db
        .selectFrom('follows')
        .select('created_at')
        .where('follower_id', '=', reader)
        .where('followee_id', '=', author)
        .executeTakeFirstOrThrow();
      assert.equal(row.created_at, 1);
    });

    it('stores one row when the same follow arrives many times at once', async () => {
      const [reader, author] = [await insertUser(store.database), await insertUser(store.database)];
      await Promise.all(Array.from({ length: 10 }, (_, index) => follows.follow(reader, author, index)));
      assert.equal(await rowsBetween(reader, author), 1);
    });

    it('unfollows idempotently, also when there was no follow', async () => {
      const [reader, author] = [await insertUser(store.database), await insertUser(store.database)];
      await follows.unfollow(reader, author);
      await follows.follow(reader, author, 1);
      await follows.unfollow(reader, author);
      await follows.unfollow(reader, author);
      assert.equal(await follows.isFollowing(reader, author), false);
      assert.equal(await rowsBetween(reader, author), 0);
    });

    it("leaves other people's follows alone on unfollow", async () => {
      const [reader, other, author] = [
        await insertUser(store.database),
        await insertUser(store.database),
        await insertUser(store.database),
      ];
      await follows.follow(reader, author, 1);
      await follows.follow(other, author, 1);
      await follows.unfollow(reader, author);
      assert.equal(await follows.isFollowing(other, author), true);
    });
  });
}
