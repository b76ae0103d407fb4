import { normalizeEmail } from '../accounts/user-fields.ts';
import type { Config } from '../config/config.ts';
import { createUserRepository } from '../store/user-repository.ts';
import { openConfiguredDatabase } from './context.ts';

/**
 * Whether an account has this email, read straight from the users table, so a command can refuse an
 * unknown email before asking for anything. The only place the CLI builds a repository itself.
 */
export async function hasAccount(config: Config, email: string): Promise<boolean> {
  const database = openConfiguredDatabase(config);
  try {
    return (await createUserRepository(database).findByEmail(normalizeEmail(email))) !== undefined;
  } finally {
    await database.close();
  }
}
