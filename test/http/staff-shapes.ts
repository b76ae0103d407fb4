import { parseSetCookie } from 'cookie';
import type { HttpServer } from '../../src/http/server.ts';
import type { Database } from '../../src/store/database.ts';
import { registerUser, request } from '../support/test-app.ts';
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

/** The id of the account with this email, read from the database. */
export async function userIdOf(database: Database, email: string): Promise<string> {
  const row = await database.db
    .selectFrom('users')
    .select('id')
    .where('email', '=', email)
    .executeTakeFirstOrThrow();
  return row.id;
}

/** The account's row as the database holds it, to prove a refused request changed nothing. */
export async function userRow(database: Database, id: string) {
  return database.db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
}

/** The account's audit events of one type, oldest first. */
export async function eventsOf(database: Database, userId: string, type: string) {
  return database.db
    .selectFrom('audit_events')
    .selectAll()
    .where('user_id', '=', userId)
    .where('type', '=', type)
    .orderBy('created_at')
    .execute();
}

/** A console session: the cookie header that carries it and the CSRF token its pages send. */
export interface ConsoleLogin {
  cookie: string;
  csrfToken: string;
  setCookie: string;
}

/** Signs in to the console (POST /api/admin/session) and returns what a browser would keep. */
export async function consoleSignIn(
  app: HttpServer,
  credentials: { email: string; password: string },
): Promise<ConsoleLogin> {
  const response = await request(app, 'POST', '/api/admin/session', { body: credentials });
  if (response.status !== 200) throw new Error(`console sign-in failed: ${response.status} ${response.text}`);
  const setCookie = String(response.headers['set-cookie']);
  const { name, value } = parseSetCookie(setCookie);
  return {
    cookie: `${name}=${value ?? ''}`,
    csrfToken: (response.body as { csrfToken: string }).csrfToken,
    setCookie,
  };
}

/**
 * Runs one whole round of one of the app's workers now: starting a worker runs a round at once, and
 * stopping it waits for the round in progress. It runs on afterwards, as before.
 */
export async function runWorkerRound(test: TestApp, name: string): Promise<void> {
  const worker = test.workers.find((each) => each.name === name);
  if (worker === undefined) throw new Error(`no worker named ${name}`);
  await worker.stop();
  worker.start();
  await worker.stop();
  worker.start();
}
