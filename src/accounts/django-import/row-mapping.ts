import { createHash } from 'node:crypto';
import type { DjangoUserRow } from '../../store/django-source.ts';
import { classifyDjangoPassword } from '../django-hashes.ts';
import {
  checkEmail,
  checkUsername,
  codePointLength,
  normalizeEmail,
  normalizeUsername,
} from '../user-fields.ts';

/** Why a Django row was not imported. */
export type SkipReason = 'invalid_email' | 'duplicate_email' | 'email_taken';

/** Each reason in words, for a row the mapping itself skips. */
export const skipWords: Record<SkipReason, string> = {
  invalid_email: 'the email is not a valid address',
  duplicate_email: 'same email as another row',
  email_taken: 'the email belongs to another Gatehouse account',
};

/** A Django row as Gatehouse would hold it, before the batch checks it against the accounts there. */
export interface MappedRow {
  legacyId: string;
  /** null for a row without one (Django's blank "" included): the account signs in by username */
  email: string | null;
  /** the username wanted (Django's, made valid), before any collision is settled */
  username: string;
  passwordHash: string;
  firstName: string | null;
  lastName: string | null;
  isActive: boolean;
  isStaff: boolean;
  isSuperuser: boolean;
  joinedAt: number | null;
  lastLoginAt: number | null;
  /** `<row digest>.<password digest>`: what changed in Django since the last run, and whether the password did */
  fingerprint: string;
  /** what was done to the row on the way in, in words, for the report */
  notes: string[];
  /** the password cannot be used (Django's unusable, or a hasher we do not verify): reset it to sign in */
  mustReset: boolean;
}

const maxUsernameLength = 64;
const maxNameLength = 150;
const usernameCharacter = /[\p{L}\p{N}_.-]/u;

/** The mapped row, or why it is skipped. Never throws for what a row holds. */
export function mapDjangoRow(row: DjangoUserRow): MappedRow | { skip: SkipReason } {
  const given = normalizeEmail(row.email ?? '');
  // Django's default for a user without an address is "", never NULL: both are no address
  const email = given === '' ? null : given;
  if (email !== null && checkEmail(email) !== undefined) return { skip: 'invalid_email' };
  const notes: string[] = [];
  if (email === null) {
    notes.push(
      'no email: signs in by username only (under /auth), and gets no mail until an address is added',
    );
  } else if (email !== row.email) {
    notes.push('email trimmed');
  }

  const username = usableUsername(row, email, notes);
  const password = classifyDjangoPassword(row.password);
  let passwordHash = row.password;
  if (password.kind === 'unverifiable') {
    notes.push(`password hash ${password.scheme} not supported: no usable password (must reset)`);
    // Django's own mark of an unusable password: the unverifiable hash is not kept
    passwordHash = '!';
  } else if (password.kind === 'unusable') {
    notes.push('unusable password in Django: no usable password (must reset)');
  }
  // the row without its password, and the password apart: a re-run tells a new password from other changes
  const fingerprint = `${digest(JSON.stringify({ ...row, id: String(row.id), password: null }))}.${digest(row.password)}`;
  return {
    legacyId: String(row.id),
    email,
    username,
    passwordHash,
    firstName: name(row.firstName),
    lastName: name(row.lastName),
    isActive: row.isActive,
    isStaff: row.isStaff,
    isSuperuser: row.isSuperuser,
    joinedAt: row.joinedAt,
    lastLoginAt: row.lastLoginAt,
    fingerprint,
    notes,
    mustReset: password.kind !== 'verifiable',
  };
}

/**
 * Django's username made valid here: Django allows `@`, `+` and 150 characters, Gatehouse letters,
 * digits, `_`, `.`, `-` and 64. A user model without usernames (the login is the email) takes the part
 * of the address before the @; a row with neither gets `user-<Django id>`.
 */
function usableUsername(row: DjangoUserRow, email: string | null, notes: string[]): string {
  const given = row.username ?? '';
  const byId = `user-${String(row.id)}`.slice(0, maxUsernameLength);
  let wanted = normalizeUsername(given);
  if (given === '') {
    if (email === null) {
      notes.push(`no username and no email: imported as ${JSON.stringify(byId)}`);
      return byId;
    }
    wanted = normalizeUsername(email.slice(0, email.indexOf('@')));
    notes.push(`no username: ${JSON.stringify(wanted)} taken from the email`);
  }
  if (checkUsername(wanted) === undefined) return wanted;
  let made = Array.from(wanted, (character) => (usernameCharacter.test(character) ? character : '_'))
    .slice(0, maxUsernameLength)
    .join('');
  if (checkUsername(made) !== undefined) made = byId;
  notes.push(`username ${JSON.stringify(given)} is not valid here: imported as ${JSON.stringify(made)}`);
  return made;
}

/** A username of `base` with the Django id after it, for a name someone else holds; still at most 64. */
export function disambiguatedUsername(base: string, legacyId: string, attempt: number): string {
  const suffix = attempt === 0 ? `-${legacyId}` : `-${legacyId}-${attempt}`;
  const room = maxUsernameLength - codePointLength(suffix);
  return `${Array.from(base).slice(0, Math.max(0, room)).join('')}${suffix}`;
}

function name(value: string | null): string | null {
  const trimmed = value?.trim() ?? '';
  return trimmed === '' ? null : Array.from(trimmed).slice(0, maxNameLength).join('');
}

function digest(text: string): string {
  return createHash('sha256').update(text).digest('base64url');
}
