import type { Clock } from '../clock.ts';
import { GatehouseError } from '../errors.ts';
import type { Store } from '../store/store.ts';
import type { User } from '../store/user-repository.ts';
import { normalizeUsername } from './user-fields.ts';

export interface Profile {
  username: string;
  bio: string | null;
  image: string | null;
  following: boolean;
}

export interface ProfileServiceDeps {
  store: Pick<Store, 'users' | 'follows'>;
  clock: Clock;
}

export type ProfileService = ReturnType<typeof createProfileService>;

/** Public profiles and who follows whom. Deactivated users have no profile. */
export function createProfileService({ store, clock }: ProfileServiceDeps) {
  const { users, follows } = store;
  async function getUser(username: string): Promise<User> {
    const user = await users.findByUsername(normalizeUsername(username));
    if (user === undefined || !user.isActive)
      throw new GatehouseError('profile_not_found', 'no such profile');
    return user;
  }

  function toProfile(user: User, following: boolean): Profile {
    return { username: user.username, bio: user.bio, image: user.image, following };
  }

  return {
    async get(username: string, viewer: User | undefined): Promise<Profile> {
      const user = await getUser(username);
      const following = viewer !== undefined && (await follows.isFollowing(viewer.id, user.id));
      return toProfile(user, following);
    },

    async follow(viewer: User, username: string): Promise<Profile> {
      const user = await getUser(username);
      if (user.id === viewer.id) {
        throw new GatehouseError('cannot_follow_self', 'cannot follow yourself');
      }
      await follows.follow(viewer.id, user.id, clock.now());
      return toProfile(user, true);
    },

    async unfollow(viewer: User, username: string): Promise<Profile> {
      const user = await getUser(username);
      await follows.unfollow(viewer.id, user.id);
      return toProfile(user, false);
    },
  };
}
