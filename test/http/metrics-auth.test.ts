import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { HttpServer } from '../../src/http/server.ts';
import { dialects } from '../support/databases.ts';
import { createFakeClock } from '../support/fake-clock.ts';
import { newUser, registerUser, request, startTestApp, type TestApp } from '../support/test-app.ts';
import { scrape } from '../support/exposition.ts';
import { bearer, obtainPair, refresh, type PairBody } from './session-shapes.ts';

type Moved = (name: string, labels?: Record<string, string>) => number;

/** How far each metric moved while `work` ran. */
async function movedBy(app: HttpServer, work: () => Promise<void>): Promise<Moved> {
  const before = await scrape(app);
  await work();
  const after = await scrape(app);
  return (name, labels) => after.value(name, labels) - before.value(name, labels);
}

const logins = 'gatehouse_logins_total';
const registrations = 'gatehouse_registrations_total';
const refreshes = 'gatehouse_token_refreshes_total';
const revocations = 'gatehouse_session_revocations_total';
const refusals = 'gatehouse_rate_limit_refusals_total';

for (const dialect of dialects) {
  describe(`authentication metrics on ${dialect}`, () => {
    const clock = createFakeClock();
    let test: TestApp;
    before(async () => {
      test = await startTestApp(dialect, {
        clock,
        env: { REFRESH_REUSE_GRACE: '10s', SESSION_CACHE_TTL: '5s' },
      });
    });
    after(() => test.close());

    const post = (url: string, body: unknown, headers: Record<string, string> = {}) =>
      request(test.app, 'POST', url, { body, headers });

    it('counts password logins by dialect and outcome, through every login route', async () => {
      const user = await registerUser(test.app);
      const wrong = `${user.password}x`;
      const moved = await movedBy(test.app, async () => {
        const answers = [
          await post('/api/users/login', { user: { email: user.email, password: user.password } }),
          await post('/api/tokens', { email: user.email, password: user.password }),
          await post('/api/users/login', { user: { email: user.email, password: wrong } }),
          await post('/api/tokens', { email: `nobody-${user.email}`, password: wrong }),
          await post('/api/users/login', { user: { email: '', password: '' } }),
          await post('/api/users/login', 'email=x', { 'content-type': 'text/plain' }),
          await post('/auth/jwt/create/', { email: user.email, password: user.password }),
          await post('/auth/jwt/create/', { email: user.email, password: wrong }),
          await post('/auth/jwt/create/', {}),
        ];
        assert.deepEqual(
          answers.map((answer) => answer.status),
          [200, 200, 401, 401, 422, 415, 200, 401, 400],
        );
      });
      const expected: Array<[string, string, number]> = [
        ['conduit', 'success', 2],
        ['conduit', 'invalid_credentials', 2],
        ['conduit', 'invalid_request', 2],
        ['conduit', 'rate_limited', 0],
        ['djoser', 'success', 1],
        ['djoser', 'invalid_credentials', 1],
        ['djoser', 'invalid_request', 1],
      ];
      for (const [api, outcome, count] of expected) {
        assert.equal(moved(logins, { dialect: api, outcome }), count, `${api} ${outcome}`);
      }
      assert.equal(moved(registrations, { dialect: 'conduit', outcome: 'success' }), 0);
    });

    it('counts registrations by dialect and outcome', async () => {
      const taken = await registerUser(test.app);
      const moved = await movedBy(test.app, async () => {
        const answers = [
          await post('/api/users', { user: newUser() }),
          await post('/api/users', { user: { ...newUser(), email: taken.email } }),
          await post('/auth/users/', newUser()),
          await post('/auth/users/', { ...newUser(), password: 'short' }),
        ];
        assert.deepEqual(
          answers.map((answer) => answer.status),
          [201, 422, 201, 400],
        );
      });
      assert.equal(moved(registrations, { dialect: 'conduit', outcome: 'success' }), 1);
      assert.equal(moved(registrations, { dialect: 'conduit', outcome: 'invalid_request' }), 1);
      assert.equal(moved(registrations, { dialect: 'djoser', outcome: 'success' }), 1);
      assert.equal(moved(registrations, { dialect: 'djoser', outcome: 'invalid_request' }), 1);
      assert.equal(moved(logins, { dialect: 'conduit', outcome: 'success' }), 0);
    });

    it('counts refresh outcomes: rotated, replayed within the grace, reuse detected, invalid', async () => {
      const user = await registerUser(test.app);
      const first = await obtainPair(test.app, user.email, user.password);
      const other = await obtainPair(test.app, user.email, user.password);
      const moved = await movedBy(test.app, async () => {
        const rotated = await refresh(test.app, first.refresh_token);
        assert.equal(rotated.status, 200, rotated.text);
        // a second tab, a moment later: the same successor again
        assert.equal((await refresh(test.app, first.refresh_token)).status, 200);
        const djoser = await post('/auth/jwt/refresh/', { refresh: other.refresh_token });
        assert.equal(djoser.status, 200, djoser.text);
        clock.advance(11_000);
        // the parent after the grace: theft, and the session ends
        assert.equal((await refresh(test.app, first.refresh_token)).status, 401);
        // the successor of an ended session, and a token nobody issued
        assert.equal((await refresh(test.app, (rotated.body as PairBody).refresh_token)).status, 401);
        assert.equal((await refresh(test.app, randomBytes(32).toString('base64url'))).status, 401);
      });
      assert.equal(moved(refreshes, { outcome: 'rotated' }), 2);
      assert.equal(moved(refreshes, { outcome: 'replayed' }), 1);
      assert.equal(moved(refreshes, { outcome: 'reuse_detected' }), 1);
      assert.equal(moved(refreshes, { outcome: 'invalid' }), 2);
      assert.equal(moved(revocations, { reason: 'reuse_detected' }), 1);
    });

    it('counts ended sessions by reason, and nothing for a session that had already ended', async () => {
      const user = await registerUser(test.app);
      const logIn = async () => (await obtainPair(test.app, user.email, user.password)).access_token;
      const withToken = (token: string) => ({ authorization: `Token ${token}` });
      const firstExtra = await logIn();
      await logIn();
      await logIn();

      const loggedOut = await movedBy(test.app, async () => {
        const sessions = await request(test.app, 'GET', '/api/user/sessions', { token: firstExtra });
        const ended = (sessions.body as { sessions: Array<{ id: string; current: boolean }> }).sessions;
        assert.equal((await post('/api/users/logout', {}, withToken(firstExtra))).status, 204);
        // the session just ended is not there to end again
        const current = ended.find((session) => session.current);
        const again = await request(test.app, 'DELETE', `/api/user/sessions/${current?.id ?? ''}`, {
          token: user.token,
        });
        assert.equal(again.status, 404);
        // three sessions remain: the caller's stays, two end
        assert.equal(
          (await post('/api/users/logout', { scope: 'others' }, withToken(user.token))).status,
          204,
        );
      });
      assert.equal(loggedOut(revocations, { reason: 'logout' }), 3);

      await logIn();
      await logIn();
      const changed = await movedBy(test.app, async () => {
        const response = await post(
          '/api/user/password',
          { current_password: user.password, new_password: 'another-long-passphrase-7' },
          withToken(user.token),
        );
        assert.equal(response.status, 204, response.text);
      });
      assert.equal(changed(revocations, { reason: 'password_changed' }), 2);

      const password = 'another-long-passphrase-7';
      await obtainPair(test.app, user.email, password);
      const deactivated = await movedBy(test.app, async () => {
        const response = await request(test.app, 'DELETE', '/api/user', {
          body: { current_password: password },
          headers: bearer(user.token),
        });
        assert.equal(response.status, 204, response.text);
      });
      assert.equal(deactivated(revocations, { reason: 'deactivated' }), 2);
      assert.equal(deactivated(revocations, { reason: 'logout' }), 0);
    });

    it('counts cache hits and misses of authenticated requests', async () => {
      const user = await registerUser(test.app);
      const login = await post('/api/users/login', { user: { email: user.email, password: user.password } });
      const { token } = (login.body as { user: { token: string } }).user;
      const current = async (credential: string) =>
        (await request(test.app, 'GET', '/api/user', { token: credential })).status;

      const moved = await movedBy(test.app, async () => {
        // a new token and a session not yet read: both worked out
        assert.equal(await current(token), 200);
        assert.equal(await current(token), 200);
        assert.equal(await current(token), 200);
        // the session copy has gone stale; the token is still remembered
        clock.advance(6_000);
        assert.equal(await current(token), 200);
        // a token that is not ours never reaches the session cache
        assert.equal(await current(`${token.slice(0, -4)}AAAA`), 401);
      });
      assert.equal(moved('gatehouse_token_cache_misses_total'), 2);
      assert.equal(moved('gatehouse_token_cache_hits_total'), 3);
      assert.equal(moved('gatehouse_session_cache_misses_total'), 2);
      assert.equal(moved('gatehouse_session_cache_hits_total'), 2);
    });
  });

  describe(`rate-limit metrics on ${dialect}`, () => {
    let test: TestApp;
    before(async () => {
      test = await startTestApp(dialect, {
        env: { LOGIN_FAILURES_PER_EMAIL: '2', LOGIN_ATTEMPTS_PER_IP: '3', REGISTRATIONS_PER_IP: '1' },
      });
    });
    after(() => test.close());

    const newIp = () => [198, 51, ...randomBytes(2)].join('.');
    const post = (url: string, body: unknown, ip: string) =>
      request(test.app, 'POST', url, { body, remoteAddress: ip });

    it('counts each refusal by the limit that refused, and the refused request as rate_limited', async () => {
      const user = newUser();
      assert.equal((await post('/api/users', { user }, newIp())).status, 201);
      const crowded = newIp();
      const attempts = newIp();
      const moved = await movedBy(test.app, async () => {
        const statuses = [
          // one registration per address
          (await post('/api/users', { user: newUser() }, crowded)).status,
          (await post('/api/users', { user: newUser() }, crowded)).status,
          (await post('/auth/users/', newUser(), crowded)).status,
          // two failures lock the email, whatever the address and the password
          (await post('/api/users/login', { user: { email: user.email, password: 'wrong-1' } }, newIp()))
            .status,
          (await post('/auth/jwt/create/', { email: user.email, password: 'wrong-2' }, newIp())).status,
          (await post('/api/tokens', { email: user.email, password: user.password }, newIp())).status,
          // three attempts per address
          ...(await Promise.all(
            [1, 2, 3].map(async (index) => {
              const credentials = { email: `nobody-${index}-${user.email}`, password: 'wrong' };
              return (await post('/api/tokens', credentials, attempts)).status;
            }),
          )),
          (await post('/auth/jwt/create/', { email: user.email, password: user.password }, attempts)).status,
        ];
        assert.deepEqual(statuses, [201, 429, 429, 401, 401, 429, 401, 401, 401, 429]);
      });
      assert.equal(moved(refusals, { limit: 'registrations' }), 2);
      assert.equal(moved(refusals, { limit: 'login-failures' }), 2);
      assert.equal(moved(refusals, { limit: 'login-attempts' }), 1);
      assert.equal(moved(refusals, { limit: 'mails' }), 0);
      assert.equal(moved(registrations, { dialect: 'conduit', outcome: 'rate_limited' }), 1);
      assert.equal(moved(registrations, { dialect: 'djoser', outcome: 'rate_limited' }), 1);
      assert.equal(moved(logins, { dialect: 'conduit', outcome: 'rate_limited' }), 1);
      assert.equal(moved(logins, { dialect: 'djoser', outcome: 'rate_limited' }), 1);
      assert.equal(moved(logins, { dialect: 'djoser', outcome: 'invalid_credentials' }), 1);
    });
  });
}
