import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createPasswordPolicy } from './password-policy.ts';

const policy = createPasswordPolicy({ minLength: 8, maxLength: 128 });
const owner = { username: 'alice', email: 'alice.smith@example.com' };

describe('password policy', () => {
  it('accepts a long, uncommon password', () => {
    assert.equal(policy.check('correct horse battery staple', owner), undefined);
  });

  it('counts length in code points, not UTF-16 units', () => {
    // seven emoji are fourteen UTF-16 units but seven code points
    assert.equal(policy.check('😀😀😀😀😀😀😀', owner), 'is too short (minimum is 8 characters)');
    assert.equal(policy.check('😀😀😀😀😀😀😀😀', owner), undefined);
  });

  it('refuses blank, short and long passwords with RealWorld messages', () => {
    assert.equal(policy.check('', owner), "can't be blank");
    assert.equal(policy.check('short', owner), 'is too short (minimum is 8 characters)');
    assert.equal(policy.check('x'.repeat(129), owner), 'is too long (maximum is 128 characters)');
  });

  it('refuses passwords from the common-password list in any casing', () => {
    assert.equal(policy.check('password', owner), 'is too common');
    assert.equal(policy.check('PassWord1', owner), 'is too common');
    assert.equal(policy.check('12345678', owner), 'is too common');
  });

  it('refuses passwords containing the username or the email local part', () => {
    assert.equal(policy.check('my-ALICE-is-great', owner), 'is too similar to the username');
    assert.equal(
      policy.check('xx-alice.smith-yy', { username: 'zed', email: owner.email }),
      'is too similar to the email',
    );
  });

  it('ignores very short names, which occur inside too many good passwords', () => {
    assert.equal(
      policy.check('a-bo-nice-long-phrase', { username: 'bo', email: 'bo@example.com' }),
      undefined,
    );
  });
});
