import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { HttpServer } from '../../src/http/server.ts';
import { dialects } from '../support/databases.ts';
import { registerUser, request, startTestApp, type TestApp } from '../support/test-app.ts';
import { startAnotherInstance } from './another-instance.ts';

// The documented limit: 10 failed logins per email per window. Per-IP limits stay out of the way (every
// guess comes from an address of its own).
const failuresPerEmail = 10;
const newIp = () => [203, 0, ...randomBytes(2)].join('.');

/** Guesses at once, the right password among them at `rightAt`; the statuses, in order. */
async function guessAtOnce(
  apps: readonly HttpServer[],
  email: string,
  password: string,
  guesses: number,
  rightAt: number,
): Promise<number[]> {
  const responses = await Promise.all(
    Array.from({ length: guesses }, (_, index) =>
      request(apps[index % apps.length] as HttpServer, 'POST', '/api/users/login', {
        body: { user: { email, password: index === rightAt ? password : `wrong-guess-${index}` } },
        remoteAddress: newIp(),
      }),
    ),
  );
  return responses.map((response) => response.status);
}

/** No more passwords were checked than the limit allows: every other guess was refused unchecked. */
function assertAtMostTheLimitChecked(statuses: number[]): void {
  const checked = statuses.filter((status) => status !== 429);
  assert.ok(checked.length <= failuresPerEmail, `${checked.length} checked: ${statuses.join(' ')}`);
  assert.ok(
    checked.every((status) => status === 401 || status === 200),
    statuses.join(' '),
  );
}

for (const dialect of dialects) {
  describe(`the per-email lock under parallel guesses, on ${dialect}`, () => {
    let test: TestApp;
    before(async () => {
      test = await startTestApp(dialect, { env: { LOGIN_FAILURES_PER_EMAIL: String(failuresPerEmail) } });
    });
    after(() => test.close());

    it('checks no more than the limit of 30 parallel guesses, and a right one late among them is refused', async () => {
      const user = await registerUser(test.app, 'guessed');
      const statuses = await guessAtOnce([test.app], user.email, user.password, 30, 26);
      assertAtMostTheLimitChecked(statuses);
      assert.ok(statuses.filter((status) => status === 429).length >= 30 - failuresPerEmail);
      // the lock holds afterwards too, for the right password as for any other
      const after = await request(test.app, 'POST', '/api/users/login', {
        body: { user: { email: user.email, password: user.password } },
        remoteAddress: newIp(),
      });
      assert.equal(after.status, 429, after.text);
    });

    if (dialect === 'postgres') {
      it('checks no more than the limit of 200 parallel guesses spread over two instances', async () => {
        const other = await startAnotherInstance(test);
        try {
          const user = await registerUser(test.app, 'guessed');
          const statuses = await guessAtOnce([test.app, other], user.email, user.password, 200, 150);
          assertAtMostTheLimitChecked(statuses);
        } finally {
          await other.close();
        }
      });
    }
  });
}
