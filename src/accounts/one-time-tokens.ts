import { createHash, randomBytes } from 'node:crypto';

/** A token to mail, and the hash that is all the database keeps of it. */
export interface MintedToken {
  token: string;
  hash: string;
}

// 256 random bits: guessing one is out of reach however many tries the limits allow.
const tokenBytes = 32;

export function mintToken(): MintedToken {
  const token = randomBytes(tokenBytes).toString('base64url');
  return { token, hash: hashToken(token) };
}

/** SHA-256, base64url: the token carries all its entropy itself, so a plain fast hash is enough. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('base64url');
}

/** The user id as djoser's links carry it (`urlsafe_base64_encode` of the primary key). */
export function encodeUid(userId: string): string {
  return Buffer.from(userId, 'utf8').toString('base64url');
}

/** The user id a `uid` names, or undefined when it is not one of ours. */
export function decodeUid(uid: string): string | undefined {
  if (!/^[A-Za-z0-9_-]{1,200}$/.test(uid)) return undefined;
  const userId = Buffer.from(uid, 'base64url').toString('utf8');
  // round-trips only if the text was canonical base64url of valid UTF-8
  return encodeUid(userId) === uid ? userId : undefined;
}
