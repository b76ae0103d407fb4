import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { dialects } from '../support/databases.ts';
import { bearer, registerUser, request } from '../support/test-app.ts';
import { assertTimedAlike, linkIn, startMailingApp, subjects, type MailingApp } from './mail-shapes.ts';
import { readUser } from './user-rows.ts';

const invalidToken = { errors: { token: ['is invalid'] } };

for (const dialect of dialects) {
  describe(`address verification on ${dialect}`, () => {
    let mailing: MailingApp;
    before(async () => {
      mailing = await startMailingApp(dialect);
    });
    after(() => mailing.close());

    const app = () => mailing.test.app;
    const confirm = (token: unknown) =>
      request(app(), 'POST', '/api/users/verification/confirm', { body: { token } });
    const resend = (body: unknown, token?: string) =>
      request(app(), 'POST', '/api/users/verification', {
        body,
        ...(token ? { headers: bearer(token) } : {}),
      });
    const verifiedAt = async (email: string) =>
      (await readUser(mailing.test.database, email)).emailVerifiedAt;

    it('mails a link with every new account, and the token in it verifies the address once', async () => {
      const user = await registerUser(app());
      const mail = await mailing.nextMail(user.email, subjects.verify);
      assert.equal(await verifiedAt(user.email), null);

      const { token } = linkIn(mail);
      const confirmed = await confirm(token);
      assert.equal(confirmed.status, 200, confirmed.text);
      assert.deepEqual(confirmed.body, { email: user.email, email_verified: true });
      assert.notEqual(await verifiedAt(user.email), null);

      const again = await confirm(token);
      assert.equal(again.status, 422, again.text);
      assert.deepEqual(again.body, invalidToken);
    });

    it('answers 202 to any address, and mails only an account that is not verified yet', async () => {
      const unknown = await resend({ email: 'nobody-here@example.com' });
      assert.equal(unknown.status, 202, unknown.text);
      assert.equal(unknown.text, '{}');

      const user = await registerUser(app());
      const first = linkIn(await mailing.nextMail(user.email, subjects.verify));
      const asked = await resend({ email: user.email.toUpperCase() });
      assert.equal(asked.status, 202, asked.text);
      assert.equal(asked.text, unknown.text);
      const second = linkIn(await mailing.nextMail(user.email, subjects.verify));
      assert.notEqual(second.token, first.token);

      // the newer token supersedes the older
      assert.deepEqual((await confirm(first.token)).body, invalidToken);
      assert.equal(await verifiedAt(user.email), null);
      assert.equal((await confirm(second.token)).status, 200);

      // a verified address is sent nothing more
      const before = mailing.mailsTo(user.email).length;
      assert.equal((await resend({ email: user.email })).status, 202);
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.equal(mailing.mailsTo(user.email).length, before);
      assert.equal(mailing.mailsTo('nobody-here@example.com').length, 0);
    });

    it('takes as long for an unknown address as for an unverified one (medians within max(25 ms, 10%))', async (t) => {
      const known = [];
      for (let index = 0; index < 25; index += 1) known.push((await registerUser(app(), 'timed')).email);
      await assertTimedAlike(t, (email) => resend({ email }), known, 202);
    });

    it('mails a signed-in caller who names no address at their own', async () => {
      const user = await registerUser(app());
      await mailing.nextMail(user.email, subjects.verify);
      const response = await resend(undefined, user.token);
      assert.equal(response.status, 202, response.text);
      await mailing.nextMail(user.email, subjects.verify);
    });

    it('refuses forged, blank, wrong-purpose and concurrent reuse of tokens, and verifies nothing', async () => {
      const user = await registerUser(app());
      const { token } = linkIn(await mailing.nextMail(user.email, subjects.verify));
      for (const forged of [`${token}x`, token.slice(1), 'A'.repeat(43), '', 42, null]) {
        const response = await confirm(forged);
        assert.equal(response.status, 422, `${String(forged)}: ${response.text}`);
      }
      // a reset token is not a verification token
      assert.equal(
        (await request(app(), 'POST', '/api/users/password-reset', { body: { email: user.email } })).status,
        202,
      );
      const reset = linkIn(await mailing.nextMail(user.email, subjects.reset));
      assert.deepEqual((await confirm(reset.token)).body, invalidToken);
      assert.equal(await verifiedAt(user.email), null);

      // two confirms of one token at once: exactly one succeeds
      const both = await Promise.all([confirm(token), confirm(token)]);
      assert.deepEqual(both.map((response) => response.status).sort(), [200, 422]);
    });

    it('refuses an invalid or blank address with 422, and mails nothing', async () => {
      for (const email of ['not-an-address', '', `${'a'.repeat(65)}@example.com`]) {
        const response = await resend({ email });
        assert.equal(response.status, 422, response.text);
      }
      assert.equal((await resend({ email: 7 })).status, 422);
    });

    it('moves an account to a new address only when the link mailed there is confirmed, and tells the old one', async () => {
      const user = await registerUser(app());
      const newEmail = `moved-${user.email}`;
      const change = (body: unknown) =>
        request(app(), 'POST', '/api/user/email', { body, headers: bearer(user.token) });

      const wrong = await change({ current_password: 'not-the-password', new_email: newEmail });
      assert.equal(wrong.status, 422, wrong.text);
      assert.deepEqual(wrong.body, { errors: { current_password: ['is invalid'] } });
      const other = await registerUser(app());
      const taken = await change({ current_password: user.password, new_email: other.email.toUpperCase() });
      assert.deepEqual(taken.body, { errors: { new_email: ['has already been taken'] } });
      const invalid = await change({ current_password: user.password, new_email: 'nope' });
      assert.deepEqual(invalid.body, { errors: { new_email: ['is invalid'] } });

      const accepted = await change({ current_password: user.password, new_email: newEmail });
      assert.equal(accepted.status, 202, accepted.text);
      const mail = await mailing.nextMail(newEmail, subjects.newAddress);
      assert.equal((await readUser(mailing.test.database, user.email)).email, user.email, 'not moved yet');

      const confirmed = await confirm(linkIn(mail).token);
      assert.deepEqual(confirmed.body, { email: newEmail, email_verified: true });
      const notice = await mailing.nextMail(user.email, subjects.addressChanging);
      assert.doesNotMatch(notice.text, /token=|\/activate\//, 'no token goes to the old address');
      const login = await request(app(), 'POST', '/api/users/login', {
        body: { user: { email: newEmail, password: user.password } },
      });
      assert.equal(login.status, 200, login.text);
    });

    it('mails a new address no more than MAILS_PER_ADDRESS times an hour, answering alike beyond it', async () => {
      const user = await registerUser(app());
      const target = `bombarded-${user.email}`;
      for (let asked = 0; asked < 7; asked += 1) {
        const response = await request(app(), 'POST', '/api/user/email', {
          body: { current_password: user.password, new_email: target },
          headers: bearer(user.token),
        });
        assert.equal(response.status, 202, response.text);
        assert.equal(response.text, '{}');
      }
      for (let mailed = 0; mailed < 5; mailed += 1) await mailing.nextMail(target, subjects.newAddress);
      await new Promise((resolve) => setTimeout(resolve, 500));
      assert.equal(mailing.mailsTo(target).length, 5);
      // the newest link that went out (mails may arrive out of order) still moves the account
      const confirmations = [];
      for (const mail of mailing.mailsTo(target))
        confirmations.push((await confirm(linkIn(mail).token)).status);
      assert.deepEqual(confirmations.sort(), [200, 422, 422, 422, 422]);
      assert.equal((await readUser(mailing.test.database, target)).email, target);
    });

    it('mails an address PUT /api/user moves to and from no more than MAILS_PER_ADDRESS times an hour', async () => {
      const user = await registerUser(app());
      const target = `bounced-${user.email}`;
      for (let moved = 0; moved < 7; moved += 1) {
        for (const email of [target, user.email]) {
          const response = await request(app(), 'PUT', '/api/user', {
            token: user.token,
            body: { user: { email } },
          });
          assert.equal(response.status, 200, response.text);
        }
      }
      for (let mailed = 0; mailed < 5; mailed += 1) await mailing.nextMail(target, subjects.verify);
      await new Promise((resolve) => setTimeout(resolve, 500));
      assert.equal(mailing.mailsTo(target).filter((mail) => subjects.verify.test(mail.subject)).length, 5);
    });

    it('mails a verification to an address changed through PUT /api/user, and tells the old one', async () => {
      const user = await registerUser(app());
      const newEmail = `put-${user.email}`;
      const response = await request(app(), 'PUT', '/api/user', {
        token: user.token,
        body: { user: { email: newEmail } },
      });
      assert.equal(response.status, 200, response.text);
      assert.equal(await verifiedAt(newEmail), null);
      const { token } = linkIn(await mailing.nextMail(newEmail, subjects.verify));
      await mailing.nextMail(user.email, subjects.addressChanging);
      assert.equal((await confirm(token)).status, 200);
      assert.notEqual(await verifiedAt(newEmail), null);
    });
  });
}
