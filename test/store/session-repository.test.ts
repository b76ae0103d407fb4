import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { createSessionRepository, type SessionRepository } from '../../src/store/session-repository.ts';
import { dialects } from '../support/databases.ts';
import { insertUser, openMigratedDatabase, type MigratedDatabase } from './migrated-database.ts';

const start = 1_700_000_000_000;

for (const dialect of dialects) {
  describe(`session repository on ${dialect}`, () => {
    let store: MigratedDatabase;
    let sessions: SessionRepository;
    before(async () => {
      store = await openMigratedDatabase(dialect);
      sessions = createSessionRepository(store.database);
    });
    after(() => store.close());

    async function openSession(userId: string, createdAt = start): Promise<string> {
      const session = await sessions.insert({
        id: randomUUID(),
        userId,
        createdAt,
        expiresAt: createdAt + 86_400_000,
        userAgent: 'test-agent',
        ip: '192.0.2.1',
      });
      return session.id;
    }

    async function revokedReasonOf(id: string): Promise<string | null> {
      const row = await store.database.db
        .selectFrom('sessions')
        .select('revoked_reason')
        .where('id', '=', id)
        .executeTakeFirstOrThrow();
      return row.revoked_reason;
    }

    it('inserts a live session and reads it back', async () => {
      const userId = await insertUser(store.database);
      const id = await openSession(userId);
      assert.deepEqual(await sessions.findById(id), {
        id,
        userId,
        createdAt: start,
        lastUsedAt: start,
        expiresAt: start + 86_400_000,
        userAgent: 'test-agent',
        ip: '192.0.2.1',
        revokedAt: null,
      });
      assert.equal(await sessions.findById(randomUUID()), undefined);
    });

    it("revokes every live session of the user, all but exceptId, and none of another user's", async () => {
      const userId = await insertUser(store.database);
      const otherUserId = await insertUser(store.database);
      const kept = await openSession(userId);
      const revoked = [await openSession(userId), await openSession(userId)];
      const stranger = await openSession(otherUserId);

      const ids = await sessions.revokeAllOfUser(userId, start + 1000, 'password_changed', kept);
      assert.deepEqual([...ids].sort(), [...revoked].sort());
      for (const id of revoked) {
        assert.equal((await sessions.findById(id))?.revokedAt, start + 1000);
        assert.equal(await revokedReasonOf(id), 'password_changed');
      }
      assert.equal((await sessions.findById(kept))?.revokedAt, null);
      assert.equal((await sessions.findById(stranger))?.revokedAt, null);
    });

    it('revokes every session, the current one too, when no exceptId is given', async () => {
      const userId = await insertUser(store.database);
      const opened = [await openSession(userId), await openSession(userId)];
      const ids = await sessions.revokeAllOfUser(userId, start + 2000, 'deactivated');
      assert.deepEqual([...ids].sort(), [...opened].sort());
      for (const id of opened) assert.equal((await sessions.findById(id))?.revokedAt, start + 2000);
    });

    it('leaves already revoked sessions as they were and does not report them again', async () => {
      const userId = await insertUser(store.database);
      const first = await openSession(userId);
      assert.deepEqual(await sessions.revokeAllOfUser(userId, start + 1000, 'logout'), [first]);
      const second = await openSession(userId);
      assert.deepEqual(await sessions.revokeAllOfUser(userId, start + 5000, 'staff'), [second]);
      assert.equal((await sessions.findById(first))?.revokedAt, start + 1000);
      assert.equal(await revokedReasonOf(first), 'logout');
      assert.deepEqual(await sessions.revokeAllOfUser(userId, start + 9000, 'staff'), []);
    });

    const liveness = { now: start + 10_000, idleSince: start - 1 };

    it("lists the user's live sessions newest first, a page at a time, none revoked, expired, idle or another's", async () => {
      const userId = await insertUser(store.database);
      const opened: string[] = [];
      // three sessions opened at one moment sort by id, newest-first order being (created_at, id) descending
      for (const createdAt of [start, start + 1000, start + 1000, start + 1000, start + 2000]) {
        opened.push(await openSession(userId, createdAt));
      }
      const revoked = await openSession(userId, start + 3000);
      await sessions.revoke(revoked, start + 3000, 'logout');
      await openSession(await insertUser(store.database), start + 3000);
      const idle = await openSession(userId, start - 1);
      const expired = await sessions.insert({
        id: randomUUID(),
        userId,
        createdAt: start,
        expiresAt: start + 10_000,
        userAgent: null,
        ip: null,
      });

      const rows = await store.database.db
        .selectFrom('sessions')
        .select(['id', 'created_at'])
        .where('id', 'in', opened)
        .execute();
      const newestFirst = rows
        .sort((a, b) => b.created_at - a.created_at || (a.id < b.id ? 1 : -1))
        .map((row) => row.id);

      const all = await sessions.listLive(userId, liveness, { limit: 100 });
      assert.deepEqual(
        all.map((session) => session.id),
        newestFirst,
      );
      assert.ok(![revoked, idle, expired.id].some((id) => all.some((session) => session.id === id)));

      const pages: string[][] = [];
      let after: { createdAt: number; id: string } | undefined;
      for (;;) {
        const page = await sessions.listLive(userId, liveness, { limit: 2, after });
        if (page.length === 0) break;
        pages.push(page.map((session) => session.id));
        const last = page.at(-1);
        after = last && { createdAt: last.createdAt, id: last.id };
      }
      assert.deepEqual(pages, [newestFirst.slice(0, 2), newestFirst.slice(2, 4), newestFirst.slice(4)]);
    });

    it('revokes the live sessions beyond the most recently used few, and no other', async () => {
      const userId = await insertUser(store.database);
      const oldestButUsed = await openSession(userId, start);
      const [second, third, fourth] = [
        await openSession(userId, start + 1000),
        await openSession(userId, start + 2000),
        await openSession(userId, start + 3000),
      ];
      await sessions.touch(oldestButUsed, start + 5000);
      const alreadyRevoked = await openSession(userId, start);
      await sessions.revoke(alreadyRevoked, start + 1, 'logout');
      const idle = await openSession(userId, start - 1);
      const someoneElses = await openSession(await insertUser(store.database), start);

      assert.deepEqual(await sessions.revokeLeastRecentlyUsed(userId, 10, liveness, 'session_limit'), []);
      const ended = await sessions.revokeLeastRecentlyUsed(userId, 2, liveness, 'session_limit');
      assert.deepEqual(ended.sort(), [second, third].sort());
      for (const id of [second, third]) assert.equal(await revokedReasonOf(id), 'session_limit');
      assert.equal((await sessions.findById(second))?.revokedAt, liveness.now);
      for (const id of [oldestButUsed, fourth, idle, someoneElses])
        assert.equal(await revokedReasonOf(id), null);
      assert.equal(await revokedReasonOf(alreadyRevoked), 'logout');

      assert.deepEqual(
        (await sessions.revokeLeastRecentlyUsed(userId, 0, liveness, 'session_limit')).sort(),
        [oldestButUsed, fourth].sort(),
      );
      assert.equal(await revokedReasonOf(idle), null);
    });

    it('keeps the newer of sessions used at the same moment', async () => {
      const userId = await insertUser(store.database);
      const ids = [await openSession(userId, start), await openSession(userId, start)].sort();
      // exactly as many as kept: none goes
      assert.deepEqual(await sessions.revokeLeastRecentlyUsed(userId, 2, liveness, 'session_limit'), []);
      await openSession(userId, start + 1000);
      assert.deepEqual(await sessions.revokeLeastRecentlyUsed(userId, 2, liveness, 'session_limit'), [
        ids[0],
      ]);
    });

    it('records use on a live session and ignores it on a revoked one', async () => {
      const userId = await insertUser(store.database);
      const live = await openSession(userId);
      await sessions.touch(live, start + 60_000);
      assert.equal((await sessions.findById(live))?.lastUsedAt, start + 60_000);

      const revoked = await openSession(userId);
      await sessions.revokeAllOfUser(userId, start + 1000, 'logout', live);
      await sessions.touch(revoked, start + 120_000);
      assert.equal((await sessions.findById(revoked))?.lastUsedAt, start);
    });
  });
}
