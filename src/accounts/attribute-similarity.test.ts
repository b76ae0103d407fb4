import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { difflibQuickRatios, djangoVerdicts } from './attribute-similarity.cases.ts';
import { isTooSimilar, quickRatio } from './attribute-similarity.ts';

const refusalByAttribute = {
  username: 'The password is too similar to the username.',
  email: 'The password is too similar to the email address.',
};

describe("Django's attribute similarity", () => {
  it("computes difflib's quick_ratio as Python does", () => {
    for (const { a, b, quickRatio: expected } of difflibQuickRatios) {
      assert.equal(quickRatio(a, b), expected, `${a} / ${b}`);
    }
  });

  it('refuses exactly what Django refuses, for the attribute Django names', () => {
    assert.ok(djangoVerdicts.length > 200);
    for (const { password, username, email, refusal } of djangoVerdicts) {
      // Django checks the username before the email and names the first that is too similar
      const ours = isTooSimilar(password, username)
        ? refusalByAttribute.username
        : isTooSimilar(password, email)
          ? refusalByAttribute.email
          : null;
      assert.equal(ours, refusal, `${password} for ${username} <${email}>`);
    }
  });

  it('accepts a long passphrase that names the user, as Django does', () => {
    assert.equal(isTooSimilar('dave has a long pass 9', 'dave'), false);
    assert.equal(isTooSimilar('dave1234', 'dave'), false);
    assert.equal(isTooSimilar('dave123', 'dave'), true);
  });
});
