import { sql, type ExpressionBuilder, type RawBuilder } from 'kysely';
import { foldCase } from '../case-fold.ts';
import type { Executor } from './executor.ts';
import type { Tables, UserRow, UserUpdate } from './tables.ts';

/** A user as the rest of the service sees it: camelCase, booleans, no normalised shadow columns. */
export interface User {
  id: string;
  /** null when the account has no address (registered by username alone): it then has no mail at all */
  email: string | null;
  username: string;
  passwordHash: string;
  bio: string | null;
  image: string | null;
  isActive: boolean;
  isStaff: boolean;
  isSuperuser: boolean;
  emailVerifiedAt: number | null;
  lastLoginAt: number | null;
  deactivatedAt: number | null;
  /** why staff deactivated it; null when its owner did, or it is active */
  deactivationReason: string | null;
  /** when a deactivation by staff ends by itself; null: until someone activates the account */
  deactivatedUntil: number | null;
  /** the staff member who deactivated it; null when its owner did */
  deactivatedBy: string | null;
  erasedAt: number | null;
  /** the roles staff gave it, sorted */
  roles: string[];
  createdAt: number;
  updatedAt: number;
  firstName: string | null;
  lastName: string | null;
  /** the Django primary key of an imported user (import-django), null for everyone else */
  legacyId: string | null;
  /** when the old system's tokens stopped being honoured for this user, if they have */
  legacyTokensRevokedAt: number | null;
}

export interface NewUser {
  id: string;
  email: string | null;
  username: string;
  passwordHash: string;
  isStaff?: boolean;
  isSuperuser?: boolean;
  createdAt: number;
}

export interface UserChanges {
  /** null removes the address: an account may be without one */
  email?: string | null;
  username?: string;
  passwordHash?: string;
  bio?: string | null;
  image?: string | null;
  isActive?: boolean;
  isStaff?: boolean;
  isSuperuser?: boolean;
  emailVerifiedAt?: number | null;
  lastLoginAt?: number;
  deactivatedAt?: number | null;
  deactivationReason?: string | null;
  deactivatedUntil?: number | null;
  deactivatedBy?: string | null;
  erasedAt?: number;
  firstName?: string | null;
  lastName?: string | null;
  updatedAt: number;
}

/** How the staff's list orders accounts by time: by sign-up or by last sign-in (never: as at 0), either way. */
export type TimeSort = 'joined' | '-joined' | 'lastLogin' | '-lastLogin';

/**
 * Every order of the staff's list: a time order, or `match`, the name a search matched (A to Z by code
 * point), which only a search has.
 */
export type UserSort = TimeSort | 'match';

/** Where a page in a time order starts: after the account with this sort key and id. */
export interface UserPosition {
  key: number;
  id: string;
}

/** Where a page in `match` order starts: after the account whose matched name and id these are. */
export interface NamePosition {
  name: string;
  id: string;
}

/** An account a search found, with the name (normalised email or username) by which it sorts. */
export interface MatchedUser {
  user: User;
  name: string;
}

/** What the staff's list narrows accounts to, besides a search; every filter is optional. */
export interface UserFlags {
  active?: boolean | undefined;
  staff?: boolean | undefined;
  verified?: boolean | undefined;
  role?: string | undefined;
}

/** What the staff's list narrows accounts to in a time order: the flags, and optionally a search. */
export interface UserFilter extends UserFlags {
  /** a lower-cased prefix of the normalised email or username */
  prefix?: string | undefined;
}

/** The outcome of a write that a unique index may refuse. */
export type UniqueWrite<T> = { ok: true; value: T } | { ok: false; taken: 'email' | 'username' };

