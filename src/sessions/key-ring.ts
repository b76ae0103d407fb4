import { createHash } from 'node:crypto';
import { exportJWK, generateKeyPair, importJWK, type CryptoKey, type JWK } from 'jose';
import type { Clock } from '../clock.ts';
import type { SigningKeyRepository, StoredSigningKey } from '../store/signing-key-repository.ts';
import { createSecretBox, deriveKey } from './secret-box.ts';

export type SigningAlgorithm = 'EdDSA' | 'ES256' | 'RS256' | 'HS256';

/** A public key as JWKS publishes it. */
export type PublicJwk = JWK & { kty: string; kid: string; alg: string; use: string };

export interface SigningKey {
  kid: string;
  algorithm: SigningAlgorithm;
  privateKey: CryptoKey | Uint8Array;
  /** what verifies its signatures: the public key, or for HS256 the same secret */
  verificationKey: CryptoKey | Uint8Array;
  /** published in JWKS; undefined for HS256, whose secret is never published */
  publicJwk: PublicJwk | undefined;
}

export interface KeyRing {
  /** The key new tokens are signed with. */
  signer(): SigningKey;
  /** A key that may verify a token; unknown ids are looked up again (another instance may have rotated). */
  find(kid: string): Promise<SigningKey | undefined>;
  /** The JSON Web Key Set other services verify our tokens with. */
  jwks(): { keys: PublicJwk[] };
}

export interface KeyRingDeps {
  repository: SigningKeyRepository;
  secretKey: string;
  algorithm: SigningAlgorithm;
  clock: Clock;
  newId: () => string;
}

// An unknown kid reloads the keys at most this often, so a flood of forged kids cannot flood the database.
const reloadInterval = 5_000;

/** Loads the stored keys, creating the first signing key of the configured algorithm if there is none. */
export async function createKeyRing(deps: KeyRingDeps): Promise<KeyRing> {
  if (deps.algorithm === 'HS256') return createSymmetricKeyRing(deps.secretKey);

  const box = createSecretBox(deps.secretKey, 'signing-key-encryption');
  let keys = new Map<string, SigningKey>();
  let current: SigningKey | undefined;
  let lastLoad = 0;

  async function load(): Promise<void> {
    const stored = await deps.repository.list();
    const next = new Map<string, SigningKey>();
    for (const row of stored.filter((key) => key.retiredAt === null)) {
      next.set(row.kid, await importStored(row, box.open(row.privateJwkEncrypted)));
    }
    keys = next;
    // newest first: the most recently created key of the configured algorithm signs
    const signerRow = stored.find((key) => key.retiredAt === null && key.algorithm === deps.algorithm);
    current = signerRow && next.get(signerRow.kid);
    lastLoad = deps.clock.now();
  }

  await load();
  if (current === undefined) {
    await deps.repository.insert(await generateStoredKey(deps, (jwk) => box.seal(jwk)));
    await load();
  }

  return {
    signer() {
      if (current === undefined) throw new Error('no signing key loaded');
      return current;
    },
    async find(kid) {
      const known = keys.get(kid);
      if (known !== undefined || deps.clock.now() - lastLoad < reloadInterval) return known;
      await load();
      return keys.get(kid);
    },
    jwks() {
      return {
        keys: [...keys.values()].flatMap((key) => (key.publicJwk === undefined ? [] : [key.publicJwk])),
      };
    },
  };
}

/** A new key pair for the configured algorithm, its private half sealed for storage. */
export async function generateStoredKey(
  deps: Pick<KeyRingDeps, 'algorithm' | 'clock' | 'newId'>,
  seal: (privateJwk: string) => string,
): Promise<StoredSigningKey> {
  const pair = await generateKeyPair(deps.algorithm, { extractable: true, ...curveOf(deps.algorithm) });
  const kid = deps.newId();
  const publicJwk = { ...(await exportJWK(pair.publicKey)), kid, alg: deps.algorithm, use: 'sig' };
  const privateJwk = { ...(await exportJWK(pair.privateKey)), kid, alg: deps.algorithm };
  return {
    kid,
    algorithm: deps.algorithm,
    publicJwk: JSON.stringify(publicJwk),
    privateJwkEncrypted: seal(JSON.stringify(privateJwk)),
    createdAt: deps.clock.now(),
    retiredAt: null,
  };
}

function curveOf(algorithm: SigningAlgorithm): { crv?: string } {
  return algorithm === 'EdDSA' ? { crv: 'Ed25519' } : {};
}

async function importStored(row: StoredSigningKey, privateJwkText: string): Promise<SigningKey> {
  const algorithm = row.algorithm as SigningAlgorithm;
  const publicJwk = JSON.parse(row.publicJwk) as PublicJwk;
  return {
    kid: row.kid,
    algorithm,
    privateKey: (await importJWK(JSON.parse(privateJwkText) as JWK, algorithm)) as CryptoKey,
    verificationKey: (await importJWK(publicJwk, algorithm)) as CryptoKey,
    publicJwk,
  };
}

// HS256, the original system's behaviour: one secret derived from SECRET_KEY, nothing stored or published.
function createSymmetricKeyRing(secretKey: string): KeyRing {
  const secret = new Uint8Array(deriveKey(secretKey, 'jwt-hs256'));
  const kid = `hs256-${createHash('sha256').update(secret).digest('base64url').slice(0, 12)}`;
  const key: SigningKey = {
    kid,
    algorithm: 'HS256',
    privateKey: secret,
    verificationKey: secret,
    publicJwk: undefined,
  };
  return {
    signer: () => key,
    find: (wanted) => Promise.resolve(wanted === kid ? key : undefined),
    jwks: () => ({ keys: [] }),
  };
}
