import type { PostgresPool, PostgresPoolClient } from 'kysely';
import type pg from 'pg';
import { loadOnFirstUse, requirePackage } from '../lazy-package.ts';

/** pg, loaded once a PostgreSQL database is opened. */
export const postgresDriver = loadOnFirstUse(() => requirePackage('pg') as typeof pg);

export interface PostgresPoolOptions {
  url: string;
  poolSize: number;
  /** opening a connection, or waiting for a free one of the pool */
  connectTimeout: number;
  /** the server's bound on a statement (and on a transaction left idle) */
  statementTimeout: number;
  /** the client's bound on the answer to one query */
  queryTimeout: number;
}

/**
 * TCP keepalive probes start after a connection has been idle this long, so that a peer gone without a
 * word (a NAT or load balancer that forgot the connection, a partition) is noticed by the kernel between
 * queries instead of only by the next query's deadline. It cannot see a middlebox that still answers the
 * probes but forwards nothing: the query deadline covers that.
 */
export const keepAliveIdle = 10_000;

/** The pg pool: every wait on it bounded, every connection probed with keepalive. */
export function createPgPool(options: PostgresPoolOptions): pg.Pool {
  return new (postgresDriver().Pool)({
    connectionString: options.url,
    max: options.poolSize,
    // pg-pool applies it to a new connection and to a wait in the queue for a busy pool alike
    connectionTimeoutMillis: options.connectTimeout,
    statement_timeout: options.statementTimeout,
    idle_in_transaction_session_timeout: options.statementTimeout,
    query_timeout: options.queryTimeout,
    keepAlive: true,
    keepAliveInitialDelayMillis: keepAliveIdle,
    types: epochMillisecondTypes(),
  });
}

// bigint columns hold epoch milliseconds, well inside Number's exact range
function epochMillisecondTypes(): pg.TypeOverrides {
  const driver = postgresDriver();
  const types = new driver.TypeOverrides();
  types.setTypeParser(driver.types.builtins.INT8, Number);
  return types;
}

/**
 * The pool as Kysely sees it, except that a connection whose query failed at the connection level (its
 * deadline passed, its socket broke) is destroyed when released instead of going back to the pool: a
 * connection that went silent would otherwise be handed to the next query, and the next, each waiting out
 * its deadline. Kysely releases with a bare `release()`, so the fault is remembered here. An error the
 * server sent (a constraint, a statement timeout) leaves the connection as good as it was.
 */
export function destroyingBrokenConnections(pool: pg.Pool): PostgresPool {
  return {
    async connect() {
      const client = await pool.connect();
      let fault: Error | undefined;
      // pg-pool listens for a connection's errors only while it is idle: one that dies while lent out
      // (between a transaction's statements, say) would emit an 'error' nobody hears, which ends the process
      const onError = (error: Error) => {
        fault ??= error;
      };
      client.on('error', onError);
      async function query(text: string, parameters: readonly unknown[]) {
        // a transaction's rollback after a fault must not wait out a second deadline on the same silence
        if (fault !== undefined) throw fault;
        try {
          return await client.query(text, [...parameters]);
        } catch (error) {
          if (!(error instanceof postgresDriver().DatabaseError))
            fault = error instanceof Error ? error : new Error(String(error));
          throw error;
        }
      }
      // pg's result is what Kysely reads; Kysely's cursor overload is never called (the dialect has no cursor)
      return {
        query,
        release() {
          client.removeListener('error', onError);
          client.release(fault);
        },
      } as unknown as PostgresPoolClient;
    },
    end: () => pool.end(),
  };
}
