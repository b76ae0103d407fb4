// Verification shared by the requests that bring one token at once, over a key ring whose reads the test
// fails at will, as a database that is gone (or whose query missed its deadline) fails them.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createFakeClock } from '../../test/support/fake-clock.ts';
import { GatehouseError } from '../errors.ts';
import { symmetricKey, type KeyRing } from '../keys/key-ring.ts';
import { ignoreMetrics } from '../metrics/metrics.ts';
import { createAccessTokens } from './access-tokens.ts';

const { signer, verifier } = symmetricKey('q8Jv2mXz7LwR4nTa9KcY1pHs6DgF3bVe');

/** HS256 keys whose look-ups fail while `failing` is set; counts the look-ups. */
function keyRing() {
  const state = { lookups: 0, failing: false };
  const ring: KeyRing = {
    load: () => Promise.resolve(),
    signer: () => Promise.resolve(signer),
    find(kid) {
      state.lookups += 1;
      if (state.failing) return Promise.reject(new Error('Query read timeout'));
      return Promise.resolve(kid === verifier.kid ? verifier : undefined);
    },
    jwks: () => Promise.resolve({ keys: [] }),
  };
  return { state, ring };
}

describe('access token verification', () => {
  it('settles every caller when the keys cannot be read, with that error, and the next caller verifies again', async () => {
    const { state, ring } = keyRing();
    const tokens = createAccessTokens({
      keys: ring,
      issuer: 'test',
      audience: 'test',
      clock: createFakeClock(),
      maxLifetime: 900_000,
      cacheSize: 10,
      cacheMetrics: ignoreMetrics.tokenCache,
    });
    const { token } = await tokens.sign({ userId: 'u1', sessionId: 's1', roles: [] }, 900_000);

    state.failing = true;
    const callers = [tokens.verify(token), tokens.verify(token)];
    for (const caller of callers) {
      // the database's fault (a 503), not the token's (a 401)
      await assert.rejects(
        caller,
        (error) => !(error instanceof GatehouseError) && /Query read timeout/.test(String(error)),
      );
    }
    assert.equal(state.lookups, 1, 'callers at the same moment share one verification');

    state.failing = false;
    assert.equal((await tokens.verify(token)).sessionId, 's1');
    assert.equal(state.lookups, 2, 'the failed verification was not kept for later callers');
  });
});
