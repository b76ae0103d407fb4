import { join } from 'node:path';
import type { AuditEvent } from '../audit/audit-trail.ts';
import type { Logger } from 'pino';
import type { MailPort } from '../accounts/ports.ts';
import type { Clock } from '../clock.ts';
import type { Config } from '../config/config.ts';
import { createSecretBox } from '../keys/secret-box.ts';
import type { Metrics } from '../metrics/metrics.ts';
import type { OutboxRepository } from '../store/outbox-repository.ts';
import type { Worker } from '../worker.ts';
import { createLinks } from './links.ts';
import { createFileTransport } from './file-transport.ts';
import { createMailQueue, openMail, outboxSealPurpose } from './mail-queue.ts';
import { createMailRelay } from './mail-relay.ts';
import { createSmtpTransport } from './smtp-transport.ts';
import { createTemplates } from './templates.ts';

/**
 * How this instance delivers mail: to SMTP_URL; into files under DATA_DIR/mail (development without
 * SMTP_URL); or not at all
 * (production without SMTP_URL: mails wait in the outbox until a server with SMTP_URL sends them).
 */
export type MailDelivery = 'smtp' | 'file' | 'not_configured';

// SMTP connections a relay keeps open and sends on at once.
const smtpConnections = 4;

export interface MailOutboxOptions {
  config: Pick<Config, 'mail' | 'publicUrl' | 'production' | 'dataDir'>;
  /** the outbox on the database itself, for the relay */
  outbox: OutboxRepository;
  secretKey: string;
  clock: Clock;
  newId: () => string;
  logger: Logger;
  metrics: Metrics;
  /** writes a mail's delivery or final failure into the audit log */
  recordEvent: (event: AuditEvent) => Promise<void>;
}

/** The outbox end to end: the queue the domain writes to, and the relay that delivers it. */
export function createMailOutbox(options: MailOutboxOptions) {
  const { config, outbox, clock, logger, metrics } = options;
  const settings = config.mail;
  const box = createSecretBox(options.secretKey, outboxSealPurpose);
  const templates = createTemplates(
    settings.appName,
    createLinks({
      publicUrl: config.publicUrl,
      verifyEmailLink: settings.verifyEmailLink,
      passwordResetLink: settings.passwordResetLink,
      loginNameResetLink: settings.loginNameResetLink,
    }),
  );
  const delivery: MailDelivery =
    settings.smtpUrl !== undefined ? 'smtp' : config.production ? 'not_configured' : 'file';

  const relay =
    delivery === 'not_configured'
      ? undefined
      : createMailRelay({
          outbox,
          open: (sealed) => openMail(box, sealed),
          render: templates.render,
          transport:
            settings.smtpUrl === undefined
              ? createFileTransport(join(config.dataDir, 'mail'), logger)
              : createSmtpTransport({
                  url: settings.smtpUrl,
                  from: settings.from,
                  timeout: settings.timeout,
                  connections: smtpConnections,
                }),
          clock,
          logger,
          metrics,
          maxAttempts: settings.maxAttempts,
          retryDelay: settings.retryDelay,
          pollInterval: settings.pollInterval,
          timeout: settings.timeout,
          retention: settings.retention,
          concurrency: smtpConnections,
          recordEvent: options.recordEvent,
        });

  const queue: MailPort = createMailQueue({
    box,
    clock,
    newId: options.newId,
    metrics,
    // on the next turn of the event loop: the request that queued the mail is answered first, so that a
    // reset asked for a real address takes no longer to answer than one for an unknown address
    onQueued: () => {
      setImmediate(() => relay?.wake());
    },
  });

  const worker: Worker = relay ?? {
    name: 'mail-relay',
    start() {
      logger.warn('SMTP_URL is not set: mails wait in the outbox, unsent, until a server with SMTP_URL runs');
    },
    stop: () => Promise.resolve(),
  };

  return {
    queue,
    relay: worker,
    delivery,
    depth: () => outbox.countQueued(),
    /** A mail was made due outside the queue (a staff retry): this instance's relay looks at once. */
    wake: () => relay?.wake(),
  };
}

export type MailOutbox = ReturnType<typeof createMailOutbox>;
