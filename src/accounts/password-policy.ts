import { dictionary } from '@zxcvbn-ts/language-common';
import type { Problem } from '../errors.ts';
import { blank, codePointLength, tooLong, tooShort } from './user-fields.ts';

export interface PasswordPolicy {
  /** The problem with an (already normalised) password, or undefined when it is acceptable. */
  check(password: string, owner: { username: string; email: string }): Problem | undefined;
}

// Names shorter than this occur inside too many good passwords to be worth refusing.
const minimumSimilarLength = 3;

/** Length in code points, the common-password list, and no username or e-mail local part inside. */
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
      const localPart = owner.email.split('@')[0] ?? '';
      for (const [name, to] of [
        [owner.username, 'username'],
        [localPart, 'email'],
      ] as const) {
        if (name.length >= minimumSimilarLength && lowered.includes(name.toLowerCase())) {
          return { code: 'too_similar', to };
        }
      }
      return undefined;
    },
  };
}
