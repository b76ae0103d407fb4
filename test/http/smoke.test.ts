import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { dialects } from '../support/databases.ts';
import { registerUser, request, startTestApp, type TestApp } from '../support/test-app.ts';

for (const dialect of dialects) {
  describe(`current user on ${dialect}`, () => {
    let test: TestApp;
    before(async () => {
      test = await startTestApp(dialect);
    });
    after(() => test.close());

    it('returns the registered user with the token that was presented', async () => {
      const user = await registerUser(test.app);
      const response = await request(test.app, 'GET', '/api/user', { token: user.token });
      assert.equal(response.status, 200);
      assert.deepEqual(response.body, {
        user: { email: user.email, username: user.username, bio: null, image: null, token: user.token },
      });
    });
  });
}
