import { createHash, randomBytes } from 'node:crypto';
import type { RefreshTokenRecord, RefreshTokenRepository } from '../store/refresh-token-repository.ts';
import { createSecretBox } from '../keys/secret-box.ts';
import type { Store } from '../store/store.ts';

export interface RefreshTokenDeps {
  store: Store;
  /** how long after a rotation the parent may still be presented (two tabs refreshing at once) */
  reuseGrace: number;
}

/** What presenting a refresh token amounts to. */
export type Exchange =
  | { outcome: 'unknown' }
  /** the session's live token: it is retired and `token` is its successor */
  | { outcome: 'rotated'; sessionId: string; token: string }
  /** the parent of the live token, inside the grace period: `token` is the live one, again */
  | { outcome: 'replayed'; sessionId: string; token: string }
  /** a retired token outside the grace rule: someone holds a copy they should not */
  | { outcome: 'reused'; sessionId: string };

// 256 bits, as the contract asks: opaque, unguessable, 43 base64url characters.
const tokenBytes = 32;
const tokenPattern = /^[A-Za-z0-9_-]{43}$/;

export type RefreshTokens = ReturnType<typeof createRefreshTokens>;

/**
 * One lineage of opaque refresh tokens per session, each drawn at random and stored only as its SHA-256
 * hash. So that a parent presented again within the grace period can be answered with the live token, the
 * parent's row keeps its successor sealed (AES-256-GCM) under a key derived from the parent itself: only
 * whoever presents the parent can open it. Neither the database nor SECRET_KEY yields any token.
 */
export function createRefreshTokens({ store, reuseGrace }: RefreshTokenDeps) {
  const repository = store.refreshTokens;
  // the parent is 256 random bits: as good a secret to derive a key from as SECRET_KEY
  const boxOf = (parent: string) => createSecretBox(parent, 'refresh-token-successor');

  /** The successor sealed in `record`, opened with the token presented; undefined when there is none. */
  function successorIn(record: RefreshTokenRecord | undefined, token: string): string | undefined {
    if (record?.successorSealed == null) return undefined;
    try {
      return boxOf(token).open(record.successorSealed);
    } catch {
      // altered in the database: nothing to replay
      return undefined;
    }
  }

  /** Retires the live parent and records its successor, together; false when another request won. */
  function rotate(sessionId: string, parent: string, successor: string, now: number): Promise<boolean> {
    return store.transaction(async ({ refreshTokens }) => {
      if (!(await refreshTokens.retire(hashOf(parent), now, boxOf(parent).seal(successor)))) return false;
      await refreshTokens.insert({ tokenHash: hashOf(successor), sessionId, issuedAt: now });
      return true;
    });
  }

  return {
    /** Starts a session's lineage, in the unit of work (`tokens`) that opens the session. */
    async issue(tokens: RefreshTokenRepository, sessionId: string, now: number): Promise<string> {
      const token = newToken();
      await tokens.insert({ tokenHash: hashOf(token), sessionId, issuedAt: now });
      return token;
    },

    /** Presents a token: rotates it, replays its successor within the grace period, or reports reuse. */
    async exchange(token: string, now: number): Promise<Exchange> {
      if (!tokenPattern.test(token)) return { outcome: 'unknown' };
      const tokenHash = hashOf(token);
      const record = await repository.find(tokenHash);
      if (record === undefined) return { outcome: 'unknown' };
      const { sessionId } = record;
      const successor = newToken();
      if (record.rotatedAt === null && (await rotate(sessionId, token, successor, now))) {
        return { outcome: 'rotated', sessionId, token: successor };
      }
      // rotated before, or a moment ago by a concurrent request: read what happened
      const retired = record.rotatedAt === null ? await repository.find(tokenHash) : record;
      const rotatedAt = retired?.rotatedAt ?? null;
      const inGrace = rotatedAt !== null && now - rotatedAt <= reuseGrace;
      const live = successorIn(retired, token);
      const next = live === undefined ? undefined : await repository.find(hashOf(live));
      if (inGrace && live !== undefined && next?.rotatedAt === null) {
        return { outcome: 'replayed', sessionId, token: live };
      }
      // retired by a release before successors were sealed, within the grace: no theft, nothing to replay
      if (inGrace && retired?.successorSealed === null) return { outcome: 'unknown' };
      return { outcome: 'reused', sessionId };
    },

    /** The session whose live token this is, without spending it; undefined for any other token. */
    async findLive(token: string): Promise<string | undefined> {
      if (!tokenPattern.test(token)) return undefined;
      const record = await repository.find(hashOf(token));
      return record?.rotatedAt === null ? record.sessionId : undefined;
    },
  };
}

function newToken(): string {
  return randomBytes(tokenBytes).toString('base64url');
}

function hashOf(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}
