import { exportJWK, generateKeyPair } from 'jose';
import { clockSkew, type Clock } from '../clock.ts';
import type { SigningKeyRepository, StoredSigningKey } from '../store/signing-key-repository.ts';
import { createSecretBox, type SecretBox } from './secret-box.ts';

/** Algorithms of stored key pairs; HS256 is derived from SECRET_KEY and never stored. */
export type AsymmetricAlgorithm = 'EdDSA' | 'ES256' | 'RS256';
export type SigningAlgorithm = AsymmetricAlgorithm | 'HS256';

export const asymmetricAlgorithms: readonly AsymmetricAlgorithm[] = ['EdDSA', 'ES256', 'RS256'];

/**
 * How often a running server re-reads the key table, so that a rotation made by another process
 * (`gatehouse keys rotate`) reaches it without a restart.
 */
export const keyReloadInterval = 60_000;

/**
 * How long a key keeps verifying, and stays in JWKS, after it stopped signing: the longest token lifetime,
 * plus one reload interval (an instance that has not re-read the table yet may sign with it that much
 * longer), plus the clock skew verification allows.
 */
export function keyRetention(maxTokenLifetime: number): number {
  return maxTokenLifetime + keyReloadInterval + clockSkew;
}

export type KeyState = 'signing' | 'verifying-only' | 'retired';

export interface KeyStatus {
  key: StoredSigningKey;
  state: KeyState;
  /** when it stops verifying and leaves JWKS; undefined while it signs */
  verifiesUntil: number | undefined;
}

/**
 * Each key's state at `now`, in the order given (newest first). `retired_at` records when a key stopped
 * signing; the newest unretired key is the signer.
 */
export function keyStatuses(keys: readonly StoredSigningKey[], now: number, retention: number): KeyStatus[] {
  const signer = keys.find((key) => key.retiredAt === null);
  return keys.map((key) => {
    // Two rotations racing (two `keys rotate` at once) can each leave a key unretired; every instance signs
    // with the newest, so the older stopped signing when the newer was made.
    const stoppedAt = key === signer ? undefined : (key.retiredAt ?? signer?.createdAt);
    if (stoppedAt === undefined) return { key, state: 'signing', verifiesUntil: undefined };
    const verifiesUntil = stoppedAt + retention;
    return { key, state: now < verifiesUntil ? 'verifying-only' : 'retired', verifiesUntil };
  });
}

/** The box private keys are sealed in, under a key derived from SECRET_KEY for this purpose alone. */
export function signingKeyBox(secretKey: string): SecretBox {
  return createSecretBox(secretKey, 'signing-key-encryption');
}

/** The private JWK of a stored key; fails with a clear reason under another SECRET_KEY. */
export function openPrivateJwk(box: SecretBox, key: StoredSigningKey): string {
  try {
    return box.open(key.privateJwkEncrypted);
  } catch (error) {
    throw new Error(`SECRET_KEY does not open signing key ${key.kid} (was it changed?)`, { cause: error });
  }
}

export interface KeyRotationDeps {
  repository: SigningKeyRepository;
  secretKey: string;
  clock: Clock;
  newId: () => string;
}

/**
 * Makes a new key of `algorithm` the signer and retires the others as of now; they keep verifying for
 * `keyRetention` after that. What `gatehouse keys rotate` does, and nothing else does.
 */
export async function rotateSigningKey(
  deps: KeyRotationDeps,
  algorithm: AsymmetricAlgorithm,
): Promise<StoredSigningKey> {
  const key = await generateCheckedKey(deps, algorithm);
  await deps.repository.rotate(key);
  return key;
}

/**
 * Makes a key of `algorithm` the signer when the table has none (no key yet, or every one retired), and
 * retires nothing; false when another process made one first. What a server does at its first signing.
 */
export async function createFirstSigningKey(
  deps: KeyRotationDeps,
  algorithm: AsymmetricAlgorithm,
): Promise<boolean> {
  return deps.repository.insertIfNoSigner(await generateCheckedKey(deps, algorithm));
}

async function generateCheckedKey(
  deps: KeyRotationDeps,
  algorithm: AsymmetricAlgorithm,
): Promise<StoredSigningKey> {
  const box = signingKeyBox(deps.secretKey);
  const [newest] = await deps.repository.list();
  // a key sealed under another SECRET_KEY than the servers' would leave none of them able to sign
  if (newest !== undefined) openPrivateJwk(box, newest);
  return generateStoredKey(algorithm, deps.newId(), deps.clock.now(), box);
}

async function generateStoredKey(
  algorithm: AsymmetricAlgorithm,
  kid: string,
  createdAt: number,
  box: SecretBox,
): Promise<StoredSigningKey> {
  const options = algorithm === 'EdDSA' ? { crv: 'Ed25519', extractable: true } : { extractable: true };
  const pair = await generateKeyPair(algorithm, options);
  const publicJwk = { ...(await exportJWK(pair.publicKey)), kid, alg: algorithm, use: 'sig' };
  const privateJwk = { ...(await exportJWK(pair.privateKey)), kid, alg: algorithm };
  return {
    kid,
    algorithm,
    publicJwk: JSON.stringify(publicJwk),
    privateJwkEncrypted: box.seal(JSON.stringify(privateJwk)),
    createdAt,
    retiredAt: null,
  };
}
