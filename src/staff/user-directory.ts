import { GatehouseError } from '../errors.ts';
import type { User, UserRepository } from '../store/user-repository.ts';

export interface UserDirectoryDeps {
  users: Pick<UserRepository, 'findById'>;
}

export type UserDirectory = ReturnType<typeof createUserDirectory>;

/** The accounts as staff look them up. */
export function createUserDirectory({ users }: UserDirectoryDeps) {
  return {
    /** The account with this id, whatever its state; user_not_found when there is none. */
    async user(id: string): Promise<User> {
      const user = await users.findById(id);
      if (user === undefined) throw new GatehouseError('user_not_found', 'no such user');
      return user;
    },
  };
}
