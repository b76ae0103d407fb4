import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { dialects } from '../support/databases.ts';
import { registerUser, request, type JsonResponse } from '../support/test-app.ts';
import { linkIn, startMailingApp, subjects, type MailingApp } from './mail-shapes.ts';
import { readUser } from './user-rows.ts';

const newPassword = 'a-brand-new-passphrase-9';

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
};

for (const dialect of dialects) {
  describe(`password reset on ${dialect}`, () => {
    let mailing: MailingApp;
    before(async () => {
      // the documented lock, and room for the timing test's many addresses
      mailing = await startMailingApp(dialect, { LOGIN_FAILURES_PER_EMAIL: '10' });
    });
    after(() => mailing.close());

    const app = () => mailing.test.app;
    const ask = (email: unknown) => request(app(), 'POST', '/api/users/password-reset', { body: { email } });
    const confirm = (body: unknown) => request(app(), 'POST', '/api/users/password-reset/confirm', { body });
    const login = (email: string, password: string) =>
      request(app(), 'POST', '/api/users/login', { body: { user: { email, password } } });

    it('answers an unknown address exactly as a known one, and mails only the known', async () => {
      const user = await registerUser(app());
      const known = await ask(user.email);
      const unknown = await ask(`nobody-${user.email}`);
      for (const response of [known, unknown]) {
        assert.equal(response.status, 202, response.text);
        assert.equal(response.text, '{}');
      }
      assert.deepEqual(
        Object.keys(known.headers).sort(),
        Object.keys(unknown.headers).sort(),
        'the same headers',
      );
      await mailing.nextMail(user.email, subjects.reset);
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.equal(mailing.mailsTo(`nobody-${user.email}`).length, 0);
    });

    it('sets the new password from the link, ends every session, tells the address, and spends the token', async () => {
      const user = await registerUser(app());
      assert.equal((await ask(user.email)).status, 202);
      const { token } = linkIn(await mailing.nextMail(user.email, subjects.reset));

      const weak = await confirm({ token, new_password: 'short' });
      assert.equal(weak.status, 422, weak.text);
      assert.deepEqual(weak.body, { errors: { new_password: ['is too short (minimum is 8 characters)'] } });
      const similar = await confirm({ token, new_password: `${user.username}-x` });
      assert.equal(similar.status, 422, similar.text);
      assert.equal(
        (await login(user.email, user.password)).status,
        200,
        'a refused password changes nothing',
      );

      const done = await confirm({ token, new_password: newPassword });
      assert.equal(done.status, 204, done.text);
      assert.equal(done.text, '');
      assert.equal((await request(app(), 'GET', '/api/user', { token: user.token })).status, 401);
      assert.equal((await login(user.email, user.password)).status, 401);
      assert.equal((await login(user.email, newPassword)).status, 200);
      await mailing.nextMail(user.email, subjects.passwordChanged);

      const again = await confirm({ token, new_password: 'yet-another-passphrase-1' });
      assert.equal(again.status, 422, again.text);
      assert.deepEqual(again.body, { errors: { token: ['is invalid'] } });
      assert.equal((await login(user.email, newPassword)).status, 200);
    });

    it('refuses forged, superseded and blank tokens and changes nothing', async () => {
      const user = await registerUser(app());
      const hash = (await readUser(mailing.test.database, user.email)).passwordHash;
      await ask(user.email);
      const first = linkIn(await mailing.nextMail(user.email, subjects.reset));
      await ask(user.email);
      const second = linkIn(await mailing.nextMail(user.email, subjects.reset));
      for (const token of [first.token, `${second.token}A`, '', 'x'.repeat(43)]) {
        const response = await confirm({ token, new_password: newPassword });
        assert.equal(response.status, 422, response.text);
      }
      assert.equal((await confirm({ new_password: newPassword })).status, 422);
      assert.equal((await readUser(mailing.test.database, user.email)).passwordHash, hash);
      assert.equal((await confirm({ token: second.token, new_password: newPassword })).status, 204);
    });

    it('lifts the login lock of the address it resets', async () => {
      const user = await registerUser(app());
      let locked: JsonResponse | undefined;
      for (let attempt = 0; attempt < 11; attempt += 1) locked = await login(user.email, 'wrong-guess-000');
      assert.equal(locked?.status, 429);
      await ask(user.email);
      const { token } = linkIn(await mailing.nextMail(user.email, subjects.reset));
      assert.equal((await confirm({ token, new_password: newPassword })).status, 204);
      assert.equal((await login(user.email, newPassword)).status, 200);
    });

    it('gives two concurrent confirms of one token exactly one success', async () => {
      const user = await registerUser(app());
      await ask(user.email);
      const { token } = linkIn(await mailing.nextMail(user.email, subjects.reset));
      const both = await Promise.all([
        confirm({ token, new_password: newPassword }),
        confirm({ token, new_password: 'the-other-passphrase-3' }),
      ]);
      assert.deepEqual(both.map((response) => response.status).sort(), [204, 422]);
    });

    it('refuses a reset link mailed to an address the account has since left, and changes nothing', async () => {
      const user = await registerUser(app());
      assert.equal((await ask(user.email)).status, 202);
      const { token } = linkIn(await mailing.nextMail(user.email, subjects.reset));
      const newEmail = `left-${user.email}`;
      const moved = await request(app(), 'PUT', '/api/user', {
        token: user.token,
        body: { user: { email: newEmail } },
      });
      assert.equal(moved.status, 200, moved.text);
      const hash = (await readUser(mailing.test.database, newEmail)).passwordHash;

      const refused = await confirm({ token, new_password: newPassword });
      assert.equal(refused.status, 422, refused.text);
      assert.deepEqual(refused.body, { errors: { token: ['is invalid'] } });
      assert.equal((await readUser(mailing.test.database, newEmail)).passwordHash, hash);
      assert.equal((await request(app(), 'GET', '/api/user', { token: user.token })).status, 200);
    });

    it('calls off the reset link and the address change mailed before a password change', async () => {
      const user = await registerUser(app());
      assert.equal((await ask(user.email)).status, 202);
      const reset = linkIn(await mailing.nextMail(user.email, subjects.reset));
      const newEmail = `pending-${user.email}`;
      const asked = await request(app(), 'POST', '/api/user/email', {
        token: user.token,
        body: { current_password: user.password, new_email: newEmail },
      });
      assert.equal(asked.status, 202, asked.text);
      const move = linkIn(await mailing.nextMail(newEmail, subjects.newAddress));
      const changed = await request(app(), 'POST', '/api/user/password', {
        token: user.token,
        body: { current_password: user.password, new_password: newPassword },
      });
      assert.equal(changed.status, 204, changed.text);
      const hash = (await readUser(mailing.test.database, user.email)).passwordHash;

      const lateReset = await confirm({ token: reset.token, new_password: 'yet-another-passphrase-1' });
      assert.equal(lateReset.status, 422, lateReset.text);
      assert.deepEqual(lateReset.body, { errors: { token: ['is invalid'] } });
      const lateMove = await request(app(), 'POST', '/api/users/verification/confirm', {
        body: { token: move.token },
      });
      assert.equal(lateMove.status, 422, lateMove.text);
      assert.deepEqual(lateMove.body, { errors: { token: ['is invalid'] } });
      const stored = await readUser(mailing.test.database, user.email);
      assert.equal(stored.passwordHash, hash);
      assert.equal(stored.email, user.email);
      assert.equal((await login(user.email, newPassword)).status, 200);
    });

    it('takes as long for an unknown address as for a known one (medians within max(25 ms, 10%))', async (t) => {
      const users = [];
      for (let index = 0; index < 25; index += 1) users.push(await registerUser(app(), 'timed'));
      const timed = async (email: string) => {
        const start = process.hrtime.bigint();
        const response = await ask(email);
        assert.equal(response.status, 202);
        return Number(process.hrtime.bigint() - start) / 1e6;
      };
      const known: number[] = [];
      const unknown: number[] = [];
      // interleaved, so that whatever else the machine does falls on both alike
      for (const user of users) {
        known.push(await timed(user.email));
        unknown.push(await timed(`absent-${user.email}`));
      }
      const [knownMedian, unknownMedian] = [median(known), median(unknown)];
      const allowed = Math.max(25, 0.1 * Math.max(knownMedian, unknownMedian));
      t.diagnostic(`median known ${knownMedian.toFixed(2)} ms, unknown ${unknownMedian.toFixed(2)} ms`);
      assert.ok(
        Math.abs(knownMedian - unknownMedian) <= allowed,
        `known ${knownMedian.toFixed(2)} ms, unknown ${unknownMedian.toFixed(2)} ms`,
      );
    });

    it('sends no more than MAILS_PER_ADDRESS mails an hour to one address, and answers alike beyond it', async () => {
      const user = await registerUser(app());
      const before = mailing.mailsTo(user.email).length;
      for (let asked = 0; asked < 7; asked += 1) assert.equal((await ask(user.email)).status, 202);
      await mailing.nextMail(user.email, subjects.reset);
      await new Promise((resolve) => setTimeout(resolve, 500));
      // the registration's verification mail counted nothing; five resets did
      assert.equal(mailing.mailsTo(user.email).filter((mail) => subjects.reset.test(mail.subject)).length, 5);
      assert.ok(mailing.mailsTo(user.email).length >= before + 5);
    });

    it('refuses an invalid or missing address with 422', async () => {
      for (const email of ['not-an-address', '', 12]) {
        assert.equal((await ask(email)).status, 422);
      }
    });
  });
}

