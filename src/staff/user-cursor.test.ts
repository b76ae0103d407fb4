import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  decodeNameCursor,
  decodeTimeCursor,
  encodeNameCursor,
  encodeTimeCursor,
  userCursorMaxLength,
} from './user-cursor.ts';

const id = '0b7c2a1e-4f5d-4e0b-9a51-3c2d1e0f9a8b';
const forged = (text: string) => Buffer.from(text).toString('base64url');

describe('the user list cursor in a time order', () => {
  const position = { key: 1_764_000_000_000, id };

  it('reads back what it wrote, for the sort it was written for', () => {
    for (const sort of ['joined', '-joined', 'lastLogin', '-lastLogin'] as const) {
      assert.deepEqual(decodeTimeCursor(sort, encodeTimeCursor(sort, position)), position);
    }
    assert.deepEqual(decodeTimeCursor('lastLogin', encodeTimeCursor('lastLogin', { key: 0, id: 'a' })), {
      key: 0,
      id: 'a',
    });
  });

  it("refuses another sort's cursor, and anything it could not have written", () => {
    assert.equal(decodeTimeCursor('-joined', encodeTimeCursor('joined', position)), undefined);
    assert.equal(decodeTimeCursor('joined', encodeNameCursor({ name: 'ab', id })), undefined);
    for (const cursor of [
      '',
      'not a cursor',
      forged('joined:1'),
      forged('joined:-1:a'),
      forged('joined:01:a'),
      forged('joined:1:a b'),
      forged(`joined:1:${'a'.repeat(65)}`),
      forged('joined:99999999999999999:a'),
      `${encodeTimeCursor('joined', position)}=`,
    ]) {
      assert.equal(decodeTimeCursor('joined', cursor), undefined, cursor);
    }
  });
});

describe('the user list cursor in the order of matched names', () => {
  it('reads back what it wrote: any name, colons and all', () => {
    for (const name of ['ab', 'a:b@example.com', 'ünïcödé_名前', '𐐨𐐩', 'x'.repeat(254)]) {
      assert.deepEqual(decodeNameCursor(encodeNameCursor({ name, id })), { name, id });
    }
  });

  it('is never longer than a request may hand back', () => {
    const longest = encodeNameCursor({ name: '𐐨'.repeat(254), id: 'a'.repeat(64) });
    assert.equal(longest.length, userCursorMaxLength);
    assert.deepEqual(decodeNameCursor(longest), { name: '𐐨'.repeat(254), id: 'a'.repeat(64) });
  });

  it("refuses a time order's cursor, and anything it could not have written", () => {
    assert.equal(decodeNameCursor(encodeTimeCursor('joined', { key: 1, id })), undefined);
    for (const cursor of [
      '',
      forged('match:'),
      forged(`match:${id}`),
      forged(`match:${id}:`),
      forged('match::ab'),
      forged('match:a b:ab'),
      forged(`match:${'a'.repeat(65)}:ab`),
      forged(`match:${id}:a\0b`),
      forged(`match:${id}:${'x'.repeat(255)}`),
      forged(`-joined:${id}:ab`),
      // not UTF-8: decoding would replace the byte, so the cursor is not one this module wrote
      Buffer.concat([Buffer.from(`match:${id}:a`), Buffer.from([0xff])]).toString('base64url'),
      `${encodeNameCursor({ name: 'ab', id })}=`,
    ]) {
      assert.equal(decodeNameCursor(cursor), undefined, cursor);
    }
  });
});
