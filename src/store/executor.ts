import type { Database } from './database.ts';

/** What a repository runs its queries on: the database itself, or one transaction open on it. */
export type Executor = Pick<Database, 'db' | 'dialect' | 'uniqueViolationColumn'>;
