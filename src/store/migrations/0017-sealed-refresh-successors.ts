import type { Kysely } from 'kysely';

// Frozen once landed: a later change to the schema is a new migration, never an edit here.

/**
 * A retired refresh token's row keeps its successor, sealed under a key derived from the retired token
 * itself (sessions/refresh-tokens.ts): successors are drawn at random, and the grace-period replay opens
 * this to answer with the live one. Null for live tokens and for those retired before it existed.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('refresh_tokens').addColumn('successor_sealed', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('refresh_tokens').dropColumn('successor_sealed').execute();
}
