import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { dialects } from '../support/databases.ts';
import { bearer, newUser, request } from '../support/test-app.ts';
import { createTokens } from './djoser-shapes.ts';
import { assertTimedAlike, linkIn, startMailingApp, subjects, type MailingApp } from './mail-shapes.ts';
import { readUser } from './user-rows.ts';

const newPassword = 'a-brand-new-passphrase-9';

for (const dialect of dialects) {
  describe(`djoser activation and password reset on ${dialect}`, () => {
    let mailing: MailingApp;
    before(async () => {
      mailing = await startMailingApp(dialect);
    });
    after(() => mailing.close());

    const app = () => mailing.test.app;
    const post = (path: string, body: unknown) => request(app(), 'POST', `/auth/users/${path}`, { body });
    async function register() {
      const user = newUser('djoser');
      const response = await post('', user);
      assert.equal(response.status, 201, response.text);
      return { ...user, id: (response.body as { id: string }).id };
    }

    it('activates from the uid and token of the mail, once; then says the token is stale', async () => {
      const user = await register();
      const link = linkIn(await mailing.nextMail(user.email, subjects.verify));
      assert.equal(Buffer.from(link.uid, 'base64url').toString(), user.id, 'djoser encodes the pk');

      const activated = await post('activation/', { uid: link.uid, token: link.token });
      assert.equal(activated.status, 204, activated.text);
      assert.notEqual((await readUser(mailing.test.database, user.email)).emailVerifiedAt, null);
      const again = await post('activation/', { uid: link.uid, token: link.token });
      assert.equal(again.status, 403, again.text);
      assert.deepEqual(again.body, { detail: 'Stale token for given user.', code: 'permission_denied' });
    });

    it("refuses an unknown uid, a wrong token, and another account's token in djoser's words", async () => {
      const user = await register();
      const other = await register();
      const link = linkIn(await mailing.nextMail(user.email, subjects.verify));
      const otherLink = linkIn(await mailing.nextMail(other.email, subjects.verify));
      const cases: Array<[unknown, Record<string, string[]>]> = [
        [{ uid: 'bm90LWEtdXNlcg', token: link.token }, { uid: ["Invalid user id or user doesn't exist."] }],
        [{ uid: '%%%', token: link.token }, { uid: ["Invalid user id or user doesn't exist."] }],
        [{ uid: link.uid, token: `${link.token}x` }, { token: ['Invalid token for given user.'] }],
        [{ uid: link.uid, token: otherLink.token }, { token: ['Invalid token for given user.'] }],
        [{ uid: link.uid }, { token: ['This field is required.'] }],
      ];
      for (const [body, errors] of cases) {
        const response = await post('activation/', body);
        assert.equal(response.status, 400, response.text);
        assert.deepEqual(response.body, errors);
      }
      assert.equal((await readUser(mailing.test.database, user.email)).emailVerifiedAt, null);
      assert.equal((await readUser(mailing.test.database, other.email)).emailVerifiedAt, null);
    });

    it('checks the token before calling it stale: only the spent token of a verified address is 403', async () => {
      const user = await register();
      const superseded = linkIn(await mailing.nextMail(user.email, subjects.verify));
      assert.equal((await post('resend_activation/', { email: user.email })).status, 204);
      const link = linkIn(await mailing.nextMail(user.email, subjects.verify));
      assert.equal((await post('reset_password/', { email: user.email })).status, 204);
      const reset = linkIn(await mailing.nextMail(user.email, subjects.reset));
      const other = await register();
      const otherLink = linkIn(await mailing.nextMail(other.email, subjects.verify));
      assert.equal((await post('activation/', link)).status, 204);

      // a uid alone must not tell whether its address is verified
      for (const token of ['garbage', superseded.token, reset.token, otherLink.token]) {
        const response = await post('activation/', { uid: link.uid, token });
        assert.equal(response.status, 400, response.text);
        assert.deepEqual(response.body, { token: ['Invalid token for given user.'] });
      }
      const stale = await post('activation/', { uid: link.uid, token: link.token });
      assert.equal(stale.status, 403, stale.text);
      assert.deepEqual(stale.body, { detail: 'Stale token for given user.', code: 'permission_denied' });

      // once its lifetime is over, the spent token is as invalid as any other
      await mailing.test.database.db
        .updateTable('one_time_tokens')
        .set({ expires_at: 0 })
        .where('user_id', '=', user.id)
        .execute();
      const expired = await post('activation/', { uid: link.uid, token: link.token });
      assert.equal(expired.status, 400, expired.text);
      assert.deepEqual(expired.body, { token: ['Invalid token for given user.'] });
    });

    it('calls the spent token of an address the account has since left invalid, not stale', async () => {
      const user = await register();
      const link = linkIn(await mailing.nextMail(user.email, subjects.verify));
      assert.equal((await post('activation/', link)).status, 204);
      const { access } = await createTokens(app(), { email: user.email, password: user.password });
      const moved = `moved-${user.email}`;
      const asked = await request(app(), 'POST', '/api/user/email', {
        headers: bearer(access),
        body: { current_password: user.password, new_email: moved },
      });
      assert.equal(asked.status, 202, asked.text);
      const change = linkIn(await mailing.nextMail(moved, subjects.newAddress));
      const confirmed = await request(app(), 'POST', '/api/users/verification/confirm', {
        body: { token: change.token },
      });
      assert.equal(confirmed.status, 200, confirmed.text);

      for (const token of [link.token, change.token]) {
        const response = await post('activation/', { uid: link.uid, token });
        assert.equal(response.status, 400, response.text);
        assert.deepEqual(response.body, { token: ['Invalid token for given user.'] });
      }
    });

    it('answers resend_activation and reset_password with 204 for any address', async () => {
      const user = await register();
      await mailing.nextMail(user.email, subjects.verify);
      for (const path of ['resend_activation/', 'reset_password/']) {
        for (const email of [user.email, `absent-${user.email}`]) {
          const response = await post(path, { email });
          assert.equal(response.status, 204, `${path} ${email}: ${response.text}`);
          assert.equal(response.text, '');
        }
      }
      await mailing.nextMail(user.email, subjects.verify);
      await mailing.nextMail(user.email, subjects.reset);
      assert.equal(mailing.mailsTo(`absent-${user.email}`).length, 0);
      const missing = await post('reset_password/', {});
      assert.equal(missing.status, 400, missing.text);
      assert.deepEqual(missing.body, { email: ['This field is required.'] });
    });

    for (const path of ['resend_activation/', 'reset_password/']) {
      it(`answers ${path} as fast for an unknown address as for a known one (medians within max(25 ms, 10%))`, async (t) => {
        const known = [];
        for (let index = 0; index < 25; index += 1) known.push((await register()).email);
        await assertTimedAlike(t, (email) => post(path, { email }), known, 204);
      });
    }

    it('resets the password from uid, token and new_password, and refuses what does not fit', async () => {
      const user = await register();
      const other = await register();
      assert.equal((await post('reset_password/', { email: user.email })).status, 204);
      const link = linkIn(await mailing.nextMail(user.email, subjects.reset));
      const otherUid = Buffer.from(other.id).toString('base64url');
      const cases: Array<[unknown, Record<string, string[]>]> = [
        [
          { uid: 'bm9ib2R5', token: link.token, new_password: newPassword },
          { uid: ["Invalid user id or user doesn't exist."] },
        ],
        [
          { uid: otherUid, token: link.token, new_password: newPassword },
          { token: ['Invalid token for given user.'] },
        ],
        [
          { uid: link.uid, token: link.token, new_password: 'short' },
          { new_password: ['This password is too short. It must contain at least 8 characters.'] },
        ],
      ];
      for (const [body, errors] of cases) {
        const response = await post('reset_password_confirm/', body);
        assert.equal(response.status, 400, response.text);
        assert.deepEqual(response.body, errors);
      }
      const done = await post('reset_password_confirm/', { ...link, new_password: newPassword });
      assert.equal(done.status, 204, done.text);
      await createTokens(app(), { email: user.email, password: newPassword });
      const again = await post('reset_password_confirm/', { ...link, new_password: 'another-passphrase-8' });
      assert.deepEqual(again.body, { token: ['Invalid token for given user.'] });
    });

    it('refuses a reset link once the password was changed through set_password/, as Django does', async () => {
      const user = await register();
      assert.equal((await post('reset_password/', { email: user.email })).status, 204);
      const link = linkIn(await mailing.nextMail(user.email, subjects.reset));
      const { access } = await createTokens(app(), { email: user.email, password: user.password });
      const changed = await request(app(), 'POST', '/auth/users/set_password/', {
        headers: { authorization: `Bearer ${access}` },
        body: { current_password: user.password, new_password: newPassword },
      });
      assert.equal(changed.status, 204, changed.text);
      const hash = (await readUser(mailing.test.database, user.email)).passwordHash;

      const late = await post('reset_password_confirm/', { ...link, new_password: 'another-passphrase-8' });
      assert.equal(late.status, 400, late.text);
      assert.deepEqual(late.body, { token: ['Invalid token for given user.'] });
      assert.equal((await readUser(mailing.test.database, user.email)).passwordHash, hash);
    });
  });

  describe(`removing the address (DJOSER_LOGIN_FIELD=username) on ${dialect}`, () => {
    let mailing: MailingApp;
    before(async () => {
      mailing = await startMailingApp(dialect, { DJOSER_LOGIN_FIELD: 'username' });
    });
    after(() => mailing.close());

    it('tells the address it is removed, and calls off the links mailed to it', async () => {
      const app = mailing.test.app;
      const post = (path: string, body: unknown) => request(app, 'POST', `/auth/users/${path}`, { body });
      const user = newUser('removed');
      assert.equal((await post('', user)).status, 201);
      const activation = linkIn(await mailing.nextMail(user.email, subjects.verify));
      assert.equal((await post('reset_password/', { email: user.email })).status, 204);
      const reset = linkIn(await mailing.nextMail(user.email, subjects.reset));
      const signIn = () => request(app, 'POST', '/auth/jwt/create/', { body: { ...user, email: undefined } });
      const { access } = (await signIn()).body as { access: string };

      const removed = await request(app, 'PATCH', '/auth/users/me/', {
        headers: bearer(access),
        body: { email: '' },
      });
      assert.equal(removed.status, 200, removed.text);
      const notice = await mailing.nextMail(user.email, /email address of your .* account is being removed/);
      assert.doesNotMatch(notice.text, /https?:/, 'the notice carries no link');

      const late = [
        await post('activation/', activation),
        await post('reset_password_confirm/', { ...reset, new_password: newPassword }),
      ];
      for (const response of late) {
        assert.equal(response.status, 400, response.text);
        assert.deepEqual(response.body, { token: ['Invalid token for given user.'] });
      }
      assert.equal((await signIn()).status, 200, 'the password is unchanged');
    });
  });

  describe(`REQUIRE_VERIFIED_EMAIL on ${dialect}`, () => {
    let mailing: MailingApp;
    before(async () => {
      mailing = await startMailingApp(dialect, { REQUIRE_VERIFIED_EMAIL: 'true' });
    });
    after(() => mailing.close());

    it('signs nobody in before their address is verified, in each dialect as it says so', async () => {
      const user = newUser('unverified');
      const registered = await request(mailing.test.app, 'POST', '/api/users', { body: { user } });
      assert.equal(registered.status, 201, registered.text);
      assert.equal((registered.body as { user: { token: unknown } }).user.token, null);

      const conduit = await request(mailing.test.app, 'POST', '/api/users/login', {
        body: { user: { email: user.email, password: user.password } },
      });
      assert.equal(conduit.status, 403, conduit.text);
      assert.deepEqual(Object.keys((conduit.body as { errors: object }).errors), ['email']);
      const djoser = await request(mailing.test.app, 'POST', '/auth/jwt/create/', {
        body: { email: user.email, password: user.password },
      });
      assert.equal(djoser.status, 401, djoser.text);
      assert.equal((djoser.body as { code: string }).code, 'no_active_account');
      // a wrong password reads as any wrong password
      const wrong = await request(mailing.test.app, 'POST', '/api/users/login', {
        body: { user: { email: user.email, password: 'not-the-password' } },
      });
      assert.equal(wrong.status, 401, wrong.text);

      const { token } = linkIn(await mailing.nextMail(user.email, subjects.verify));
      const confirmed = await request(mailing.test.app, 'POST', '/api/users/verification/confirm', {
        body: { token },
      });
      assert.equal(confirmed.status, 200, confirmed.text);
      await createTokens(mailing.test.app, user);
    });
  });
}
