import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { dialects } from '../support/databases.ts';
import { scrape } from '../support/exposition.ts';
import { createFakeClock } from '../support/fake-clock.ts';
import { poll } from '../support/poll.ts';
import { deleteKeys, randomKeyPrefix, readKeys, skipWithoutRedis, testRedisUrl } from '../support/redis.ts';
import { startProxy, type Proxy } from '../support/tcp-proxy.ts';
import { newUser, request, startTestApp, type TestApp } from '../support/test-app.ts';

const tooManyRequests = '{"errors":{"body":["too many requests, try again later"]}}';
const redis = new URL(testRedisUrl);
const redisTarget = { host: redis.hostname, port: Number(redis.port || '6379') };
const unreachable = 'redis unreachable';
const reachableAgain = 'redis reachable again';
// low per-IP limits, so that the test can reach them; the email lock keeps its documented 10
const limits = { LOGIN_ATTEMPTS_PER_IP: '5', REGISTRATIONS_PER_IP: '3' };

/** A client address no other test uses (inject's remoteAddress). */
const newIp = () => [198, 51, ...randomBytes(2)].join('.');

const messagesOf = (test: TestApp) =>
  test.logs.map((line) => (JSON.parse(line) as { msg?: string }).msg ?? '');
const countMessages = (test: TestApp, start: string) =>
  messagesOf(test).filter((message) => message.startsWith(start)).length;

for (const dialect of dialects) {
  describe(`rate limits with REDIS_URL, on ${dialect}`, { skip: skipWithoutRedis }, () => {
    const clock = createFakeClock();
    const prefix = randomKeyPrefix();
    // Redis is reached through a proxy the test can cut or silence, as a lost Redis would be
    let proxy: Proxy;
    let test: TestApp;
    before(async () => {
      proxy = await startProxy(redisTarget);
      test = await startTestApp(dialect, {
        clock,
        env: { ...limits, REDIS_URL: `redis://127.0.0.1:${proxy.port}`, REDIS_KEY_PREFIX: prefix },
      });
    });
    after(async () => {
      await test.close();
      await proxy.cut();
      await deleteKeys(prefix);
    });

    const login = (email: string, password: string, ip = newIp()) =>
      request(test.app, 'POST', '/api/users/login', {
        body: { user: { email, password } },
        remoteAddress: ip,
      });
    async function register(ip = newIp()) {
      const user = newUser('redis');
      const response = await request(test.app, 'POST', '/api/users', { body: { user }, remoteAddress: ip });
      return { user, response };
    }
    async function registered() {
      const { user, response } = await register();
      assert.equal(response.status, 201, response.text);
      return user;
    }
    /** The statuses of `count` wrong passwords for `email`, each from an address of its own. */
    async function failures(email: string, count: number) {
      const statuses: number[] = [];
      for (let attempt = 0; attempt < count; attempt += 1) {
        statuses.push((await login(email, 'not-the-password')).status);
      }
      return statuses;
    }
    const fallbackGauge = async () => (await scrape(test.app)).value('gatehouse_rate_limit_store_fallback');
    const namesIn = (keys: Iterable<string>, start = '') =>
      [...new Set([...keys].map((key) => key.slice(start.length).split(':')[0]))].sort();

    it('keeps the per-IP counters in Redis and the email lock in the database', async () => {
      const user = await registered();
      assert.deepEqual(await failures(user.email, 10), Array<number>(10).fill(401));
      const locked = await login(user.email, user.password);
      assert.equal(locked.status, 429, locked.text);
      assert.equal(locked.text, tooManyRequests);
      assert.equal(locked.headers['retry-after'], '900');

      assert.deepEqual(namesIn((await readKeys(prefix)).keys(), prefix), ['login-attempts', 'registrations']);
      const rows = await test.database.db.selectFrom('rate_limit_counters').select('key').execute();
      assert.deepEqual(namesIn(rows.map((row) => row.key)), ['login-failures']);
      assert.equal(await fallbackGauge(), 0);
    });

    for (const fault of ['cut', 'blackhole'] as const) {
      it(`holds every limit on the database while Redis is ${fault === 'cut' ? 'cut off' : 'silent without closing'}, telling it once, and goes back to Redis when it answers`, async (t) => {
        const [unreachableBefore, reachableBefore] = [
          countMessages(test, unreachable),
          countMessages(test, reachableAgain),
        ];
        // failures counted before Redis goes away
        const earlier = await registered();
        assert.deepEqual(await failures(earlier.email, 6), Array<number>(6).fill(401));
        const user = await registered();

        if (fault === 'cut') await proxy.cut();
        else proxy.blackhole();
        const faultAt = Date.now();
        const statuses = await failures(user.email, 40);
        t.diagnostic(`40 wrong passwords answered in ${Date.now() - faultAt} ms`);
        assert.deepEqual(statuses, [...Array<number>(10).fill(401), ...Array<number>(30).fill(429)]);
        const right = await login(user.email, user.password);
        assert.equal(right.status, 429, right.text);
        assert.equal(right.text, tooManyRequests);

        // the earlier failures still count: 4 more lock that email too
        assert.deepEqual(await failures(earlier.email, 4), Array<number>(4).fill(401));
        assert.equal((await login(earlier.email, earlier.password)).status, 429);

        // per IP, on the database now
        const ip = newIp();
        const other = await registered();
        for (let attempt = 0; attempt < 5; attempt += 1) {
          assert.equal((await login(other.email, other.password, ip)).status, 200);
        }
        assert.equal((await login(other.email, other.password, ip)).status, 429);
        const registrationIp = newIp();
        for (let registration = 0; registration < 3; registration += 1) {
          assert.equal((await register(registrationIp)).response.status, 201);
        }
        const refused = await register(registrationIp);
        assert.equal(refused.response.status, 429, refused.response.text);
        const rows = await test.database.db
          .selectFrom('users')
          .select('id')
          .where('email', '=', refused.user.email)
          .execute();
        assert.deepEqual(rows, []);

        assert.equal(await fallbackGauge(), 1);
        assert.equal(countMessages(test, unreachable), unreachableBefore + 1);
        assert.equal(countMessages(test, reachableAgain), reachableBefore);

        if (fault === 'cut') proxy = await startProxy(redisTarget, proxy.port);
        else proxy.heal();
        const healedAt = Date.now();
        const gauge = await poll(fallbackGauge, (value) => value === 0);
        t.diagnostic(`back in Redis ${Date.now() - healedAt} ms after it answered again`);
        assert.equal(gauge, 0);
        assert.equal(countMessages(test, reachableAgain), reachableBefore + 1);
        assert.equal(countMessages(test, unreachable), unreachableBefore + 1);
        // counted in Redis again: the IP that was refused on the database starts afresh there
        const keysBefore = (await readKeys(prefix)).size;
        assert.equal((await login(other.email, other.password, ip)).status, 200);
        assert.equal((await readKeys(prefix)).size, keysBefore + 1);
        // while the email lock never left the database
        assert.equal((await login(user.email, user.password)).status, 429);
        for (const line of test.logs) assert.ok(!line.includes(user.password), line);
      });
    }
  });
}
