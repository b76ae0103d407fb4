import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { dialects } from '../support/databases.ts';
import { createFakeClock } from '../support/fake-clock.ts';
import { poll } from '../support/poll.ts';
import { deleteKeys, randomKeyPrefix, readKeys, skipWithoutRedis, testRedisUrl } from '../support/redis.ts';
import { startProxy, type Proxy } from '../support/tcp-proxy.ts';
import { registerUser, request, startTestApp, type TestApp } from '../support/test-app.ts';

const tooManyRequests = '{"errors":{"body":["too many requests, try again later"]}}';
const redis = new URL(testRedisUrl);
const redisTarget = { host: redis.hostname, port: Number(redis.port || '6379') };

const messagesOf = (test: TestApp) =>
  test.logs.map((line) => (JSON.parse(line) as { msg?: string; level?: number }).msg ?? '');

for (const dialect of dialects) {
  describe(`rate limits kept in Redis (REDIS_URL), on ${dialect}`, { skip: skipWithoutRedis }, () => {
    const clock = createFakeClock();
    const prefix = randomKeyPrefix();
    // Redis is reached through a proxy the test can pull out, as a lost Redis would be
    let proxy: Proxy;
    let test: TestApp;
    before(async () => {
      proxy = await startProxy(redisTarget);
      test = await startTestApp(dialect, {
        clock,
        env: { REDIS_URL: `redis://127.0.0.1:${proxy.port}`, REDIS_KEY_PREFIX: prefix },
      });
    });
    after(async () => {
      await test.close();
      await proxy.cut();
      await deleteKeys(prefix);
    });

    const login = (email: string, password: string) =>
      request(test.app, 'POST', '/api/users/login', { body: { user: { email, password } } });
    async function lockOut(email: string) {
      for (let failure = 0; failure < 10; failure += 1) {
        assert.equal((await login(email, 'not-the-password')).status, 401);
      }
    }

    it('locks an email after 10 failures with counters in Redis, none in the database', async () => {
      const user = await registerUser(test.app);
      await lockOut(user.email);
      const locked = await login(user.email, user.password);
      assert.equal(locked.status, 429, locked.text);
      assert.equal(locked.text, tooManyRequests);
      assert.equal(locked.headers['retry-after'], '900');

      const names = [...(await readKeys(prefix)).keys()].map((key) => key.slice(prefix.length).split(':')[0]);
      assert.deepEqual([...new Set(names)].sort(), ['login-attempts', 'login-failures', 'registrations']);
      const rows = await test.database.db.selectFrom('rate_limit_counters').selectAll().execute();
      assert.deepEqual(rows, []);
    });

    it('lets logins through while Redis is gone, logging it, and locks again once Redis is back', async () => {
      const user = await registerUser(test.app);
      await lockOut(user.email);
      assert.equal((await login(user.email, user.password)).status, 429);

      await proxy.cut();
      const duringOutage = await poll(
        () => login(user.email, user.password),
        (response) => response.status === 200,
      );
      assert.equal(duringOutage.status, 200, duringOutage.text);
      await poll(
        () => Promise.resolve(messagesOf(test)),
        (messages) => messages.some((message) => message.startsWith('redis unreachable')),
      );

      proxy = await startProxy(redisTarget, proxy.port);
      const afterOutage = await poll(
        () => login(user.email, user.password),
        (response) => response.status === 429,
        15_000,
      );
      assert.equal(afterOutage.status, 429, afterOutage.text);

      const messages = messagesOf(test);
      assert.equal(messages.filter((message) => message.startsWith('redis unreachable')).length, 1);
      assert.ok(messages.some((message) => message.startsWith('rate-limit counter unavailable')));
      assert.ok(messages.some((message) => message.startsWith('redis reachable again')));
      for (const line of test.logs) assert.ok(!line.includes(user.password), line);
    });
  });
}
