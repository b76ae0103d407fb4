import type { NamePosition, TimeSort, UserPosition } from '../store/user-repository.ts';

// `<sort>:<key>:<id>` in a time order, `match:<id>:<name>` in name order (the name last, as it may hold a
// colon), base64url: opaque to clients, who get it from one page and hand it to the next. The sort is part
// of it, so a cursor is never read in an order it was not written for.
const timePosition = /^(-?joined|-?lastLogin):(0|[1-9][0-9]{0,15}):([0-9A-Za-z-]{1,64})$/;
const namePosition = /^match:([0-9A-Za-z-]{1,64}):([^\0]+)$/su;
const idLength = 64;
// the longest normalised name: an email (254 ASCII characters); a username has at most 64 code points
const nameLength = 254;

/** The longest cursor written: `match:<id>:<name>`, the name of 4-byte characters, as base64url. */
export const userCursorMaxLength = Math.ceil(((`match::`.length + idLength + nameLength * 4) * 4) / 3);

const encode = (text: string): string => Buffer.from(text, 'utf8').toString('base64url');
// base64url decoding skips what it does not know, and UTF-8 decoding replaces what it cannot read: only a
// cursor that encodes back to itself is one this module wrote
const decode = (cursor: string): string | undefined => {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  return encode(text) === cursor ? text : undefined;
};

/** The cursor of the page that starts after `position` in `sort` order. */
export function encodeTimeCursor(sort: TimeSort, { key, id }: UserPosition): string {
  return encode(`${sort}:${String(key)}:${id}`);
}

/** The position a cursor names in `sort` order; undefined for anything else (another sort's cursor too). */
export function decodeTimeCursor(sort: TimeSort, cursor: string): UserPosition | undefined {
  const match = timePosition.exec(decode(cursor) ?? '');
  if (match?.[1] !== sort || match[2] === undefined || match[3] === undefined) return undefined;
  const key = Number(match[2]);
  return Number.isSafeInteger(key) ? { key, id: match[3] } : undefined;
}

/** The cursor of the page that starts after `position` in the order of the names a search matched. */
export function encodeNameCursor({ name, id }: NamePosition): string {
  return encode(`match:${id}:${name}`);
}

/** The position a cursor names in the order of matched names; undefined for anything else. */
export function decodeNameCursor(cursor: string): NamePosition | undefined {
  const match = namePosition.exec(decode(cursor) ?? '');
  if (match?.[1] === undefined || match[2] === undefined) return undefined;
  return Array.from(match[2]).length > nameLength ? undefined : { id: match[1], name: match[2] };
}
