import { parseArgs } from 'node:util';
import { checkEmail, normalizeEmail } from '../accounts/user-fields.ts';
import { loadConfig } from '../config/config.ts';
import { createLinks } from '../mail/links.ts';
import { createSmtpTransport } from '../mail/smtp-transport.ts';
import { createTemplates } from '../mail/templates.ts';
import { DeliveryFailure } from '../mail/transport.ts';
import { CommandError, type Env } from './context.ts';

/** `gatehouse mail test <address>`: one mail straight through SMTP_URL (not the outbox), and what became of it. */
export async function mail(args: string[], env: Env): Promise<void> {
  const [subcommand, ...rest] = args;
  if (subcommand !== 'test') {
    throw new CommandError(
      subcommand === undefined
        ? 'a subcommand is needed: test <address>'
        : `unknown subcommand '${subcommand}' (test <address>)`,
    );
  }
  const { positionals } = parseArgs({ args: rest, options: {}, allowPositionals: true, strict: true });
  const [given, ...extra] = positionals;
  if (given === undefined || extra.length > 0) {
    throw new CommandError('mail test takes one address: gatehouse mail test <address>');
  }
  const address = normalizeEmail(given);
  if (checkEmail(address) !== undefined) throw new CommandError(`'${address}' is not an email address`);

  const config = loadConfig(env);
  const { smtpUrl, from, timeout, appName } = config.mail;
  if (smtpUrl === undefined) {
    throw new Error(
      config.production
        ? 'SMTP_URL is not set: no mail can be sent, and mails wait in the outbox'
        : 'SMTP_URL is not set: the server writes mails to its log instead of sending them',
    );
  }
  const server = new URL(smtpUrl).host;
  const templates = createTemplates(
    appName,
    createLinks({
      publicUrl: config.publicUrl,
      verifyEmailLink: undefined,
      passwordResetLink: undefined,
      loginNameResetLink: undefined,
    }),
  );
  const transport = createSmtpTransport({ url: smtpUrl, from, timeout, connections: 1 });
  try {
    const answer = await transport.send(templates.renderTest(address));
    console.log(`sent to ${address} through ${server}; the server answered: ${answer}`);
  } catch (error) {
    if (error instanceof DeliveryFailure)
      throw new Error(`not sent through ${server}: ${error.reason}`, { cause: error });
    throw error;
  } finally {
    transport.close();
  }
}
