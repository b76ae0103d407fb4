import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { dialects } from '../support/databases.ts';
import { newUser, request, startTestApp, type TestApp } from '../support/test-app.ts';
import type { UserBody } from './djoser-shapes.ts';
import { countUsers, readUser } from './user-rows.ts';

const form = (fields: Record<string, string>) => ({
  body: new URLSearchParams(fields).toString(),
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
});

/** A multipart body as a browser's FormData (or DRF's test client) sends it. */
async function multipart(data: FormData) {
  const encoded = new Response(data);
  return {
    body: Buffer.from(await encoded.arrayBuffer()).toString('latin1'),
    headers: { 'content-type': encoded.headers.get('content-type') ?? '' },
  };
}

function formData(fields: Record<string, string>): FormData {
  const data = new FormData();
  for (const [name, value] of Object.entries(fields)) data.append(name, value);
  return data;
}

for (const dialect of dialects) {
  describe(`djoser form bodies (urlencoded and multipart) on ${dialect}`, () => {
    let test: TestApp;
    before(async () => {
      test = await startTestApp(dialect, { env: { BODY_LIMIT: '4096' } });
    });
    after(() => test.close());

    const post = (url: string, body: { body: string; headers: Record<string, string> }) =>
      request(test.app, 'POST', url, body);

    it('registers from a urlencoded form and logs in with one', async () => {
      const user = newUser('form');
      const registered = await post('/auth/users/', form(user));
      assert.equal(registered.status, 201, registered.text);
      assert.equal((registered.body as UserBody).username, user.username);
      const login = await post('/auth/jwt/create/', form({ email: user.email, password: user.password }));
      assert.equal(login.status, 200, login.text);
    });

    it('registers from a multipart form and logs in with one', async () => {
      const user = newUser('multi');
      const registered = await post('/auth/users/', await multipart(formData(user)));
      assert.equal(registered.status, 201, registered.text);
      const login = await post(
        '/auth/jwt/create/',
        await multipart(formData({ email: user.email, password: user.password })),
      );
      assert.equal(login.status, 200, login.text);
    });

    it('keeps the last value of a repeated key, as a DRF serializer reads a QueryDict', async () => {
      const user = newUser('repeat');
      const encoded = `${new URLSearchParams(user).toString()}&username=first${user.username}&username=${user.username}`;
      const registered = await post('/auth/users/', {
        body: encoded,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
      assert.equal(registered.status, 201, registered.text);
      assert.equal((registered.body as UserBody).username, user.username);
      const data = formData({ ...newUser('multirepeat') });
      data.append('username', 'last-one-wins');
      const multi = await post('/auth/users/', await multipart(data));
      assert.equal(multi.status, 201, multi.text);
      assert.equal((multi.body as UserBody).username, 'last-one-wins');
    });

    it("answers a missing or blank form field in DRF's words and creates nobody", async () => {
      const before = await countUsers(test.database);
      const missing = await post('/auth/users/', form({ username: 'nobody' }));
      assert.equal(missing.status, 400, missing.text);
      assert.deepEqual(missing.body, {
        email: ['This field is required.'],
        password: ['This field is required.'],
      });
      const blank = await post(
        '/auth/users/',
        await multipart(formData({ email: '', username: 'nobody', password: '' })),
      );
      assert.equal(blank.status, 400, blank.text);
      assert.deepEqual(blank.body, {
        email: ['This field may not be blank.'],
        password: ['This field may not be blank.'],
      });
      assert.equal(await countUsers(test.database), before);
    });

    it('refuses a file part with 400 under its name, and creates nobody', async () => {
      const before = await countUsers(test.database);
      const data = formData(newUser('file'));
      data.append('avatar', new Blob(['not an avatar']), 'avatar.png');
      const response = await post('/auth/users/', await multipart(data));
      assert.equal(response.status, 400, response.text);
      assert.deepEqual(response.body, { avatar: ['Not a valid string.'] });
      assert.equal(await countUsers(test.database), before);
    });

    it('holds form bodies to BODY_LIMIT (413) and creates nobody', async () => {
      const before = await countUsers(test.database);
      const big = { ...newUser('big'), bio: 'x'.repeat(5000) };
      const urlencoded = await post('/auth/users/', form(big));
      assert.equal(urlencoded.status, 413, urlencoded.text);
      assert.deepEqual(urlencoded.body, { detail: 'Request body is too large.' });
      const multi = await post('/auth/users/', await multipart(formData(big)));
      assert.equal(multi.status, 413, multi.text);
      assert.deepEqual(multi.body, { detail: 'Request body is too large.' });
      // many small fields adding up past the limit
      const many = formData(newUser('many'));
      for (let index = 0; index < 20; index += 1) many.append(`f${index}`, 'y'.repeat(250));
      const spread = await post('/auth/users/', await multipart(many));
      assert.equal(spread.status, 413, spread.text);
      assert.equal(await countUsers(test.database), before);
    });

    it('answers 400 for a multipart body that is no form, and NUL in a form field as invalid', async () => {
      const broken = await post('/auth/users/', {
        body: 'no boundary here',
        headers: { 'content-type': 'multipart/form-data' },
      });
      assert.equal(broken.status, 400, broken.text);
      assert.deepEqual(broken.body, { detail: 'Malformed request.' });
      const user = newUser('nul');
      const nul = await post('/auth/users/', await multipart(formData({ ...user, username: 'a\u0000b' })));
      assert.equal(nul.status, 400, nul.text);
      assert.deepEqual(Object.keys(nul.body as object), ['username']);
      await assert.rejects(readUser(test.database, user.email));
    });

    it('keeps /api JSON-only: a form body there is 415', async () => {
      const user = newUser('conduitform');
      const urlencoded = await post('/api/users', form(user));
      assert.equal(urlencoded.status, 415, urlencoded.text);
      const multi = await post('/api/users', await multipart(formData(user)));
      assert.equal(multi.status, 415, multi.text);
      await assert.rejects(readUser(test.database, user.email));
    });

    it('takes forms on authenticated djoser routes too (PATCH /auth/users/me/)', async () => {
      const user = newUser('formme');
      assert.equal((await post('/auth/users/', form(user))).status, 201);
      const login = await post('/auth/jwt/create/', form({ email: user.email, password: user.password }));
      const { access } = login.body as { access: string };
      const patch = await multipart(formData({ username: `re${user.username}` }));
      const renamed = await request(test.app, 'PATCH', '/auth/users/me/', {
        body: patch.body,
        headers: { ...patch.headers, authorization: `Bearer ${access}` },
      });
      assert.equal(renamed.status, 200, renamed.text);
      assert.equal((renamed.body as UserBody).username, `re${user.username}`);
    });
  });
}
