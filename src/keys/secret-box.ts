import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

/** Keys derived from SECRET_KEY, one per purpose, so no two uses ever share key material. */
export function deriveKey(secretKey: string, purpose: string): Buffer {
  return Buffer.from(hkdfSync('sha256', secretKey, 'gatehouse', purpose, 32));
}

export interface SecretBox {
  seal(plaintext: string): string;
  /** Throws when the text was sealed under another SECRET_KEY or altered. */
  open(sealed: string): string;
}

const version = 'v1';

/** AES-256-GCM with a random 96-bit nonce per message: `v1.<nonce>.<ciphertext>.<tag>`, base64url. */
export function createSecretBox(secretKey: string, purpose: string): SecretBox {
  const key = deriveKey(secretKey, purpose);
  return {
    seal(plaintext) {
      const nonce = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, nonce);
      const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return [version, nonce, ciphertext, cipher.getAuthTag()]
        .map((part) => (typeof part === 'string' ? part : part.toString('base64url')))
        .join('.');
    },
    open(sealed) {
      const [tag, nonce, ciphertext, authTag] = sealed.split('.');
      if (tag !== version || nonce === undefined || ciphertext === undefined || authTag === undefined) {
        throw new Error('not a sealed value');
      }
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(nonce, 'base64url'));
      decipher.setAuthTag(Buffer.from(authTag, 'base64url'));
      return Buffer.concat([
        decipher.update(Buffer.from(ciphertext, 'base64url')),
        decipher.final(),
      ]).toString('utf8');
    },
  };
}
