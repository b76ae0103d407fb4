import { createHash } from 'node:crypto';
import { importJWK, type CryptoKey, type JWK } from 'jose';
import type { Clock } from '../clock.ts';
import type { SigningKeyRepository, StoredSigningKey } from '../store/signing-key-repository.ts';
import {
  keyReloadInterval,
  keyRetention,
  keyStatuses,
  openPrivateJwk,
  rotateSigningKey,
  signingKeyBox,
  type AsymmetricAlgorithm,
  type KeyStatus,
  type SigningAlgorithm,
} from './key-lifecycle.ts';
import { deriveKey, type SecretBox } from './secret-box.ts';

/** A public key as JWKS publishes it. */
export type PublicJwk = JWK & { kty: string; kid: string; alg: string; use: string };

/** The key new tokens are signed with. */
export interface SigningKey {
  kid: string;
  algorithm: SigningAlgorithm;
  privateKey: CryptoKey | Uint8Array;
}

/** A key that verifies tokens: the signer's, or one whose tokens may still be live. */
export interface VerificationKey {
  kid: string;
  /** the only algorithm it verifies */
  algorithm: SigningAlgorithm;
  /** the public key, or for HS256 the secret itself */
  key: CryptoKey | Uint8Array;
  /** published in JWKS; undefined for HS256, whose secret is never published */
  publicJwk: PublicJwk | undefined;
  /** when it stops verifying; undefined while it signs */
  verifiesUntil: number | undefined;
}

export interface KeyRing {
  /** The key new tokens are signed with. */
  signer(): Promise<SigningKey>;
  /** The key with this id if it verifies now; an unknown id reloads the keys (another process may have rotated). */
  find(kid: string): Promise<VerificationKey | undefined>;
  /** The JSON Web Key Set other services verify our tokens with: every key that verifies now. */
  jwks(): Promise<{ keys: PublicJwk[] }>;
}

export interface KeyRingDeps {
  repository: SigningKeyRepository;
  secretKey: string;
  algorithm: SigningAlgorithm;
  clock: Clock;
  newId: () => string;
  /** the longest lifetime any token is issued with: how long a key verifies after it stopped signing */
  maxTokenLifetime: number;
  /** a periodic reload failed; the loaded keys stay in use */
  onReloadFailure: (error: unknown) => void;
  /**
   * Whether starting makes the configured algorithm's key the signer: a server does; a command that only
   * manages users must never create or retire keys as a side effect of its own JWT_ALGORITHM.
   */
  adoptConfiguredAlgorithm: boolean;
}

// An unknown kid reloads the keys at most this often, so a flood of forged kids cannot flood the database.
const unknownKidReloadInterval = 5_000;
// After a failed reload (database gone), the next attempt waits this long instead of a full interval.
const failedReloadRetryDelay = 5_000;

/**
 * The signing and verification keys, read from the key table at start and again every `keyReloadInterval`
 * and whenever a token names a kid not loaded yet. At start it makes a new key of the configured algorithm
 * the signer unless the signer already is one (first start, or JWT_ALGORITHM changed); under HS256 it
 * retires the stored keys instead.
 */
