import type { MailPort, OutgoingMail } from '../accounts/ports.ts';
import type { Clock } from '../clock.ts';
import type { SecretBox } from '../keys/secret-box.ts';
import type { Metrics } from '../metrics/metrics.ts';

/** The SECRET_KEY purpose mails in the outbox are sealed under. */
export const outboxSealPurpose = 'mail-outbox';

export interface MailQueueOptions {
  /** seals what a mail says: its links carry one-time tokens, which must not sit readable in the database */
  box: SecretBox;
  clock: Clock;
  newId: () => string;
  metrics: Metrics;
  /** told after a unit that queued mail has committed, so this instance's relay sends it at once */
  onQueued: () => void;
}

/** The outbox as the account domain's MailPort: a mail is a row written in the caller's unit of work. */
export function createMailQueue(options: MailQueueOptions): MailPort {
  const { box, clock, newId, metrics, onQueued } = options;
  return {
    async queue(unit, mail) {
      await unit.outbox.insert({
        id: newId(),
        kind: mail.kind,
        recipient: mail.to,
        payloadSealed: box.seal(JSON.stringify(mail)),
        createdAt: clock.now(),
      });
      unit.afterCommit(() => {
        metrics.mail(mail.kind, 'queued');
        onQueued();
      });
    },
  };
}

/** What a queued mail says, from its sealed payload; throws when it was sealed under another key. */
export function openMail(box: SecretBox, sealed: string): OutgoingMail {
  return JSON.parse(box.open(sealed)) as OutgoingMail;
}
