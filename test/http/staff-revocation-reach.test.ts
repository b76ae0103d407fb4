import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { dialects } from '../support/databases.ts';
import { scrape } from '../support/exposition.ts';
import { poll } from '../support/poll.ts';
import { bearer, registerUser, request, startTestApp, type TestApp } from '../support/test-app.ts';
import { startAnotherInstance } from './another-instance.ts';
import { obtainPair, statusWith } from './session-shapes.ts';
import { registerStaff, userIdOf } from './staff-shapes.ts';

for (const dialect of dialects) {
  // instances share what they cache only through PostgreSQL's LISTEN/NOTIFY; one SQLite file has one server
  if (dialect !== 'postgres') continue;
  describe(`a staff member's revocation reaches every instance, on ${dialect}`, () => {
    let test: TestApp;
    before(async () => {
      test = await startTestApp(dialect);
    });
    after(() => test.close());

    for (const [action, path, body] of [
      ['deactivation', 'deactivate', { reason: 'compromised' }],
      ['revocation of every session', 'sessions', undefined],
    ] as const) {
      it(`refuses the account's token on the other instance within a second of its ${action}`, async (t) => {
        const other = await startAnotherInstance(test);
        try {
          await poll(
            () => scrape(other),
            (exposition) => exposition.value('gatehouse_change_listener_up') === 1,
          );
          const staff = await registerStaff(test);
          const target = await registerUser(test.app);
          const pair = await obtainPair(test.app, target.email, target.password);
          // cached on the other instance, which would trust its copy for SESSION_CACHE_TTL
          assert.equal(await statusWith(other, pair.access_token), 200);
          const id = await userIdOf(test.database, target.email);
          const response = await request(
            test.app,
            path === 'sessions' ? 'DELETE' : 'POST',
            `/api/admin/users/${id}/${path}`,
            { headers: bearer(staff.token), ...(body === undefined ? {} : { body }) },
          );
          assert.ok(response.status === 200 || response.status === 204, response.text);
          const endedAt = Date.now();
          const status = await poll(
            () => statusWith(other, pair.access_token),
            (answer) => answer === 401,
            // the contract's second, with room for a loaded machine (as the other cross-instance tests)
            2000,
          );
          t.diagnostic(
            `refused on the other instance ${String(Date.now() - endedAt)} ms after the ${action}`,
          );
          assert.equal(status, 401);
        } finally {
          await other.close();
        }
      });
    }
  });
}
