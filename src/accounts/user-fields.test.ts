import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  checkBio,
  checkEmail,
  checkImage,
  checkUsername,
  normalizeEmail,
  normalizeUsername,
} from './user-fields.ts';

describe('user fields', () => {
  it('trims emails and accepts what browsers accept', () => {
    assert.equal(normalizeEmail('  Alice@Example.io \n'), 'Alice@Example.io');
    assert.equal(checkEmail('alice@example.io'), undefined);
    assert.equal(checkEmail('first.last+tag@sub.example.co.uk'), undefined);
  });

  it('refuses malformed and overlong emails', () => {
    for (const email of [
      'alice',
      'alice@',
      '@example.com',
      'a b@example.com',
      'alice@exa mple.com',
      'alice@@x.io',
    ]) {
      assert.equal(checkEmail(email), 'is invalid', email);
    }
    assert.equal(checkEmail(''), "can't be blank");
    assert.equal(checkEmail(`${'a'.repeat(250)}@x.io`), 'is too long (maximum is 254 characters)');
  });

  it('NFKC-normalises usernames', () => {
    // fullwidth letters and the "ﬁ" ligature fold to their plain forms
    assert.equal(normalizeUsername('ａｌｉｃｅ'), 'alice');
    assert.equal(normalizeUsername('ﬁona'), 'fiona');
  });

  it('accepts letters, digits, underscore, dot and dash up to 64 code points', () => {
    for (const username of ['alice', 'Ålesund_42', 'jean-luc.picard', 'ユーザー', 'a'.repeat(64)]) {
      assert.equal(checkUsername(username), undefined, username);
    }
    assert.equal(checkUsername('a'.repeat(65)), 'is too long (maximum is 64 characters)');
  });

  it('refuses spaces, slashes, other symbols and dot-only names', () => {
    for (const username of ['al ice', 'al/ice', 'alice!', '<script>', '.', '..', 'a\u0000b']) {
      assert.equal(checkUsername(username), 'is invalid', JSON.stringify(username));
    }
    assert.equal(checkUsername(''), "can't be blank");
  });

  it('limits bio to 1000 code points and refuses NUL', () => {
    assert.equal(checkBio('x'.repeat(1000)), undefined);
    assert.equal(checkBio('x'.repeat(1001)), 'is too long (maximum is 1000 characters)');
    assert.equal(checkBio('a\u0000b'), 'is invalid');
  });

  it('accepts only http(s) image URLs up to 2048 characters', () => {
    assert.equal(checkImage('https://example.com/a.png'), undefined);
    assert.equal(checkImage('http://example.com/a.png'), undefined);
    for (const image of [
      'javascript:alert(1)',
      'data:image/png;base64,AAAA',
      'ftp://example.com/a',
      'not a url',
    ]) {
      assert.equal(checkImage(image), 'is invalid', image);
    }
    assert.equal(
      checkImage(`https://example.com/${'a'.repeat(2048)}`),
      'is too long (maximum is 2048 characters)',
    );
  });
});
