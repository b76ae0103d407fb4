import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { dialects } from '../support/databases.ts';
import { bearer, request, startTestApp, type TestApp } from '../support/test-app.ts';
import { createTokens, getMe, noNames, registerDjoserUser, type UserBody } from './djoser-shapes.ts';
import { registerStaff } from './staff-shapes.ts';
import { readUser } from './user-rows.ts';

// first_name and last_name as djoser shows them for Django's AbstractUser when a project lists them among
// its serializer's fields (REQUIRED_FIELDS, or its own UserSerializer): strings, "" when empty, writable.

const tooLong = ['Ensure this field has no more than 150 characters.'];

for (const dialect of dialects) {
  describe(`djoser's user object shows and changes first_name and last_name, on ${dialect}`, () => {
    let test: TestApp;
    before(async () => {
      test = await startTestApp(dialect);
    });
    after(() => test.close());

    async function signedIn() {
      const user = await registerDjoserUser(test.app, 'named');
      return { ...user, ...(await createTokens(test.app, user)) };
    }

    const update = (method: 'PUT' | 'PATCH', access: string, body: unknown) =>
      request(test.app, method, '/auth/users/me/', { headers: bearer(access), body });

    it('shows "" for names never given, and the names once PATCH sets them, trimmed, on every user route', async () => {
      const user = await signedIn();
      const blank = await getMe(test.app, user.access);
      assert.deepEqual(blank.body, {
        ...noNames,
        id: user.id,
        email: user.email,
        username: user.username,
        roles: [],
      });

      const patched = await update('PATCH', user.access, { first_name: '  Ada ', last_name: 'Lovelace' });
      assert.equal(patched.status, 200, patched.text);
      const shown = {
        id: user.id,
        email: user.email,
        username: user.username,
        first_name: 'Ada',
        last_name: 'Lovelace',
      };
      assert.deepEqual(patched.body, { ...shown, roles: [] });
      assert.deepEqual((await getMe(test.app, user.access)).body, { ...shown, roles: [] });
      const listed = await request(test.app, 'GET', '/auth/users/', { headers: bearer(user.access) });
      assert.deepEqual(listed.body, [shown]);
      const byId = await request(test.app, 'GET', `/auth/users/${user.id}/`, {
        headers: bearer(user.access),
      });
      assert.deepEqual(byId.body, shown);
      const stored = await readUser(test.database, user.email);
      assert.deepEqual([stored.firstName, stored.lastName], ['Ada', 'Lovelace']);
    });

    it('PUT takes the names beside the username, and leaves names it is not sent alone', async () => {
      const user = await signedIn();
      const put = await update('PUT', user.access, { username: user.username, first_name: 'Grace' });
      assert.equal(put.status, 200, put.text);
      assert.deepEqual([(put.body as UserBody).first_name, (put.body as UserBody).last_name], ['Grace', '']);
      // DRF's PUT requires what the serializer requires; a field it does not require and is not sent stays
      const again = await update('PUT', user.access, { username: `${user.username}x`, last_name: 'Hopper' });
      assert.equal(again.status, 200, again.text);
      assert.deepEqual(
        [(again.body as UserBody).first_name, (again.body as UserBody).last_name],
        ['Grace', 'Hopper'],
      );
    });

    it('clears a name sent as "" or as blanks, and keeps 150 characters, counted in code points', async () => {
      const user = await signedIn();
      // 150 astral characters: 300 UTF-16 units, still 150 characters to Django
      const longest = '𝒜'.repeat(150);
      const set = await update('PATCH', user.access, { first_name: longest, last_name: 'Ω'.repeat(150) });
      assert.equal(set.status, 200, set.text);
      assert.equal((set.body as UserBody).first_name, longest);
      const cleared = await update('PATCH', user.access, { first_name: '', last_name: '   ' });
      assert.equal(cleared.status, 200, cleared.text);
      assert.deepEqual(
        [(cleared.body as UserBody).first_name, (cleared.body as UserBody).last_name],
        ['', ''],
      );
      const stored = await readUser(test.database, user.email);
      assert.deepEqual([stored.firstName, stored.lastName], [null, null]);
    });

    it('refuses a bad name in Django’s words with 400, changing nothing, not even the fields beside it', async () => {
      const user = await signedIn();
      assert.equal((await update('PATCH', user.access, { first_name: 'Ada' })).status, 200);
      const cases: Array<['PUT' | 'PATCH', Record<string, unknown>, Record<string, string[]>]> = [
        ['PATCH', { first_name: 'a'.repeat(151) }, { first_name: tooLong }],
        ['PATCH', { last_name: `${'𝒜'.repeat(150)}b` }, { last_name: tooLong }],
        [
          'PATCH',
          { first_name: 'x'.repeat(151), last_name: 'y'.repeat(151) },
          { first_name: tooLong, last_name: tooLong },
        ],
        ['PATCH', { first_name: null }, { first_name: ['This field may not be null.'] }],
        ['PATCH', { last_name: 42 }, { last_name: ['Not a valid string.'] }],
        ['PATCH', { first_name: 'Ada\u0000Lovelace' }, { first_name: ['Invalid value.'] }],
        ['PATCH', { first_name: 'Ada\ud800' }, { first_name: ['Invalid value.'] }],
        // the username beside a refused name is not changed either
        ['PATCH', { username: `${user.username}-new`, last_name: 'z'.repeat(151) }, { last_name: tooLong }],
        ['PUT', { username: `${user.username}-new`, first_name: 'z'.repeat(151) }, { first_name: tooLong }],
        ['PUT', { first_name: 'Grace' }, { username: ['This field is required.'] }],
      ];
      for (const [method, body, errors] of cases) {
        const before = await readUser(test.database, user.email);
        const response = await update(method, user.access, body);
        assert.equal(response.status, 400, `${method} ${JSON.stringify(body)}: ${response.text}`);
        assert.deepEqual(response.body, errors, JSON.stringify(body));
        assert.deepEqual(
          await readUser(test.database, user.email),
          before,
          'a refused update changed the row',
        );
      }
      assert.equal((await readUser(test.database, user.email)).firstName, 'Ada');
    });

    it('takes the names as form fields too, as a DRF client posts them', async () => {
      const user = await signedIn();
      const response = await request(test.app, 'PATCH', '/auth/users/me/', {
        headers: { ...bearer(user.access), 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ first_name: 'Émilie', last_name: 'du Châtelet' }).toString(),
      });
      assert.equal(response.status, 200, response.text);
      assert.deepEqual(
        [(response.body as UserBody).first_name, (response.body as UserBody).last_name],
        ['Émilie', 'du Châtelet'],
      );
    });

    it('shows the names to staff (null when empty), and never in the fixed Conduit user object', async () => {
      const staff = await registerStaff(test);
      const user = await signedIn();
      assert.equal((await update('PATCH', user.access, { last_name: 'Noether' })).status, 200);
      const seen = await request(test.app, 'GET', `/api/admin/users/${user.id}`, {
        headers: bearer(staff.token),
      });
      assert.equal(seen.status, 200, seen.text);
      const staffView = (seen.body as { user: { firstName: unknown; lastName: unknown } }).user;
      assert.deepEqual([staffView.firstName, staffView.lastName], [null, 'Noether']);

      const conduit = await request(test.app, 'GET', '/api/user', { headers: bearer(user.access) });
      assert.equal(conduit.status, 200, conduit.text);
      assert.deepEqual(Object.keys((conduit.body as { user: object }).user).sort(), [
        'bio',
        'email',
        'image',
        'token',
        'username',
      ]);
      // Conduit's update takes no names: they are ignored as any unknown field is
      const put = await request(test.app, 'PUT', '/api/user', {
        headers: bearer(user.access),
        body: { user: { first_name: 'Emmy', firstName: 'Emmy' } },
      });
      assert.equal(put.status, 200, put.text);
      assert.equal((await readUser(test.database, user.email)).firstName, null);
    });
  });

  describe(`with DJOSER_LOGIN_FIELD=username, the email and the names are writable, on ${dialect}`, () => {
    let test: TestApp;
    before(async () => {
      test = await startTestApp(dialect, { env: { DJOSER_LOGIN_FIELD: 'username' } });
    });
    after(() => test.close());

    it('PUT sets the names without an email, and a refused name changes nothing', async () => {
      const user = await registerDjoserUser(test.app, 'unamed');
      const { access } = await createTokens(test.app, user);
      const put = await request(test.app, 'PUT', '/auth/users/me/', {
        headers: bearer(access),
        body: { first_name: 'Ada', last_name: 'Lovelace' },
      });
      assert.equal(put.status, 200, put.text);
      assert.deepEqual(put.body, {
        id: user.id,
        email: user.email,
        username: user.username,
        first_name: 'Ada',
        last_name: 'Lovelace',
        roles: [],
      });
      const before = await readUser(test.database, user.email);
      const refused = await request(test.app, 'PATCH', '/auth/users/me/', {
        headers: bearer(access),
        body: { email: `new-${user.email}`, first_name: 'q'.repeat(151) },
      });
      assert.equal(refused.status, 400, refused.text);
      assert.deepEqual(refused.body, { first_name: tooLong });
      assert.deepEqual(await readUser(test.database, user.email), before);
    });
  });
}
