import type { Executor } from './executor.ts';

export interface FollowRepository {
  /** Idempotent: following twice leaves one row. */
  follow(followerId: string, followeeId: string, at: number): Promise<void>;
  unfollow(followerId: string, followeeId: string): Promise<void>;
  isFollowing(followerId: string, followeeId: string): Promise<boolean>;
}

export function createFollowRepository({ db }: Executor): FollowRepository {
  return {
    async follow(followerId, followeeId, at) {
      await db
        .insertInto('follows')
        .values({ follower_id: followerId, followee_id: followeeId, created_at: at })
        .onConflict((conflict) => conflict.columns(['follower_id', 'followee_id']).doNothing())
        .execute();
    },
    async unfollow(followerId, followeeId) {
      await db
        .deleteFrom('follows')
        .where('follower_id', '=', followerId)
        .where('followee_id', '=', followeeId)
        .execute();
    },
    async isFollowing(followerId, followeeId) {
      const row = await db
        .selectFrom('follows')
        .select('follower_id')
        .where('follower_id', '=', followerId)
        .where('followee_id', '=', followeeId)
        .executeTakeFirst();
      return row !== undefined;
    },
  };
}
