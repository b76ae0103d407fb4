import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { dialects } from '../support/databases.ts';
import {
  newUser,
  registerUser,
  request,
  startTestApp,
  type JsonResponse,
  type TestApp,
} from '../support/test-app.ts';
import type { ErrorBody, UserBody } from './conduit-shapes.ts';
import { sessionRows } from './session-shapes.ts';
import { countUsers, readUser } from './user-rows.ts';

/** Text that must never reach a client or a log line: stack frames, SQL, password hashes. */
const leakPatterns = [
  /\$argon2/,
  /\bat [\w.<>]+ \(/,
  /node:internal|node_modules|\.ts:\d+|\.js:\d+/,
  /\b(select|insert into|update|delete from)\b.*\b(from|values|set|where)\b/i,
  /\busers?\.(email_normalized|password_hash)\b|\bpassword_hash\b/,
  /SQLITE_|duplicate key|violates unique constraint/i,
];

function assertNoLeak(text: string, where: string): void {
  for (const pattern of leakPatterns) assert.doesNotMatch(text, pattern, `${where} leaks ${String(pattern)}`);
}

function assertEnvelope(response: JsonResponse, status: number): ErrorBody {
  assert.equal(response.status, status, response.text);
  assert.match(String(response.headers['content-type']), /^application\/json/);
  const body = response.body as ErrorBody;
  assert.deepEqual(Object.keys(body), ['errors']);
  for (const messages of Object.values(body.errors)) {
    assert.ok(Array.isArray(messages) && messages.every((message) => typeof message === 'string'));
  }
  return body;
}

for (const dialect of dialects) {
  describe(`request errors on ${dialect}`, () => {
    let test: TestApp;
    const responses: JsonResponse[] = [];
    /** Every request of this suite goes through here, so the leak checks at the end see all answers. */
    async function send(...args: Parameters<typeof request>): Promise<JsonResponse> {
      const response = await request(...args);
      responses.push(response);
      return response;
    }

    before(async () => {
      test = await startTestApp(dialect, { env: { BODY_LIMIT: '2048' } });
    });
    after(() => test.close());

    it('answers 400 in the Conduit envelope for malformed JSON and creates nobody', async () => {
      const before = await countUsers(test.database);
      for (const payload of ['{"user":', '{user: {}}', "{'user':{}}", '{"user":{}}}', 'nul', '\u0000']) {
        const response = await send(test.app, 'POST', '/api/users', { body: payload });
        assert.deepEqual(assertEnvelope(response, 400), { errors: { body: ['is not valid JSON'] } }, payload);
      }
      const login = await send(test.app, 'POST', '/api/users/login', { body: '{"user":{"email":"a@b.io",' });
      assertEnvelope(login, 400);
      const user = await registerUser(test.app);
      const update = await send(test.app, 'PUT', '/api/user', { token: user.token, body: '{"user":{"bio":' });
      assertEnvelope(update, 400);
      assert.equal(await countUsers(test.database), before + 1);
    });

    it('answers 413 for a body over BODY_LIMIT and creates nobody', async () => {
      const before = await countUsers(test.database);
      const user = newUser();
      const body = JSON.stringify({ user: { ...user, padding: 'x'.repeat(4096) } });
      const response = await send(test.app, 'POST', '/api/users', { body });
      assert.deepEqual(assertEnvelope(response, 413), { errors: { body: ['is too large'] } });
      assert.equal(await countUsers(test.database), before);
    });

    it('accepts a body just under BODY_LIMIT', async () => {
      const user = newUser();
      const filler = 2048 - JSON.stringify({ user: { ...user, padding: '' } }).length - 1;
      const body = JSON.stringify({ user: { ...user, padding: 'x'.repeat(filler) } });
      assert.ok(Buffer.byteLength(body) < 2048);
      const response = await send(test.app, 'POST', '/api/users', { body });
      assert.equal(response.status, 201, response.text);
    });

    for (const contentType of [
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'application/xml',
    ]) {
      it(`answers 415 for a body sent as ${contentType} and creates nobody`, async () => {
        const before = await countUsers(test.database);
        const user = newUser();
        const payload = contentType.startsWith('application/x-www')
          ? new URLSearchParams(user).toString()
          : JSON.stringify({ user });
        const response = await send(test.app, 'POST', '/api/users', {
          body: payload,
          headers: { 'content-type': contentType },
        });
        assert.deepEqual(assertEnvelope(response, 415), {
          errors: { body: ['must be sent as application/json'] },
        });
        assert.equal(await countUsers(test.database), before);
      });
    }

    it('answers 415 for a login sent as text/plain', async () => {
      const user = await registerUser(test.app);
      const response = await send(test.app, 'POST', '/api/users/login', {
        body: JSON.stringify({ user: { email: user.email, password: user.password } }),
        headers: { 'content-type': 'text/plain' },
      });
      assertEnvelope(response, 415);
    });

    it('accepts application/json with a charset parameter', async () => {
      const response = await send(test.app, 'POST', '/api/users', {
        body: { user: newUser() },
        headers: { 'content-type': 'application/json; charset=utf-8' },
      });
      assert.equal(response.status, 201, response.text);
    });

    it('answers 404 in the Conduit envelope for an unknown route or method', async () => {
      for (const [method, url] of [
        ['GET', '/api/nothing-here'],
        ['GET', '/nothing'],
        ['PATCH', '/api/user'],
        ['DELETE', '/api/users'],
        ['GET', '/api/profiles/'],
      ] as const) {
        const response = await send(test.app, method, url);
        assert.deepEqual(
          assertEnvelope(response, 404),
          { errors: { body: ['not found'] } },
          `${method} ${url}`,
        );
      }
    });

    it('answers in the Conduit envelope, not with the path echoed, for a URL the router cannot read', async () => {
      const longName = 'a'.repeat(2000);
      for (const url of [
        '/api/profiles/%E0%A4%A',
        `/api/profiles/${longName}`,
        `/api/profiles/${longName}/follow`,
      ]) {
        const response = await send(test.app, 'GET', url);
        assert.ok(response.status >= 400 && response.status < 500, `${url}: ${response.status}`);
        assertEnvelope(response, response.status);
        assert.ok(!response.text.includes('aaaaaaaaaa'), 'the path is echoed');
      }
    });

    // JSON text for a NUL and for a lone surrogate, each decoding to a string no database keeps as it came
    const unsafeStrings = ['a\\u0000b', '\\ud800', 'x\\udfffy', '\\udc00\\ud800'];

    it('refuses NUL and lone surrogates in a body field as that field being invalid, and stores nothing', async () => {
      const user = await registerUser(test.app);
      const before = await countUsers(test.database);
      for (const unsafe of unsafeStrings) {
        const fresh = newUser();
        const registration = await send(test.app, 'POST', '/api/users', {
          body: `{"user":{"username":"${unsafe}","email":"${fresh.email}","password":"${fresh.password}"}}`,
        });
        assert.deepEqual(assertEnvelope(registration, 422), { errors: { username: ['is invalid'] } }, unsafe);
        const update = await send(test.app, 'PUT', '/api/user', {
          token: user.token,
          body: `{"user":{"bio":"${unsafe}","image":null}}`,
        });
        assert.deepEqual(assertEnvelope(update, 422), { errors: { bio: ['is invalid'] } }, unsafe);
        const login = await send(test.app, 'POST', '/api/users/login', {
          body: `{"user":{"email":"${user.email}","password":"${unsafe}"}}`,
        });
        assert.deepEqual(assertEnvelope(login, 422), { errors: { password: ['is invalid'] } }, unsafe);
      }
      assert.equal(await countUsers(test.database), before);
      assert.equal((await readUser(test.database, user.email)).bio, null);
      // a surrogate pair is one character, and welcome
      const emoji = await send(test.app, 'PUT', '/api/user', {
        token: user.token,
        body: '{"user":{"bio":"\\ud83d\\ude00"}}',
      });
      assert.equal(emoji.status, 200, emoji.text);
      assert.equal((await readUser(test.database, user.email)).bio, '\u{1F600}');
    });

    it('refuses them in a djoser body with 400 on the field, and stores nothing', async () => {
      const before = await countUsers(test.database);
      for (const unsafe of unsafeStrings) {
        const fresh = newUser();
        const response = await send(test.app, 'POST', '/auth/users/', {
          body: `{"username":"${unsafe}","email":"${fresh.email}","password":"${fresh.password}"}`,
        });
        assert.equal(response.status, 400, response.text);
        assert.deepEqual(Object.keys(response.body as object), ['username'], unsafe);
      }
      assert.equal(await countUsers(test.database), before);
    });

    it('answers a NUL in a path parameter as an unknown id, and ends no session', async () => {
      const user = await registerUser(test.app);
      const sessions = await sessionRows(test.database);
      for (const [method, url, body] of [
        ['DELETE', '/api/user/sessions/%00', { errors: { session: ['not found'] } }],
        ['DELETE', '/api/user/sessions/a%00b', { errors: { session: ['not found'] } }],
        ['GET', '/api/profiles/%00', { errors: { profile: ['not found'] } }],
        ['POST', '/api/profiles/%00/follow', { errors: { profile: ['not found'] } }],
        ['DELETE', '/api/profiles/x%00/follow', { errors: { profile: ['not found'] } }],
        // no UTF-8 spells a lone surrogate: the router cannot read the URL
        ['GET', '/api/profiles/%ED%A0%80', { errors: { body: ['not found'] } }],
      ] as const) {
        const response = await send(test.app, method, url, { token: user.token });
        assert.deepEqual(assertEnvelope(response, 404), body, url);
      }
      // as for any unknown id, a caller is asked for first
      const anonymous = await send(test.app, 'DELETE', '/api/user/sessions/%00');
      assertEnvelope(anonymous, 401);
      assert.deepEqual(await sessionRows(test.database), sessions);
    });

    it('answers a method no route knows 404 in the envelope of its URL', async () => {
      for (const method of ['PROPFIND', 'SEARCH', 'TRACE', 'QUERY'] as const) {
        const conduit = await test.app.inject({ method, url: '/api/user' });
        assert.equal(conduit.statusCode, 404, `${method}: ${conduit.body}`);
        assert.deepEqual(conduit.json(), { errors: { body: ['not found'] } });
        const djoser = await test.app.inject({ method, url: '/auth/users/me/' });
        assert.equal(djoser.statusCode, 404, `${method}: ${djoser.body}`);
        assert.deepEqual(djoser.json(), { detail: 'Not found.' });
      }
    });

    it('serves the routes with a trailing slash as well', async () => {
      const user = newUser();
      const registered = await send(test.app, 'POST', '/api/users/', { body: { user } });
      assert.equal(registered.status, 201, registered.text);
      const login = await send(test.app, 'POST', '/api/users/login/', {
        body: { user: { email: user.email, password: user.password } },
      });
      assert.equal(login.status, 200, login.text);
      const { token } = (login.body as UserBody).user;
      assert.equal((await send(test.app, 'GET', '/api/user/', { token })).status, 200);
      assert.equal(
        (await send(test.app, 'PUT', '/api/user/', { token, body: { user: { bio: 'x' } } })).status,
        200,
      );
      const other = await registerUser(test.app);
      assert.equal((await send(test.app, 'GET', `/api/profiles/${other.username}/`)).status, 200);
      assert.equal(
        (await send(test.app, 'POST', `/api/profiles/${other.username}/follow/`, { token })).status,
        200,
      );
      assert.equal(
        (await send(test.app, 'DELETE', `/api/profiles/${other.username}/follow/`, { token })).status,
        200,
      );
    });

    it('sends Cache-Control: no-store on every response that carries a token', async () => {
      const user = newUser();
      const registered = await send(test.app, 'POST', '/api/users', { body: { user } });
      const login = await send(test.app, 'POST', '/api/users/login', {
        body: { user: { email: user.email, password: user.password } },
      });
      const { token } = (login.body as UserBody).user;
      const current = await send(test.app, 'GET', '/api/user', { token });
      const updated = await send(test.app, 'PUT', '/api/user', { token, body: { user: { bio: 'cached?' } } });
      for (const response of [registered, login, current, updated]) {
        assert.ok((response.body as UserBody).user.token.length > 0);
        assert.equal(response.headers['cache-control'], 'no-store');
      }
    });

    it('never echoes the password or the hash in any answer, even a refusal', async () => {
      const user = await registerUser(test.app);
      const wrong = await send(test.app, 'POST', '/api/users/login', {
        body: { user: { email: user.email, password: 'Wrong-Passphrase-9' } },
      });
      const weak = await send(test.app, 'POST', '/api/users', {
        body: { user: { ...newUser(), password: 'password123' } },
      });
      const taken = await send(test.app, 'POST', '/api/users', { body: { user } });
      for (const response of [wrong, weak, taken]) {
        assert.ok(!response.text.includes(user.password));
        assert.ok(!response.text.includes('Wrong-Passphrase-9'));
        assert.ok(!response.text.includes('password123'));
      }
    });

    it('leaks no stack trace, SQL or hash in any answer of this suite', () => {
      assert.ok(responses.length > 20);
      for (const response of responses) assertNoLeak(response.text, `response ${response.status}`);
    });

    it('logs no password, token, stack trace, SQL or hash, not even a token sent in the query string', async () => {
      const user = await registerUser(test.app);
      const login = await send(test.app, 'POST', '/api/users/login', {
        body: { user: { email: user.email, password: user.password } },
      });
      const { token } = (login.body as UserBody).user;
      await send(test.app, 'GET', `/api/user?token=${token}`);
      await send(test.app, 'GET', `/api/user?access_token=${user.token}&x=1`);
      await send(test.app, 'GET', '/api/user', { token: `${token}x` });
      await send(test.app, 'PUT', '/api/user', {
        token,
        body: { user: { password: 'Changed-Passphrase-77' } },
      });
      await send(test.app, 'POST', '/api/users/login', {
        body: { user: { email: user.email, password: 'Wrong-Passphrase-9' } },
      });

      const logs = test.logs.join('\n');
      assert.ok(test.logs.length > 0, 'the app wrote no log lines at all');
      for (const secret of [
        user.password,
        'Changed-Passphrase-77',
        'Wrong-Passphrase-9',
        token,
        user.token,
      ]) {
        assert.ok(!logs.includes(secret), `a log line holds ${secret.slice(0, 12)}…`);
      }
      // the signature alone is enough to replay a token
      for (const signature of [token, user.token].map((each) => each.split('.')[2] ?? '')) {
        assert.ok(!logs.includes(signature), 'a log line holds a token signature');
      }
      assertNoLeak(logs, 'the log');
    });
  });
}
