import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Grant } from '../../src/accounts/ports.ts';
import { sessionRetention, type SessionService } from '../../src/sessions/session-service.ts';
import type { Store } from '../../src/store/store.ts';
import type { User } from '../../src/store/user-repository.ts';
import { dialects } from '../support/databases.ts';
import { createFakeClock } from '../support/fake-clock.ts';
import { sessionServiceOver } from '../support/session-service.ts';
import { insertUser, openMigratedDatabase, type MigratedDatabase } from './migrated-database.ts';

const day = 86_400_000;
const sessionTtl = 60 * day;
const client = { requestId: 'test', userAgent: 'test', ip: '192.0.2.1' };

for (const dialect of dialects) {
  describe(`pruning long-expired sessions on ${dialect}`, () => {
    const clock = createFakeClock();
    let store: MigratedDatabase;
    let service: SessionService;
    let sessionStore: Store;
    let user: User;
    before(async () => {
      store = await openMigratedDatabase(dialect);
      ({ service, store: sessionStore } = sessionServiceOver(store.database, clock, () => ({
        sessionTtl,
        pruneEvery: 3,
      })));
      const found = await sessionStore.users.findById(await insertUser(store.database));
      assert.ok(found !== undefined);
      user = found;
    });
    after(() => store.close());

    /** Signs the user in as a login does, and answers the id of the session it opened. */
    const open = async (grant: Grant = 'access-token'): Promise<string> => {
      const { issue } = await sessionStore.transaction((unit) => service.open(unit, user, client, grant));
      const { accessToken } = await issue();
      return (await service.authenticate(accessToken)).session.id;
    };
    const sessionIds = async () =>
      (await store.database.db.selectFrom('sessions').select('id').orderBy('id').execute()).map(
        (row) => row.id,
      );
    const refreshRows = async () =>
      Number(
        (
          await store.database.db
            .selectFrom('refresh_tokens')
            .select((builder) => builder.fn.countAll().as('count'))
            .executeTakeFirstOrThrow()
        ).count,
      );

    it('deletes, every third login, the sessions that expired more than the retention ago, refresh tokens included', async () => {
      await open('token-pair');
      // the old session expires, then stays the retention period, then one day more
      clock.advance(sessionTtl + sessionRetention + day);
      const recentlyExpired = await open();
      assert.equal((await sessionIds()).length, 2, 'pruned before its turn');
      const third = await open();
      const ids = await sessionIds();
      assert.deepEqual(ids, [recentlyExpired, third].sort());
      assert.equal(await refreshRows(), 0);
      // a session expired less than the retention ago stays
      clock.advance(sessionTtl + day);
      for (let index = 0; index < 3; index += 1) await open();
      assert.ok((await sessionIds()).includes(recentlyExpired));
    });
  });
}
