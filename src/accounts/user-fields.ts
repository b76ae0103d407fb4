// Normalisation and validation of user fields, the same for every dialect. Each check returns the
// RealWorld-style message for its field, or undefined when the value is acceptable.

export const blank = "can't be blank";
export const invalid = 'is invalid';
export const taken = 'has already been taken';

const maxEmailLength = 254;
const maxUsernameLength = 64;
const maxBioLength = 1000;
const maxImageLength = 2048;

// The WHATWG HTML definition of a valid e-mail address: what browsers accept in <input type=email>.
const emailPattern =
  /^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/;
const usernamePattern = /^[\p{L}\p{N}_.-]+$/u;

/** Length in Unicode code points, the unit the contract counts in (not UTF-16 units, not graphemes). */
export function codePointLength(text: string): number {
  return Array.from(text).length;
}

export const normalizeEmail = (email: string): string => email.trim();
export const normalizeUsername = (username: string): string => username.normalize('NFKC');
export const normalizePassword = (password: string): string => password.normalize('NFKC');

export function checkEmail(email: string): string | undefined {
  if (email === '') return blank;
  if (email.length > maxEmailLength) return tooLong(maxEmailLength);
  return emailPattern.test(email) ? undefined : invalid;
}

export function checkUsername(username: string): string | undefined {
  if (username === '') return blank;
  if (codePointLength(username) > maxUsernameLength) return tooLong(maxUsernameLength);
  // only dots would make /api/profiles/.. a different URL once a client normalises it
  if (!usernamePattern.test(username) || /^\.+$/.test(username)) return invalid;
  return undefined;
}

export function checkBio(bio: string): string | undefined {
  if (bio.includes('\0')) return invalid;
  return codePointLength(bio) > maxBioLength ? tooLong(maxBioLength) : undefined;
}

export function checkImage(image: string): string | undefined {
  if (image.length > maxImageLength) return tooLong(maxImageLength);
  // the URL parser quietly drops or escapes control characters, but the string is stored as sent
  if (/\p{Cc}/u.test(image)) return invalid;
  try {
    const url = new URL(image);
    return url.protocol === 'http:' || url.protocol === 'https:' ? undefined : invalid;
  } catch {
    return invalid;
  }
}

export const tooShort = (minimum: number): string => `is too short (minimum is ${minimum} characters)`;
export const tooLong = (maximum: number): string => `is too long (maximum is ${maximum} characters)`;