export interface UserRepository {
  findById(id: string): Promise<User | undefined>;
  findByEmail(email: string): Promise<User | undefined>;
  findByUsername(username: string): Promise<User | undefined>;
  /** The imported user with this Django primary key. */
  findByLegacyId(legacyId: string): Promise<User | undefined>;
  insert(user: NewUser): Promise<UniqueWrite<User>>;
  update(id: string, changes: UserChanges): Promise<UniqueWrite<User | undefined>>;
  /**
   * Ids of accounts deactivated before `cutoff` whose data is not erased yet, oldest first; a deactivation
   * with an end (`deactivated_until`) is a pause, never erased.
   */
  findErasableBefore(cutoff: number, limit: number): Promise<string[]>;
  /** From `at` on, the old system's tokens are refused for this user; a no-op for users never imported. */
  revokeLegacyTokens(id: string, at: number): Promise<void>;
  /** A page of every user in the order they joined (then by id): djoser's user list for staff. */
  listByJoined(page: { limit: number; offset: number }): Promise<User[]>;
  /** Ids of deactivated accounts whose deactivation ended at or before `now`, soonest first. */
  findReactivatableAt(now: number, limit: number): Promise<string[]>;
  /** Up to `limit` accounts matching `filter` in `sort` order, after `after` if given. */
  list(
    filter: UserFilter,
    sort: TimeSort,
    page: { limit: number; after?: UserPosition | undefined },
  ): Promise<User[]>;
  /**
   * Up to `limit` accounts whose normalised email or username starts with `prefix` and whose flags match,
   * ordered by that name (the lesser, when both match), then id; after `after` if given.
   */
  listMatching(
    prefix: string,
    flags: UserFlags,
    page: { limit: number; after?: NamePosition | undefined },
  ): Promise<MatchedUser[]>;
  /** Replaces the user's roles (sorted, distinct) in the row and in the role index alike. */
  setRoles(userId: string, roles: readonly string[], updatedAt: number): Promise<User | undefined>;
  /**
   * Ids of the active superusers. In a unit of work on PostgreSQL their rows stay locked until it ends,
   * so that two demotions at once cannot both see the other superuser still there (SQLite writes one at a
   * time anyway).
   */
  lockActiveSuperusers(): Promise<string[]>;
}

/** An account's place in `sort` order: the cursor of the page after it. */
export function positionOf(user: User, sort: TimeSort): UserPosition {
  const key = sort === 'joined' || sort === '-joined' ? user.createdAt : (user.lastLoginAt ?? 0);
  return { key, id: user.id };
}

// Above every code point a normalised name can hold: `prefix <= x < prefix + top` is "x starts with prefix".
const top = '\u{10FFFF}';

/** The keys the unique indexes compare: one account per address and per name, whatever the casing. */
export const normalizedEmail = (email: string): string => email.toLowerCase();
export const normalizedUsername = foldCase;

