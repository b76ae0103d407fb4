import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { HttpServer } from '../../src/http/server.ts';
import { dialects } from '../support/databases.ts';
import { scrape } from '../support/exposition.ts';
import { createFakeClock } from '../support/fake-clock.ts';
import { poll } from '../support/poll.ts';
import { registerUser, request, startTestApp, type TestApp } from '../support/test-app.ts';
import { startAnotherInstance } from './another-instance.ts';
import { failSessionWrites, healSessionWrites } from './session-faults.ts';
import {
  bearer,
  obtainPair,
  refresh,
  sessionIdOf,
  sessionRows,
  statusWith,
  type SessionsBody,
} from './session-shapes.ts';

const minute = 60_000;

for (const dialect of dialects) {
  describe(`at most MAX_SESSIONS_PER_USER live sessions, on ${dialect}`, () => {
    // the clock moves only when told: a session's use is recorded when a minute has passed since the last
    const clock = createFakeClock();
    let test: TestApp;
    before(async () => {
      test = await startTestApp(dialect, { clock, env: { MAX_SESSIONS_PER_USER: '3' } });
    });
    after(() => test.close());

    /** A user at the cap: the registration's Conduit token, then two token pairs, a second apart. */
    async function userAtCap() {
      const user = await registerUser(test.app, 'capped');
      clock.advance(1000);
      const second = await obtainPair(test.app, user.email, user.password);
      clock.advance(1000);
      const third = await obtainPair(test.app, user.email, user.password);
      return { user, second, third };
    }
    const signIn = async (user: { email: string; password: string }) => {
      clock.advance(1000);
      return obtainPair(test.app, user.email, user.password);
    };
    const reasonOf = async (sessionId: string) =>
      (
        await test.database.db
          .selectFrom('sessions')
          .select('revoked_reason')
          .where('id', '=', sessionId)
          .executeTakeFirstOrThrow()
      ).revoked_reason;
    const conduitStatus = async (app: HttpServer, token: string) =>
      (await request(app, 'GET', '/api/user', { token })).status;

    it('ends the least recently used session when a sign-in goes beyond the cap, its tokens refused at once', async () => {
      const { user, second, third } = await userAtCap();
      // the oldest session is in use; the other two have not been used since they opened
      for (let use = 0; use < 2; use += 1) {
        clock.advance(2 * minute);
        assert.equal(await conduitStatus(test.app, user.token), 200);
      }
      const before = (await scrape(test.app)).value('gatehouse_session_revocations_total', {
        reason: 'session_limit',
      });

      const fourth = await signIn(user);
      assert.equal(await statusWith(test.app, second.access_token), 401);
      assert.equal((await refresh(test.app, second.refresh_token)).status, 401);
      assert.equal(await reasonOf(sessionIdOf(second.access_token)), 'session_limit');
      assert.equal(await conduitStatus(test.app, user.token), 200);
      for (const pair of [third, fourth]) assert.equal(await statusWith(test.app, pair.access_token), 200);
      const listed = await request(test.app, 'GET', '/api/user/sessions', {
        headers: bearer(fourth.access_token),
      });
      assert.deepEqual(
        (listed.body as SessionsBody).sessions.map((session) => session.id).sort(),
        [user.token, third.access_token, fourth.access_token].map(sessionIdOf).sort(),
      );

      // asking with the third and fourth just now recorded their use: the registration's is now the least
      // recently used, so the next sign-in ends it
      await signIn(user);
      assert.equal(await conduitStatus(test.app, user.token), 401);
      for (const pair of [third, fourth]) assert.equal(await statusWith(test.app, pair.access_token), 200);
      const after = (await scrape(test.app)).value('gatehouse_session_revocations_total', {
        reason: 'session_limit',
      });
      assert.equal(after - before, 2);
    });

    it("counts only the user's live sessions, none of another user's", async () => {
      const { user, second, third } = await userAtCap();
      const other = await userAtCap();
      // one ended by logout, the other two by the idle timeout (14 days): none of them counts any more,
      // so two sign-ins end nothing, not even the idle sessions' rows
      const logout = await request(test.app, 'POST', '/api/users/logout', {
        headers: bearer(second.access_token),
      });
      assert.equal(logout.status, 204);
      clock.advance(15 * 86_400_000);
      const fresh = await signIn(user);
      await signIn(user);
      assert.equal(await statusWith(test.app, fresh.access_token), 200);
      assert.equal(await reasonOf(sessionIdOf(third.access_token)), null);
      assert.equal(await reasonOf(sessionIdOf(user.token)), null);
      assert.equal(await reasonOf(sessionIdOf(other.second.access_token)), null);
    });

    it('ends nothing when the sign-in that would have ended a session fails', async () => {
      const { user, second, third } = await userAtCap();
      const rows = await sessionRows(test.database);
      await failSessionWrites(test.database, dialect, 'INSERT');
      try {
        const failed = await request(test.app, 'POST', '/api/tokens', {
          body: { email: user.email, password: user.password },
        });
        assert.equal(failed.status, 500, failed.text);
      } finally {
        await healSessionWrites(test.database, dialect);
      }
      assert.deepEqual(await sessionRows(test.database), rows);
      assert.equal(await conduitStatus(test.app, user.token), 200);
      for (const pair of [second, third]) assert.equal(await statusWith(test.app, pair.access_token), 200);
    });

    if (dialect === 'postgres') {
      it('tells the other instances, which refuse the ended session at once', async (t) => {
        const other = await startAnotherInstance(test);
        try {
          await poll(
            () => scrape(other),
            (exposition) => exposition.value('gatehouse_change_listener_up') === 1,
          );
          const { user, second } = await userAtCap();
          // the other instance has the session cached, and with this clock its copy never grows stale
          assert.equal(await statusWith(other, second.access_token), 200);
          clock.advance(2 * minute);
          assert.equal(await conduitStatus(test.app, user.token), 200);
          await signIn(user);
          const endedAt = Date.now();
          const status = await poll(
            () => statusWith(other, second.access_token),
            (answer) => answer === 401,
            2000,
          );
          t.diagnostic(`refused on the other instance ${Date.now() - endedAt} ms after the sign-in`);
          assert.equal(status, 401);
        } finally {
          await other.close();
        }
      });
    }
  });
}
