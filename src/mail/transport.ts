import type { RenderedMail } from './templates.ts';

/** Where mails go: an SMTP server, or (in development) the log. */
export interface MailTransport {
  /** Sends one mail; resolves with the server's answer, or throws a `DeliveryFailure`. */
  send(mail: RenderedMail): Promise<string>;
  close(): void;
}

/**
 * Why a mail was not taken. `permanent`: the server refused this mail for good (an SMTP 5xx to its sender,
 * recipient or content), so it is not tried again. `unreachable`: nothing got as far as this mail (no
 * connection, a timeout, a refused login, a 421), so the mails after it would fare no better just now.
 */
export class DeliveryFailure extends Error {
  override readonly name = 'DeliveryFailure';
  /** the SMTP server's answer, or what happened to the connection; never the mail's body */
  readonly reason: string;
  readonly permanent: boolean;
  readonly unreachable: boolean;
  constructor(reason: string, permanent: boolean, unreachable: boolean) {
    super(reason);
    this.reason = reason;
    this.permanent = permanent;
    this.unreachable = unreachable;
  }
}
