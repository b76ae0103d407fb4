import { sql } from 'kysely';
import type { Database } from './database.ts';
import type { SigningKeyRow } from './tables.ts';

export interface StoredSigningKey {
  kid: string;
  algorithm: string;
  publicJwk: string;
  privateJwkEncrypted: string;
  createdAt: number;
  /** when the key stopped signing; null while it is the signer */
  retiredAt: number | null;
}

export interface SigningKeyRepository {
  /** Every key, newest first (ties broken by kid, so every reader agrees on the order). */
  list(): Promise<StoredSigningKey[]>;
  /** Stores `key` as the signer and retires every other unretired key as of its creation, atomically. */
  rotate(key: StoredSigningKey): Promise<void>;
  /**
   * Stores `key` as the signer only if no key is unretired; whether it did. However many processes try at
   * once, one stores its key and the others find it there.
   */
  insertIfNoSigner(key: StoredSigningKey): Promise<boolean>;
  /** Retires every unretired key as of `at`; how many it retired. */
  retireAll(at: number): Promise<number>;
}

export function createSigningKeyRepository({ db, dialect }: Database): SigningKeyRepository {
  return {
    async list() {
      const rows = await db
        .selectFrom('signing_keys')
        .selectAll()
        .orderBy('created_at', 'desc')
        .orderBy('kid', 'desc')
        .execute();
      return rows.map(toStoredKey);
    },
    async rotate(key) {
      await db.transaction().execute(async (transaction) => {
        await transaction
          .updateTable('signing_keys')
          .set({ retired_at: key.createdAt })
          .where('retired_at', 'is', null)
          .execute();
        await transaction.insertInto('signing_keys').values(toRow(key)).execute();
      });
    },
    async insertIfNoSigner(key) {
      return db.transaction().execute(async (transaction) => {
        // PostgreSQL: two transactions would each see no signer and both insert. This lock mode conflicts
        // with itself and with writes, not with reads, so the second waits and then finds the first's key.
        // SQLite: a transaction that read before another's commit cannot write after it (SQLITE_BUSY), and
        // in one process Kysely runs transactions one at a time.
        if (dialect === 'postgres') {
          await sql`LOCK TABLE signing_keys IN SHARE ROW EXCLUSIVE MODE`.execute(transaction);
        }
        const signer = await transaction
          .selectFrom('signing_keys')
          .select('kid')
          .where('retired_at', 'is', null)
          .executeTakeFirst();
        if (signer !== undefined) return false;
        await transaction.insertInto('signing_keys').values(toRow(key)).execute();
        return true;
      });
    },
    async retireAll(at) {
      const result = await db
        .updateTable('signing_keys')
        .set({ retired_at: at })
        .where('retired_at', 'is', null)
        .executeTakeFirst();
      return Number(result.numUpdatedRows);
    },
  };
}

function toRow(key: StoredSigningKey): SigningKeyRow {
  return {
    kid: key.kid,
    algorithm: key.algorithm,
    public_jwk: key.publicJwk,
    private_jwk_encrypted: key.privateJwkEncrypted,
    created_at: key.createdAt,
    retired_at: key.retiredAt,
  };
}

function toStoredKey(row: SigningKeyRow): StoredSigningKey {
  return {
    kid: row.kid,
    algorithm: row.algorithm,
    publicJwk: row.public_jwk,
    privateJwkEncrypted: row.private_jwk_encrypted,
    createdAt: row.created_at,
    retiredAt: row.retired_at,
  };
}
