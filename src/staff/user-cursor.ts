import type { UserPosition, UserSort } from '../store/user-repository.ts';

// `<sort>:<key>:<id>`, base64url: opaque to clients, who get it from one page and hand it to the next.
// The sort is part of it, so a cursor is never read in an order it was not written for.
const position = /^(-?joined|-?lastLogin):(0|[1-9][0-9]{0,15}):([0-9A-Za-z-]{1,64})$/;

/** The cursor of the page that starts after `position` in `sort` order. */
export function encodeUserCursor(sort: UserSort, { key, id }: UserPosition): string {
  return Buffer.from(`${sort}:${String(key)}:${id}`, 'utf8').toString('base64url');
}

/** The position a cursor names in `sort` order; undefined for anything else (another sort's cursor too). */
export function decodeUserCursor(sort: UserSort, cursor: string): UserPosition | undefined {
  // base64url decoding skips what it does not know, so only a cursor written back exactly is ours
  const match = position.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (match?.[1] !== sort || match[2] === undefined || match[3] === undefined) return undefined;
  const found = { key: Number(match[2]), id: match[3] };
  if (!Number.isSafeInteger(found.key) || encodeUserCursor(sort, found) !== cursor) return undefined;
  return found;
}
