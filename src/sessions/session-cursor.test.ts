import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeCursor, encodeCursor } from './session-cursor.ts';

describe('session cursors', () => {
  it('give back the position they were made from', () => {
    const position = { createdAt: 1_764_547_200_000, id: '0b4c2c8e-8f55-4a57-9d0e-2f0e6b4f1c3a' };
    const cursor = encodeCursor(position);
    assert.match(cursor, /^[A-Za-z0-9_-]+$/);
    assert.deepEqual(decodeCursor(cursor), position);
  });

  it('refuse anything they could not have written', () => {
    const valid = encodeCursor({ createdAt: 1000, id: 'abc' });
    const of = (text: string) => Buffer.from(text).toString('base64url');
    for (const cursor of [
      '',
      'x',
      `${valid}=`,
      `${valid}.`,
      ` ${valid}`,
      valid.toUpperCase(),
      of('1000'),
      of('1000:'),
      of(':abc'),
      of('01000:abc'),
      of('-1:abc'),
      of('1.5:abc'),
      of('99999999999999999:abc'),
      of('1000:abc\u0000'),
      of('1000:a b'),
      of(`1000:${'a'.repeat(65)}`),
    ]) {
      assert.equal(decodeCursor(cursor), undefined, JSON.stringify(cursor));
    }
  });
});
