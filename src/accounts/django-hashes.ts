// Django's password hashes, verified as Django verifies them (django/contrib/auth/hashers.py), so that users
// imported with `gatehouse import-django` sign in with the passwords they have; the sign-in then replaces the
// hash with argon2id (password-hasher.ts's needsRehash is true for anything but today's argon2id).
import {
  createHash,
  pbkdf2,
  scrypt,
  timingSafeEqual,
  type BinaryLike,
  type ScryptOptions,
} from 'node:crypto';
import { verify as verifyArgon2 } from '@node-rs/argon2';
import { verify as verifyBcrypt } from '@node-rs/bcrypt';
import type { PasswordHasher } from './password-hasher.ts';

/** The Django hashers whose hashes Gatehouse verifies. */
export const djangoSchemes = [
  'pbkdf2_sha256',
  'pbkdf2_sha1',
  'argon2',
  'bcrypt_sha256',
  'bcrypt',
  'scrypt',
] as const;
export type DjangoScheme = (typeof djangoSchemes)[number];

/**
 * What a Django `password` column holds: a hash we verify, an unusable password (`!…`, or empty, as very
 * old Django wrote), or a hash we cannot verify (another hasher, or a malformed one), by its scheme's name.
 */
export type DjangoPassword =
  | { kind: 'verifiable'; scheme: DjangoScheme }
  | { kind: 'unusable' }
  | { kind: 'unverifiable'; scheme: string };

// Bounds on the work one stored hash may ask of a sign-in: far above what any Django release makes
// (pbkdf2: 1.2M iterations in Django 6.0; argon2: 100 MiB; scrypt: 16 MiB), far below what would let one
// crafted row stall the server.
const maxPbkdf2Iterations = 10_000_000;
const maxArgon2MemoryKib = 1_048_576;
const maxArgon2Passes = 100;
const maxScryptMemoryBytes = 1024 * 1024 * 1024;

const base64 = /^[A-Za-z0-9+/]+={0,2}$/;
const positiveInteger = /^[1-9][0-9]{0,9}$/;
const bcryptHash = /^\$2[abxy]?\$\d\d\$[./A-Za-z0-9]{53}$/;
const argon2Phc = /^\$argon2(id|i|d)\$(?:v=(\d+)\$)?m=(\d+),t=(\d+),p=(\d+)\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/;

type Verify = (password: string) => Promise<boolean>;

/** How to verify `encoded`, or undefined when it is not a well-formed hash of a scheme we verify. */
function verifierOf(encoded: string): Verify | undefined {
  const parts = encoded.split('$');
  switch (parts[0]) {
    case 'pbkdf2_sha256':
    case 'pbkdf2_sha1': {
      // pbkdf2_sha256$<iterations>$<salt>$<base64 hash>
      const [, iterations = '', salt = '', hash = ''] = parts;
      if (parts.length !== 4 || !positiveInteger.test(iterations) || !base64.test(hash)) return undefined;
      const count = Number(iterations);
      if (count > maxPbkdf2Iterations) return undefined;
      const expected = Buffer.from(hash, 'base64');
      const digest = parts[0] === 'pbkdf2_sha256' ? 'sha256' : 'sha1';
      return (password) =>
        new Promise((resolve, reject) => {
          pbkdf2(password, salt, count, expected.length, digest, (error, derived) => {
            if (error === null) resolve(timingSafeEqual(derived, expected));
            else reject(error);
          });
        });
    }
    case 'argon2': {
      // argon2 + the PHC string argon2-cffi made: $argon2id$v=19$m=…,t=…,p=…$salt$hash
      const phc = encoded.slice('argon2'.length);
      const match = argon2Phc.exec(phc);
      if (match === null || Number(match[3]) > maxArgon2MemoryKib || Number(match[4]) > maxArgon2Passes)
        return undefined;
      return (password) => verifyArgon2(phc, password);
    }
    case 'bcrypt_sha256': {
      // bcrypt_sha256$ + bcrypt of the hex SHA-256 of the password (so bcrypt's 72-byte cut never applies)
      const data = encoded.slice('bcrypt_sha256$'.length);
      if (!bcryptHash.test(data)) return undefined;
      return (password) => verifyBcrypt(createHash('sha256').update(password).digest('hex'), data);
    }
    case 'bcrypt': {
      const data = encoded.slice('bcrypt$'.length);
      if (!bcryptHash.test(data)) return undefined;
      return (password) => verifyBcrypt(password, data);
    }
    case 'scrypt': {
      // scrypt$<n>$<salt>$<r>$<p>$<base64 hash> (Django 4.0 on)
      const [, n = '', salt = '', r = '', p = '', hash = ''] = parts;
      if (parts.length !== 6 || ![n, r, p].every((value) => positiveInteger.test(value))) return undefined;
      if (!base64.test(hash)) return undefined;
      const options = { N: Number(n), r: Number(r), p: Number(p) };
      // node refuses to run with less than about 128·N·r bytes allowed
      const memory = 128 * options.N * options.r;
      if (memory > maxScryptMemoryBytes) return undefined;
      const expected = Buffer.from(hash, 'base64');
      return async (password) => {
        const derived = await derive(password, salt, expected.length, { ...options, maxmem: 2 * memory });
        return timingSafeEqual(derived, expected);
      };
    }
    default:
      return undefined;
  }
}

function derive(password: BinaryLike, salt: BinaryLike, length: number, options: ScryptOptions) {
  return new Promise<Buffer>((resolve, reject) => {
    scrypt(password, salt, length, options, (error, derived) => {
      if (error === null) resolve(derived);
      else reject(error);
    });
  });
}

/** What kind of password a Django `password` column holds; what import-django reports row by row. */
export function classifyDjangoPassword(encoded: string): DjangoPassword {
  if (encoded === '' || encoded.startsWith('!')) return { kind: 'unusable' };
  const scheme = encoded.split('$', 1)[0] ?? '';
  const known = (djangoSchemes as readonly string[]).includes(scheme);
  if (known && verifierOf(encoded) !== undefined)
    return { kind: 'verifiable', scheme: scheme as DjangoScheme };
  return { kind: 'unverifiable', scheme: known ? `malformed ${scheme}` : scheme.slice(0, 40) };
}

/**
 * `hasher`, also verifying Django hashes. Gatehouse's own hashes start with `$`, Django's with their
 * hasher's name, so the two never mistake each other. A hash that can never match (unusable, unknown)
 * costs what a wrong password costs, as an unknown email does.
 *
 * Django hashed the password as typed, never normalised: a Django hash is checked against `typed` first,
 * then (only when NFKC changed it) against the normalised `password`, which Gatehouse's own rule would
 * accept once the hash is replaced, since the sign-in stores the argon2id hash of the normalised form.
 */
export function withDjangoHashes(hasher: PasswordHasher): PasswordHasher {
  return {
    ...hasher,
    async verify(storedHash, password, typed = password) {
      if (storedHash.startsWith('$')) return hasher.verify(storedHash, password);
      const verify = storedHash.startsWith('!') ? undefined : verifierOf(storedHash);
      if (verify === undefined) {
        await hasher.verifyNothing(password);
        return false;
      }
      try {
        return (await verify(typed)) || (typed !== password && (await verify(password)));
      } catch {
        return false;
      }
    },
  };
}
