import { dictionary } from '@zxcvbn-ts/language-common';
import { blank, codePointLength, tooLong, tooShort } from './user-fields.ts';

export interface PasswordPolicy {
  /** The message for an unacceptable (already normalised) password, or undefined. */
  check(password: string, owner: { username: string; email: string }): string | undefined;
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
      if (common.has(lowered)) return 'is too common';
      const localPart = owner.email.split('@')[0] ?? '';
      for (const [name, label] of [
        [owner.username, 'username'],
        [localPart, 'email'],
      ] as const) {
        if (name.length >= minimumSimilarLength && lowered.includes(name.toLowerCase())) {
          return `is too similar to the ${label}`;
        }
      }
      return undefined;
    },
  };
}
