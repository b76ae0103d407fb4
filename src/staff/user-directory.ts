import { GatehouseError } from '../errors.ts';
import type { User, UserRepository } from '../store/user-repository.ts';

export interface UserDirectoryDeps {
  users: Pick<UserRepository, 'findById' | 'findByEmail'>;
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

    /**
     * The account an operator names by email (any casing) or by id, as the CLI takes it; user_not_found
     * when neither names one.
     */
    async userByEmailOrId(reference: string): Promise<User> {
      const user = reference.includes('@')
        ? await users.findByEmail(reference)
        : await users.findById(reference);
      if (user === undefined) throw new GatehouseError('user_not_found', `no user ${reference}`);
      return user;
    },
  };
}
