import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeUserCursor, encodeUserCursor } from './user-cursor.ts';

describe('the user list cursor', () => {
  const position = { key: 1_764_000_000_000, id: '0b7c2a1e-4f5d-4e0b-9a51-3c2d1e0f9a8b' };

  it('reads back what it wrote, for the sort it was written for', () => {
    for (const sort of ['joined', '-joined', 'lastLogin', '-lastLogin'] as const) {
      assert.deepEqual(decodeUserCursor(sort, encodeUserCursor(sort, position)), position);
    }
    assert.deepEqual(decodeUserCursor('lastLogin', encodeUserCursor('lastLogin', { key: 0, id: 'a' })), {
      key: 0,
      id: 'a',
    });
  });

  it("refuses another sort's cursor, and anything it could not have written", () => {
    assert.equal(decodeUserCursor('-joined', encodeUserCursor('joined', position)), undefined);
    const forged = (text: string) => Buffer.from(text).toString('base64url');
    for (const cursor of [
      '',
      'not a cursor',
      forged('joined:1'),
      forged('joined:-1:a'),
      forged('joined:01:a'),
      forged('joined:1:a b'),
      forged(`joined:1:${'a'.repeat(65)}`),
      forged('joined:99999999999999999:a'),
      `${encodeUserCursor('joined', position)}=`,
    ]) {
      assert.equal(decodeUserCursor('joined', cursor), undefined, cursor);
    }
  });
});
