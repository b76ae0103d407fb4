import type { Session } from '../store/session-repository.ts';
import type { User } from '../store/user-repository.ts';

export interface LiveSession {
  session: Session;
  user: User;
  /** when this copy was read from the database (epoch ms) */
  loadedAt: number;
}

// Bounded so a flood of distinct sessions cannot grow memory without end; the oldest entries go first.
const maxEntries = 100_000;

/**
 * Sessions and their users by session id, with an index by user so that revoking or changing a user drops
 * every copy at once. Concurrent misses for one session share one database read.
 */
export function createSessionCache() {
  const entries = new Map<string, LiveSession>();
  const byUser = new Map<string, Set<string>>();
  const pending = new Map<string, Promise<LiveSession | undefined>>();
  let invalidations = 0;

  function remove(sessionId: string): void {
    const entry = entries.get(sessionId);
    if (entry === undefined) return;
    entries.delete(sessionId);
    const sessionIds = byUser.get(entry.user.id);
    sessionIds?.delete(sessionId);
    if (sessionIds?.size === 0) byUser.delete(entry.user.id);
  }

  function store(entry: LiveSession): void {
    remove(entry.session.id);
    if (entries.size >= maxEntries) {
      const oldest = entries.keys().next();
      if (oldest.done !== true) remove(oldest.value);
    }
    entries.set(entry.session.id, entry);
    const sessionIds = byUser.get(entry.user.id) ?? new Set<string>();
    sessionIds.add(entry.session.id);
    byUser.set(entry.user.id, sessionIds);
  }

  return {
    get: (sessionId: string): LiveSession | undefined => entries.get(sessionId),

    /**
     * Reads through `read` once however many callers ask at the same moment. The read settles when the
     * database answers, fails or misses its deadline, and leaves `pending` then whatever its outcome.
     */
    load(sessionId: string, read: () => Promise<LiveSession | undefined>): Promise<LiveSession | undefined> {
      const inFlight = pending.get(sessionId);
      if (inFlight !== undefined) return inFlight;
      const isCurrent = () => pending.get(sessionId) === loading;
      const loading: Promise<LiveSession | undefined> = (async () => {
        const generation = invalidations;
        let entry = await read();
        // a revocation landed while we read: what we read may predate it, so read once more
        if (generation !== invalidations) entry = await read();
        // dropped by a revocation meanwhile: the read that replaced this one keeps the cache
        if (isCurrent()) {
          if (entry === undefined) remove(sessionId);
          else store(entry);
        }
        return entry;
      })().finally(() => {
        if (isCurrent()) pending.delete(sessionId);
      });
      pending.set(sessionId, loading);
      return loading;
    },

    /** The session was revoked: its copy goes, and a read in flight is not joined by anyone after this. */
    forgetSession(sessionId: string): void {
      invalidations += 1;
      remove(sessionId);
      pending.delete(sessionId);
    },

    /** After a gap in what we heard from other instances, nothing cached or being read can be trusted. */
    clear(): void {
      invalidations += 1;
      entries.clear();
      byUser.clear();
      pending.clear();
    },

    /**
     * The user changed or was revoked: every copy of their sessions goes. Which session a read in flight
     * belongs to is known only once it answers, so every read in flight is dropped (there are few).
     */
    forgetUser(userId: string): void {
      invalidations += 1;
      for (const sessionId of [...(byUser.get(userId) ?? [])]) remove(sessionId);
      pending.clear();
    },
  };
}
