import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createPasswordPolicy } from './password-policy.ts';

const policy = createPasswordPolicy({ minLength: 8, maxLength: 128 });
const owner = { username: 'alice', email: 'alice.smith@example.com' };

describe('password policy', () => {
  it('accepts a long, uncommon password', () => {
    assert.deepEqual(policy.check('correct horse battery staple', owner), undefined);
  });

  it('counts length in code points, not UTF-16 units', () => {
    // seven emoji are fourteen UTF-16 units but seven code points
    assert.deepEqual(policy.check('😀😀😀😀😀😀😀', owner), { code: 'too_short', min: 8 });
    assert.deepEqual(policy.check('😀😀😀😀😀😀😀😀', owner), undefined);
  });

  it('refuses blank, short and long passwords with RealWorld messages', () => {
    assert.deepEqual(policy.check('', owner), { code: 'blank' });
    assert.deepEqual(policy.check('short', owner), { code: 'too_short', min: 8 });
    assert.deepEqual(policy.check('x'.repeat(129), owner), { code: 'too_long', max: 128 });
  });

  it('refuses passwords from the common-password list in any casing', () => {
    assert.deepEqual(policy.check('password', owner), { code: 'too_common' });
    assert.deepEqual(policy.check('PassWord1', owner), { code: 'too_common' });
    assert.deepEqual(policy.check('12345678', owner), { code: 'too_common' });
  });

  it("refuses passwords too similar to the username or the email, as Django's validator does", () => {
    assert.deepEqual(policy.check('alice_zq', owner), { code: 'too_similar', to: 'username' });
    assert.deepEqual(policy.check('Example.com!', { username: 'zed', email: owner.email }), {
      code: 'too_similar',
      to: 'email',
    });
  });

  it('accepts a passphrase that merely contains the username, and checks no email an account lacks', () => {
    const dave = { username: 'dave', email: 'dave@example.com' };
    assert.deepEqual(policy.check('dave has a long pass 9', dave), undefined);
    assert.deepEqual(policy.check('my-ALICE-is-great', owner), undefined);
    assert.deepEqual(policy.check('example.com1', dave), { code: 'too_similar', to: 'email' });
    assert.deepEqual(policy.check('example.com1', { username: 'dave', email: null }), undefined);
  });
});
