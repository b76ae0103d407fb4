import { randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { MailTransport } from './transport.ts';

/**
 * Development without SMTP_URL: each mail is written whole (recipient, subject, and the text with its
 * links) to a file of its own in `folder`, as Django's file-based mail backend does, so a developer can
 * click through; the log says which file. Never the link itself in the log: it carries a one-time token,
 * and no log line holds a secret. Never used in production.
 */
export function createFileTransport(folder: string, logger: Logger): MailTransport {
  return {
    async send(mail) {
      // readable by the server's user alone, as the tokens in them deserve
      await mkdir(folder, { recursive: true, mode: 0o700 });
      const name = `${new Date().toISOString().replaceAll(':', '-')}-${randomUUID().slice(0, 8)}.txt`;
      const file = join(folder, name);
      await writeFile(file, `To: ${mail.to}\nSubject: ${mail.subject}\n\n${mail.text}\n`, { mode: 0o600 });
      logger.info(
        { to: mail.to, subject: mail.subject, file },
        'mail written to a file (SMTP_URL is not set)',
      );
      return `written to ${file}`;
    },
    close: () => undefined,
  };
}
