import type { Executor } from './executor.ts';

/** What a mailed token may be used for. */
export type TokenPurpose = 'verify-email' | 'email-change' | 'password-reset' | 'login-name-reset';

export interface NewOneTimeToken {
  tokenHash: string;
  userId: string;
  purpose: TokenPurpose;
  email: string;
  createdAt: number;
  expiresAt: number;
}

/** A token that has just been used: whose it was, what for, and the address it was mailed to. */
export interface ConsumedToken {
  userId: string;
  purpose: TokenPurpose;
  email: string;
}

export interface OneTimeTokenRepository {
  /** Stores a new token for the user and purpose; any earlier one of that purpose stops working. */
  issue(token: NewOneTimeToken): Promise<void>;
  /** The token, if it is unused, unexpired and of `purpose`; a look that spends nothing. */
  findUsable(tokenHash: string, at: number, purpose: TokenPurpose): Promise<ConsumedToken | undefined>;
  /** The user's token of `purpose`, used or not, if it is unexpired: whether a token is genuinely theirs. */
  findIssued(
    tokenHash: string,
    at: number,
    purpose: TokenPurpose,
    userId: string,
  ): Promise<ConsumedToken | undefined>;
  /** Deletes every token of the user: what erasure does. */
  deleteAllOfUser(userId: string): Promise<void>;
  /** Deletes the user's live tokens of `purposes`: what a new password calls off. */
  deleteOfUser(userId: string, purposes: readonly TokenPurpose[]): Promise<void>;
  /**
   * Marks the token used, if it is unused, unexpired, of one of `purposes` and (when `userId` is given)
   * that user's. One statement (compare-and-set): of two concurrent uses, exactly one gets the token.
   */
  consume(
    tokenHash: string,
    at: number,
    purposes: readonly TokenPurpose[],
    userId?: string,
  ): Promise<ConsumedToken | undefined>;
}

export function createOneTimeTokenRepository({ db }: Executor): OneTimeTokenRepository {
  return {
    async issue(token) {
      await db
        .deleteFrom('one_time_tokens')
        .where('user_id', '=', token.userId)
        .where('purpose', '=', token.purpose)
        .execute();
      await db
        .insertInto('one_time_tokens')
        .values({
          token_hash: token.tokenHash,
          user_id: token.userId,
          purpose: token.purpose,
          email: token.email,
          created_at: token.createdAt,
          expires_at: token.expiresAt,
          used_at: null,
        })
        .execute();
    },

    async findUsable(tokenHash, at, purpose) {
      const row = await db
        .selectFrom('one_time_tokens')
        .select(['user_id', 'purpose', 'email'])
        .where('token_hash', '=', tokenHash)
        .where('used_at', 'is', null)
        .where('expires_at', '>', at)
        .where('purpose', '=', purpose)
        .executeTakeFirst();
      return row && issuedToken(row);
    },

    async findIssued(tokenHash, at, purpose, userId) {
      const row = await db
        .selectFrom('one_time_tokens')
        .select(['user_id', 'purpose', 'email'])
        .where('token_hash', '=', tokenHash)
        .where('expires_at', '>', at)
        .where('purpose', '=', purpose)
        .where('user_id', '=', userId)
        .executeTakeFirst();
      return row && issuedToken(row);
    },

    async deleteAllOfUser(userId) {
      await db.deleteFrom('one_time_tokens').where('user_id', '=', userId).execute();
    },

    async deleteOfUser(userId, purposes) {
      await db
        .deleteFrom('one_time_tokens')
        .where('user_id', '=', userId)
        .where('purpose', 'in', purposes)
        .execute();
    },

    async consume(tokenHash, at, purposes, userId) {
      let update = db
        .updateTable('one_time_tokens')
        .set({ used_at: at })
        .where('token_hash', '=', tokenHash)
        .where('used_at', 'is', null)
        .where('expires_at', '>', at)
        .where('purpose', 'in', purposes);
      if (userId !== undefined) update = update.where('user_id', '=', userId);
      const row = await update.returning(['user_id', 'purpose', 'email']).executeTakeFirst();
      return row && issuedToken(row);
    },
  };
}

/** A token's row as the domain reads it: whose, for what, and to which address it was mailed. */
function issuedToken(row: { user_id: string; purpose: string; email: string }) {
  return { userId: row.user_id, purpose: row.purpose as TokenPurpose, email: row.email };
}
