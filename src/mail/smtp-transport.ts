import type * as Nodemailer from 'nodemailer';
import { loadOnFirstUse, requirePackage } from '../lazy-package.ts';
import { DeliveryFailure, type MailTransport } from './transport.ts';

export interface SmtpSettings {
  /** `smtp://` or `smtps://`, with any login in it; options in its query string override ours */
  url: string;
  from: string;
  /** each of the connection, greeting and socket-inactivity timeouts, in ms */
  timeout: number;
  /** connections kept open and used at once */
  connections: number;
}

// The longest SMTP reason kept: enough for any server's explanation, never a flood into a row or a log.
const maxReasonLength = 500;

const nodemailer = loadOnFirstUse(() => requirePackage('nodemailer') as typeof Nodemailer);

/** nodemailer over a small pool of connections to SMTP_URL: the only module that knows nodemailer. */
export function createSmtpTransport(settings: SmtpSettings): MailTransport {
  const transporter = nodemailer().createTransport({
    url: settings.url,
    pool: true,
    maxConnections: settings.connections,
    connectionTimeout: settings.timeout,
    greetingTimeout: settings.timeout,
    socketTimeout: settings.timeout,
    dnsTimeout: settings.timeout,
    // nodemailer would otherwise log through its own channel
    logger: false,
  });
  return {
    async send(mail) {
      try {
        const info = await transporter.sendMail({
          from: settings.from,
          to: mail.to,
          subject: mail.subject,
          text: mail.text,
          html: mail.html,
        });
        return truncate(info.response);
      } catch (error) {
        throw asDeliveryFailure(error);
      }
    },
    close() {
      transporter.close();
    },
  };
}

interface SmtpError {
  code?: string;
  responseCode?: number;
  response?: string;
  message?: string;
}

// nodemailer's error codes for a refusal of this one mail (its envelope or its content)
const refusalsOfTheMail = new Set(['EENVELOPE', 'EMESSAGE']);

function asDeliveryFailure(error: unknown): DeliveryFailure {
  const { code, responseCode, response, message } = (error ?? {}) as SmtpError;
  if (responseCode !== undefined && response !== undefined) {
    const ofTheMail = refusalsOfTheMail.has(code ?? '') && responseCode !== 421;
    return new DeliveryFailure(truncate(response), ofTheMail && responseCode >= 500, !ofTheMail);
  }
  const reason = [code, message].filter((part) => part !== undefined && part !== '').join(': ');
  return new DeliveryFailure(truncate(reason === '' ? String(error) : reason), false, true);
}

function truncate(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > maxReasonLength ? `${line.slice(0, maxReasonLength - 1)}…` : line;
}