export async function createKeyRing(deps: KeyRingDeps): Promise<KeyRing> {
  const { clock } = deps;
  const box = signingKeyBox(deps.secretKey);
  const retention = keyRetention(deps.maxTokenLifetime);
  const symmetric = deps.algorithm === 'HS256' ? symmetricKey(deps.secretKey) : undefined;

  if (!deps.adoptConfiguredAlgorithm) {
    // leave the key table as the servers made it
  } else if (deps.algorithm === 'HS256') {
    // stored keys stop signing now, and keep verifying the tokens they signed until those expire
    await deps.repository.retireAll(clock.now());
  } else {
    const statuses = keyStatuses(await deps.repository.list(), clock.now(), retention);
    const signing = statuses.find((status) => status.state === 'signing');
    if (signing?.key.algorithm !== deps.algorithm) {
      await rotateSigningKey(deps, deps.algorithm);
    }
  }

  let verifiers = new Map<string, VerificationKey>();
  let signer: SigningKey | undefined = symmetric?.signer;
  let nextLoadAt = 0;
  let lastUnknownKidLoad = -Infinity;
  let loading: Promise<void> | undefined;

  async function load(): Promise<void> {
    const now = clock.now();
    const statuses = keyStatuses(await deps.repository.list(), now, retention);
    const next = new Map<string, VerificationKey>();
    for (const status of statuses.filter((each) => each.state !== 'retired')) {
      const known = verifiers.get(status.key.kid);
      next.set(
        status.key.kid,
        known === undefined
          ? await importVerificationKey(status)
          : { ...known, verifiesUntil: status.verifiesUntil },
      );
    }
    if (symmetric !== undefined) next.set(symmetric.verifier.kid, symmetric.verifier);
    // public keys first: even if the signer cannot be opened below, tokens of a new key verify
    verifiers = next;
    const signing = statuses.find((status) => status.state === 'signing')?.key;
    // With no stored signer (an HS256 instance retired them all) an asymmetric instance keeps its key until
    // it restarts; only the private key of the signer is ever decrypted.
    if (symmetric === undefined && signing !== undefined && signing.kid !== signer?.kid) {
      signer = await importSigningKey(signing, box);
    }
    nextLoadAt = now + keyReloadInterval;
  }

  function reload(): Promise<void> {
    loading ??= load()
      .catch((error: unknown) => {
        nextLoadAt = clock.now() + failedReloadRetryDelay;
        deps.onReloadFailure(error);
      })
      .finally(() => {
        loading = undefined;
      });
    return loading;
  }

  async function fresh(): Promise<void> {
    if (clock.now() >= nextLoadAt) await reload();
  }

  function verifiesNow(key: VerificationKey): boolean {
    return key.verifiesUntil === undefined || clock.now() < key.verifiesUntil;
  }

  // the first load must work: a server that cannot read its keys does not start
  await load();

  return {
    async signer() {
      await fresh();
      if (signer === undefined) throw new Error('no signing key loaded');
      return signer;
    },
    async find(kid) {
      await fresh();
      let key = verifiers.get(kid);
      if (key === undefined && clock.now() - lastUnknownKidLoad >= unknownKidReloadInterval) {
        lastUnknownKidLoad = clock.now();
        await reload();
        key = verifiers.get(kid);
      }
      return key !== undefined && verifiesNow(key) ? key : undefined;
    },
    async jwks() {
      await fresh();
      return {
        keys: [...verifiers.values()]
          .filter(verifiesNow)
          .flatMap((key) => (key.publicJwk === undefined ? [] : [key.publicJwk])),
      };
    },
  };
}

async function importVerificationKey({ key, verifiesUntil }: KeyStatus): Promise<VerificationKey> {
  const algorithm = key.algorithm as AsymmetricAlgorithm;
  const publicJwk = JSON.parse(key.publicJwk) as PublicJwk;
  return {
    kid: key.kid,
    algorithm,
    key: (await importJWK(publicJwk, algorithm)) as CryptoKey,
    publicJwk,
    verifiesUntil,
  };
}

async function importSigningKey(key: StoredSigningKey, box: SecretBox): Promise<SigningKey> {
  const algorithm = key.algorithm as AsymmetricAlgorithm;
  const privateJwk = JSON.parse(openPrivateJwk(box, key)) as JWK;
  return { kid: key.kid, algorithm, privateKey: (await importJWK(privateJwk, algorithm)) as CryptoKey };
}

/** HS256, the original system's behaviour: one secret derived from SECRET_KEY, nothing stored or published. */
export function symmetricKey(secretKey: string): { signer: SigningKey; verifier: VerificationKey } {
  const secret = new Uint8Array(deriveKey(secretKey, 'jwt-hs256'));
  const kid = `hs256-${createHash('sha256').update(secret).digest('base64url').slice(0, 12)}`;
  return {
    signer: { kid, algorithm: 'HS256', privateKey: secret },
    verifier: { kid, algorithm: 'HS256', key: secret, publicJwk: undefined, verifiesUntil: undefined },
  };
}
