import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { dialects } from '../support/databases.ts';
import { newUser, request, startTestApp, type JsonResponse, type TestApp } from '../support/test-app.ts';
import { notFound, registerDjoserUser } from './djoser-shapes.ts';
import { countUsers } from './user-rows.ts';

/** A DRF `{"detail": …}` answer with this status and nothing else in it. */
function assertDetail(response: JsonResponse, status: number, detail: string): void {
  assert.equal(response.status, status, response.text);
  assert.match(String(response.headers['content-type']), /^application\/json/);
  assert.deepEqual(response.body, { detail });
}

for (const dialect of dialects) {
  describe(`requests the djoser dialect refuses, on ${dialect}`, () => {
    let test: TestApp;
    before(async () => {
      test = await startTestApp(dialect, { env: { BODY_LIMIT: '2048' } });
    });
    after(() => test.close());

    it('answers 404 {"detail": "Not found."} for an unknown path, an unknown method and an unreadable URL', async () => {
      for (const [method, url] of [
        ['GET', '/auth/nothing/'],
        ['GET', '/auth'],
        ['GET', '/auth/'],
        ['GET', '/auth/jwt/create/'],
        ['PUT', '/auth/token/login/'],
        ['GET', '/auth/%zz/'],
        ['GET', `/auth/users/${'x'.repeat(3000)}`],
      ] as const) {
        const response = await request(test.app, method, url);
        assert.equal(response.status, 404, `${method} ${url}: ${response.text}`);
        assert.deepEqual(response.body, notFound, `${method} ${url}`);
      }
      // outside /auth the Conduit envelope stays
      for (const url of ['/api/nothing', '/api/%zz', '/authority', '/nothing']) {
        const response = await request(test.app, 'GET', url);
        assert.equal(response.status, 404, url);
        assert.deepEqual(response.body, { errors: { body: ['not found'] } }, url);
      }
    });

    it('answers 400 "Malformed request." for broken JSON and creates nobody', async () => {
      const before = await countUsers(test.database);
      for (const payload of ['{"email":', "{'email':1}", '{"a":1}}', '\u0000']) {
        assertDetail(
          await request(test.app, 'POST', '/auth/users/', { body: payload }),
          400,
          'Malformed request.',
        );
        assertDetail(
          await request(test.app, 'POST', '/auth/jwt/create/', { body: payload }),
          400,
          'Malformed request.',
        );
      }
      assert.equal(await countUsers(test.database), before);
    });

    it('answers 415 for a body neither JSON nor a form (as DRF parses them) and creates nobody', async () => {
      const before = await countUsers(test.database);
      const user = newUser();
      for (const [contentType, payload] of [
        ['text/plain', JSON.stringify(user)],
        ['application/xml', '<user/>'],
        ['text/csv', 'a,b'],
      ] as const) {
        const response = await request(test.app, 'POST', '/auth/users/', {
          body: payload,
          headers: { 'content-type': contentType },
        });
        assertDetail(response, 415, 'Unsupported media type in request.');
      }
      assert.equal(await countUsers(test.database), before);
    });

    it('answers 413 for a body over BODY_LIMIT and creates nobody', async () => {
      const before = await countUsers(test.database);
      const body = JSON.stringify({ ...newUser(), padding: 'x'.repeat(4096) });
      assertDetail(
        await request(test.app, 'POST', '/auth/users/', { body }),
        413,
        'Request body is too large.',
      );
      assert.equal(await countUsers(test.database), before);
    });

    it('accepts application/json with a charset parameter', async () => {
      const response = await request(test.app, 'POST', '/auth/users/', {
        body: newUser(),
        headers: { 'content-type': 'application/json; charset=utf-8' },
      });
      assert.equal(response.status, 201, response.text);
    });

    it('never echoes the password or a hash, and no stack, in any answer', async () => {
      const user = await registerDjoserUser(test.app);
      const answers = [
        await request(test.app, 'POST', '/auth/jwt/create/', {
          body: { email: user.email, password: 'Wrong-Passphrase-9' },
        }),
        await request(test.app, 'POST', '/auth/users/', { body: { ...newUser(), password: 'password123' } }),
        await request(test.app, 'POST', '/auth/users/', { body: user }),
        await request(test.app, 'POST', '/auth/users/', { body: '{"password":"Leaky-Passphrase-1",' }),
      ];
      for (const response of answers) {
        assert.ok(response.status >= 400 && response.status < 500, response.text);
        for (const secret of [
          user.password,
          'Wrong-Passphrase-9',
          'password123',
          'Leaky-Passphrase-1',
          '$argon2',
        ]) {
          assert.ok(!response.text.includes(secret), response.text);
        }
        assert.doesNotMatch(response.text, /\bat .+:\d+|node_modules|SQLITE_|duplicate key/);
      }
    });
  });

  describe(`a fault under /auth on ${dialect}`, () => {
    let test: TestApp;
    before(async () => {
      test = await startTestApp(dialect);
    });
    after(() => test.close());

    it('answers 500 {"detail": "A server error occurred."} and logs the cause with the request id, no stack', async () => {
      // a closed database is a fault, not an outage: nothing will bring it back
      await test.database.close();
      const response = await request(test.app, 'POST', '/auth/jwt/create/', {
        body: { email: 'someone@example.com', password: 'a-long-passphrase-42' },
      });
      assert.equal(response.status, 500, response.text);
      assert.equal(response.text, '{"detail":"A server error occurred."}');
      assert.equal(response.headers['retry-after'], undefined);
      const requestId = String(response.headers['x-request-id']);
      const logged = test.logs.filter((line) => line.includes('"level":50'));
      assert.equal(logged.length, 1, test.logs.join('\n'));
      assert.ok(logged[0]?.includes(requestId));
      assert.ok(!logged[0]?.includes('    at '));
    });
  });
}
