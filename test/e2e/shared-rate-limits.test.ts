import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestDatabase, type TestDatabase } from '../support/databases.ts';
import { deleteKeys, randomKeyPrefix, readKeys, skipWithoutRedis, testRedisUrl } from '../support/redis.ts';
import { processEnvironment, startServer, type ServerProcess } from '../support/server-process.ts';
import { startProxy, type Proxy } from '../support/tcp-proxy.ts';
import { newUser } from '../support/test-app.ts';

const tooManyRequests = '{"errors":{"body":["too many requests, try again later"]}}';

// Where the two instances keep their counters: the PostgreSQL database they share, or a Redis.
const stores = [
  { name: 'PostgreSQL', env: (): Record<string, string> => ({}), skip: false },
  {
    name: 'Redis',
    env: (prefix: string) => ({ REDIS_URL: testRedisUrl, REDIS_KEY_PREFIX: prefix }),
    skip: skipWithoutRedis,
  },
];

for (const store of stores) {
  describe(
    `an email lockout shared by two instances, counters in ${store.name}`,
    { skip: store.skip },
    () => {
      const prefix = randomKeyPrefix();
      let database: TestDatabase;
      let first: ServerProcess;
      let second: ServerProcess;
      before(async () => {
        database = await createTestDatabase('postgres');
        // one environment for both: the same database, the same SECRET_KEY for its signing keys
        const env = processEnvironment({ DATABASE_URL: database.url, ...store.env(prefix) });
        first = await startServer({ env });
        second = await startServer({ env });
      });
      after(async () => {
        await Promise.all([first.stop(), second.stop()]);
        await database.drop();
        // the PostgreSQL variant writes nothing to Redis, and must not need one
        if (store.name === 'Redis') await deleteKeys(prefix);
      });

      it('locks the email on both after 5 failures on each, whatever the password', async () => {
        const user = newUser('shared');
        const registered = await first.request('POST', '/api/users', { body: { user } });
        assert.equal(registered.status, 201, registered.text);
        const login = (server: ServerProcess, password: string) =>
          server.request('POST', '/api/users/login', { body: { user: { email: user.email, password } } });

        for (const server of [first, second, first, second, first, second, first, second, first, second]) {
          const response = await login(server, 'not-the-password');
          assert.equal(response.status, 401, response.text);
        }
        for (const server of [first, second]) {
          const response = await login(server, user.password);
          assert.equal(response.status, 429, response.text);
          assert.equal(response.text, tooManyRequests);
          const retryAfter = Number(response.headers.get('retry-after'));
          assert.ok(Number.isInteger(retryAfter) && retryAfter > 0 && retryAfter <= 900, String(retryAfter));
        }
        if (store.name === 'Redis')
          assert.ok((await readKeys(prefix)).size > 0, 'nothing was counted in Redis');
      });
    },
  );
}

describe(
  'an email lockout shared by two instances whose Redis goes silent mid-run',
  { skip: skipWithoutRedis },
  () => {
    const prefix = randomKeyPrefix();
    const redis = new URL(testRedisUrl);
    let proxy: Proxy;
    let database: TestDatabase;
    let first: ServerProcess;
    let second: ServerProcess;
    before(async () => {
      proxy = await startProxy({ host: redis.hostname, port: Number(redis.port || '6379') });
      database = await createTestDatabase('postgres');
      const env = processEnvironment({
        DATABASE_URL: database.url,
        REDIS_URL: `redis://127.0.0.1:${String(proxy.port)}`,
        REDIS_KEY_PREFIX: prefix,
      });
      first = await startServer({ env });
      second = await startServer({ env });
    });
    after(async () => {
      await Promise.all([first.stop(), second.stop()]);
      await proxy.cut();
      await database.drop();
      await deleteKeys(prefix);
    });

    it('keeps counting the failures of both toward one lock, and says so once on each', async () => {
      const user = newUser('silent');
      const registered = await first.request('POST', '/api/users', { body: { user } });
      assert.equal(registered.status, 201, registered.text);
      const login = (server: ServerProcess, password: string) =>
        server.request('POST', '/api/users/login', { body: { user: { email: user.email, password } } });

      for (const server of [first, second, first, second]) {
        assert.equal((await login(server, 'not-the-password')).status, 401);
      }
      proxy.blackhole();
      for (const server of [first, second, first, second, first, second]) {
        const response = await login(server, 'not-the-password');
        assert.equal(response.status, 401, response.text);
      }
      for (const server of [first, second]) {
        const response = await login(server, user.password);
        assert.equal(response.status, 429, response.text);
        assert.equal(response.text, tooManyRequests);
      }
      for (const server of [first, second]) {
        const lines = server.stdout.filter((line) => line.includes('redis unreachable'));
        assert.equal(lines.length, 1, lines.join('\n'));
      }
    });
  },
);
