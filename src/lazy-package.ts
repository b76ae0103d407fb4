import { createRequire } from 'node:module';

/** Node's `require`, for the CommonJS packages below. */
export const requirePackage = createRequire(import.meta.url);

/**
 * A package loaded the first time it is used rather than when the process starts, so that a command that
 * never uses it starts without it: the SMTP client without SMTP_URL, the Redis client without REDIS_URL,
 * the driver of the database not configured. On Node 20 each costs 35–160 ms of every start (measured:
 * ioredis 156 ms, nodemailer 97, pg 90, better-sqlite3 35), and most commands need none of them.
 * `load` is `() => requirePackage('name') as typeof Name`, with `Name` imported as a type only.
 */
export function loadOnFirstUse<T>(load: () => T): () => T {
  let loaded: T | undefined;
  return () => (loaded ??= load());
}
