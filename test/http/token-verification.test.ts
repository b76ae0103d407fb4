import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { longestTokenLifetime } from '../../src/config/config.ts';
import { createAccessTokens, type AccessTokens } from '../../src/sessions/access-tokens.ts';
import { dialects } from '../support/databases.ts';
import { registerUser, startTestApp, type TestApp } from '../support/test-app.ts';
import { keyRingOf } from './forged-tokens.ts';

for (const dialect of dialects) {
  describe(`verifying one access token many times at once on ${dialect}`, () => {
    let test: TestApp;
    let tokens: AccessTokens;
    const counted = { hits: 0, misses: 0 };
    before(async () => {
      test = await startTestApp(dialect);
      // a second verifier over the app's own keys, as another instance would hold, whose cache we can watch
      tokens = createAccessTokens({
        keys: keyRingOf(test),
        issuer: test.config.publicUrl,
        audience: test.config.tokenAudience,
        clock: test.clock,
        maxLifetime: longestTokenLifetime(test.config),
        cacheSize: 100,
        cacheMetrics: {
          hit: () => {
            counted.hits += 1;
          },
          miss: () => {
            counted.misses += 1;
          },
        },
      });
    });
    after(() => test.close());

    it('checks the signature once; every caller gets the same claims', async () => {
      const { token } = await registerUser(test.app);
      const results = await Promise.all(Array.from({ length: 20 }, () => tokens.verify(token)));
      assert.deepEqual(counted, { hits: 19, misses: 1 });
      for (const claims of results) assert.deepEqual(claims, results[0]);
      await tokens.verify(token);
      assert.deepEqual(counted, { hits: 20, misses: 1 });
    });

    it('refuses every caller of a bad token, and checks it again next time rather than remembering it', async () => {
      const { token } = await registerUser(test.app);
      const forged = `${token.slice(0, -4)}AAAA`;
      counted.hits = 0;
      counted.misses = 0;
      const outcomes = await Promise.allSettled(Array.from({ length: 5 }, () => tokens.verify(forged)));
      assert.ok(outcomes.every((outcome) => outcome.status === 'rejected'));
      assert.deepEqual(counted, { hits: 4, misses: 1 });
      await assert.rejects(tokens.verify(forged));
      assert.deepEqual(counted, { hits: 4, misses: 2 });
    });
  });
}
