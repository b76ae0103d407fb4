import { foldCase } from '../../case-fold.ts';

/**
 * The addresses and usernames rows of an import hold that the database does not show yet, and the
 * accounts whose stored address and username such a row replaced. A batch's inserts are written at its
 * end, so its later rows must see its earlier ones here; in a dry run every batch is rolled back, so the
 * whole run keeps one of these, and a row meets the rows of earlier batches as a real run would meet them
 * in the database. Keys are lower-cased, as the unique indexes compare them.
 */
export interface HeldNames {
  /** Whether `key` is held by an account other than `id`: `stored` is its holder in the database, if any. */
  isHeld(kind: 'email' | 'username', key: string, stored: string | undefined, id: string): boolean;
  /** The row of account `id` takes these; `replacing` when it rewrites an account the database holds. */
  hold(id: string, email: string | null, username: string, replacing: boolean): void;
}

export function createHeldNames(): HeldNames {
  const held = { email: new Set<string>(), username: new Set<string>() };
  // their stored names are no longer theirs: what they hold now is in `held`
  const rewritten = new Set<string>();
  return {
    isHeld(kind, key, stored, id) {
      // each account is written once a run: a name held here is another row's
      if (held[kind].has(key)) return true;
      return stored !== undefined && stored !== id && !rewritten.has(stored);
    },
    hold(id, email, username, replacing) {
      if (email !== null) held.email.add(email.toLowerCase());
      held.username.add(foldCase(username));
      if (replacing) rewritten.add(id);
    },
  };
}

/**
 * Whether account `id` may take `key` (an address or a username, lower-cased), which `stored` holds in the
 * database, if anyone: for a row of a batch, against the database and the rows of the run.
 */
export type MayTake = (
  kind: 'email' | 'username',
  key: string,
  stored: string | undefined,
  id: string,
) => Promise<boolean>;
