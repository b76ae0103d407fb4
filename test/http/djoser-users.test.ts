import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createUserRepository } from '../../src/store/user-repository.ts';
import { dialects } from '../support/databases.ts';
import { bearer, request, startTestApp, type TestApp } from '../support/test-app.ts';
import { createTokens, noNames, notFound, registerDjoserUser, type UserBody } from './djoser-shapes.ts';
import { readUser } from './user-rows.ts';

for (const dialect of dialects) {
  describe(`djoser's user list and users by id (/auth/users/, /auth/users/<id>/) on ${dialect}`, () => {
    let test: TestApp;
    before(async () => {
      test = await startTestApp(dialect);
    });
    after(() => test.close());

    /** A registered user, made staff before their first login, and their access token. */
    async function signedIn(options: { staff?: boolean } = {}) {
      const user = await registerDjoserUser(test.app);
      if (options.staff === true) {
        const updated = await createUserRepository(test.database).update(user.id, {
          isStaff: true,
          updatedAt: Date.now(),
        });
        assert.ok(updated.ok);
      }
      const { access } = await createTokens(test.app, user);
      return { ...user, access };
    }

    it('lists only yourself for a user who is not staff', async () => {
      const user = await signedIn();
      await signedIn();
      const response = await request(test.app, 'GET', '/auth/users/', { headers: bearer(user.access) });
      assert.equal(response.status, 200, response.text);
      assert.deepEqual(response.body, [
        { ...noNames, id: user.id, email: user.email, username: user.username },
      ]);
      const paged = await request(test.app, 'GET', '/auth/users/?offset=1', { headers: bearer(user.access) });
      assert.deepEqual(paged.body, []);
    });

    it('lists every user for staff, in the order they joined, paged by limit and offset', async () => {
      const staff = await signedIn({ staff: true });
      const others = [await signedIn(), await signedIn()];
      const response = await request(test.app, 'GET', '/auth/users/', { headers: bearer(staff.access) });
      assert.equal(response.status, 200, response.text);
      const ids = (response.body as UserBody[]).map((user) => user.id);
      for (const user of [staff, ...others]) assert.ok(ids.includes(user.id));
      assert.ok(ids.indexOf(staff.id) < ids.indexOf(others[0]?.id ?? ''));
      const page = await request(test.app, 'GET', `/auth/users/?limit=1&offset=${ids.indexOf(staff.id)}`, {
        headers: bearer(staff.access),
      });
      assert.deepEqual(
        (page.body as UserBody[]).map((user) => user.id),
        [staff.id],
      );
    });

    it('answers 400 for a limit or offset that is not a number, and 401 anonymous', async () => {
      const user = await signedIn();
      for (const query of ['limit=x', 'offset=-1', 'limit=10001']) {
        const response = await request(test.app, 'GET', `/auth/users/?${query}`, {
          headers: bearer(user.access),
        });
        assert.equal(response.status, 400, `${query}: ${response.text}`);
      }
      assert.equal((await request(test.app, 'GET', '/auth/users/')).status, 401);
    });

    it('shows your own account by id, and another user only to staff (404 otherwise, as djoser does)', async () => {
      const user = await signedIn();
      const other = await signedIn();
      const staff = await signedIn({ staff: true });
      const own = await request(test.app, 'GET', `/auth/users/${user.id}/`, { headers: bearer(user.access) });
      assert.equal(own.status, 200, own.text);
      assert.deepEqual(own.body, { ...noNames, id: user.id, email: user.email, username: user.username });
      for (const id of [other.id, '00000000-0000-4000-8000-000000000000', 'not-an-id', 'a%00b']) {
        const response = await request(test.app, 'GET', `/auth/users/${id}/`, {
          headers: bearer(user.access),
        });
        assert.equal(response.status, 404, `${id}: ${response.text}`);
        assert.deepEqual(response.body, notFound);
      }
      const byStaff = await request(test.app, 'GET', `/auth/users/${user.id}/`, {
        headers: bearer(staff.access),
      });
      assert.equal(byStaff.status, 200, byStaff.text);
      assert.equal((byStaff.body as UserBody).id, user.id);
      assert.equal((await request(test.app, 'GET', `/auth/users/${user.id}/`)).status, 401);
    });

    it('changes and deactivates your own account by id, as /me/ does', async () => {
      const user = await signedIn();
      const renamed = `re${user.username}`;
      const patched = await request(test.app, 'PATCH', `/auth/users/${user.id}/`, {
        headers: bearer(user.access),
        body: { username: renamed },
      });
      assert.equal(patched.status, 200, patched.text);
      assert.equal((patched.body as UserBody).username, renamed);
      const put = await request(test.app, 'PUT', `/auth/users/${user.id}/`, {
        headers: bearer(user.access),
        body: { username: user.username },
      });
      assert.equal(put.status, 200, put.text);
      const deleted = await request(test.app, 'DELETE', `/auth/users/${user.id}/`, {
        headers: bearer(user.access),
        body: { current_password: user.password },
      });
      assert.equal(deleted.status, 204, deleted.text);
      assert.equal((await readUser(test.database, user.email)).isActive, false);
    });

    it("refuses to change or delete another's account, staff included, and changes nothing", async () => {
      const target = await signedIn();
      const before = await readUser(test.database, target.email);
      for (const caller of [await signedIn(), await signedIn({ staff: true })]) {
        for (const [method, body] of [
          ['PATCH', { username: 'taken-over' }],
          ['PUT', { username: 'taken-over' }],
          ['DELETE', { current_password: caller.password }],
        ] as const) {
          const response = await request(test.app, method, `/auth/users/${target.id}/`, {
            headers: bearer(caller.access),
            body,
          });
          assert.equal(response.status, 404, `${method}: ${response.text}`);
          assert.deepEqual(response.body, notFound);
        }
      }
      assert.deepEqual(await readUser(test.database, target.email), before);
    });

    it('changes the email at POST /auth/users/set_email/ (djoser names it after the login field), proving the password', async () => {
      const user = await signedIn();
      const other = await signedIn();
      const before = await readUser(test.database, user.email);
      const set = (body: unknown) =>
        request(test.app, 'POST', '/auth/users/set_email/', { headers: bearer(user.access), body });
      for (const [body, errors] of [
        [{}, { new_email: ['This field is required.'], current_password: ['This field is required.'] }],
        [
          { new_email: 'nope', current_password: 'wrong-password' },
          { current_password: ['Invalid password.'], new_email: ['Enter a valid email address.'] },
        ],
        [
          { new_email: other.email.toUpperCase(), current_password: user.password },
          { new_email: ['user with this email address already exists.'] },
        ],
      ] as const) {
        const response = await set(body);
        assert.equal(response.status, 400, response.text);
        assert.deepEqual(response.body, errors);
      }
      assert.deepEqual(await readUser(test.database, user.email), before);
      const moved = `moved.${user.email}`;
      const response = await set({ new_email: moved, current_password: user.password });
      assert.equal(response.status, 204, response.text);
      const after = await readUser(test.database, moved);
      assert.equal(after.id, user.id);
      assert.equal(after.emailVerifiedAt, null);
      assert.equal(
        (
          await request(test.app, 'POST', '/auth/users/set_username/', {
            headers: bearer(user.access),
            body: {},
          })
        ).status,
        404,
      );
    });
  });
}
