import { GatehouseError } from '../errors.ts';
import type { User, UserRepository } from '../store/user-repository.ts';

/** The most users one list answers with: djoser's list has no pagination, so it is capped here. */
export const userListCap = 1000;

/**
 * Who may see which accounts, as djoser's UserViewSet decides: staff see every user, anyone else only
 * themselves (another's id is not found, as djoser's filtered queryset answers).
 */
export function createVisibleUsers({ users }: { users: Pick<UserRepository, 'findById' | 'listByJoined'> }) {
  return {
    /** The users `viewer` may see, in the order they joined; `page.limit` at most userListCap. */
    async list(viewer: User, page: { limit: number; offset: number }): Promise<User[]> {
      if (!viewer.isStaff) return page.offset === 0 && page.limit > 0 ? [viewer] : [];
      return users.listByJoined({ limit: Math.min(page.limit, userListCap), offset: page.offset });
    },

    /** The user with this id if `viewer` may see them; user_not_found otherwise. */
    async find(viewer: User, id: string): Promise<User> {
      if (id === viewer.id) return viewer;
      const user = viewer.isStaff ? await users.findById(id) : undefined;
      if (user === undefined) throw new GatehouseError('user_not_found', 'no such user for this viewer');
      return user;
    },
  };
}

export type VisibleUsers = ReturnType<typeof createVisibleUsers>;
