import { dictionary } from '@zxcvbn-ts/language-common';
import type { Problem } from '../errors.ts';
import { isTooSimilar } from './attribute-similarity.ts';
import { blank, codePointLength, tooLong, tooShort } from './user-fields.ts';

export interface PasswordPolicy {
  /** The problem with an (already normalised) password, or undefined when it is acceptable. */
  check(password: string, owner: { username: string; email: string | null }): Problem | undefined;
}

/**
 * Length in code points, the common-password list, and not too similar to the username or the email (as
 * Django's UserAttributeSimilarityValidator judges it, so a passphrase that merely names its owner passes).
 */
export function createPasswordPolicy(limits: { minLength: number; maxLength: number }): PasswordPolicy {
  // zxcvbn's list of ~49k passwords seen most often in breaches, lower-cased.
  const common = new Set(dictionary['passwords-common']);
  return {
    check(password, owner) {
      if (password === '') return blank;
      const length = codePointLength(password);
      if (length < limits.minLength) return tooShort(limits.minLength);
      if (length > limits.maxLength) return tooLong(limits.maxLength);
      const lowered = password.toLowerCase();
      if (common.has(lowered)) return { code: 'too_common' };
      // Django's order: the username first, then the email
      if (isTooSimilar(password, owner.username)) return { code: 'too_similar', to: 'username' };
      if (owner.email !== null && isTooSimilar(password, owner.email))
        return { code: 'too_similar', to: 'email' };
      return undefined;
    },
  };
}
