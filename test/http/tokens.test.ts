import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { dialects } from '../support/databases.ts';
import { createFakeClock } from '../support/fake-clock.ts';
import { registerUser, request, startTestApp, type TestApp } from '../support/test-app.ts';
import { invalidCredentials, invalidToken } from './conduit-shapes.ts';
import {
  bearer,
  invalidRefresh,
  obtainPair,
  refresh,
  refreshTokenRows,
  sessionIdOf,
  sessionRows,
  statusWith,
  type PairBody,
} from './session-shapes.ts';

const minute = 60_000;

for (const dialect of dialects) {
  describe(`token pairs (POST /api/tokens, /api/tokens/refresh) on ${dialect}`, () => {
    const clock = createFakeClock();
    let test: TestApp;
    before(async () => {
      test = await startTestApp(dialect, {
        clock,
        env: {
          SESSION_TTL: '2h',
          SESSION_IDLE_TTL: '30m',
          ACCESS_TOKEN_TTL: '15m',
          REFRESH_REUSE_GRACE: '10s',
        },
      });
    });
    after(() => test.close());

    it('answers a pair whose access token works as a Bearer token and is never cached', async () => {
      const user = await registerUser(test.app);
      const response = await request(test.app, 'POST', '/api/tokens', {
        body: { email: user.email.toUpperCase(), password: user.password },
      });
      assert.equal(response.status, 200, response.text);
      assert.equal(response.headers['cache-control'], 'no-store');
      const pair = response.body as PairBody;
      assert.deepEqual(Object.keys(pair).sort(), [
        'access_token',
        'expires_in',
        'refresh_token',
        'token_type',
      ]);
      assert.equal(pair.token_type, 'Bearer');
      assert.equal(pair.expires_in, 15 * 60);
      assert.match(pair.refresh_token, /^[A-Za-z0-9_-]{43}$/);
      const me = await request(test.app, 'GET', '/api/user', { headers: bearer(pair.access_token) });
      assert.equal(me.status, 200, me.text);
      assert.equal((me.body as { user: { token: string } }).user.token, pair.access_token);
    });

    it('stores only a hash of the refresh token', async () => {
      const user = await registerUser(test.app);
      const pair = await obtainPair(test.app, user.email, user.password);
      const rows = await refreshTokenRows(test.database, sessionIdOf(pair.access_token));
      assert.equal(rows.length, 1);
      assert.notEqual(rows[0]?.token_hash, pair.refresh_token);
      assert.ok(!JSON.stringify(rows).includes(pair.refresh_token));
    });

    it('refuses bad credentials with the login body and opens no session', async () => {
      const user = await registerUser(test.app);
      const before = (await sessionRows(test.database)).length;
      const wrong = await request(test.app, 'POST', '/api/tokens', {
        body: { email: user.email, password: 'not-the-passphrase' },
      });
      const unknown = await request(test.app, 'POST', '/api/tokens', {
        body: { email: `nobody-${user.email}`, password: 'not-the-passphrase' },
      });
      for (const response of [wrong, unknown]) {
        assert.equal(response.status, 401);
        assert.deepEqual(response.body, invalidCredentials);
        assert.equal(
          response.headers['www-authenticate'],
          'Token realm="gatehouse", Bearer realm="gatehouse"',
        );
      }
      assert.equal(wrong.text, unknown.text);
      const missing = await request(test.app, 'POST', '/api/tokens', { body: { email: user.email } });
      assert.equal(missing.status, 422);
      assert.deepEqual(missing.body, { errors: { password: ["can't be blank"] } });
      const wrongType = await request(test.app, 'POST', '/api/tokens', {
        body: { email: 5, password: true },
      });
      assert.equal(wrongType.status, 422);
      assert.equal((await sessionRows(test.database)).length, before);
    });

    it('rotates: a new pair each time, the new access token works, the spent refresh token is replaced', async () => {
      const user = await registerUser(test.app);
      const first = await obtainPair(test.app, user.email, user.password);
      clock.advance(minute);
      const response = await refresh(test.app, first.refresh_token);
      assert.equal(response.status, 200, response.text);
      assert.equal(response.headers['cache-control'], 'no-store');
      const second = response.body as PairBody;
      assert.notEqual(second.refresh_token, first.refresh_token);
      assert.notEqual(second.access_token, first.access_token);
      assert.equal(sessionIdOf(second.access_token), sessionIdOf(first.access_token));
      assert.equal(await statusWith(test.app, second.access_token), 200);
      const third = (await refresh(test.app, second.refresh_token)).body as PairBody;
      assert.equal(await statusWith(test.app, third.access_token), 200);
      const rows = await refreshTokenRows(test.database, sessionIdOf(first.access_token));
      assert.equal(rows.length, 3);
      assert.equal(rows.filter((row) => row.rotated_at === null).length, 1);
    });

    it('draws each successor afresh and keeps it only sealed under its parent: no token in the table', async () => {
      const user = await registerUser(test.app);
      const first = await obtainPair(test.app, user.email, user.password);
      const second = (await refresh(test.app, first.refresh_token)).body as PairBody;
      const third = (await refresh(test.app, second.refresh_token)).body as PairBody;
      const rows = await refreshTokenRows(test.database, sessionIdOf(first.access_token));
      assert.equal(rows.length, 3);
      const stored = JSON.stringify(rows);
      for (const token of [first.refresh_token, second.refresh_token, third.refresh_token]) {
        assert.ok(!stored.includes(token), 'a refresh token is stored in clear');
      }
      // the two retired rows hold their successors sealed, each different; the live one holds none
      const sealed = rows.map((row) => row.successor_sealed).filter((value) => value !== null);
      assert.equal(sealed.length, 2);
      assert.notEqual(sealed[0], sealed[1]);
      assert.equal(rows.find((row) => row.rotated_at === null)?.successor_sealed, null);
      assert.match(third.refresh_token, /^[A-Za-z0-9_-]{43}$/);
    });

    it('refuses, without ending the session, a token retired before successors were sealed, within the grace', async () => {
      const user = await registerUser(test.app);
      const pair = await obtainPair(test.app, user.email, user.password);
      // as a release before migration 0017 left a token it had just rotated: retired, no sealed successor
      await test.database.db
        .updateTable('refresh_tokens')
        .set({ rotated_at: clock.now() })
        .where('session_id', '=', sessionIdOf(pair.access_token))
        .execute();
      const replayed = await refresh(test.app, pair.refresh_token);
      assert.equal(replayed.status, 401);
      assert.deepEqual(replayed.body, invalidRefresh);
      assert.equal(await statusWith(test.app, pair.access_token), 200);
      // after the grace it is reuse, as any retired token is
      clock.advance(11_000);
      assert.equal((await refresh(test.app, pair.refresh_token)).status, 401);
      assert.equal(await statusWith(test.app, pair.access_token), 401);
    });

    it('gives a parent presented again within the grace period the current token (two tabs)', async () => {
      const user = await registerUser(test.app);
      const first = await obtainPair(test.app, user.email, user.password);
      const tabA = (await refresh(test.app, first.refresh_token)).body as PairBody;
      clock.advance(9_000);
      const tabB = await refresh(test.app, first.refresh_token);
      assert.equal(tabB.status, 200, tabB.text);
      assert.equal((tabB.body as PairBody).refresh_token, tabA.refresh_token);
      assert.equal(await statusWith(test.app, (tabB.body as PairBody).access_token), 200);
      // the lineage goes on from the shared token
      assert.equal((await refresh(test.app, tabA.refresh_token)).status, 200);
    });

    it('takes a parent presented after the grace period as theft: the whole session ends', async () => {
      const user = await registerUser(test.app);
      const first = await obtainPair(test.app, user.email, user.password);
      const second = (await refresh(test.app, first.refresh_token)).body as PairBody;
      clock.advance(11_000);
      const reused = await refresh(test.app, first.refresh_token);
      assert.equal(reused.status, 401);
      assert.deepEqual(reused.body, invalidRefresh);
      assert.equal(reused.headers['www-authenticate'], 'Token realm="gatehouse", Bearer realm="gatehouse"');
      // the thief's copy and the owner's both stop working, access tokens included
      assert.equal((await refresh(test.app, second.refresh_token)).status, 401);
      assert.equal(await statusWith(test.app, second.access_token), 401);
      assert.equal(await statusWith(test.app, first.access_token), 401);
      const [session] = (await sessionRows(test.database)).filter(
        (row) => row.id === sessionIdOf(first.access_token),
      );
      assert.equal(session?.revoked_reason, 'reuse_detected');
    });

    it('takes any older token as theft even within the grace period', async () => {
      const user = await registerUser(test.app);
      const first = await obtainPair(test.app, user.email, user.password);
      const second = (await refresh(test.app, first.refresh_token)).body as PairBody;
      const third = (await refresh(test.app, second.refresh_token)).body as PairBody;
      clock.advance(1_000);
      assert.equal((await refresh(test.app, first.refresh_token)).status, 401);
      assert.equal((await refresh(test.app, third.refresh_token)).status, 401);
      assert.equal(await statusWith(test.app, third.access_token), 401);
    });

    it('survives twenty parallel refreshes of one token: no 5xx, one live lineage', async () => {
      const user = await registerUser(test.app);
      const first = await obtainPair(test.app, user.email, user.password);
      const responses = await Promise.all(
        Array.from({ length: 20 }, () => refresh(test.app, first.refresh_token)),
      );
      for (const response of responses) assert.equal(response.status, 200, response.text);
      const tokens = new Set(responses.map((response) => (response.body as PairBody).refresh_token));
      assert.equal(tokens.size, 1);
      const rows = await refreshTokenRows(test.database, sessionIdOf(first.access_token));
      assert.equal(rows.length, 2);
      assert.equal(rows.filter((row) => row.rotated_at === null).length, 1);
      const [current] = tokens;
      assert.equal((await refresh(test.app, current)).status, 200);
    });

    it('refuses strangers: unknown, malformed, an access token, a Conduit token', async () => {
      const user = await registerUser(test.app);
      const pair = await obtainPair(test.app, user.email, user.password);
      const rowsBefore = await refreshTokenRows(test.database, sessionIdOf(pair.access_token));
      for (const candidate of [
        'A'.repeat(43),
        pair.refresh_token.slice(0, -1),
        `${pair.refresh_token}x`,
        pair.access_token,
        user.token,
        ' ',
      ]) {
        const response = await refresh(test.app, candidate);
        assert.equal(response.status, 401, candidate);
        assert.deepEqual(response.body, invalidRefresh);
      }
      for (const body of [
        {},
        { refresh_token: '' },
        { refresh_token: 42 },
        { refresh: pair.refresh_token },
      ]) {
        const response = await request(test.app, 'POST', '/api/tokens/refresh', { body });
        assert.equal(response.status, 422, JSON.stringify(body));
      }
      // nothing was spent: the real token still rotates
      assert.deepEqual(await refreshTokenRows(test.database, sessionIdOf(pair.access_token)), rowsBefore);
      assert.equal((await refresh(test.app, pair.refresh_token)).status, 200);
    });

    it('never takes a refresh token as an access token', async () => {
      const user = await registerUser(test.app);
      const pair = await obtainPair(test.app, user.email, user.password);
      const response = await request(test.app, 'GET', '/api/user', { headers: bearer(pair.refresh_token) });
      assert.equal(response.status, 401);
      assert.deepEqual(response.body, invalidToken);
    });

    it('ends a session left idle: its refresh token no longer works', async () => {
      const user = await registerUser(test.app);
      const pair = await obtainPair(test.app, user.email, user.password);
      clock.advance(31 * minute);
      assert.equal((await refresh(test.app, pair.refresh_token)).status, 401);
    });

    it('never extends a session past its absolute lifetime', async () => {
      const user = await registerUser(test.app);
      let pair = await obtainPair(test.app, user.email, user.password);
      // refreshing every 20 minutes keeps the session from idling, not from ageing
      for (let elapsed = 20; elapsed < 120; elapsed += 20) {
        clock.advance(20 * minute);
        const response = await refresh(test.app, pair.refresh_token);
        assert.equal(response.status, 200, `after ${elapsed} min: ${response.text}`);
        pair = response.body as PairBody;
      }
      // 100 minutes in: 20 left, so the access token lives its full 15
      assert.equal(pair.expires_in, 15 * 60);
      clock.advance(10 * minute);
      const late = await refresh(test.app, pair.refresh_token);
      assert.equal(late.status, 200);
      // 110 minutes in: the access token ends with the session, 10 minutes from now
      assert.equal((late.body as PairBody).expires_in, 10 * 60);
      clock.advance(10 * minute);
      assert.equal((await refresh(test.app, (late.body as PairBody).refresh_token)).status, 401);
      assert.equal(await statusWith(test.app, (late.body as PairBody).access_token), 401);
    });
  });
}
