import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { StoredSigningKey } from '../store/signing-key-repository.ts';
import { keyReloadInterval, keyRetention, keyStatuses } from './key-lifecycle.ts';

const start = 1_700_000_000_000;
const retention = 10 * 60_000;

function key(kid: string, createdAt: number, retiredAt: number | null): StoredSigningKey {
  return { kid, algorithm: 'EdDSA', publicJwk: '{}', privateJwkEncrypted: '', createdAt, retiredAt };
}

function states(keys: StoredSigningKey[], now: number) {
  return keyStatuses(keys, now, retention).map(({ key: { kid }, state, verifiesUntil }) => ({
    kid,
    state,
    verifiesUntil,
  }));
}

describe('keyRetention', () => {
  it('is the longest token lifetime plus one reload interval plus the 30 s clock skew', () => {
    assert.equal(keyReloadInterval, 60_000);
    assert.equal(keyRetention(15 * 60_000), 15 * 60_000 + 60_000 + 30_000);
  });
});

describe('keyStatuses', () => {
  it('calls the unretired key signing, and a retired one verifying-only until its retention ends', () => {
    const keys = [key('new', start + 1000, null), key('old', start, start + 1000)];
    const until = start + 1000 + retention;
    assert.deepEqual(states(keys, until - 1), [
      { kid: 'new', state: 'signing', verifiesUntil: undefined },
      { kid: 'old', state: 'verifying-only', verifiesUntil: until },
    ]);
    assert.deepEqual(states(keys, until), [
      { kid: 'new', state: 'signing', verifiesUntil: undefined },
      { kid: 'old', state: 'retired', verifiesUntil: until },
    ]);
  });

  it('lets only the newest of two unretired keys sign; the older stopped when the newer was made', () => {
    const keys = [key('later', start + 500, null), key('earlier', start, null)];
    assert.deepEqual(states(keys, start + 600), [
      { kid: 'later', state: 'signing', verifiesUntil: undefined },
      { kid: 'earlier', state: 'verifying-only', verifiesUntil: start + 500 + retention },
    ]);
  });

  it('has no signer when every key is retired (an HS256 server retired them)', () => {
    const keys = [key('b', start + 500, start + 900), key('a', start, start + 500)];
    assert.deepEqual(
      states(keys, start + 1000).map(({ state }) => state),
      ['verifying-only', 'verifying-only'],
    );
  });
});
