import type { Database } from './database.ts';
import type { SigningKeyRow } from './tables.ts';

export interface StoredSigningKey {
  kid: string;
  algorithm: string;
  publicJwk: string;
  privateJwkEncrypted: string;
  createdAt: number;
  retiredAt: number | null;
}

export interface SigningKeyRepository {
  /** Every key, newest first. */
  list(): Promise<StoredSigningKey[]>;
  insert(key: StoredSigningKey): Promise<void>;
}

export function createSigningKeyRepository({ db }: Database): SigningKeyRepository {
  return {
    async list() {
      const rows = await db.selectFrom('signing_keys').selectAll().orderBy('created_at', 'desc').execute();
      return rows.map(toStoredKey);
    },
    async insert(key) {
      await db
        .insertInto('signing_keys')
        .values({
          kid: key.kid,
          algorithm: key.algorithm,
          public_jwk: key.publicJwk,
          private_jwk_encrypted: key.privateJwkEncrypted,
          created_at: key.createdAt,
          retired_at: key.retiredAt,
        })
        .execute();
    },
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