export function createUserRepository(executor: Executor): UserRepository {
  const { db } = executor;

  async function findBy(
    column: 'id' | 'email_normalized' | 'username_normalized' | 'legacy_id',
    value: string,
  ) {
    // no stored text holds U+0000 (PostgreSQL refuses it), and asking PostgreSQL for one is a driver error
    if (value.includes('\0')) return undefined;
    const row = await db.selectFrom('users').selectAll().where(column, '=', value).executeTakeFirst();
    return row && toUser(row);
  }

  function refusal(error: unknown): UniqueWrite<never> {
    const column = executor.uniqueViolationColumn(error);
    if (column === 'email_normalized') return { ok: false, taken: 'email' };
    if (column === 'username_normalized') return { ok: false, taken: 'username' };
    throw error;
  }

  // the column as prefix search compares it: code point order (the "C" collation) on PostgreSQL
  const comparable = (column: 'email_normalized' | 'username_normalized'): RawBuilder<string> =>
    executor.dialect === 'postgres' ? sql`(${sql.ref(column)} collate "C")` : sql`${sql.ref(column)}`;
  const startsWith = (column: 'email_normalized' | 'username_normalized', prefix: string) =>
    sql<boolean>`${comparable(column)} >= ${prefix} and ${comparable(column)} < ${prefix + top}`;

  function sortKey(sort: TimeSort): RawBuilder<number> {
    return sort === 'joined' || sort === '-joined' ? sql`created_at` : sql`coalesce(last_login_at, 0)`;
  }

  function matching(filter: UserFilter) {
    return (eb: ExpressionBuilder<Tables, 'users'>) => {
      const conditions = [flagged(filter)(eb)];
      if (filter.prefix !== undefined && filter.prefix !== '') {
        conditions.push(
          eb.or([
            startsWith('email_normalized', filter.prefix),
            startsWith('username_normalized', filter.prefix),
          ]),
        );
      }
      return eb.and(conditions);
    };
  }

  function flagged(filter: UserFlags) {
    return (eb: ExpressionBuilder<Tables, 'users'>) => {
      const conditions = [];
      if (filter.active !== undefined) conditions.push(eb('is_active', '=', filter.active ? 1 : 0));
      if (filter.staff !== undefined) conditions.push(eb('is_staff', '=', filter.staff ? 1 : 0));
      if (filter.verified !== undefined) {
        conditions.push(eb('email_verified_at', filter.verified ? 'is not' : 'is', null));
      }
      if (filter.role !== undefined) {
        const role = filter.role;
        conditions.push(
          eb('id', 'in', eb.selectFrom('user_roles').select('user_id').where('role', '=', role)),
        );
      }
      return eb.and(conditions);
    };
  }

  return {
    findById: (id) => findBy('id', id),
    findByEmail: (email) => findBy('email_normalized', normalizedEmail(email)),
    findByUsername: (username) => findBy('username_normalized', normalizedUsername(username)),
    findByLegacyId: (legacyId) => findBy('legacy_id', legacyId),

    async insert(user) {
      try {
        const row = await db
          .insertInto('users')
          .values({
            id: user.id,
            email: user.email,
            email_normalized: user.email === null ? null : normalizedEmail(user.email),
            username: user.username,
            username_normalized: normalizedUsername(user.username),
            password_hash: user.passwordHash,
            bio: null,
            image: null,
            is_active: 1,
            is_staff: user.isStaff === true ? 1 : 0,
            is_superuser: user.isSuperuser === true ? 1 : 0,
            email_verified_at: null,
            last_login_at: null,
            deactivated_at: null,
            deactivation_reason: null,
            deactivated_until: null,
            deactivated_by: null,
            erased_at: null,
            roles: '[]',
            created_at: user.createdAt,
            updated_at: user.createdAt,
            legacy_id: null,
            legacy_fingerprint: null,
            legacy_tokens_revoked_at: null,
            first_name: null,
            last_name: null,
          })
          .returningAll()
          .executeTakeFirstOrThrow();
        return { ok: true, value: toUser(row) };
      } catch (error) {
        return refusal(error);
      }
    },

    async update(id, changes) {
      try {
        const row = await db
          .updateTable('users')
          .set(toRowUpdate(changes))
          .where('id', '=', id)
          .returningAll()
          .executeTakeFirst();
        return { ok: true, value: row && toUser(row) };
      } catch (error) {
        return refusal(error);
      }
    },

    async listByJoined({ limit, offset }) {
      const rows = await db
        .selectFrom('users')
        .selectAll()
        .orderBy('created_at')
        .orderBy('id')
        .limit(limit)
        .offset(offset)
        .execute();
      return rows.map(toUser);
    },

    async findErasableBefore(cutoff, limit) {
      const rows = await db
        .selectFrom('users')
        .select('id')
        .where('is_active', '=', 0)
        .where('erased_at', 'is', null)
        .where('deactivated_until', 'is', null)
        .where('deactivated_at', '<', cutoff)
        .orderBy('deactivated_at')
        .limit(limit)
        .execute();
      return rows.map((row) => row.id);
    },

    async revokeLegacyTokens(id, at) {
      await db
        .updateTable('users')
        .set({ legacy_tokens_revoked_at: at })
        .where('id', '=', id)
        .where('legacy_id', 'is not', null)
        .where('legacy_tokens_revoked_at', 'is', null)
        .execute();
    },

    async findReactivatableAt(now, limit) {
      const rows = await db
        .selectFrom('users')
        .select('id')
        .where('is_active', '=', 0)
        .where('deactivated_until', '<=', now)
        .orderBy('deactivated_until')
        .limit(limit)
        .execute();
      return rows.map((row) => row.id);
    },

    async list(filter, sort, { limit, after }) {
      const key = sortKey(sort);
      const descending = sort.startsWith('-');
      let query = db.selectFrom('users').selectAll().where(matching(filter));
      // keyset: an account added since the previous page sorts before or after `after`, never shifting it
      if (after !== undefined) {
        query = descending
          ? query.where(sql<boolean>`(${key}, id) < (${after.key}, ${after.id})`)
          : query.where(sql<boolean>`(${key}, id) > (${after.key}, ${after.id})`);
      }
      const direction = descending ? 'desc' : 'asc';
      const rows = await query.orderBy(key, direction).orderBy('id', direction).limit(limit).execute();
      return rows.map(toUser);
    },

    async listMatching(prefix, flags, { limit, after }) {
      // Two walks of the prefix indexes, each stopping after `limit` rows, merged: the cost is the page,
      // not the number of matches. Each walk orders by its name alone (unique in its index), so no sort
      // of the matches is needed; the id breaks ties between an email and a username only.
      const walk = (
        column: 'email_normalized' | 'username_normalized',
        other: 'email_normalized' | 'username_normalized',
      ) => {
        const name = comparable(column);
        const otherName = comparable(other);
        // an account both of whose names match is listed once, under the lesser (the email on a tie)
        const listedUnderOther =
          column === 'email_normalized'
            ? sql<boolean>`${startsWith(other, prefix)} and ${otherName} < ${name}`
            : sql<boolean>`${sql.ref(other)} is not null and ${startsWith(other, prefix)} and ${otherName} <= ${name}`;
        let query = db
          .selectFrom('users')
          .selectAll()
          .select(name.as('matched_name'))
          .where(startsWith(column, prefix))
          .where(sql<boolean>`not (${listedUnderOther})`)
          .where(flagged(flags));
        // the row comparison bounds the index range from the cursor on, on both databases
        if (after !== undefined)
          query = query.where(sql<boolean>`(${name}, id) > (${after.name}, ${after.id})`);
        return db.selectFrom(query.orderBy(name).limit(limit).as('walk')).selectAll();
      };
      const found = walk('email_normalized', 'username_normalized').unionAll(
        walk('username_normalized', 'email_normalized'),
      );
      const matchedName =
        executor.dialect === 'postgres' ? sql<string>`matched_name collate "C"` : sql<string>`matched_name`;
      const rows = await db
        .selectFrom(found.as('found'))
        .selectAll()
        .orderBy(matchedName)
        .orderBy('id')
        .limit(limit)
        .execute();
      return rows.map((row) => ({ user: toUser(row), name: row.matched_name }));
    },

    async setRoles(userId, roles, updatedAt) {
      const names = [...new Set(roles)].sort();
      const row = await db
        .updateTable('users')
        .set({ roles: JSON.stringify(names), updated_at: updatedAt })
        .where('id', '=', userId)
        .returningAll()
        .executeTakeFirst();
      if (row === undefined) return undefined;
      await db.deleteFrom('user_roles').where('user_id', '=', userId).execute();
      if (names.length > 0) {
        await db
          .insertInto('user_roles')
          .values(names.map((role) => ({ user_id: userId, role })))
          .execute();
      }
      return toUser(row);
    },

    async lockActiveSuperusers() {
      const query = db
        .selectFrom('users')
        .select('id')
        .where('is_superuser', '=', 1)
        .where('is_active', '=', 1)
        .orderBy('id');
      const rows = await (executor.dialect === 'postgres' ? query.forUpdate() : query).execute();
      return rows.map((row) => row.id);
    },
  };
}

