import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { dialects } from '../support/databases.ts';
import { poll } from '../support/poll.ts';
import { newUser, request, startTestApp, type TestApp } from '../support/test-app.ts';
import { countUsers } from './user-rows.ts';

interface LogLine {
  level: number;
  msg: string;
  err?: unknown;
}

for (const dialect of dialects) {
  describe(`the response deadline on ${dialect}`, () => {
    let test: TestApp;
    before(async () => {
      // a password hash that takes far longer than the deadline, without blocking the event loop
      test = await startTestApp(dialect, {
        env: { RESPONSE_TIMEOUT: '200ms', ARGON2_MEMORY_KIB: '65536', ARGON2_ITERATIONS: '40' },
      });
    });
    after(() => test.close());

    const parsedLogs = () => test.logs.map((line) => JSON.parse(line) as LogLine);

    it('answers a request its handler has not answered in time 503 in its envelope, once, with Retry-After', async () => {
      const usersBefore = await countUsers(test.database);
      const startedAt = Date.now();
      const conduit = request(test.app, 'POST', '/api/users', { body: { user: newUser('slow') } });
      const djoser = request(test.app, 'POST', '/auth/users/', { body: newUser('slow') });
      const [conduitAnswer, djoserAnswer] = await Promise.all([conduit, djoser]);
      const elapsed = Date.now() - startedAt;
      assert.ok(elapsed < 1_000, `answered after ${elapsed} ms`);

      assert.equal(conduitAnswer.status, 503, conduitAnswer.text);
      assert.deepEqual(conduitAnswer.body, { errors: { body: ['is temporarily unavailable, retry later'] } });
      assert.equal(djoserAnswer.status, 503, djoserAnswer.text);
      assert.deepEqual(djoserAnswer.body, { detail: 'Service temporarily unavailable, try again later.' });
      for (const answer of [conduitAnswer, djoserAnswer]) {
        assert.match(String(answer.headers['retry-after']), /^\d+$/);
        assert.equal(answer.headers['cache-control'], 'no-store');
      }

      // the abandoned work runs to its end; its late answer goes nowhere, and nothing is logged as an error
      await poll(
        () => countUsers(test.database),
        (count) => count === usersBefore + 2,
        5_000,
      );
      await new Promise((resolve) => setTimeout(resolve, 100));
      const logs = parsedLogs();
      const warnings = logs.filter((line) => line.level === 40);
      assert.deepEqual(
        warnings.map((line) => line.msg),
        ['no answer in time; work abandoned', 'no answer in time; work abandoned'],
      );
      assert.deepEqual(
        logs.filter((line) => line.level >= 50 || line.err !== undefined),
        [],
        'an error or a stack was logged',
      );
      assert.equal(logs.filter((line) => line.msg === 'request completed').length, 2);
    });

    it('leaves a request answered in time alone', async () => {
      const response = await request(test.app, 'GET', '/healthz');
      assert.equal(response.status, 200, response.text);
    });
  });
}
