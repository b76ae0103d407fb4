// The session cache's shared reads, driven by hand: each read is a promise the test settles when it likes,
// as a database would answer, fail, or miss its deadline.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Session } from '../store/session-repository.ts';
import type { User } from '../store/user-repository.ts';
import { createSessionCache, type LiveSession } from './session-cache.ts';

type Read = () => Promise<LiveSession | undefined>;

/** A read the test answers or fails later, and how many times it was started. */
function controlledReads() {
  const started: { resolve(entry: LiveSession | undefined): void; reject(error: Error): void }[] = [];
  const read: Read = () =>
    new Promise((resolve, reject) => {
      started.push({ resolve, reject });
    });
  return { read, started };
}

function liveSession(sessionId: string, userId: string, loadedAt: number): LiveSession {
  return {
    session: { id: sessionId, userId, revokedAt: null } as Session,
    user: { id: userId, isActive: true } as User,
    loadedAt,
  };
}

// lets the cache's own continuations run
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('session cache', () => {
  it('settles every caller of a failing read with its error, and the next caller reads again', async () => {
    const cache = createSessionCache();
    const { read, started } = controlledReads();
    const first = cache.load('s1', read);
    const joined = cache.load('s1', read);
    assert.equal(started.length, 1, 'callers at the same moment share one read');
    started[0]?.reject(new Error('Query read timeout'));
    await assert.rejects(first, /Query read timeout/);
    await assert.rejects(joined, /Query read timeout/);

    const again = cache.load('s1', read);
    assert.equal(started.length, 2, 'the failed read was not kept for later callers');
    started[1]?.resolve(liveSession('s1', 'u1', 1));
    assert.equal((await again)?.loadedAt, 1);
    assert.equal(cache.get('s1')?.loadedAt, 1);
  });

  for (const [revocation, revoke] of [
    [
      'forgetSession',
      (cache) => {
        cache.forgetSession('s1');
      },
    ],
    [
      'forgetUser',
      (cache) => {
        cache.forgetUser('u1');
      },
    ],
    [
      'clear',
      (cache) => {
        cache.clear();
      },
    ],
  ] as const satisfies readonly (readonly [
    string,
    (cache: ReturnType<typeof createSessionCache>) => void,
  ])[]) {
    it(`${revocation} drops a read in flight: the next caller reads afresh instead of joining it`, async () => {
      const cache = createSessionCache();
      const { read, started } = controlledReads();
      const before = cache.load('s1', read);
      revoke(cache);
      const after = cache.load('s1', read);
      assert.equal(started.length, 2, 'a caller after the revocation joined a read that may predate it');

      // the read from before the revocation answers last, with what it saw before: it is read once more
      // for its own callers, and never overwrites what the newer read stored
      started[1]?.resolve(undefined);
      assert.equal(await after, undefined);
      started[0]?.resolve(liveSession('s1', 'u1', 1));
      await settle();
      assert.equal(started.length, 3, 'the read from before the revocation was not read again');
      started[2]?.resolve(liveSession('s1', 'u1', 3));
      assert.equal((await before)?.loadedAt, 3);
      assert.equal(cache.get('s1'), undefined);

      const later = cache.load('s1', read);
      assert.equal(started.length, 4, 'a settled read was joined');
      started[3]?.resolve(liveSession('s1', 'u1', 4));
      assert.equal((await later)?.loadedAt, 4);
    });
  }

  it('a dropped read that settles late does not take the newer read out of the way of later callers', async () => {
    const cache = createSessionCache();
    const { read, started } = controlledReads();
    const dropped = cache.load('s1', read);
    cache.forgetSession('s1');
    const newer = cache.load('s1', read);
    started[0]?.reject(new Error('Connection terminated unexpectedly'));
    await assert.rejects(dropped, /Connection terminated/);
    const joining = cache.load('s1', read);
    assert.equal(started.length, 2, 'a caller while the newer read is in flight joins it');
    started[1]?.resolve(liveSession('s1', 'u1', 2));
    assert.equal((await newer)?.loadedAt, 2);
    assert.equal((await joining)?.loadedAt, 2);
    assert.equal(cache.get('s1')?.loadedAt, 2);
  });
});