function toRowUpdate(changes: UserChanges): UserUpdate {
  const flag = (value: boolean) => (value ? 1 : 0);
  const row: UserUpdate = { updated_at: changes.updatedAt };
  if (changes.email !== undefined) {
    row.email = changes.email;
    row.email_normalized = changes.email === null ? null : normalizedEmail(changes.email);
  }
  if (changes.username !== undefined) {
    row.username = changes.username;
    row.username_normalized = normalizedUsername(changes.username);
  }
  if (changes.passwordHash !== undefined) row.password_hash = changes.passwordHash;
  if (changes.bio !== undefined) row.bio = changes.bio;
  if (changes.image !== undefined) row.image = changes.image;
  if (changes.isActive !== undefined) row.is_active = flag(changes.isActive);
  if (changes.isStaff !== undefined) row.is_staff = flag(changes.isStaff);
  if (changes.isSuperuser !== undefined) row.is_superuser = flag(changes.isSuperuser);
  if (changes.emailVerifiedAt !== undefined) row.email_verified_at = changes.emailVerifiedAt;
  if (changes.lastLoginAt !== undefined) row.last_login_at = changes.lastLoginAt;
  if (changes.deactivatedAt !== undefined) row.deactivated_at = changes.deactivatedAt;
  if (changes.deactivationReason !== undefined) row.deactivation_reason = changes.deactivationReason;
  if (changes.deactivatedUntil !== undefined) row.deactivated_until = changes.deactivatedUntil;
  if (changes.deactivatedBy !== undefined) row.deactivated_by = changes.deactivatedBy;
  if (changes.erasedAt !== undefined) row.erased_at = changes.erasedAt;
  if (changes.firstName !== undefined) row.first_name = changes.firstName;
  if (changes.lastName !== undefined) row.last_name = changes.lastName;
  return row;
}

function toUser(row: UserRow): User {
  return {
    id: row.id,
    email: row.email,
    username: row.username,
    passwordHash: row.password_hash,
    bio: row.bio,
    image: row.image,
    isActive: row.is_active === 1,
    isStaff: row.is_staff === 1,
    isSuperuser: row.is_superuser === 1,
    emailVerifiedAt: row.email_verified_at,
    lastLoginAt: row.last_login_at,
    deactivatedAt: row.deactivated_at,
    deactivationReason: row.deactivation_reason,
    deactivatedUntil: row.deactivated_until,
    deactivatedBy: row.deactivated_by,
    erasedAt: row.erased_at,
    roles: JSON.parse(row.roles) as string[],
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    firstName: row.first_name,
    lastName: row.last_name,
    legacyId: row.legacy_id,
    legacyTokensRevokedAt: row.legacy_tokens_revoked_at,
  };
}
