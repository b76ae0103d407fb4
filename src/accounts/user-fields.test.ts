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
    assert.deepEqual(checkEmail('alice@example.io'), undefined);
    assert.deepEqual(checkEmail('first.last+tag@sub.example.co.uk'), undefined);
  });

  it('refuses malformed and overlong emails', () => {
    for (const email of [
      'alice',
      'alice@',
      '@example.com',
      'a b@example.com',
      'alice@exa mple.com',
      'alice@@x.io',
      // RFC 5321's Dot-string, which the browser's pattern does not hold to
      '.alice@example.com',
      'alice.@example.com',
      'al..ice@example.com',
      '.a..b.@example.com',
    ]) {
      assert.deepEqual(checkEmail(email), { code: 'invalid' }, email);
    }
    assert.deepEqual(checkEmail(''), { code: 'blank' });
    assert.deepEqual(checkEmail(`${'a'.repeat(250)}@x.io`), { code: 'too_long', max: 254 });
    // RFC 5321: at most 64 octets before the @
    assert.equal(checkEmail(`${'a'.repeat(64)}@example.com`), undefined);
    assert.deepEqual(checkEmail(`${'a'.repeat(65)}@example.com`), { code: 'invalid' });
  });

  it('NFKC-normalises usernames', () => {
    // fullwidth letters and the "ﬁ" ligature fold to their plain forms
    assert.equal(normalizeUsername('ａｌｉｃｅ'), 'alice');
    assert.equal(normalizeUsername('ﬁona'), 'fiona');
  });

  it('accepts letters, digits, underscore, dot and dash up to 64 code points', () => {
    for (const username of ['alice', 'Ålesund_42', 'jean-luc.picard', 'ユーザー', 'a'.repeat(64)]) {
      assert.deepEqual(checkUsername(username), undefined, username);
    }
    assert.deepEqual(checkUsername('a'.repeat(65)), { code: 'too_long', max: 64 });
  });

  it('refuses spaces, slashes, other symbols and dot-only names', () => {
    for (const username of ['al ice', 'al/ice', 'alice!', '<script>', '.', '..', 'a\u0000b']) {
      assert.deepEqual(checkUsername(username), { code: 'invalid' }, JSON.stringify(username));
    }
    assert.deepEqual(checkUsername(''), { code: 'blank' });
  });

  it('limits bio to 1000 code points and refuses NUL', () => {
    assert.deepEqual(checkBio('x'.repeat(1000)), undefined);
    assert.deepEqual(checkBio('x'.repeat(1001)), { code: 'too_long', max: 1000 });
    assert.deepEqual(checkBio('a\u0000b'), { code: 'invalid' });
  });

  it('accepts only http(s) image URLs up to 2048 characters', () => {
    assert.deepEqual(checkImage('https://example.com/a.png'), undefined);
    assert.deepEqual(checkImage('http://example.com/a.png'), undefined);
    for (const image of [
      'javascript:alert(1)',
      'data:image/png;base64,AAAA',
      'ftp://example.com/a',
      'not a url',
    ]) {
      assert.deepEqual(checkImage(image), { code: 'invalid' }, image);
    }
    assert.deepEqual(checkImage(`https://example.com/${'a'.repeat(2048)}`), { code: 'too_long', max: 2048 });
    // counted in code points, as every other field is: 2,048 emoji are 4,096 UTF-16 units
    const emoji = '\u{1F600}';
    assert.deepEqual(checkImage(`https://x.io/${emoji.repeat(2048 - 13)}`), undefined);
    assert.deepEqual(checkImage(`https://x.io/${emoji.repeat(2048 - 12)}`), { code: 'too_long', max: 2048 });
  });
});
