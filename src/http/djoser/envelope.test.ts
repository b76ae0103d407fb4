import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createPasswordPolicy } from '../../accounts/password-policy.ts';
import { checkEmail, checkUsername, taken } from '../../accounts/user-fields.ts';
import { GatehouseError, type Problem } from '../../errors.ts';
import { word } from '../wording.ts';
import { djoserEnvelope, djoserWording } from './envelope.ts';

const toDrfMessage = (field: string, problem: Problem) => word(djoserWording, field, problem);

const owner = { username: 'alice', email: 'mailbox@example.com' };

describe('the djoser envelope', () => {
  it("words every message the core's field checks produce as Django and DRF do", () => {
    const cases: Array<[string, Problem | undefined, string]> = [
      ['email', checkEmail(''), 'This field may not be blank.'],
      ['email', checkEmail('nope'), 'Enter a valid email address.'],
      ['email', checkEmail(`${'a'.repeat(250)}@x.io`), 'Ensure this field has no more than 254 characters.'],
      ['email', taken, 'user with this email address already exists.'],
      ['username', checkUsername(''), 'This field may not be blank.'],
      [
        'username',
        checkUsername('a b'),
        'Enter a valid username. This value may contain only letters, numbers, and ./-/_ characters.',
      ],
      ['username', checkUsername('u'.repeat(65)), 'Ensure this field has no more than 64 characters.'],
      ['username', taken, 'A user with that username already exists.'],
    ];
    for (const [field, message, expected] of cases) {
      assert.ok(message !== undefined, `${field}: the core accepted a case meant to fail`);
      assert.equal(toDrfMessage(field, message), expected);
    }
  });

  it("words every message the password policy produces as Django's validators do", () => {
    for (const minLength of [2, 8, 12]) {
      const tooShort = createPasswordPolicy({ minLength, maxLength: 128 }).check(
        'x'.repeat(minLength - 1),
        owner,
      );
      assert.ok(tooShort !== undefined);
      assert.equal(
        toDrfMessage('password', tooShort),
        `This password is too short. It must contain at least ${minLength} characters.`,
      );
    }
    const policy = createPasswordPolicy({ minLength: 8, maxLength: 128 });
    const cases: Array<[string, string]> = [
      ['', 'This field may not be blank.'],
      ['x'.repeat(129), 'Ensure this field has no more than 128 characters.'],
      ['password1', 'This password is too common.'],
      ['alice_zq', 'The password is too similar to the username.'],
      ['Mailbox!', 'The password is too similar to the email address.'],
    ];
    for (const [password, expected] of cases) {
      const message = policy.check(password, owner);
      assert.ok(message !== undefined, password);
      for (const field of ['password', 'new_password']) assert.equal(toDrfMessage(field, message), expected);
    }
  });

  it('says "Invalid password." for a wrong current password, and words the shape of a bad body', () => {
    assert.equal(toDrfMessage('current_password', { code: 'wrong_password' }), 'Invalid password.');
    assert.equal(
      toDrfMessage('non_field_errors', { code: 'not_an_object', got: 'null' }),
      'No data provided',
    );
    assert.equal(
      toDrfMessage('non_field_errors', { code: 'not_an_object', got: 'list' }),
      'Invalid data. Expected a dictionary, but got list.',
    );
  });

  it('keeps the field names and translates each message of a validation error', () => {
    const error = new GatehouseError('validation_failed', 'validation failed', {
      fields: { email: { code: 'invalid' }, current_password: { code: 'blank' } },
    });
    assert.deepEqual(djoserEnvelope(error), {
      email: ['Enter a valid email address.'],
      current_password: ['This field may not be blank.'],
    });
  });

  it('answers every other failure with a detail, and authentication failures with simplejwt codes', () => {
    assert.deepEqual(djoserEnvelope(new GatehouseError('route_not_found', 'x')), { detail: 'Not found.' });
    assert.deepEqual(djoserEnvelope(new GatehouseError('invalid_credentials', 'x')), {
      detail: 'No active account found with the given credentials',
      code: 'no_active_account',
    });
    assert.deepEqual(djoserEnvelope(new GatehouseError('refresh_token_invalid', 'x')), {
      detail: 'Token is invalid or expired',
      code: 'token_not_valid',
    });
  });
});
