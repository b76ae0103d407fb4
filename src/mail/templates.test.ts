import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { OutgoingMail } from '../accounts/ports.ts';
import { createLinks } from './links.ts';
import { createTemplates, escapeHtml } from './templates.ts';

const publicUrl = 'https://auth.example.com';
const token = 'tok_en-123';

describe('mail links', () => {
  it('lead to PUBLIC_URL by default, the token as token=…', () => {
    const links = createLinks({
      publicUrl,
      verifyEmailLink: undefined,
      passwordResetLink: undefined,
      loginNameResetLink: undefined,
    });
    assert.equal(links.verifyEmail('MQ', token), `${publicUrl}/verify-email?token=${token}`);
    assert.equal(links.resetPassword('MQ', token), `${publicUrl}/reset-password?token=${token}`);
  });

  it("follow per-purpose templates with {uid} and {token}, as djoser's ACTIVATION_URL does", () => {
    const links = createLinks({
      publicUrl,
      verifyEmailLink: 'https://app.example.com/#/activate/{uid}/{token}',
      passwordResetLink: 'https://app.example.com/reset?uid={uid}&token={token}',
      loginNameResetLink: 'https://app.example.com/#/username/reset/confirm/{uid}/{token}',
    });
    assert.equal(
      links.resetLoginName('MQ', 'a/b'),
      'https://app.example.com/#/username/reset/confirm/MQ/a%2Fb',
    );
    assert.equal(links.verifyEmail('MQ', token), `https://app.example.com/#/activate/MQ/${token}`);
    assert.equal(links.resetPassword('MQ', token), `https://app.example.com/reset?uid=MQ&token=${token}`);
  });

  it('URL-encode what they fill in', () => {
    const links = createLinks({
      publicUrl,
      verifyEmailLink: undefined,
      passwordResetLink: undefined,
      loginNameResetLink: undefined,
    });
    assert.equal(links.verifyEmail('a', 'x&y=z'), `${publicUrl}/verify-email?token=x%26y%3Dz`);
  });
});

describe('mail templates', () => {
  const templates = createTemplates(
    'Acme & Co',
    createLinks({
      publicUrl,
      verifyEmailLink: undefined,
      passwordResetLink: undefined,
      loginNameResetLink: undefined,
    }),
  );
  const emailChange: OutgoingMail = { kind: 'email-change', to: 'new@example.com', uid: 'MQ', token };
  const reset: OutgoingMail = { kind: 'password-reset', to: 'a@example.com', uid: 'MQ', token };
  const emailChanged: OutgoingMail = {
    kind: 'email-changed',
    to: 'old@example.com',
    newEmail: 'new<b>@example.com',
  };
  const mails: OutgoingMail[] = [
    { kind: 'verify-email', to: 'a@example.com', uid: 'MQ', token },
    emailChange,
    reset,
    { kind: 'password-changed', to: 'a@example.com' },
    emailChanged,
  ];

  for (const mail of mails) {
    it(`write ${mail.kind} in text and HTML, in the product's name, to its recipient`, () => {
      const rendered = templates.render(mail);
      assert.equal(rendered.to, mail.to);
      assert.ok(rendered.subject.includes('Acme & Co'));
      assert.ok(rendered.text.includes('Acme & Co'));
      assert.ok(rendered.html.includes('Acme &amp; Co'));
      assert.ok(!rendered.html.includes('Acme & Co'));
      for (const link of rendered.links) {
        assert.ok(rendered.text.includes(link));
        assert.ok(rendered.html.includes(`href="${escapeHtml(link)}"`));
      }
      // a token travels only in the mails whose link needs it
      assert.equal(rendered.text.includes(token), 'token' in mail);
    });
  }

  it('send email-change and verify-email confirmations to the verification link, resets to the reset link', () => {
    assert.deepEqual(templates.render(emailChange).links, [`${publicUrl}/verify-email?token=${token}`]);
    assert.deepEqual(templates.render(reset).links, [`${publicUrl}/reset-password?token=${token}`]);
  });

  it('escape an address that carries markup in HTML', () => {
    const rendered = templates.render(emailChanged);
    assert.ok(rendered.html.includes('new&lt;b&gt;@example.com'));
    assert.ok(rendered.text.includes('new<b>@example.com'));
  });

  it('tell an address it is being removed, with no link, when the account keeps none', () => {
    const rendered = templates.render({ kind: 'email-changed', to: 'old@example.com', newEmail: null });
    assert.equal(rendered.to, 'old@example.com');
    assert.match(rendered.subject, /is being removed/);
    assert.ok(!rendered.text.includes('null'));
    assert.deepEqual(rendered.links, []);
  });

  it('escape every character that could end an attribute or open a tag', () => {
    assert.equal(
      escapeHtml(`<a href="x" title='y'>&`),
      '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;',
    );
  });
});
