import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { dialects } from '../support/databases.ts';
import { createFakeClock } from '../support/fake-clock.ts';
import { newUser, request, startTestApp, type JsonResponse, type TestApp } from '../support/test-app.ts';
import { invalidCredentials } from './conduit-shapes.ts';
import { countUsers, readUser } from './user-rows.ts';

const minute = 60_000;
const tooManyRequests = '{"errors":{"body":["too many requests, try again later"]}}';
// '' puts a setting back to its default: these tests run on the documented limits, not the test app's
const documentedLimits = { LOGIN_ATTEMPTS_PER_IP: '', REGISTRATIONS_PER_IP: '' };

/** A client address no other test uses (inject's remoteAddress). */
const newIp = () => [198, 51, ...randomBytes(2)].join('.');

function assertTooManyRequests(response: JsonResponse, retryAfter: number): void {
  assert.equal(response.status, 429, response.text);
  assert.equal(response.text, tooManyRequests);
  assert.equal(response.headers['retry-after'], String(retryAfter));
}

async function countersStored(test: TestApp): Promise<string[]> {
  const rows = await test.database.db.selectFrom('rate_limit_counters').select('key').execute();
  return rows.map((row) => row.key);
}

for (const dialect of dialects) {
  describe(`rate limits on the documented defaults, on ${dialect}`, () => {
    const clock = createFakeClock();
    let test: TestApp;
    before(async () => {
      test = await startTestApp(dialect, { clock, env: documentedLimits });
    });
    after(() => test.close());

    const login = (user: { email: string; password: string }, ip = newIp()) =>
      request(test.app, 'POST', '/api/users/login', {
        body: { user: { email: user.email, password: user.password } },
        remoteAddress: ip,
      });
    const register = (user: unknown, ip = newIp()) =>
      request(test.app, 'POST', '/api/users', { body: { user }, remoteAddress: ip });
    async function registered(email?: string) {
      const user = newUser('limited');
      const details = { ...user, email: email ?? user.email };
      const response = await register(details);
      assert.equal(response.status, 201, response.text);
      return details;
    }
    async function failTenTimes(emails: string[]) {
      for (let failure = 0; failure < 10; failure += 1) {
        const email = emails[failure % emails.length] ?? '';
        const response = await login({ email, password: 'not-the-password' });
        assert.equal(response.status, 401, response.text);
        assert.deepEqual(response.body, invalidCredentials);
      }
    }

    it('answers the 11th login after 10 failures for an email with 429 and Retry-After, even with the right password', async () => {
      const user = await registered();
      const bystander = await registered();
      await failTenTimes([user.email]);
      assertTooManyRequests(await login(user), 900);
      assert.equal(
        (await readUser(test.database, user.email)).lastLoginAt,
        null,
        'the locked login went through',
      );
      assert.equal((await login(bystander)).status, 200);
    });

    it('counts every casing of an email against the same lock', async () => {
      const user = await registered(`Mixed.${newUser().email}`);
      await failTenTimes([user.email, user.email.toLowerCase(), user.email.toUpperCase(), ` ${user.email} `]);
      assertTooManyRequests(await login({ ...user, email: user.email.toLowerCase() }), 900);
      assertTooManyRequests(await login(user), 900);
    });

    it('shares one lock between the Conduit login and the token endpoint, in both directions', async () => {
      const tokens = (user: { email: string; password: string }) =>
        request(test.app, 'POST', '/api/tokens', {
          body: { email: user.email, password: user.password },
          remoteAddress: newIp(),
        });
      const first = await registered();
      await failTenTimes([first.email]);
      assertTooManyRequests(await tokens(first), 900);

      const second = await registered();
      for (let failure = 0; failure < 10; failure += 1) {
        assert.equal((await tokens({ ...second, password: 'not-the-password' })).status, 401);
      }
      assertTooManyRequests(await login(second), 900);
      assertTooManyRequests(await tokens(second), 900);
    });

    it('locks the simplejwt door too, answering in DRF words', async () => {
      const create = (user: { email: string; password: string }) =>
        request(test.app, 'POST', '/auth/jwt/create/', {
          body: { email: user.email, password: user.password },
          remoteAddress: newIp(),
        });
      const user = await registered();
      for (let failure = 0; failure < 10; failure += 1) {
        assert.equal((await create({ ...user, password: 'not-the-password' })).status, 401);
      }
      const refused = await create(user);
      assert.equal(refused.status, 429, refused.text);
      assert.equal(refused.headers['retry-after'], '900');
      assert.deepEqual(refused.body, {
        detail: 'Request was throttled. Expected available in 900 seconds.',
        code: 'throttled',
      });
      assertTooManyRequests(await login(user), 900);
      const djoserRegistrations = await Promise.all(
        Array.from({ length: 21 }, () =>
          request(test.app, 'POST', '/auth/users/', { body: newUser('drf'), remoteAddress: '198.51.100.7' }),
        ),
      );
      const statuses = djoserRegistrations.map((response) => response.status).sort();
      assert.deepEqual(statuses, [...Array<number>(20).fill(201), 429]);
    });

    it('counts a wrong current password (password change, deactivation) against the email lock', async () => {
      const user = await registered();
      const pair = await request(test.app, 'POST', '/api/tokens', {
        body: { email: user.email, password: user.password },
        remoteAddress: newIp(),
      });
      const token = (pair.body as { access_token: string }).access_token;
      const auth = { authorization: `Bearer ${token}` };
      for (let failure = 0; failure < 5; failure += 1) {
        const wrong = await request(test.app, 'POST', '/api/user/password', {
          headers: auth,
          body: { current_password: 'not-the-password', new_password: 'a-fresh-passphrase-1' },
        });
        assert.equal(wrong.status, 422, wrong.text);
        const wrongDrf = await request(test.app, 'DELETE', '/auth/users/me/', {
          headers: auth,
          body: { current_password: 'not-the-password' },
        });
        assert.equal(wrongDrf.status, 400, wrongDrf.text);
      }
      // ten wrong guesses: now even the right password is refused, here and at login
      const right = await request(test.app, 'POST', '/api/user/password', {
        headers: auth,
        body: { current_password: user.password, new_password: 'a-fresh-passphrase-1' },
      });
      assertTooManyRequests(right, 900);
      assertTooManyRequests(
        await request(test.app, 'DELETE', '/api/user', {
          headers: auth,
          body: { current_password: user.password },
        }),
        900,
      );
      assertTooManyRequests(await login(user), 900);
      // nothing changed: once the window passes, the old password still signs in
      clock.advance(15 * 60_000);
      assert.equal((await login(user)).status, 200);
    });

    it('locks an unknown email the same way, with the same bytes as an existing account', async () => {
      const user = await registered();
      const unknown = `nobody-${user.email}`;
      await failTenTimes([user.email, unknown]);
      await failTenTimes([user.email, unknown]);
      const existing = await login(user);
      const missing = await login({ email: unknown, password: user.password });
      assertTooManyRequests(existing, 900);
      assertTooManyRequests(missing, 900);
      for (const header of ['content-type', 'content-length', 'retry-after', 'cache-control']) {
        assert.equal(missing.headers[header], existing.headers[header], header);
      }
    });

    it('lets the right password in once the window has passed, and counts failures from nothing again', async () => {
      const user = await registered();
      await failTenTimes([user.email]);
      clock.advance(15 * minute - 1000);
      assertTooManyRequests(await login(user), 1);
      clock.advance(1000);
      assert.equal((await login(user)).status, 200);
      const wrong = await login({ email: user.email, password: 'not-the-password' });
      assert.equal(wrong.status, 401, wrong.text);
      assert.equal((await login(user)).status, 200);
    });

    it('does not count a login refused for a missing field against the email', async () => {
      const user = await registered();
      for (let attempt = 0; attempt < 11; attempt += 1) {
        const response = await login({ email: user.email, password: '' });
        assert.equal(response.status, 422, response.text);
      }
      assert.equal((await login(user)).status, 200);
    });

    it('refuses the 101st login attempt from one IP within the window, whoever it is for, and no other IP', async () => {
      const user = await registered();
      const ip = newIp();
      for (let attempt = 0; attempt < 100; attempt += 1) {
        const response = await login(user, ip);
        assert.equal(response.status, 200, `attempt ${attempt + 1}: ${response.text}`);
      }
      const lastLogin = (await readUser(test.database, user.email)).lastLoginAt;
      clock.advance(5 * minute);
      assertTooManyRequests(await login(user, ip), 600);
      assertTooManyRequests(
        await login({ email: `nobody-${user.email}`, password: 'whatever-it-is' }, ip),
        600,
      );
      // without TRUST_PROXY the socket's peer is the client, whatever X-Forwarded-For claims
      const forwarded = await request(test.app, 'POST', '/api/users/login', {
        body: { user: { email: user.email, password: user.password } },
        remoteAddress: ip,
        headers: { 'x-forwarded-for': newIp() },
      });
      assertTooManyRequests(forwarded, 600);
      assert.equal((await readUser(test.database, user.email)).lastLoginAt, lastLogin);
      assert.equal((await login(user)).status, 200);
    });

    it('refuses the 21st registration from one IP within the hour, refused ones included, and creates nobody', async () => {
      const ip = newIp();
      for (let attempt = 0; attempt < 19; attempt += 1) {
        const response = await register(newUser('burst'), ip);
        assert.equal(response.status, 201, `registration ${attempt + 1}: ${response.text}`);
      }
      const invalid = await register({ ...newUser('burst'), email: 'not-an-email' }, ip);
      assert.equal(invalid.status, 422, invalid.text);

      clock.advance(10 * minute);
      const users = await countUsers(test.database);
      const refused = newUser('burst');
      assertTooManyRequests(await register(refused, ip), 50 * 60);
      assert.equal(await countUsers(test.database), users);
      await assert.rejects(readUser(test.database, refused.email));

      assert.equal((await register(newUser('elsewhere'))).status, 201);
      clock.advance(50 * minute);
      assert.equal((await register(refused, ip)).status, 201);
    });

    it('keeps no email and no address in clear in the counter table', async () => {
      const user = await registered();
      const ip = newIp();
      await login({ email: user.email, password: 'not-the-password' }, ip);
      const keys = await countersStored(test);
      assert.ok(keys.length > 0);
      for (const key of keys) {
        assert.match(key, /^(login-failures|login-attempts|registrations):[A-Za-z0-9_-]{43}$/, key);
      }
      assert.ok(!keys.some((key) => key.includes(user.email.toLowerCase()) || key.includes(ip)));
    });
  });

  describe(`rate limits turned off with 0, on ${dialect}`, () => {
    let test: TestApp;
    before(async () => {
      test = await startTestApp(dialect, {
        env: { LOGIN_FAILURES_PER_EMAIL: '0', LOGIN_ATTEMPTS_PER_IP: '0', REGISTRATIONS_PER_IP: '0' },
      });
    });
    after(() => test.close());

    it('lets every login and registration through and counts nothing', async () => {
      const ip = newIp();
      const users = [];
      for (let attempt = 0; attempt < 25; attempt += 1) {
        const user = newUser('unlimited');
        const response = await request(test.app, 'POST', '/api/users', { body: { user }, remoteAddress: ip });
        assert.equal(response.status, 201, response.text);
        users.push(user);
      }
      const [user] = users;
      assert.ok(user !== undefined);
      const login = (password: string) =>
        request(test.app, 'POST', '/api/users/login', {
          body: { user: { email: user.email, password } },
          remoteAddress: ip,
        });
      for (let attempt = 0; attempt < 12; attempt += 1)
        assert.equal((await login('not-the-password')).status, 401);
      for (let attempt = 0; attempt < 90; attempt += 1)
        assert.equal((await login(user.password)).status, 200);
      assert.deepEqual(await countersStored(test), []);
    });
  });

  describe(`rate limits behind a trusted proxy, on ${dialect}`, () => {
    let test: TestApp;
    before(async () => {
      test = await startTestApp(dialect, { env: { TRUST_PROXY: '127.0.0.1', LOGIN_ATTEMPTS_PER_IP: '2' } });
    });
    after(() => test.close());

    it('counts the client X-Forwarded-For names, not the proxy', async () => {
      const [client, otherClient] = [newIp(), newIp()];
      const loginVia = (forwardedFor: string) =>
        request(test.app, 'POST', '/api/users/login', {
          body: { user: { email: 'someone@example.com', password: 'a-long-passphrase-42' } },
          remoteAddress: '127.0.0.1',
          headers: { 'x-forwarded-for': forwardedFor },
        });
      assert.equal((await loginVia(client)).status, 401);
      assert.equal((await loginVia(client)).status, 401);
      assertTooManyRequests(await loginVia(client), 900);
      assert.equal((await loginVia(otherClient)).status, 401);
    });
  });
}
