import { createHash } from 'node:crypto';
import { importJWK, type CryptoKey, type JWK } from 'jose';
import type { Clock } from '../clock.ts';
import type { SigningKeyRepository, StoredSigningKey } from '../store/signing-key-repository.ts';
import {
  createFirstSigningKey,
  keyReloadInterval,
  keyRetention,
  keyStatuses,
  openPrivateJwk,
  signingKeyBox,
  type AsymmetricAlgorithm,
  type KeyStatus,
  type SigningAlgorithm,
} from './key-lifecycle.ts';
import type { SecretBox } from './secret-box.ts';

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
  /**
   * Reads the key table now and writes nothing: a server does this before it listens, so that one that
   * cannot read its keys, or whose SECRET_KEY does not open the signer, does not start.
   */
  load(): Promise<void>;
  /**
   * The key new tokens are signed with; when the table has no signer, the first one is made now. Once one
   * is loaded this reads nothing while the caller waits (a due re-read runs in the background).
   */
  signer(): Promise<SigningKey>;
  /** The key with this id if it verifies now; an unknown id reloads the keys (another process may have rotated). */
  find(kid: string): Promise<VerificationKey | undefined>;
  /** The JSON Web Key Set other services verify our tokens with: every key that verifies now. */
  jwks(): Promise<{ keys: PublicJwk[] }>;
}

export interface KeyRingDeps {
  repository: SigningKeyRepository;
  secretKey: string;
  /** JWT_ALGORITHM: HS256, or the algorithm of the first key, made when the table has no signer */
  algorithm: SigningAlgorithm;
  clock: Clock;
  newId: () => string;
  /** the longest lifetime any token is issued with: how long a key verifies after it stopped signing */
  maxTokenLifetime: number;
  /** a periodic reload failed; the loaded keys stay in use */
  onReloadFailure: (error: unknown) => void;
  /** told once, at the first load, that the stored signer is not of JWT_ALGORITHM, and how to change that */
  onAlgorithmOverridden: (message: string) => void;
}

// An unknown kid reloads the keys at most this often, so a flood of forged kids cannot flood the database.
const unknownKidReloadInterval = 5_000;
// After a failed reload (database gone), the next attempt waits this long instead of a full interval.
const failedReloadRetryDelay = 5_000;

/**
 * The signing and verification keys, read from the key table at first need, then again every
 * `keyReloadInterval` and whenever a token names a kid not loaded yet. The stored signer signs, whatever
 * JWT_ALGORITHM says; only when the table has none does the first signing make one of JWT_ALGORITHM. It never
 * retires a key. Under HS256 it signs with a key derived from SECRET_KEY and writes nothing.
 */
export function createKeyRing(deps: KeyRingDeps): KeyRing {
  const { clock } = deps;
  const box = signingKeyBox(deps.secretKey);
  const retention = keyRetention(deps.maxTokenLifetime);
  const symmetric = deps.algorithm === 'HS256' ? symmetricKey(deps.secretKey) : undefined;
  const firstKeyAlgorithm = deps.algorithm === 'HS256' ? undefined : deps.algorithm;

  let verifiers = new Map<string, VerificationKey>();
  // the stored signer's private key; undefined while the table has no signer
  let storedSigner: SigningKey | undefined;
  let loaded = false;
  let nextLoadAt = 0;
  let lastUnknownKidLoad = -Infinity;
  let loading: Promise<void> | undefined;
  let creating: Promise<void> | undefined;

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
    if (!loaded && signing !== undefined && signing.algorithm !== deps.algorithm) {
      deps.onAlgorithmOverridden(describeOverride(deps.algorithm, signing));
    }
    // only the private key of the signer is ever decrypted, and under HS256 not even that
    if (symmetric !== undefined || signing === undefined) storedSigner = undefined;
    else if (signing.kid !== storedSigner?.kid) storedSigner = await importSigningKey(signing, box);
    loaded = true;
    nextLoadAt = now + keyReloadInterval;
  }

  function reload(): Promise<void> {
    loading ??= load()
      .catch((error: unknown) => {
        // before the first load there are no keys to fall back on: the caller fails
        if (!loaded) throw error;
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

  // One attempt at a time in this process; the repository makes sure one key wins across processes.
  function createFirstKey(algorithm: AsymmetricAlgorithm): Promise<void> {
    creating ??= createFirstSigningKey(deps, algorithm)
      .then(() => load())
      .finally(() => {
        creating = undefined;
      });
    return creating;
  }

  return {
    load: reload,
    async signer() {
      // Once a signer is loaded, a due re-read runs in the background and this signature uses the loaded
      // key: a sign-in signs after its unit has committed, and must not then wait on (or fail with) a read.
      if (loaded && (symmetric !== undefined || storedSigner !== undefined)) {
        if (clock.now() >= nextLoadAt) void reload();
      } else {
        await fresh();
      }
      if (symmetric !== undefined) return symmetric.signer;
      if (storedSigner === undefined && firstKeyAlgorithm !== undefined) {
        await createFirstKey(firstKeyAlgorithm);
      }
      if (storedSigner === undefined) throw new Error('no signing key loaded');
      return storedSigner;
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

// One line for the operator: what signs, and the command that would change it.
function describeOverride(configured: SigningAlgorithm, signing: StoredSigningKey): string {
  const stored = `the stored signing key ${signing.kid} is ${signing.algorithm}`;
  if (configured === 'HS256') {
    return (
      `JWT_ALGORITHM is HS256 but ${stored}: signing HS256 while it keeps verifying and stays in JWKS; ` +
      'once every server runs HS256, `gatehouse keys retire` retires it'
    );
  }
  return (
    `JWT_ALGORITHM is ${configured} but ${stored}: signing with it; ` +
    `\`gatehouse keys rotate --algorithm ${configured}\` makes an ${configured} key the signer`
  );
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
  // SECRET_KEY itself, as the original system (djangorestframework-jwt, simplejwt) signs: a service that
  // shares it verifies these tokens as it always did (the contract's "HS256 with SECRET_KEY")
  const secret = new TextEncoder().encode(secretKey);
  const kid = `hs256-${createHash('sha256').update(secret).digest('base64url').slice(0, 12)}`;
  return {
    signer: { kid, algorithm: 'HS256', privateKey: secret },
    verifier: { kid, algorithm: 'HS256', key: secret, publicJwk: undefined, verifiesUntil: undefined },
  };
}
