import { createAuditRepository, type AuditRepository } from './audit-repository.ts';
import { createCounterRepository } from './counter-repository.ts';
import type { CounterStore } from './counter-store.ts';
import type { Database } from './database.ts';
import type { Executor } from './executor.ts';
import { createFollowRepository, type FollowRepository } from './follow-repository.ts';
import { createImportedUserRepository, type ImportedUserRepository } from './imported-user-repository.ts';
import { createOneTimeTokenRepository, type OneTimeTokenRepository } from './one-time-token-repository.ts';
import { createOutboxRepository, type OutboxRepository } from './outbox-repository.ts';
import { createRefreshTokenRepository, type RefreshTokenRepository } from './refresh-token-repository.ts';
import { createSessionRepository, type SessionRepository } from './session-repository.ts';
import { createUserRepository, type UserRepository } from './user-repository.ts';

/** The repositories the domain works through, all on one executor. */
export interface Repositories {
  users: UserRepository;
  sessions: SessionRepository;
  refreshTokens: RefreshTokenRepository;
  follows: FollowRepository;
  oneTimeTokens: OneTimeTokenRepository;
  /** the mail outbox: a mail queued in a unit of work is sent only if the unit commits */
  outbox: OutboxRepository;
  /** the security history: an event is written in the unit of the change it records */
  auditEvents: AuditRepository;
  /** the batch reads and writes of import-django */
  importedUsers: ImportedUserRepository;
  /** the rate limits' counters in the database: the email lock's always, the others' without Redis */
  counters: CounterStore;
}

/** Repositories sharing one open transaction: what they write commits together, or not at all. */
export interface UnitOfWork extends Repositories {
  /**
   * Runs `action` once the transaction has committed, never when it rolls back: telling caches and other
   * instances about a change they could otherwise see before it exists. An action that fails is reported
   * (the store's `onActionFailure`) and the others still run: the change has committed whatever they do.
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

/**
 * `onActionFailure` hears of an after-commit action that threw: the caller's change stands, so it is
 * reported (logged) rather than turned into the request's failure.
 */
export function createStore(database: Database, onActionFailure: (error: unknown) => void): Store {
  const repositoriesOn = (executor: Executor): Repositories => ({
    users: createUserRepository(executor),
    sessions: createSessionRepository(executor),
    refreshTokens: createRefreshTokenRepository(executor),
    follows: createFollowRepository(executor),
    oneTimeTokens: createOneTimeTokenRepository(executor),
    outbox: createOutboxRepository(executor),
    auditEvents: createAuditRepository(executor),
    importedUsers: createImportedUserRepository(executor),
    counters: createCounterRepository(executor),
  });
  return {
    ...repositoriesOn(database),
    async transaction(work) {
      const committed: Array<() => void | Promise<void>> = [];
      let open = true;
      const result = await database.db.transaction().execute(async (transaction) => {
        try {
          return await work({
            ...repositoriesOn({
              db: transaction,
              dialect: database.dialect,
              uniqueViolationColumn: (error) => database.uniqueViolationColumn(error),
            }),
            afterCommit: (action) => {
              // a programming error: the unit's work has ended, and with it the say over what follows
              if (!open) throw new Error('afterCommit called after the unit of work ended');
              committed.push(action);
            },
          });
        } finally {
          open = false;
        }
      });
      for (const action of committed) {
        try {
          await action();
        } catch (error) {
          onActionFailure(error);
        }
      }
      return result;
    },
  };
}
