import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createUserRepository } from '../../src/store/user-repository.ts';
import { dialects } from '../support/databases.ts';
import { bearer, newUser, request, startTestApp, type TestApp } from '../support/test-app.ts';
import { noNames, type TokenPairBody, type UserBody } from './djoser-shapes.ts';
import { countUsers } from './user-rows.ts';

const unableToLogIn = { non_field_errors: ['Unable to log in with provided credentials.'] };

/** A form body as curl's `--data` sends it. */
const form = (fields: Record<string, string>) => ({
  body: new URLSearchParams(fields).toString(),
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
});

for (const dialect of dialects) {
  describe(`djoser with DJOSER_LOGIN_FIELD=username on ${dialect}`, () => {
    let test: TestApp;
    before(async () => {
      test = await startTestApp(dialect, {
        env: { DJOSER_LOGIN_FIELD: 'username', LOGIN_FAILURES_PER_EMAIL: '3' },
      });
    });
    after(() => test.close());

    const users = () => createUserRepository(test.database);
    const countMails = async () =>
      Number(
        (
          await test.database.db
            .selectFrom('mail_outbox')
            .select((builder) => builder.fn.countAll().as('count'))
            .executeTakeFirstOrThrow()
        ).count,
      );

    /** Registers by username alone, as djoser's documentation does with curl. */
    async function registerWithoutEmail(prefix: string) {
      const { username, password } = newUser(prefix);
      const response = await request(test.app, 'POST', '/auth/users/', form({ username, password }));
      assert.equal(response.status, 201, response.text);
      return { username, password, id: (response.body as UserBody).id };
    }

    it('registers without an email: the user shows "" and has no address, and no mail goes out', async () => {
      const mails = await countMails();
      const user = await registerWithoutEmail('noemail');
      const stored = await users().findById(user.id);
      assert.equal(stored?.email, null);
      const blank = await request(test.app, 'POST', '/auth/users/', {
        body: { ...newUser('blankmail'), email: '' },
      });
      assert.equal(blank.status, 201, blank.text);
      assert.equal((blank.body as UserBody).email, '');
      // two accounts without an address: no address is unique to nobody
      assert.equal(await countMails(), mails);
    });

    it('still validates and keeps unique an email that is given, in any casing', async () => {
      const taken = newUser('withmail');
      assert.equal((await request(test.app, 'POST', '/auth/users/', { body: taken })).status, 201);
      const before = await countUsers(test.database);
      for (const [email, message] of [
        ['nope', 'Enter a valid email address.'],
        [taken.email.toUpperCase(), 'user with this email address already exists.'],
      ] as const) {
        const response = await request(test.app, 'POST', '/auth/users/', { body: { ...newUser(), email } });
        assert.equal(response.status, 400, response.text);
        assert.deepEqual(response.body, { email: [message] });
      }
      const missing = await request(test.app, 'POST', '/auth/users/', {
        body: { password: 'a-long-passphrase-42' },
      });
      assert.equal(missing.status, 400);
      assert.deepEqual(missing.body, { username: ['This field is required.'] });
      assert.equal(await countUsers(test.database), before);
    });

    it('logs in by username through jwt/create/ and token/login/, and by email for an account that has one', async () => {
      const user = await registerWithoutEmail('byname');
      const pair = await request(
        test.app,
        'POST',
        '/auth/jwt/create/',
        form({ username: user.username, password: user.password }),
      );
      assert.equal(pair.status, 200, pair.text);
      const me = await request(test.app, 'GET', '/auth/users/me/', {
        headers: bearer((pair.body as TokenPairBody).access),
      });
      assert.deepEqual(me.body, { ...noNames, id: user.id, email: '', username: user.username, roles: [] });
      // any casing of the username, as Django's ModelBackend on a case-insensitive name
      const token = await request(test.app, 'POST', '/auth/token/login/', {
        body: { username: user.username.toUpperCase(), password: user.password },
      });
      assert.equal(token.status, 200, token.text);

      const withMail = newUser('both');
      assert.equal((await request(test.app, 'POST', '/auth/users/', { body: withMail })).status, 201);
      for (const body of [
        { email: withMail.email, password: withMail.password },
        { username: withMail.username, password: withMail.password },
        { email: withMail.email, username: withMail.username, password: withMail.password },
      ]) {
        const response = await request(test.app, 'POST', '/auth/jwt/create/', { body });
        assert.equal(response.status, 200, `${JSON.stringify(Object.keys(body))}: ${response.text}`);
      }
    });

    it('refuses a login whose email and username name different accounts, and one naming nobody', async () => {
      const one = newUser('one');
      const two = newUser('two');
      for (const user of [one, two])
        assert.equal((await request(test.app, 'POST', '/auth/users/', { body: user })).status, 201);
      const mixed = { email: one.email, username: two.username, password: one.password };
      const pair = await request(test.app, 'POST', '/auth/jwt/create/', { body: mixed });
      assert.equal(pair.status, 401, pair.text);
      assert.deepEqual(pair.body, {
        detail: 'No active account found with the given credentials',
        code: 'no_active_account',
      });
      const token = await request(test.app, 'POST', '/auth/token/login/', { body: mixed });
      assert.equal(token.status, 400, token.text);
      assert.deepEqual(token.body, unableToLogIn);
      const missing = await request(test.app, 'POST', '/auth/jwt/create/', { body: { password: 'x' } });
      assert.equal(missing.status, 400);
      assert.deepEqual(missing.body, { username: ['This field is required.'] });
    });

    it('locks an account by its email whichever name the failures used, so switching names dodges nothing', async () => {
      const user = newUser('locked');
      assert.equal((await request(test.app, 'POST', '/auth/users/', { body: user })).status, 201);
      const wrong = [
        { username: user.username, password: 'wrong-password-1' },
        { email: user.email, password: 'wrong-password-2' },
        { username: user.username.toUpperCase(), password: 'wrong-password-3' },
      ];
      for (const body of wrong) {
        assert.equal((await request(test.app, 'POST', '/auth/jwt/create/', { body })).status, 401);
      }
      for (const body of [
        { email: user.email, password: user.password },
        { username: user.username, password: user.password },
      ]) {
        const response = await request(test.app, 'POST', '/auth/jwt/create/', { body });
        assert.equal(response.status, 429, response.text);
      }
    });

    it('locks an account without an email by the account, under any casing of its username', async () => {
      const user = await registerWithoutEmail('lockednomail');
      for (const username of [user.username, user.username.toUpperCase(), user.username.toLowerCase()]) {
        const body = { username, password: 'wrong-password' };
        assert.equal((await request(test.app, 'POST', '/auth/token/login/', { body })).status, 400);
      }
      const right = await request(test.app, 'POST', '/auth/token/login/', {
        body: { username: user.username, password: user.password },
      });
      assert.equal(right.status, 429, right.text);
    });

    it('adds an address through PATCH /auth/users/me/ (the writable field), which then gets mail', async () => {
      const user = await registerWithoutEmail('addmail');
      const login = await request(test.app, 'POST', '/auth/jwt/create/', {
        body: { username: user.username, password: user.password },
      });
      const { access } = login.body as TokenPairBody;
      const mails = await countMails();
      const email = `${user.username}@example.com`;
      // the username is read-only here: ignored
      const patched = await request(test.app, 'PATCH', '/auth/users/me/', {
        headers: bearer(access),
        body: { email, username: 'ignored-name' },
      });
      assert.equal(patched.status, 200, patched.text);
      assert.deepEqual(patched.body, { ...noNames, id: user.id, email, username: user.username, roles: [] });
      // a verification mail to the new address, and no notice to an old one it never had
      assert.equal(await countMails(), mails + 1);
      const stored = await users().findById(user.id);
      assert.equal(stored?.emailVerifiedAt, null);
      const bad = await request(test.app, 'PATCH', '/auth/users/me/', {
        headers: bearer(access),
        body: { email: 'nope' },
      });
      assert.equal(bad.status, 400);
      assert.deepEqual(bad.body, { email: ['Enter a valid email address.'] });
      assert.equal((await users().findById(user.id))?.email, email);
    });

    it('removes the address when PUT or PATCH /auth/users/me/ sends a blank email (Django: blank=True)', async () => {
      for (const method of ['PATCH', 'PUT'] as const) {
        const user = newUser(`dropmail${method}`);
        assert.equal((await request(test.app, 'POST', '/auth/users/', { body: user })).status, 201);
        const login = await request(test.app, 'POST', '/auth/jwt/create/', {
          body: { username: user.username, password: user.password },
        });
        const { access } = login.body as TokenPairBody;
        const id = (await users().findByUsername(user.username))?.id ?? '';
        const since = Date.now() - 1;

        const removed = await request(test.app, method, '/auth/users/me/', {
          headers: bearer(access),
          body: { email: '' },
        });
        assert.equal(removed.status, 200, `${method}: ${removed.text}`);
        assert.deepEqual(removed.body, { ...noNames, id, email: '', username: user.username, roles: [] });
        const stored = await users().findById(id);
        assert.ok(stored !== undefined);
        assert.equal(stored.email, null);
        assert.equal(stored.emailVerifiedAt, null);
        // the address is told, as of any change, and nothing else is mailed
        const mailed = await test.database.db
          .selectFrom('mail_outbox')
          .select(['kind', 'recipient'])
          .where('created_at', '>=', since)
          .where('recipient', '=', user.email)
          .execute();
        assert.deepEqual(mailed, [{ kind: 'email-changed', recipient: user.email }]);
        // the session goes on; the address names the account no more, and is free for another
        assert.equal(
          (await request(test.app, 'GET', '/auth/users/me/', { headers: bearer(access) })).status,
          200,
        );
        const byEmail = await request(test.app, 'POST', '/auth/jwt/create/', {
          body: { email: user.email, password: user.password },
        });
        assert.equal(byEmail.status, 401, byEmail.text);
        const again = await request(test.app, 'POST', '/auth/users/', {
          body: { ...newUser(), email: user.email },
        });
        assert.equal(again.status, 201, again.text);
      }
    });

    it('sends no reset or activation mail for an account without an address, and answers as for an unknown one', async () => {
      await registerWithoutEmail('nomailreset');
      const mails = await countMails();
      for (const path of ['/auth/users/reset_password/', '/auth/users/resend_activation/']) {
        const response = await request(test.app, 'POST', path, { body: { email: '' } });
        assert.equal(response.status, 400, `${path}: ${response.text}`);
        const unknown = await request(test.app, 'POST', path, { body: { email: 'nobody@example.com' } });
        assert.equal(unknown.status, 204, `${path}: ${unknown.text}`);
      }
      assert.equal(await countMails(), mails);
    });

    it('changes the username at POST /auth/users/set_username/, proving the password; set_email/ is not served', async () => {
      const user = await registerWithoutEmail('rename');
      const login = await request(test.app, 'POST', '/auth/token/login/', {
        body: { username: user.username, password: user.password },
      });
      const token = (login.body as { auth_token: string }).auth_token;
      const headers = { authorization: `Token ${token}` };
      const refused = await request(test.app, 'POST', '/auth/users/set_username/', {
        headers,
        body: { new_username: 'a b', current_password: 'wrong-one' },
      });
      assert.equal(refused.status, 400, refused.text);
      assert.deepEqual(refused.body, {
        current_password: ['Invalid password.'],
        new_username: [
          'Enter a valid username. This value may contain only letters, numbers, and ./-/_ characters.',
        ],
      });
      assert.equal((await users().findById(user.id))?.username, user.username);
      const renamed = `new${user.username}`;
      const changed = await request(test.app, 'POST', '/auth/users/set_username/', {
        body: new URLSearchParams({ new_username: renamed, current_password: user.password }).toString(),
        headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' },
      });
      assert.equal(changed.status, 204, changed.text);
      assert.equal((await users().findById(user.id))?.username, renamed);
      const old = await request(test.app, 'POST', '/auth/token/login/', {
        body: { username: user.username, password: user.password },
      });
      assert.equal(old.status, 400);
      const other = await request(test.app, 'POST', '/auth/users/set_email/', { headers, body: {} });
      assert.equal(other.status, 404);
    });

    it('shows a user without an email to Conduit clients with email ""', async () => {
      const user = await registerWithoutEmail('conduitview');
      const login = await request(test.app, 'POST', '/auth/token/login/', {
        body: { username: user.username, password: user.password },
      });
      const token = (login.body as { auth_token: string }).auth_token;
      const me = await request(test.app, 'GET', '/api/user', { token });
      assert.equal(me.status, 200, me.text);
      assert.equal((me.body as { user: { email: string } }).user.email, '');
    });
  });
}
