// The key ring's shared reload over a key table whose reads the test fails at will, as a database that is
// gone (or whose query missed its deadline) fails them.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createFakeClock } from '../../test/support/fake-clock.ts';
import type { SigningKeyRepository } from '../store/signing-key-repository.ts';
import { keyReloadInterval } from './key-lifecycle.ts';
import { createKeyRing, symmetricKey } from './key-ring.ts';

const secretKey = 'q8Jv2mXz7LwR4nTa9KcY1pHs6DgF3bVe';
const { verifier } = symmetricKey(secretKey);

/** A key table with no rows whose reads fail while `failing` is set; counts the reads. */
function keyTable() {
  const state = { reads: 0, failing: false };
  const refuse = () => Promise.reject(new Error('not in this test'));
  const repository: SigningKeyRepository = {
    list() {
      state.reads += 1;
      return state.failing ? Promise.reject(new Error('Query read timeout')) : Promise.resolve([]);
    },
    rotate: refuse,
    insertIfNoSigner: refuse,
    retireAll: refuse,
  };
  return { state, repository };
}

function ringOver(table: ReturnType<typeof keyTable>) {
  const clock = createFakeClock();
  const failures: unknown[] = [];
  const ring = createKeyRing({
    repository: table.repository,
    secretKey,
    algorithm: 'HS256',
    clock,
    newId: () => 'unused',
    maxTokenLifetime: 900_000,
    onReloadFailure: (error) => failures.push(error),
    onAlgorithmOverridden: () => undefined,
  });
  return { ring, clock, failures };
}

describe('key ring reload', () => {
  it('settles every caller of a failing first read with its error, and the next caller reads again', async () => {
    const table = keyTable();
    const { ring } = ringOver(table);
    table.state.failing = true;
    const callers = [ring.find(verifier.kid), ring.find(verifier.kid), ring.jwks()];
    for (const caller of callers) await assert.rejects(caller, /Query read timeout/);
    assert.equal(table.state.reads, 1, 'callers at the same moment share one read');

    table.state.failing = false;
    assert.equal((await ring.find(verifier.kid))?.kid, verifier.kid);
    assert.equal(table.state.reads, 2, 'the failed read was not kept for later callers');
  });

  it('a failing reload settles with the loaded keys, and the next attempt reads again soon', async () => {
    const table = keyTable();
    const { ring, clock, failures } = ringOver(table);
    await ring.load();
    assert.equal(table.state.reads, 1);

    clock.advance(keyReloadInterval);
    table.state.failing = true;
    assert.equal((await ring.find(verifier.kid))?.kid, verifier.kid);
    assert.equal(table.state.reads, 2);
    assert.equal(failures.length, 1);

    // retried in seconds, not after a whole interval
    table.state.failing = false;
    clock.advance(5_000);
    assert.equal((await ring.find(verifier.kid))?.kid, verifier.kid);
    assert.equal(table.state.reads, 3);
    assert.equal(failures.length, 1);
  });
});
