import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createUserRepository } from '../../src/store/user-repository.ts';
import { dialects } from '../support/databases.ts';
import { newUser, request } from '../support/test-app.ts';
import { createTokens } from './djoser-shapes.ts';
import { linkIn, startMailingApp, subjects, type MailingApp } from './mail-shapes.ts';

const resetLink = { LOGIN_NAME_RESET_LINK: 'https://app.example/username/reset/confirm/{uid}/{token}' };
const nameSubject = /^Choose a new sign-in name/;

for (const dialect of dialects) {
  describe(`djoser reset_email/ and reset_email_confirm/ (email login field) on ${dialect}`, () => {
    let mailing: MailingApp;
    before(async () => {
      mailing = await startMailingApp(dialect, resetLink);
    });
    after(() => mailing.close());
    const post = (path: string, body: unknown) =>
      request(mailing.test.app, 'POST', `/auth/users/${path}`, { body });

    it('mails a link that sets a new email once; the new address is unverified and mailed', async () => {
      const user = newUser('resetmail');
      assert.equal((await post('', user)).status, 201);
      await mailing.nextMail(user.email, subjects.verify);
      const asked = await post('reset_email/', { email: user.email.toUpperCase() });
      assert.equal(asked.status, 204, asked.text);
      const link = linkIn(await mailing.nextMail(user.email, nameSubject));

      const other = newUser('resetother');
      assert.equal((await post('', other)).status, 201);
      const users = createUserRepository(mailing.test.database);
      const before = await users.findByEmail(user.email);
      for (const [body, errors] of [
        [{ ...link, new_email: 'nope' }, { new_email: ['Enter a valid email address.'] }],
        [
          { ...link, new_email: other.email },
          { new_email: ['user with this email address already exists.'] },
        ],
        [
          { uid: 'bad', token: link.token, new_email: 'x@example.com' },
          { uid: ["Invalid user id or user doesn't exist."] },
        ],
        [
          { uid: link.uid, token: 'forged', new_email: 'x@example.com' },
          { token: ['Invalid token for given user.'] },
        ],
        [
          {},
          {
            uid: ['This field is required.'],
            token: ['This field is required.'],
            new_email: ['This field is required.'],
          },
        ],
      ] as const) {
        const response = await post('reset_email_confirm/', body);
        assert.equal(response.status, 400, response.text);
        assert.deepEqual(response.body, errors);
      }
      assert.deepEqual(await users.findByEmail(user.email), before);

      const moved = `moved.${user.email}`;
      const done = await post('reset_email_confirm/', { ...link, new_email: moved });
      assert.equal(done.status, 204, done.text);
      const after = await users.findByEmail(moved);
      assert.equal(after?.id, before?.id);
      assert.equal(after?.emailVerifiedAt, null);
      await mailing.nextMail(moved, subjects.verify);
      await createTokens(mailing.test.app, { email: moved, password: user.password });
      const again = await post('reset_email_confirm/', { ...link, new_email: `again.${user.email}` });
      assert.deepEqual(again.body, { token: ['Invalid token for given user.'] });
    });

    it('answers 204 for an unknown address and sends nothing; reset_username/ is not served here', async () => {
      const queued = async () =>
        Number(
          (
            await mailing.test.database.db
              .selectFrom('mail_outbox')
              .select((builder) => builder.fn.countAll().as('count'))
              .executeTakeFirstOrThrow()
          ).count,
        );
      const before = await queued();
      const address = `nobody-${Date.now()}@example.com`;
      assert.equal((await post('reset_email/', { email: address })).status, 204);
      const invalid = await post('reset_email/', { email: 'nope' });
      assert.equal(invalid.status, 400);
      assert.equal((await post('reset_username/', { email: address })).status, 404);
      // nothing was queued, so nothing can be sent
      assert.equal(await queued(), before);
    });
  });

  describe(`djoser reset_username/ and reset_username_confirm/ (username login field) on ${dialect}`, () => {
    let mailing: MailingApp;
    before(async () => {
      mailing = await startMailingApp(dialect, { ...resetLink, DJOSER_LOGIN_FIELD: 'username' });
    });
    after(() => mailing.close());
    const post = (path: string, body: unknown) =>
      request(mailing.test.app, 'POST', `/auth/users/${path}`, { body });

    it('mails a link that sets a new username; the old one no longer signs in', async () => {
      const user = newUser('resetname');
      assert.equal((await post('', user)).status, 201);
      assert.equal((await post('reset_username/', { email: user.email })).status, 204);
      const link = linkIn(await mailing.nextMail(user.email, nameSubject));
      const refused = await post('reset_username_confirm/', { ...link, new_username: 'a b' });
      assert.equal(refused.status, 400);
      assert.deepEqual(refused.body, {
        new_username: [
          'Enter a valid username. This value may contain only letters, numbers, and ./-/_ characters.',
        ],
      });
      const renamed = `renamed${user.username}`;
      const done = await post('reset_username_confirm/', { ...link, new_username: renamed });
      assert.equal(done.status, 204, done.text);
      const login = (username: string) =>
        request(mailing.test.app, 'POST', '/auth/jwt/create/', {
          body: { username, password: user.password },
        });
      assert.equal((await login(renamed)).status, 200);
      assert.equal((await login(user.username)).status, 401);
      assert.equal((await post('reset_email/', { email: user.email })).status, 404);
    });
  });
}
