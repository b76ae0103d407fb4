import { createHash, randomBytes } from 'node:crypto';
import { GatehouseError, throwIfInvalid } from '../errors.ts';
import type { TokenPurpose } from '../store/one-time-token-repository.ts';
import type { UnitOfWork } from '../store/store.ts';
import type { User } from '../store/user-repository.ts';
import type { MailPort } from './ports.ts';
import { checkEmail, invalid, normalizeEmail, sameAddress } from './user-fields.ts';

/** A token to mail, and the hash that is all the database keeps of it. */
export interface MintedToken {
  token: string;
  hash: string;
}

// 256 random bits: guessing one is out of reach however many tries the limits allow.
const tokenBytes = 32;

function mintToken(): MintedToken {
  const token = randomBytes(tokenBytes).toString('base64url');
  return { token, hash: hashToken(token) };
}

/** SHA-256, base64url: the token carries all its entropy itself, so a plain fast hash is enough. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('base64url');
}

/** The user id as djoser's links carry it (`urlsafe_base64_encode` of the primary key). */
function encodeUid(userId: string): string {
  return Buffer.from(userId, 'utf8').toString('base64url');
}

/** The user id a `uid` names, or undefined when it is not one of ours. */
export function decodeUid(uid: string): string | undefined {
  if (!/^[A-Za-z0-9_-]{1,200}$/.test(uid)) return undefined;
  const userId = Buffer.from(uid, 'base64url').toString('utf8');
  // round-trips only if the text was canonical base64url of valid UTF-8
  return encodeUid(userId) === uid ? userId : undefined;
}

/**
 * Issues a token of `purpose` for `email` (earlier ones of that purpose stop working) and queues the mail
 * that carries it, of the same kind, both in `unit`.
 */
export async function mailNewToken(
  unit: UnitOfWork,
  mail: MailPort,
  token: { user: User; purpose: TokenPurpose; email: string; now: number; ttl: number },
): Promise<void> {
  const { token: clear, hash } = mintToken();
  await unit.oneTimeTokens.issue({
    tokenHash: hash,
    userId: token.user.id,
    purpose: token.purpose,
    email: token.email,
    createdAt: token.now,
    expiresAt: token.now + token.ttl,
  });
  await mail.queue(unit, {
    kind: token.purpose,
    to: token.email,
    uid: encodeUid(token.user.id),
    token: clear,
  });
}

/**
 * The tokens a new password calls off: reset and login-name links already mailed, and an address change not
 * yet confirmed — whatever someone who knew the old password may have set going (Django's token generator,
 * which djoser uses, dies with the password hash as well).
 */
export const endedByNewPassword: readonly TokenPurpose[] = [
  'password-reset',
  'login-name-reset',
  'email-change',
];

/** Whether a token went to the address the account has now: a link mailed to an address it has left opens nothing. */
export function mailedToCurrentAddress(token: { email: string }, user: User): boolean {
  return user.email !== null && sameAddress(token.email, user.email);
}

/** Every refusal of a token reads the same: forged, used, expired, superseded or for another purpose. */
export function tokenRefused(field = 'token'): GatehouseError {
  return new GatehouseError('validation_failed', 'unusable one-time token', { fields: { [field]: invalid } });
}

/** The address a "mail me" request names, trimmed; an invalid one is the request's 422, for any address. */
export function addressAskedFor(email: string): string {
  const address = normalizeEmail(email);
  const problem = checkEmail(address);
  if (problem !== undefined) throwIfInvalid({ email: problem });
  return address;
}
