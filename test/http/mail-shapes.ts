import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import { quickMailSettings } from '../mail/outbox.ts';
import type { DialectName } from '../support/databases.ts';
import { startSmtpSink, type ReceivedMail, type SmtpSink } from '../support/smtp-sink.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';

/** A test app whose relay delivers to a real SMTP server the test reads. */
export interface MailingApp {
  test: TestApp;
  sink: SmtpSink;
  /** The next mail to `address` whose subject matches, once it has arrived. */
  nextMail(address: string, subject: RegExp): Promise<ReceivedMail>;
  /** Mails to `address` received so far. */
  mailsTo(address: string): ReceivedMail[];
  close(): Promise<void>;
}

/**
 * Links as a djoser frontend has them (`{uid}` and `{token}` in the path), so that every test can read both
 * from a mail; the Conduit routes need only the token.
 */
const linkSettings = {
  VERIFY_EMAIL_LINK: 'https://app.example/activate/{uid}/{token}',
  PASSWORD_RESET_LINK: 'https://app.example/password/reset/confirm/{uid}/{token}',
};

export async function startMailingApp(
  dialect: DialectName,
  env: Record<string, string> = {},
): Promise<MailingApp> {
  const sink = await startSmtpSink();
  const test = await startTestApp(dialect, {
    env: { ...quickMailSettings, ...linkSettings, SMTP_URL: sink.url, ...env },
  });
  const seen = new Set<ReceivedMail>();
  const mailsTo = (address: string) =>
    sink.received.filter((mail) => mail.to.some((to) => to.toLowerCase() === address.toLowerCase()));
  return {
    test,
    sink,
    mailsTo,
    async nextMail(address, subject) {
      const deadline = Date.now() + 10_000;
      for (;;) {
        const mail = mailsTo(address).find((each) => !seen.has(each) && subject.test(each.subject));
        if (mail !== undefined) {
          seen.add(mail);
          return mail;
        }
        assert.ok(Date.now() < deadline, `no mail to ${address} matching ${String(subject)} arrived`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    async close() {
      await test.close();
      await sink.stop();
    },
  };
}

/** The uid and token of the link in a mail (the link settings above put both in its path). */
export function linkIn(mail: ReceivedMail): { uid: string; token: string; url: string } {
  const match = /(https:\/\/app\.example\/[\w/]+\/([A-Za-z0-9_-]+)\/([A-Za-z0-9_-]+))/.exec(mail.text);
  assert.ok(match?.[2] !== undefined && match[3] !== undefined, `no link in:\n${mail.text}`);
  assert.ok(mail.html.includes(match[1] ?? ''), 'the HTML part carries the same link');
  return { url: match[1] ?? '', uid: match[2], token: match[3] };
}

export const subjects = {
  verify: /^Confirm your email address/,
  newAddress: /^Confirm your new email address/,
  reset: /^Reset your/,
  passwordChanged: /password was changed/,
  addressChanging: /email address of your .* account is changing/,
};

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
};

/**
 * Asks for a mail for each known address and for an unknown one beside it, interleaved so that whatever
 * else the machine does falls on both alike, and fails unless the medians of the two are within
 * max(25 ms, 10%): the time of the answer must not tell whether an address has an account.
 */
export async function assertTimedAlike(
  t: TestContext,
  ask: (email: string) => Promise<{ status: number; text: string }>,
  known: readonly string[],
  status: number,
): Promise<void> {
  const timed = async (email: string) => {
    const start = process.hrtime.bigint();
    const response = await ask(email);
    assert.equal(response.status, status, response.text);
    return Number(process.hrtime.bigint() - start) / 1e6;
  };
  const knownTimes: number[] = [];
  const unknownTimes: number[] = [];
  for (const email of known) {
    knownTimes.push(await timed(email));
    unknownTimes.push(await timed(`absent-${email}`));
  }
  const [knownMedian, unknownMedian] = [median(knownTimes), median(unknownTimes)];
  const allowed = Math.max(25, 0.1 * Math.max(knownMedian, unknownMedian));
  t.diagnostic(`median known ${knownMedian.toFixed(2)} ms, unknown ${unknownMedian.toFixed(2)} ms`);
  assert.ok(
    Math.abs(knownMedian - unknownMedian) <= allowed,
    `known ${knownMedian.toFixed(2)} ms, unknown ${unknownMedian.toFixed(2)} ms`,
  );
}
