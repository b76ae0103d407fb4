import { createHash, createHmac, randomBytes } from 'node:crypto';
import type { RefreshTokenRepository } from '../store/refresh-token-repository.ts';
import { deriveKey } from '../keys/secret-box.ts';
import type { Store } from '../store/store.ts';

export interface RefreshTokenDeps {
  store: Store;
  secretKey: string;
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
 * One lineage of opaque refresh tokens per session, stored only as SHA-256 hashes.
 *
 * A successor is not drawn at random but derived from its parent with an HMAC under a key from SECRET_KEY:
 * it is just as unguessable without the key, and it lets a parent presented again within the grace period
 * be answered with the live token although only hashes are stored.
 */
export function createRefreshTokens({ store, secretKey, reuseGrace }: RefreshTokenDeps) {
  const repository = store.refreshTokens;
  const successorKey = deriveKey(secretKey, 'refresh-token-successor');
  const successorOf = (token: string) => createHmac('sha256', successorKey).update(token).digest('base64url');

  /** Retires the live parent and records its successor, together; false when another request won. */
  function rotate(sessionId: string, parentHash: string, childHash: string, now: number): Promise<boolean> {
    return store.transaction(async ({ refreshTokens }) => {
      if (!(await refreshTokens.retire(parentHash, now))) return false;
      await refreshTokens.insert({ tokenHash: childHash, sessionId, issuedAt: now });
      return true;
    });
  }

  return {
    /** Starts a session's lineage, in the unit of work (`tokens`) that opens the session. */
    async issue(tokens: RefreshTokenRepository, sessionId: string, now: number): Promise<string> {
      const token = randomBytes(tokenBytes).toString('base64url');
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
      const successor = successorOf(token);
      if (record.rotatedAt === null && (await rotate(sessionId, tokenHash, hashOf(successor), now))) {
        return { outcome: 'rotated', sessionId, token: successor };
      }
      // rotated before, or a moment ago by a concurrent request: read what happened
      const rotatedAt = record.rotatedAt ?? (await repository.find(tokenHash))?.rotatedAt ?? null;
      const next = await repository.find(hashOf(successor));
      if (rotatedAt !== null && next?.rotatedAt === null && now - rotatedAt <= reuseGrace) {
        return { outcome: 'replayed', sessionId, token: successor };
      }
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

function hashOf(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}
