import type { Executor } from './executor.ts';
import { normalizedEmail, normalizedUsername } from './user-repository.ts';

/** A Django user as `import-django` writes it: the fields it maps, and where they came from. */
export interface ImportedUser {
  /** null: the account has no address, and signs in by username */
  email: string | null;
  username: string;
  /** the Django hash as stored there (accounts/django-hashes.ts verifies it), or an unusable one */
  passwordHash: string;
  firstName: string | null;
  lastName: string | null;
  isActive: boolean;
  isStaff: boolean;
  isSuperuser: boolean;
  emailVerifiedAt: number | null;
  lastLoginAt: number | null;
  createdAt: number;
  /** the Django primary key, as text */
  legacyId: string;
  /** SHA-256 of the source row: unchanged on a re-run means nothing to write */
  fingerprint: string;
}

/** An account an earlier run imported, as a re-run compares it. */
export interface PreviousImport {
  id: string;
  fingerprint: string | null;
  passwordHash: string;
  isActive: boolean;
}

/**
 * The batch reads and writes of `import-django`: each takes a batch's keys at once, so that a 100k-user
 * import costs a few statements per batch rather than a few per user.
 */
export interface ImportedUserRepository {
  /** The accounts earlier runs imported, by Django primary key, among `legacyIds`. */
  findPrevious(legacyIds: readonly string[]): Promise<Map<string, PreviousImport>>;
  /** Who holds each of these addresses (any casing), by lower-cased address → user id. */
  findEmailOwners(emails: readonly string[]): Promise<Map<string, string>>;
  /** Who holds each of these usernames (any casing), by lower-cased username → user id. */
  findUsernameOwners(usernames: readonly string[]): Promise<Map<string, string>>;
  insertMany(users: ReadonlyArray<ImportedUser & { id: string }>, now: number): Promise<void>;
  update(id: string, user: ImportedUser, now: number): Promise<void>;
  /**
   * Takes the account off its address or username, in a dry run's batch only (rolled back with it): an
   * earlier batch, rolled back too, gave the account new ones, so that another row may take the old one
   * here as it would after that batch committed. The username becomes one no name can be (`#` is never
   * valid), unique by the account's id.
   */
  vacate(id: string, field: 'email' | 'username'): Promise<void>;
}

export function createImportedUserRepository({ db }: Executor): ImportedUserRepository {
  const columnsOf = (user: ImportedUser) => ({
    email: user.email,
    email_normalized: user.email === null ? null : normalizedEmail(user.email),
    username: user.username,
    username_normalized: normalizedUsername(user.username),
    password_hash: user.passwordHash,
    first_name: user.firstName,
    last_name: user.lastName,
    is_active: user.isActive ? 1 : 0,
    is_staff: user.isStaff ? 1 : 0,
    is_superuser: user.isSuperuser ? 1 : 0,
    email_verified_at: user.emailVerifiedAt,
    last_login_at: user.lastLoginAt,
    created_at: user.createdAt,
    legacy_id: user.legacyId,
    legacy_fingerprint: user.fingerprint,
  });

  async function owners(column: 'email_normalized' | 'username_normalized', keys: readonly string[]) {
    if (keys.length === 0) return new Map<string, string>();
    const rows = await db.selectFrom('users').select(['id', column]).where(column, 'in', keys).execute();
    // the rows matched a key, so none has a null email here
    return new Map(rows.map((row) => [row[column] ?? '', row.id]));
  }

  return {
    async findPrevious(legacyIds) {
      if (legacyIds.length === 0) return new Map();
      const rows = await db
        .selectFrom('users')
        .select(['id', 'legacy_id', 'legacy_fingerprint', 'password_hash', 'is_active'])
        .where('legacy_id', 'in', legacyIds)
        .execute();
      return new Map(
        rows.map((row) => [
          row.legacy_id ?? '',
          {
            id: row.id,
            fingerprint: row.legacy_fingerprint,
            passwordHash: row.password_hash,
            isActive: row.is_active === 1,
          },
        ]),
      );
    },
    findEmailOwners: (emails) => owners('email_normalized', emails.map(normalizedEmail)),
    findUsernameOwners: (usernames) => owners('username_normalized', usernames.map(normalizedUsername)),

    async insertMany(users, now) {
      if (users.length === 0) return;
      await db
        .insertInto('users')
        .values(
          users.map((user) => ({
            ...columnsOf(user),
            id: user.id,
            bio: null,
            image: null,
            deactivated_at: null,
            erased_at: null,
            legacy_tokens_revoked_at: null,
            // Django's groups are not roles: staff set roles after the import
            roles: '[]',
            updated_at: now,
          })),
        )
        .execute();
    },

    async update(id, user, now) {
      await db
        .updateTable('users')
        .set({ ...columnsOf(user), updated_at: now })
        .where('id', '=', id)
        .execute();
    },

    async vacate(id, field) {
      const vacated =
        field === 'email'
          ? { email: null, email_normalized: null }
          : { username: `#${id}`, username_normalized: `#${id}` };
      await db.updateTable('users').set(vacated).where('id', '=', id).execute();
    },
  };
}
