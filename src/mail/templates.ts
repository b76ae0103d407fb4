import type { OutgoingMail } from '../accounts/ports.ts';
import type { Links } from './links.ts';

/** A mail ready for a transport: both bodies, and the links in it (what the development log shows). */
export interface RenderedMail {
  to: string;
  subject: string;
  text: string;
  html: string;
  links: string[];
}

/** What a mail says, paragraph by paragraph; a link is its own paragraph. */
type Paragraph = string | { url: string };

interface Content {
  subject: string;
  paragraphs: Paragraph[];
}

/** Writes each kind of mail in plain text and HTML, in the product's name. */
export function createTemplates(appName: string, links: Links) {
  function contentOf(mail: OutgoingMail): Content {
    switch (mail.kind) {
      case 'verify-email':
        return {
          subject: `Confirm your email address for ${appName}`,
          paragraphs: [
            `Please confirm that this is your email address for ${appName} by opening this link:`,
            { url: links.verifyEmail(mail.uid, mail.token) },
            'The link works once. If you did not create an account, ignore this mail.',
          ],
        };
      case 'email-change':
        return {
          subject: `Confirm your new email address for ${appName}`,
          paragraphs: [
            `Someone asked to make this the email address of a ${appName} account. If it was you, confirm it by opening this link:`,
            { url: links.verifyEmail(mail.uid, mail.token) },
            'The link works once. If it was not you, ignore this mail: nothing changes.',
          ],
        };
      case 'password-reset':
        return {
          subject: `Reset your ${appName} password`,
          paragraphs: [
            `Someone asked to reset the password of your ${appName} account. If it was you, choose a new password here:`,
            { url: links.resetPassword(mail.uid, mail.token) },
            'The link works once and soon expires. If it was not you, ignore this mail: your password stays as it is.',
          ],
        };
      case 'login-name-reset':
        return {
          subject: `Choose a new sign-in name for ${appName}`,
          paragraphs: [
            `Someone asked to change the name you sign in to ${appName} with. If it was you, choose a new one here:`,
            { url: links.resetLoginName(mail.uid, mail.token) },
            'The link works once and soon expires. If it was not you, ignore this mail: nothing changes.',
          ],
        };
      case 'password-changed':
        return {
          subject: `Your ${appName} password was changed`,
          paragraphs: [
            `The password of your ${appName} account has just been changed, and every other sign-in ended.`,
            'If you did not do this, reset your password at once and check the email address of your account.',
          ],
        };
      case 'email-changed':
        if (mail.newEmail === null) {
          return {
            subject: `The email address of your ${appName} account is being removed`,
            paragraphs: [
              `This address is being removed from your ${appName} account, which will have none: no mail from ${appName} will come here, password resets included.`,
              'If you did not do this, sign in, change your password at once and add your address again.',
            ],
          };
        }
        return {
          subject: `The email address of your ${appName} account is changing`,
          paragraphs: [
            `The email address of your ${appName} account is changing to ${mail.newEmail}.`,
            'If you did not do this, reset your password at once.',
          ],
        };
    }
  }

  return {
    render: (mail: OutgoingMail): RenderedMail => ({ to: mail.to, ...write(contentOf(mail), appName) }),
    /** The mail `gatehouse mail test` sends. */
    renderTest: (to: string): RenderedMail => ({
      to,
      ...write(
        {
          subject: `${appName} mail test`,
          paragraphs: [
            `This mail was sent by \`gatehouse mail test\` to check that ${appName} can send mail.`,
            'Nothing else needs doing.',
          ],
        },
        appName,
      ),
    }),
  };
}

function write({ subject, paragraphs }: Content, appName: string) {
  const signature = `— ${appName}`;
  const text = [
    'Hello,',
    ...paragraphs.map((paragraph) => (typeof paragraph === 'string' ? paragraph : paragraph.url)),
    signature,
  ].join('\n\n');
  const html = [
    '<!doctype html>',
    `<html><head><meta charset="utf-8"><title>${escapeHtml(subject)}</title></head>`,
    '<body style="font-family: sans-serif; line-height: 1.5">',
    '<p>Hello,</p>',
    ...paragraphs.map((paragraph) =>
      typeof paragraph === 'string'
        ? `<p>${escapeHtml(paragraph)}</p>`
        : `<p><a href="${escapeHtml(paragraph.url)}">${escapeHtml(paragraph.url)}</a></p>`,
    ),
    `<p>${escapeHtml(signature)}</p>`,
    '</body></html>',
  ].join('\n');
  const links = paragraphs.flatMap((paragraph) => (typeof paragraph === 'string' ? [] : [paragraph.url]));
  return { subject, text, html, links };
}

const htmlEntities: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Text as HTML: safe between tags and inside a quoted attribute. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => htmlEntities[character] ?? character);
}
