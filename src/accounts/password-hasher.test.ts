import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createPasswordHasher } from './password-hasher.ts';

const cheap = { memoryCost: 1024, timeCost: 1, parallelism: 1 };

describe('password hasher', () => {
  it('stores argon2id hashes that carry their parameters', async () => {
    const hasher = await createPasswordHasher(cheap);
    const stored = await hasher.hash('a-long-passphrase');
    assert.match(stored, /^\$argon2id\$v=19\$m=1024,t=1,p=1\$/);
    assert.equal(await hasher.verify(stored, 'a-long-passphrase'), true);
    assert.equal(await hasher.verify(stored, 'a-long-passphrasE'), false);
  });

  it('salts every hash', async () => {
    const hasher = await createPasswordHasher(cheap);
    assert.notEqual(await hasher.hash('same-password'), await hasher.hash('same-password'));
  });

  it('asks for a rehash when the parameters change', async () => {
    const old = await createPasswordHasher(cheap);
    const stored = await old.hash('a-long-passphrase');
    const current = await createPasswordHasher({ ...cheap, timeCost: 2 });
    assert.equal(old.needsRehash(stored), false);
    assert.equal(current.needsRehash(stored), true);
    assert.equal(current.needsRehash('pbkdf2_sha256$600000$salt$hash'), true);
  });

  it('treats a hash it cannot read as a wrong password, not an error', async () => {
    const hasher = await createPasswordHasher(cheap);
    assert.equal(await hasher.verify('pbkdf2_sha256$1$x$y', 'anything'), false);
    assert.equal(await hasher.verify('$argon2id$garbage', 'anything'), false);
  });

  it('burns a verification for unknown users without throwing', async () => {
    const hasher = await createPasswordHasher(cheap);
    await hasher.verifyNothing('whatever-they-typed');
  });
});
