import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { dialects } from '../support/databases.ts';
import { createFakeClock } from '../support/fake-clock.ts';
import { bearer, registerUser, request, startTestApp, type TestApp } from '../support/test-app.ts';
import { eventsOf, registerStaff, runWorkerRound, userIdOf, userRow } from './staff-shapes.ts';

const hour = 3_600_000;
const day = 24 * hour;

for (const dialect of dialects) {
  describe(`a deactivation until a time, on ${dialect}`, () => {
    const clock = createFakeClock();
    let test: TestApp;
    before(async () => {
      test = await startTestApp(dialect, { clock });
    });
    after(() => test.close());

    const person = async () => {
      const user = await registerUser(test.app);
      return { ...user, id: await userIdOf(test.database, user.email) };
    };
    const signIn = (user: { email: string; password: string }) =>
      request(test.app, 'POST', '/api/users/login', {
        body: { user: { email: user.email, password: user.password } },
      });
    const deactivateUntil = async (token: string, userId: string, until: number) => {
      const response = await request(test.app, 'POST', `/api/admin/users/${userId}/deactivate`, {
        headers: bearer(token),
        body: { reason: 'cooling off', until: new Date(until).toISOString() },
      });
      assert.equal(response.status, 200, response.text);
      return response.body as { user: { deactivation: { until: string | null } | null } };
    };

    it('reactivates the account by itself once the time has come, and not before', async () => {
      const staff = await registerStaff(test);
      const target = await person();
      const until = clock.now() + hour;
      const deactivated = await deactivateUntil(staff.token, target.id, until);
      assert.equal(deactivated.user.deactivation?.until, new Date(until).toISOString());
      assert.equal((await signIn(target)).status, 401);

      clock.set(until - 1);
      await runWorkerRound(test, 'scheduled-reactivation');
      assert.equal((await userRow(test.database, target.id)).is_active, 0);
      assert.equal((await signIn(target)).status, 401);

      clock.set(until);
      await runWorkerRound(test, 'scheduled-reactivation');
      assert.equal((await signIn(target)).status, 200);
      const row = await userRow(test.database, target.id);
      assert.equal(row.is_active, 1);
      assert.equal(row.deactivated_until, null);
      assert.equal(row.deactivation_reason, null);
      const [event] = await eventsOf(test.database, target.id, 'reactivated');
      assert.ok(event);
      assert.equal(event.actor, 'system');
      assert.deepEqual(JSON.parse(event.detail), { until: new Date(until).toISOString() });
    });

    it('leaves an account deactivated until a time to wait for it, never erasing it meanwhile', async () => {
      const staff = await registerStaff(test);
      const paused = await person();
      const gone = await person();
      await deactivateUntil(staff.token, paused.id, clock.now() + 400 * day);
      const own = await request(test.app, 'DELETE', '/auth/users/me/', {
        headers: bearer(gone.token),
        body: { current_password: gone.password },
      });
      assert.equal(own.status, 204, own.text);

      // past ERASE_DEACTIVATED_AFTER (30 days) for both
      clock.advance(31 * day);
      await runWorkerRound(test, 'account-eraser');
      assert.notEqual((await userRow(test.database, gone.id)).erased_at, null);
      const kept = await userRow(test.database, paused.id);
      assert.equal(kept.erased_at, null);
      assert.equal(kept.email, paused.email);
      assert.equal(kept.is_active, 0);
    });
  });
}
