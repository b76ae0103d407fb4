import type { Database } from '../../src/store/database.ts';
import { registerUser } from '../support/test-app.ts';
import type { TestApp } from '../support/test-app.ts';

/** A registered user made staff (and superuser when asked) straight in the database, as createsuperuser does. */
export async function registerStaff(test: TestApp, options: { superuser?: boolean } = {}) {
  const user = await registerUser(test.app, options.superuser === true ? 'super' : 'staff');
  await grantStaff(test.database, user.email, options);
  return user;
}

async function grantStaff(database: Database, email: string, options: { superuser?: boolean } = {}) {
  await database.db
    .updateTable('users')
    .set({ is_staff: 1, is_superuser: options.superuser === true ? 1 : 0 })
    .where('email', '=', email)
    .execute();
}

/** The staff envelope's error code, for asserting a refusal. */
export const errorCodeOf = (body: unknown): string | undefined =>
  (body as { error?: { code?: string } } | undefined)?.error?.code;
