import { hash, verify } from '@node-rs/argon2';

export interface Argon2Parameters {
  memoryCost: number;
  timeCost: number;
  parallelism: number;
}

export interface PasswordHasher {
  hash(password: string): Promise<string>;
  /**
   * False for a wrong password and for a hash this hasher cannot read. `password` is NFKC-normalised, as
   * Gatehouse hashes every password; `typed` is the same password exactly as typed (when it differs), for
   * hashes another system made without normalising (Django's).
   */
  verify(storedHash: string, password: string, typed?: string): Promise<boolean>;
  /** Burns the time of one verification; for logins whose email matches nobody. */
  verifyNothing(password: string): Promise<void>;
  /** True when the stored hash was made with other parameters (or another algorithm) than today's. */
  needsRehash(storedHash: string): boolean;
}

// @node-rs/argon2 declares its Algorithm enum as an ambient const enum, which isolated modules cannot read.
const argon2id = 2;

/** argon2id in PHC strings (`$argon2id$v=19$m=…,t=…,p=…$salt$hash`), so each hash carries its parameters. */
export async function createPasswordHasher(parameters: Argon2Parameters): Promise<PasswordHasher> {
  const options = { ...parameters, algorithm: argon2id as never };
  // A real hash with today's parameters: verifying against it costs exactly what a real login costs.
  const dummyHash = await hash('gatehouse-dummy-password', options);
  const currentPrefix = dummyHash.slice(0, dummyHash.lastIndexOf('$', dummyHash.lastIndexOf('$') - 1) + 1);
  return {
    hash: (password) => hash(password, options),
    async verify(storedHash, password) {
      if (!storedHash.startsWith('$argon2')) return false;
      try {
        return await verify(storedHash, password);
      } catch {
        return false;
      }
    },
    async verifyNothing(password) {
      await verify(dummyHash, password);
    },
    // A hash made with today's parameters starts as the dummy does (`$argon2id$v=19$m=…,t=…,p=…$`): one
    // string comparison on every login instead of parsing the parameters.
    needsRehash: (storedHash) => !storedHash.startsWith(currentPrefix),
  };
}
