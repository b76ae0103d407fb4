import type { SessionPosition } from '../store/session-repository.ts';

// `<created_at>:<id>`, base64url: opaque to clients, who get it from one page and hand it to the next.
const position = /^(0|[1-9][0-9]{0,15}):([0-9A-Za-z-]{1,64})$/;

/** The cursor of the page that starts after this session. */
export function encodeCursor({ createdAt, id }: SessionPosition): string {
  return Buffer.from(`${String(createdAt)}:${id}`, 'utf8').toString('base64url');
}

/** The position a cursor names; undefined for anything `encodeCursor` could not have written. */
export function decodeCursor(cursor: string): SessionPosition | undefined {
  // base64url decoding skips what it does not know, so only a cursor written back exactly is ours
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const match = position.exec(text);
  if (match?.[1] === undefined || match[2] === undefined) return undefined;
  const found = { createdAt: Number(match[1]), id: match[2] };
  if (!Number.isSafeInteger(found.createdAt) || encodeCursor(found) !== cursor) return undefined;
  return found;
}
