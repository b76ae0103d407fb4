import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { processEnvironment, runCommand } from '../support/server-process.ts';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.ts';

/** A port nothing listens on: taken from the system, then let go. */
async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (typeof address !== 'object' || address === null) throw new Error('no port');
  return address.port;
}

describe('gatehouse mail test <address>', () => {
  let smtp: SmtpSink;
  before(async () => {
    smtp = await startSmtpSink();
  });
  after(() => smtp.stop());

  const run = (args: string[], env: Record<string, string>) =>
    runCommand(['mail', ...args], { env: processEnvironment({ MAIL_TIMEOUT: '2s', ...env }) });

  it('sends one mail through SMTP_URL, logging in with the URL, and prints what the server answered', async () => {
    const url = `smtp://mailer:s3cret-pass@127.0.0.1:${smtp.port}`;
    const result = await run(['test', 'ops@example.com'], { SMTP_URL: url, APP_NAME: 'Acme' });
    assert.equal(result.code, 0, result.stderr);
    assert.match(
      result.stdout,
      new RegExp(`^sent to ops@example.com through 127.0.0.1:${smtp.port}; the server answered: 250 `),
    );
    assert.ok(!`${result.stdout}${result.stderr}`.includes('s3cret-pass'));
    const received = smtp.received.at(-1);
    assert.deepEqual(received?.to, ['ops@example.com']);
    assert.equal(received.subject, 'Acme mail test');
    assert.ok(received.text.includes('gatehouse mail test'));
    assert.ok(smtp.logins.includes('mailer'));
  });

  it('says why, with exit 1, when the server refuses the mail', async () => {
    smtp.refuse(550, 'No such user here');
    const result = await run(['test', 'nobody@example.com'], { SMTP_URL: smtp.url });
    smtp.accept();
    assert.equal(result.code, 1);
    assert.match(
      result.stderr,
      /^gatehouse mail: not sent through 127\.0\.0\.1:\d+: 550 .*No such user here\n$/,
    );
  });

  it('says why, with exit 1, when nothing listens at SMTP_URL', async () => {
    const port = await deadPort();
    const result = await run(['test', 'ops@example.com'], { SMTP_URL: `smtp://127.0.0.1:${port}` });
    assert.equal(result.code, 1);
    assert.match(
      result.stderr,
      new RegExp(`^gatehouse mail: not sent through 127.0.0.1:${port}: .*ECONNREFUSED`),
    );
    assert.equal(result.stdout, '');
  });

  it('upgrades to TLS with STARTTLS when SMTP_URL requires it', async () => {
    const tlsSink = await startSmtpSink({ startTls: true });
    try {
      const url = `smtp://127.0.0.1:${tlsSink.port}?requireTLS=true&tls.rejectUnauthorized=false`;
      const result = await run(['test', 'ops@example.com'], { SMTP_URL: url });
      assert.equal(result.code, 0, result.stderr);
      assert.deepEqual(tlsSink.secured, [true]);
    } finally {
      await tlsSink.stop();
    }
  });

  it('refuses, with exit 1, to send in clear when SMTP_URL requires TLS the server does not offer', async () => {
    const before = smtp.received.length;
    const result = await run(['test', 'ops@example.com'], { SMTP_URL: `${smtp.url}?requireTLS=true` });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /^gatehouse mail: not sent through 127\.0\.0\.1:\d+: 500 .*not recognized/);
    assert.equal(smtp.received.length, before);
  });

  it('says, with exit 1, that no mail is sent when SMTP_URL is unset', async () => {
    const result = await run(['test', 'ops@example.com'], {});
    assert.equal(result.code, 1);
    assert.match(result.stderr, /SMTP_URL is not set: the server writes mails to its log/);
  });

  for (const [args, reason] of [
    [[], /a subcommand is needed/],
    [['send'], /unknown subcommand 'send'/],
    [['test'], /takes one address/],
    [['test', 'a@example.com', 'b@example.com'], /takes one address/],
    [['test', 'not-an-address'], /'not-an-address' is not an email address/],
    [['test', '--to', 'a@example.com'], /--to/],
  ] as const) {
    it(`refuses \`mail ${args.join(' ')}\` with exit 2 and sends nothing`, async () => {
      const before = smtp.received.length;
      const result = await run([...args], { SMTP_URL: smtp.url });
      assert.equal(result.code, 2);
      assert.match(result.stderr, reason);
      assert.equal(smtp.received.length, before);
    });
  }
});
