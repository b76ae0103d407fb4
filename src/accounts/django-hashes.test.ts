import assert from 'node:assert/strict';
import { pbkdf2Sync } from 'node:crypto';
import { describe, it } from 'node:test';
import { classifyDjangoPassword, withDjangoHashes } from './django-hashes.ts';
import type { PasswordHasher } from './password-hasher.ts';

// Django-made hashes of every scheme are verified end to end (test/cli/import-django.test.ts, fixtures by
// real Django); these cover what a row may hold besides: malformed hashes, unusable ones, excessive costs.

function pbkdf2Hash(password: string, iterations: number): string {
  const salt = 'N86YfJi0DqY3FpXt104XyZ';
  const hash = pbkdf2Sync(password, salt, iterations, 32, 'sha256').toString('base64');
  return `pbkdf2_sha256$${iterations}$${salt}$${hash}`;
}

/** A stand-in for Gatehouse's own hasher that records what it is asked. */
function recordingHasher() {
  const calls: string[] = [];
  const hasher: PasswordHasher = {
    hash: () => Promise.resolve('$argon2id$new'),
    verify: (stored) => {
      calls.push(`verify ${stored}`);
      return Promise.resolve(stored === '$argon2id$right');
    },
    verifyNothing: () => {
      calls.push('verifyNothing');
      return Promise.resolve();
    },
    needsRehash: () => false,
  };
  return { hasher, calls };
}

describe('Django password hashes', () => {
  it('tells verifiable, unusable and unverifiable hashes apart', () => {
    assert.deepEqual(classifyDjangoPassword(pbkdf2Hash('pw', 1000)), {
      kind: 'verifiable',
      scheme: 'pbkdf2_sha256',
    });
    assert.deepEqual(classifyDjangoPassword(''), { kind: 'unusable' });
    assert.deepEqual(classifyDjangoPassword('!Xy12'), { kind: 'unusable' });
    assert.deepEqual(classifyDjangoPassword('md5$salt$0123abcd'), { kind: 'unverifiable', scheme: 'md5' });
    assert.deepEqual(classifyDjangoPassword('0123456789abcdef0123456789abcdef'), {
      kind: 'unverifiable',
      scheme: '0123456789abcdef0123456789abcdef',
    });
    for (const malformed of [
      'pbkdf2_sha256$abc$salt$aGFzaA==',
      'pbkdf2_sha256$1000$salt',
      'bcrypt$$2b$12$short',
      'argon2$argon2id$v=19$m=abc,t=2,p=8$c2FsdA$aGFzaA',
      'scrypt$16384$salt$8$1',
    ]) {
      const scheme = malformed.split('$', 1)[0] ?? '';
      assert.deepEqual(classifyDjangoPassword(malformed), {
        kind: 'unverifiable',
        scheme: `malformed ${scheme}`,
      });
    }
  });

  it('treats a hash asking excessive work as unverifiable', () => {
    const costly = [
      'pbkdf2_sha256$10000001$salt$aGFzaA==',
      'argon2$argon2id$v=19$m=1048577,t=2,p=8$c2FsdHNhbHQ$aGFzaGhhc2g',
      'argon2$argon2id$v=19$m=102400,t=101,p=8$c2FsdHNhbHQ$aGFzaGhhc2g',
      'scrypt$8388608$salt$2$1$aGFzaA==',
    ];
    for (const hash of costly) assert.equal(classifyDjangoPassword(hash).kind, 'unverifiable', hash);
  });

  it('verifies a Django hash, and refuses a wrong password', async () => {
    const { hasher, calls } = recordingHasher();
    const verifying = withDjangoHashes(hasher);
    const stored = pbkdf2Hash('correct horse', 1000);
    assert.equal(await verifying.verify(stored, 'correct horse'), true);
    assert.equal(await verifying.verify(stored, 'correct hors'), false);
    assert.deepEqual(calls, []);
  });

  it('verifies a Django hash against the password as typed, then against its NFKC form', async () => {
    const verifying = withDjangoHashes(recordingHasher().hasher);
    // Django hashed what was typed: a ligature and full-width digits, which NFKC turns into 'fi' and '12'
    const typed = 'ﬁne day １２';
    const normalized = typed.normalize('NFKC');
    assert.equal(normalized, 'fine day 12');
    const ofTyped = pbkdf2Hash(typed, 1000);
    assert.equal(await verifying.verify(ofTyped, normalized, typed), true);
    assert.equal(await verifying.verify(ofTyped, normalized), false, 'the normalised form alone misses it');
    assert.equal(await verifying.verify(ofTyped, normalized, 'ﬁne day 12'), false, 'another typing');
    // hashed in Django without compatibility characters: typing them is what Gatehouse's rule accepts
    const ofPlain = pbkdf2Hash(normalized, 1000);
    assert.equal(await verifying.verify(ofPlain, normalized, typed), true);
    assert.equal(await verifying.verify(ofPlain, 'fine day 13', 'ﬁne day １３'), false);
  });

  it("leaves Gatehouse's own hashes to Gatehouse's hasher, with the normalised password", async () => {
    const { hasher, calls } = recordingHasher();
    const seen: string[] = [];
    const verifying = withDjangoHashes({
      ...hasher,
      verify: (stored, password) => {
        seen.push(password);
        return hasher.verify(stored, password);
      },
    });
    assert.equal(await verifying.verify('$argon2id$right', 'fi', 'ﬁ'), true);
    assert.deepEqual(calls, ['verify $argon2id$right']);
    assert.deepEqual(seen, ['fi']);
  });

  it('refuses unusable, unknown and malformed hashes at the cost of one verification', async () => {
    for (const stored of ['!', '!Xy12', 'md5$salt$0123abcd', 'pbkdf2_sha256$abc$salt$aGFzaA==']) {
      const { hasher, calls } = recordingHasher();
      assert.equal(await withDjangoHashes(hasher).verify(stored, 'pw'), false, stored);
      assert.deepEqual(calls, ['verifyNothing'], stored);
    }
  });
});
