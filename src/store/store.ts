import type { Database } from './database.ts';
import type { Executor } from './executor.ts';
import { createFollowRepository, type FollowRepository } from './follow-repository.ts';
import { createRefreshTokenRepository, type RefreshTokenRepository } from './refresh-token-repository.ts';
import { createSessionRepository, type SessionRepository } from './session-repository.ts';
import { createUserRepository, type UserRepository } from './user-repository.ts';

/** The repositories the domain works through, all on one executor. */
export interface Repositories {
  users: UserRepository;
  sessions: SessionRepository;
  refreshTokens: RefreshTokenRepository;
  follows: FollowRepository;
}

/** Repositories sharing one open transaction: what they write commits together, or not at all. */
export interface UnitOfWork extends Repositories {
  /**
   * Runs `action` once the transaction has committed, never when it rolls back: telling caches and other
   * instances about a change they could otherwise see before it exists. Actions must not throw.
   */
  afterCommit(action: () => void | Promise<void>): void;
}

/**
 * The domain's way into the database: repositories for single statements, and `transaction` for a change
 * and its consequences. Inside `work`, use only the unit's repositories: on SQLite the one connection is
 * the transaction's until it ends, so a query outside it would wait for ever.
 */
export interface Store extends Repositories {
  transaction<T>(work: (unit: UnitOfWork) => Promise<T>): Promise<T>;
}

export function createStore(database: Database): Store {
  const repositoriesOn = (executor: Executor): Repositories => ({
    users: createUserRepository(executor),
    sessions: createSessionRepository(executor),
    refreshTokens: createRefreshTokenRepository(executor),
    follows: createFollowRepository(executor),
  });
  return {
    ...repositoriesOn(database),
    async transaction(work) {
      const committed: Array<() => void | Promise<void>> = [];
      const result = await database.db.transaction().execute((transaction) =>
        work({
          ...repositoriesOn({
            db: transaction,
            uniqueViolationColumn: (error) => database.uniqueViolationColumn(error),
          }),
          afterCommit: (action) => {
            committed.push(action);
          },
        }),
      );
      for (const action of committed) await action();
      return result;
    },
  };
}
