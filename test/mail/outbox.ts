import { randomBytes, randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import type { OutgoingMail } from '../../src/accounts/ports.ts';
import { createAuditTrail } from '../../src/audit/audit-trail.ts';
import { systemClock, type Clock } from '../../src/clock.ts';
import { loadConfig } from '../../src/config/config.ts';
import { createLogger } from '../../src/http/logger.ts';
import { ignoreMetrics, type Metrics } from '../../src/metrics/metrics.ts';
import { createMailOutbox, type MailOutbox } from '../../src/mail/mail-outbox.ts';
import type { Database } from '../../src/store/database.ts';
import { createOutboxRepository, type OutboxEntry } from '../../src/store/outbox-repository.ts';
import { createStore, type Store } from '../../src/store/store.ts';

/** Relay settings short enough for a test: retries within a second, polls ten times a second. */
export const quickMailSettings: Readonly<Record<string, string>> = {
  PUBLIC_URL: 'http://gatehouse.test',
  MAIL_POLL_INTERVAL: '100ms',
  MAIL_RETRY_DELAY: '20ms',
  MAIL_TIMEOUT: '1s',
  MAIL_MAX_ATTEMPTS: '6',
};

export interface OutboxUnderTest {
  store: Store;
  mail: MailOutbox;
  /** every JSON log line written */
  logs: string[];
  /** Queues `mail` in a unit of work of its own. */
  queue(mail: OutgoingMail): Promise<void>;
  /** The outbox rows addressed to `recipient`. */
  rowsTo(recipient: string): Promise<OutboxEntry[]>;
  stop(): Promise<void>;
}

/** The outbox over `database`, its relay started, configured by `env` over the quick settings. */
export function startOutbox(
  database: Database,
  env: Record<string, string>,
  options: { clock?: Clock; secretKey?: string; start?: boolean; metrics?: Metrics } = {},
): OutboxUnderTest {
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      logs.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      callback();
    },
  });
  const config = loadConfig({ ...quickMailSettings, ...env });
  const logger = createLogger('info', sink);
  const store = createStore(database, (error) => {
    logger.error({ err: error }, 'after-commit action failed');
  });
  const outbox = createOutboxRepository(database);
  const mail = createMailOutbox({
    config,
    outbox,
    secretKey: options.secretKey ?? randomBytes(32).toString('base64url'),
    clock: options.clock ?? systemClock,
    newId: randomUUID,
    logger,
    metrics: options.metrics ?? ignoreMetrics,
    recordEvent: (event) =>
      createAuditTrail({
        events: store.auditEvents,
        clock: options.clock ?? systemClock,
        newId: randomUUID,
        logger,
      }).record(store, event),
  });
  if (options.start !== false) mail.relay.start();
  return {
    store,
    mail,
    logs,
    queue: (outgoing) => store.transaction((unit) => mail.queue.queue(unit, outgoing)),
    async rowsTo(recipient) {
      const rows = await database.db
        .selectFrom('mail_outbox')
        .select('id')
        .where('recipient', '=', recipient)
        .orderBy('created_at')
        .execute();
      const entries = await Promise.all(rows.map((row) => outbox.findById(row.id)));
      return entries.filter((entry) => entry !== undefined);
    },
    stop: () => mail.relay.stop(),
  };
}

/** A password-reset mail to a fresh address, with a fresh token. */
export function resetMail(prefix = 'reader'): OutgoingMail & { kind: 'password-reset' } {
  return {
    kind: 'password-reset',
    to: `${prefix}-${randomBytes(4).toString('hex')}@example.com`,
    uid: randomBytes(6).toString('base64url'),
    token: randomBytes(32).toString('base64url'),
  };
}
