import type { Database } from '../../src/store/database.ts';
import { createUserRepository, type User } from '../../src/store/user-repository.ts';

/** How many users the database holds: the proof that a refused request created nobody. */
export async function countUsers(database: Database): Promise<number> {
  const row = await database.db
    .selectFrom('users')
    .select((builder) => builder.fn.countAll().as('count'))
    .executeTakeFirstOrThrow();
  return Number(row.count);
}

/** The stored user with this email, read straight from the database; throws when there is none. */
export async function readUser(database: Database, email: string): Promise<User> {
  const user = await createUserRepository(database).findByEmail(email);
  if (user === undefined) throw new Error(`no user stored for ${email}`);
  return user;
}
