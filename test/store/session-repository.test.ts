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