for (const dialect of dialects) {
  describe(`expired mail tokens on ${dialect}`, () => {
    let mailing: MailingApp;
    before(async () => {
      mailing = await startMailingApp(dialect, {
        PASSWORD_RESET_TOKEN_TTL: '1s',
        VERIFY_EMAIL_TOKEN_TTL: '1s',
      });
    });
    after(() => mailing.close());

    it('refuses a reset or verification token once its lifetime has passed, and changes nothing', async () => {
      const app = mailing.test.app;
      const user = await registerUser(app);
      const verify = linkIn(await mailing.nextMail(user.email, subjects.verify));
      await request(app, 'POST', '/api/users/password-reset', { body: { email: user.email } });
      const reset = linkIn(await mailing.nextMail(user.email, subjects.reset));
      const hash = (await readUser(mailing.test.database, user.email)).passwordHash;

      await new Promise((resolve) => setTimeout(resolve, 1_200));
      const lateReset = await request(app, 'POST', '/api/users/password-reset/confirm', {
        body: { token: reset.token, new_password: newPassword },
      });
      assert.equal(lateReset.status, 422, lateReset.text);
      assert.deepEqual(lateReset.body, { errors: { token: ['is invalid'] } });
      const lateVerify = await request(app, 'POST', '/api/users/verification/confirm', {
        body: { token: verify.token },
      });
      assert.equal(lateVerify.status, 422, lateVerify.text);
      const stored = await readUser(mailing.test.database, user.email);
      assert.equal(stored.passwordHash, hash);
      assert.equal(stored.emailVerifiedAt, null);
    });
  });
}
