import type { Logger } from 'pino';
import type { MailTransport } from './transport.ts';

/**
 * Development without SMTP_URL: each mail's subject, recipient and links go to the log, so a developer can
 * click through. The only place a mail's link is ever logged; never used in production.
 */
export function createLogTransport(logger: Logger): MailTransport {
  return {
    send(mail) {
      logger.info(
        { to: mail.to, subject: mail.subject, links: mail.links },
        'mail written to the log (SMTP_URL is not set)',
      );
      return Promise.resolve('written to the log');
    },
    close: () => undefined,
  };
}
