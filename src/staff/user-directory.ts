import { foldCase } from '../case-fold.ts';
import { loginLockKey } from '../accounts/password-checks.ts';
import { GatehouseError, throwIfInvalid, type FieldProblems } from '../errors.ts';
import type { LoginLock, RateLimits } from '../limits/rate-limits.ts';
import type { SessionService } from '../sessions/session-service.ts';
import type { AuditRecord, AuditRepository } from '../store/audit-repository.ts';
import type { Session } from '../store/session-repository.ts';
import { positionOf, type User, type UserRepository, type UserSort } from '../store/user-repository.ts';
import { normalizeRole } from './roles.ts';
import { decodeNameCursor, decodeTimeCursor, encodeNameCursor, encodeTimeCursor } from './user-cursor.ts';

// what one account's view holds, for the HTTP layer's mapping
export type { AuditRecord, Session };

export interface UserDirectoryDeps {
  users: Pick<UserRepository, 'findById' | 'findByEmail' | 'list' | 'listMatching'>;
  sessions: Pick<SessionService, 'listPage'>;
  events: Pick<AuditRepository, 'listForUser'>;
  limits: Pick<RateLimits, 'loginLock'>;
}

/** What staff ask of the list: every part optional. */
export interface UserQuery {
  /** a prefix of the email or the username, in any casing */
  q?: string | undefined;
  active?: boolean | undefined;
  staff?: boolean | undefined;
  verified?: boolean | undefined;
  role?: string | undefined;
  sort?: UserSort | undefined;
  limit?: number | undefined;
  cursor?: string | undefined;
}

/** Accounts per page of the list: when the caller names no size, and the most a page holds. */
export const userPageSize = { default: 50, max: 100 } as const;

// The latest events shown with one account; the whole history is the audit log's.
const recentEvents = 20;

export type UserDirectory = ReturnType<typeof createUserDirectory>;

/** The position `cursor` names, if given; a cursor that names none is a problem of the field. */
function readCursor<Position>(
  fields: FieldProblems,
  cursor: string | undefined,
  decode: (cursor: string) => Position | undefined,
): Position | undefined {
  if (cursor === undefined) return undefined;
  const position = decode(cursor);
  if (position === undefined) fields.cursor = { code: 'invalid' };
  return position;
}

/** The accounts as staff look them up. */
export function createUserDirectory({ users, sessions, events, limits }: UserDirectoryDeps) {
  /** The account with this id, whatever its state; user_not_found when there is none. */
  async function user(id: string): Promise<User> {
    const found = await users.findById(id);
    if (found === undefined) throw new GatehouseError('user_not_found', 'no such user');
    return found;
  }

  return {
    user,

    /**
     * A page of accounts matching `query`, in its order: by the name matched when searching, else newest
     * sign-up first, unless it names one. The cursor holds the last account's sort key and id, so an
     * account added meanwhile never shifts the next page, and none is skipped or repeated.
     */
    async search(query: UserQuery): Promise<{ users: User[]; nextCursor: string | null }> {
      const prefix = foldCase(query.q?.normalize('NFKC').trim() ?? '');
      const sort = query.sort ?? (prefix === '' ? '-joined' : 'match');
      const asked = query.limit ?? userPageSize.default;
      const fields: FieldProblems = {};
      if (!Number.isSafeInteger(asked) || asked < 1) fields.limit = { code: 'invalid' };
      // more than a page holds is capped, not refused (the contract's "`?limit=` capped")
      const limit = Math.min(asked, userPageSize.max);
      // the order of the names a search matched: without a search there are none
      if (sort === 'match' && prefix === '') fields.q = { code: 'required' };
      const role = query.role === undefined ? undefined : normalizeRole(query.role);
      if (query.role !== undefined && role === undefined) fields.role = { code: 'invalid' };
      const flags = { active: query.active, staff: query.staff, verified: query.verified, role };
      // one more than the page, to know whether another follows
      const ask = limit + 1;

      if (sort === 'match') {
        const after = readCursor(fields, query.cursor, decodeNameCursor);
        throwIfInvalid(fields);
        const found = await users.listMatching(prefix, flags, { limit: ask, after });
        const last = found[limit - 1];
        return {
          users: found.slice(0, limit).map((match) => match.user),
          nextCursor:
            found.length > limit && last !== undefined
              ? encodeNameCursor({ name: last.name, id: last.user.id })
              : null,
        };
      }
      const after = readCursor(fields, query.cursor, (cursor) => decodeTimeCursor(sort, cursor));
      throwIfInvalid(fields);
      const found = await users.list({ ...flags, prefix }, sort, { limit: ask, after });
      const last = found[limit - 1];
      return {
        users: found.slice(0, limit),
        nextCursor:
          found.length > limit && last !== undefined ? encodeTimeCursor(sort, positionOf(last, sort)) : null,
      };
    },

    /** One account with its live sessions, its latest security events and its login lock. */
    async details(
      id: string,
    ): Promise<{ user: User; sessions: Session[]; events: AuditRecord[]; lock: LoginLock }> {
      const found = await user(id);
      const [live, latest, lock] = await Promise.all([
        // a user holds at most MAX_SESSIONS_PER_USER; the first page of the largest size shows plenty
        sessions.listPage(found.id, { limit: userPageSize.max }),
        events.listForUser(found.id, undefined, recentEvents),
        limits.loginLock(loginLockKey(found)),
      ]);
      return { user: found, sessions: live.sessions, events: latest, lock };
    },

    /** The login lock on the account's email. */
    async lock(id: string): Promise<LoginLock> {
      return limits.loginLock(loginLockKey(await user(id)));
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
