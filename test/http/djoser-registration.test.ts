import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { dialects } from '../support/databases.ts';
import { newUser, request, startTestApp, type TestApp } from '../support/test-app.ts';
import { createTokens, getMe, noNames, registerDjoserUser, type UserBody } from './djoser-shapes.ts';
import { countUsers, readUser } from './user-rows.ts';

for (const dialect of dialects) {
  describe(`djoser registration (POST /auth/users/) on ${dialect}`, () => {
    let test: TestApp;
    before(async () => {
      test = await startTestApp(dialect);
    });
    after(() => test.close());

    const register = (body: unknown) => request(test.app, 'POST', '/auth/users/', { body });

    /** Posts a registration that must be refused with 400 and this DRF body, creating nobody. */
    async function expectRefused(body: unknown, errors: Record<string, string[]>): Promise<void> {
      const before = await countUsers(test.database);
      const response = await register(body);
      assert.equal(response.status, 400, response.text);
      assert.deepEqual(response.body, errors);
      assert.equal(await countUsers(test.database), before, 'a refused registration created a user');
    }

    it('answers 201 with id, email and username only, and the account can log in', async () => {
      const user = newUser();
      const response = await register(user);
      assert.equal(response.status, 201, response.text);
      const body = response.body as UserBody;
      assert.deepEqual(Object.keys(body).sort(), ['email', 'id', 'username']);
      assert.match(body.id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      assert.equal(body.email, user.email);
      assert.equal(body.username, user.username);
      const stored = await readUser(test.database, user.email);
      assert.equal(stored.id, body.id);
      assert.match(stored.passwordHash, /^\$argon2id\$/);

      const { access } = await createTokens(test.app, user);
      // the current user adds the roles staff gave the account: none yet
      assert.deepEqual((await getMe(test.app, access)).body, { ...body, ...noNames, roles: [] });
    });

    it('answers without the trailing slash too', async () => {
      const response = await request(test.app, 'POST', '/auth/users', { body: newUser() });
      assert.equal(response.status, 201, response.text);
    });

    it('ignores id, is_staff, is_superuser and is_active in the body', async () => {
      const user = newUser();
      const response = await register({
        ...user,
        id: '00000000-0000-4000-8000-000000000000',
        is_staff: true,
        is_superuser: true,
        is_active: false,
        email_verified: true,
        password_hash: '$argon2id$forged',
      });
      assert.equal(response.status, 201, response.text);
      assert.notEqual((response.body as UserBody).id, '00000000-0000-4000-8000-000000000000');
      const stored = await readUser(test.database, user.email);
      assert.equal(stored.isStaff, false);
      assert.equal(stored.isSuperuser, false);
      assert.equal(stored.isActive, true);
      assert.equal(stored.emailVerifiedAt, null);
      assert.notEqual(stored.passwordHash, '$argon2id$forged');
    });

    it('answers 400 "This field is required." for each missing field', async () => {
      const user = newUser();
      await expectRefused(
        {},
        {
          email: ['This field is required.'],
          username: ['This field is required.'],
          password: ['This field is required.'],
        },
      );
      await expectRefused(
        { email: user.email, username: user.username },
        { password: ['This field is required.'] },
      );
      await expectRefused(
        { username: user.username, password: user.password },
        { email: ['This field is required.'] },
      );
    });

    it('reads a bodiless request as an empty form, as DRF does', async () => {
      const before = await countUsers(test.database);
      const response = await request(test.app, 'POST', '/auth/users/');
      assert.equal(response.status, 400, response.text);
      assert.deepEqual(response.body, {
        email: ['This field is required.'],
        username: ['This field is required.'],
        password: ['This field is required.'],
      });
      assert.equal(await countUsers(test.database), before);
    });

    it('answers 400 "This field may not be blank." for empty fields', async () => {
      await expectRefused(
        { email: ' ', username: '', password: '' },
        {
          email: ['This field may not be blank.'],
          username: ['This field may not be blank.'],
          password: ['This field may not be blank.'],
        },
      );
    });

    it('answers 400 for null and for values that are not strings', async () => {
      const user = newUser();
      await expectRefused(
        { email: null, username: 42, password: true },
        {
          email: ['This field may not be null.'],
          username: ['Not a valid string.'],
          password: ['Not a valid string.'],
        },
      );
      await expectRefused(
        { ...user, password: ['a-long-passphrase-42'] },
        { password: ['Not a valid string.'] },
      );
    });

    it('answers 400 non_field_errors for a body that is not a JSON object', async () => {
      const cases: Array<[string, string]> = [
        ['[]', 'Invalid data. Expected a dictionary, but got list.'],
        ['"text"', 'Invalid data. Expected a dictionary, but got str.'],
        ['42', 'Invalid data. Expected a dictionary, but got int.'],
        ['4.5', 'Invalid data. Expected a dictionary, but got float.'],
        ['true', 'Invalid data. Expected a dictionary, but got bool.'],
        ['null', 'No data provided'],
      ];
      for (const [payload, message] of cases) await expectRefused(payload, { non_field_errors: [message] });
    });

    it('answers 400 with Django’s words for an invalid email and username', async () => {
      const user = newUser();
      await expectRefused({ ...user, email: 'not-an-address' }, { email: ['Enter a valid email address.'] });
      await expectRefused(
        { ...user, email: `${'a'.repeat(250)}@x.io` },
        { email: ['Ensure this field has no more than 254 characters.'] },
      );
      await expectRefused(
        { ...user, username: 'has space' },
        {
          username: [
            'Enter a valid username. This value may contain only letters, numbers, and ./-/_ characters.',
          ],
        },
      );
      await expectRefused(
        { ...user, username: 'u'.repeat(65) },
        { username: ['Ensure this field has no more than 64 characters.'] },
      );
    });

    it('answers 400 "already exists" for a taken email or username, in any casing', async () => {
      const existing = await registerDjoserUser(test.app);
      const fresh = newUser();
      await expectRefused(
        { ...fresh, email: existing.email.toUpperCase() },
        { email: ['user with this email address already exists.'] },
      );
      await expectRefused(
        { ...fresh, username: existing.username.toUpperCase() },
        { username: ['A user with that username already exists.'] },
      );
      // the existing account is untouched: its password still works
      await createTokens(test.app, existing);
    });

    it("answers 400 with Django's password validator messages", async () => {
      const user = newUser('pwcheck');
      const cases: Array<[string, string]> = [
        ['short', 'This password is too short. It must contain at least 8 characters.'],
        ['password123', 'This password is too common.'],
        [`${user.username}1`, 'The password is too similar to the username.'],
        ['x'.repeat(129), 'Ensure this field has no more than 128 characters.'],
      ];
      for (const [password, message] of cases) {
        await expectRefused({ ...user, password }, { password: [message] });
      }
      await expectRefused(
        { ...user, email: `mailbox-name@example.com`, password: 'Mailbox!' },
        { password: ['The password is too similar to the email address.'] },
      );
    });

    it("accepts a passphrase that names its owner, as Django's similarity validator does", async () => {
      const response = await register({
        email: 'dave@example.com',
        username: 'dave',
        password: 'dave has a long pass 9',
      });
      assert.equal(response.status, 201, response.text);
    });

    it('reports every refused field at once', async () => {
      await expectRefused(
        { email: 'bad', username: 'a b', password: 'short' },
        {
          email: ['Enter a valid email address.'],
          username: [
            'Enter a valid username. This value may contain only letters, numbers, and ./-/_ characters.',
          ],
          password: ['This password is too short. It must contain at least 8 characters.'],
        },
      );
    });

    it('answers the same user a Conduit client registered, and vice versa', async () => {
      const viaDjoser = await registerDjoserUser(test.app);
      const conduitLogin = await request(test.app, 'POST', '/api/users/login', {
        body: { user: { email: viaDjoser.email, password: viaDjoser.password } },
      });
      assert.equal(conduitLogin.status, 200, conduitLogin.text);
    });
  });
}
