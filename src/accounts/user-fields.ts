// Normalisation and validation of user fields, the same for every dialect. Each check returns the field's
// problem as a code (errors.ts), or undefined when the value is acceptable; the dialects word it.
import { GatehouseError, type FieldProblems, type Problem } from '../errors.ts';

const maxEmailLength = 254;
// RFC 5321 §4.5.3.1.1: the part before the @ is at most 64 octets
const maxLocalPartOctets = 64;
const maxUsernameLength = 64;
const maxBioLength = 1000;
const maxImageLength = 2048;
// Django's AbstractUser: first_name and last_name are CharField(max_length=150, blank=True)
const maxNameLength = 150;

// The WHATWG HTML definition of a valid e-mail address, what browsers accept in <input type=email>; checkEmail
// adds RFC 5321's rule for dots.
const emailPattern =
  /^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/;
const usernamePattern = /^[\p{L}\p{N}_.-]+$/u;

export const blank = { code: 'blank' } as const satisfies Problem;
export const invalid = { code: 'invalid' } as const satisfies Problem;
export const taken = { code: 'taken' } as const satisfies Problem;
export const tooShort = (min: number): Problem => ({ code: 'too_short', min });
export const tooLong = (max: number): Problem => ({ code: 'too_long', max });

/** Length in Unicode code points, the unit the contract counts in (not UTF-16 units, not graphemes). */
export function codePointLength(text: string): number {
  return Array.from(text).length;
}

export const normalizeEmail = (email: string): string => email.trim();
/** One account per address, whatever its casing. */
export const sameAddress = (a: string, b: string): boolean => a.toLowerCase() === b.toLowerCase();
export const normalizeUsername = (username: string): string => username.normalize('NFKC');
export const normalizePassword = (password: string): string => password.normalize('NFKC');
/** A first or last name as DRF's CharField takes it: trimmed, otherwise as typed (no NFKC). */
export const normalizeName = (name: string): string => name.trim();

export function checkEmail(email: string): Problem | undefined {
  if (email === '') return blank;
  if (email.length > maxEmailLength) return tooLong(maxEmailLength);
  if (!emailPattern.test(email)) return invalid;
  const localPart = email.slice(0, email.indexOf('@'));
  // RFC 5321's Dot-string (Django's validator too): dots only between characters, never two together;
  // the browser's pattern lets ".a..b." through
  if (localPart.startsWith('.') || localPart.endsWith('.') || localPart.includes('..')) return invalid;
  // the pattern admits only ASCII before the @, so characters are octets there
  return localPart.length > maxLocalPartOctets ? invalid : undefined;
}

export function checkUsername(username: string): Problem | undefined {
  if (username === '') return blank;
  if (codePointLength(username) > maxUsernameLength) return tooLong(maxUsernameLength);
  // only dots would make /api/profiles/.. a different URL once a client normalises it
  if (!usernamePattern.test(username) || /^\.+$/.test(username)) return invalid;
  return undefined;
}

export function checkBio(bio: string): Problem | undefined {
  if (bio.includes('\0')) return invalid;
  return codePointLength(bio) > maxBioLength ? tooLong(maxBioLength) : undefined;
}

/** A first or last name, normalised and not empty (an empty one clears it). */
export function checkName(name: string): Problem | undefined {
  if (name.includes('\0')) return invalid;
  return codePointLength(name) > maxNameLength ? tooLong(maxNameLength) : undefined;
}

export function checkImage(image: string): Problem | undefined {
  if (codePointLength(image) > maxImageLength) return tooLong(maxImageLength);
  // the URL parser quietly drops or escapes control characters, but the string is stored as sent
  if (/\p{Cc}/u.test(image)) return invalid;
  try {
    const url = new URL(image);
    return url.protocol === 'http:' || url.protocol === 'https:' ? undefined : invalid;
  } catch {
    return invalid;
  }
}

/**
 * The address a field gives, normalised; left blank where none is required, no address at all (an
 * account without one, and so without mail). Anywhere else a blank stays text, refused as blank.
 */
export function addressOf(given: string, emailRequired: boolean): string | null {
  const email = normalizeEmail(given);
  return email === '' && !emailRequired ? null : email;
}

/** Notes a field's problem, if it has one, beside the others found so far. */
export function addProblem(fields: FieldProblems, field: string, problem: Problem | undefined): void {
  if (problem !== undefined) fields[field] = problem;
}

/** The refusal of a write that a unique index settled: the address or name is someone else's. */
export function takenError(field: 'email' | 'username'): GatehouseError {
  return new GatehouseError('validation_failed', `${field} taken`, { fields: { [field]: taken } });
}
