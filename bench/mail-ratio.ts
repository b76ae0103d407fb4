import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTransport } from 'nodemailer';
import pino from 'pino';
import { SMTPServer } from 'smtp-server';
import { createAuditTrail } from '../src/audit/audit-trail.ts';
import type { OutgoingMail } from '../src/accounts/ports.ts';
import { systemClock } from '../src/clock.ts';
import { loadConfig } from '../src/config/config.ts';
import { createLinks } from '../src/mail/links.ts';
import { createMailOutbox } from '../src/mail/mail-outbox.ts';
import { createTemplates } from '../src/mail/templates.ts';
import { ignoreMetrics } from '../src/metrics/metrics.ts';
import { openDatabase } from '../src/store/database.ts';
import { migrateToLatest } from '../src/store/migrator.ts';
import { createOutboxRepository } from '../src/store/outbox-repository.ts';
import { createStore } from '../src/store/store.ts';
import { median } from './load.ts';
import type { Row } from './report.ts';

export interface MailRatioOptions {
  /** mails per measured run, on each side */
  mails: number;
  /** measured runs per side, alternating */
  rounds: number;
}

/** Medians over the rounds, in mails per second. */
export interface MailRatio {
  /** nodemailer straight to the sink, nothing else */
  directPerSecond: number;
  /** each mail sent straight from a unit of work of its own, as a flow that sends synchronously would */
  directFromUnitPerSecond: number;
  /** each mail queued in a unit of work of its own, delivered by the relay */
  outboxPerSecond: number;
  runs: Array<{ directPerSecond: number; directFromUnitPerSecond: number; outboxPerSecond: number }>;
}

// What the relay uses (mail-outbox.ts): the direct side gets as many connections and mails in flight.
const connections = 4;

/** An SMTP server in this process that takes every mail and counts it; both sides send to it. */
async function startSink() {
  let received = 0;
  let waiter: { count: number; resolve: () => void } | undefined;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    closeTimeout: 50,
    onData(stream, _session, callback) {
      stream.resume();
      stream.on('end', () => {
        received += 1;
        if (waiter !== undefined && received >= waiter.count) waiter.resolve();
        callback();
      });
    },
  });
  server.on('error', () => undefined);
  const port = await new Promise<number>((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const address = server.server.address();
      resolve(typeof address === 'object' && address !== null ? address.port : 0);
    });
  });
  return {
    url: `smtp://127.0.0.1:${port}`,
    /** Resolves once `count` more mails than now have arrived. */
    expect(count: number): Promise<void> {
      const target = received + count;
      return new Promise((resolve) => {
        waiter = { count: target, resolve };
        if (received >= target) resolve();
      });
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
      }),
  };
}

function resetMails(count: number): OutgoingMail[] {
  return Array.from({ length: count }, (_, index) => ({
    kind: 'password-reset',
    to: `reader${index}@example.com`,
    uid: randomBytes(6).toString('base64url'),
    token: randomBytes(32).toString('base64url'),
  }));
}

/**
 * Mails per second through the outbox (each queued in a unit of work of its own, as a request queues it,
 * then claimed, opened, rendered, sent and marked sent by the relay; on SQLite, the bench server's
 * database) against nodemailer sending the same rendered mails straight to the same SMTP sink, over as
 * many pooled connections. Alternating, in this process.
 */
export async function measureMailRatio(options: MailRatioOptions): Promise<MailRatio> {
  const sink = await startSink();
  const folder = mkdtempSync(join(tmpdir(), 'gatehouse-bench-mail-'));
  const database = openDatabase({
    url: `sqlite:${join(folder, 'mail.db')}`,
    poolSize: 1,
    connectTimeout: 5000,
    statementTimeout: 5000,
    queryTimeout: 6000,
  });
  await migrateToLatest(database);
  const config = loadConfig({ SMTP_URL: sink.url, PUBLIC_URL: 'http://gatehouse.bench' });
  const store = createStore(database, () => undefined);
  const logger = pino({ level: 'silent' });
  const audit = createAuditTrail({
    events: store.auditEvents,
    clock: systemClock,
    newId: randomUUID,
    logger,
  });
  const outbox = createMailOutbox({
    config,
    outbox: createOutboxRepository(database),
    secretKey: randomBytes(32).toString('base64url'),
    clock: systemClock,
    newId: randomUUID,
    logger,
    metrics: ignoreMetrics,
    // as the server does: every delivery leaves its audit event
    recordEvent: (event) => audit.record(store, event),
  });
  const templates = createTemplates(
    config.mail.appName,
    createLinks({
      publicUrl: config.publicUrl,
      verifyEmailLink: undefined,
      passwordResetLink: undefined,
      loginNameResetLink: undefined,
    }),
  );
  const direct = createTransport({ url: sink.url, pool: true, maxConnections: connections });
  outbox.relay.start();

  async function throughOutbox(): Promise<number> {
    const mails = resetMails(options.mails);
    const arrived = sink.expect(mails.length);
    const started = performance.now();
    for (const mail of mails) await store.transaction((unit) => outbox.queue.queue(unit, mail));
    await arrived;
    return mails.length / ((performance.now() - started) / 1000);
  }

  /** `fromUnit`: each mail is sent once a unit of work of its own has committed, as a flow would. */
  async function straight(fromUnit: boolean): Promise<number> {
    const rendered = resetMails(options.mails).map((mail) => templates.render(mail));
    const started = performance.now();
    const lane = async () => {
      for (let mail = rendered.shift(); mail !== undefined; mail = rendered.shift()) {
        if (fromUnit) await store.transaction(() => Promise.resolve());
        await direct.sendMail({
          from: config.mail.from,
          to: mail.to,
          subject: mail.subject,
          text: mail.text,
          html: mail.html,
        });
      }
    };
    await Promise.all(Array.from({ length: connections }, lane));
    return options.mails / ((performance.now() - started) / 1000);
  }

  try {
    // warm-up: connections opened, statements prepared, JIT
    await straight(false);
    await straight(true);
    await throughOutbox();
    const runs: MailRatio['runs'] = [];
    for (let round = 0; round < options.rounds; round += 1) {
      const directPerSecond = await straight(false);
      const directFromUnitPerSecond = await straight(true);
      const outboxPerSecond = await throughOutbox();
      runs.push({ directPerSecond, directFromUnitPerSecond, outboxPerSecond });
    }
    return {
      directPerSecond: median(runs.map((run) => run.directPerSecond)),
      directFromUnitPerSecond: median(runs.map((run) => run.directFromUnitPerSecond)),
      outboxPerSecond: median(runs.map((run) => run.outboxPerSecond)),
      runs,
    };
  } finally {
    await outbox.relay.stop();
    direct.close();
    await database.close();
    await sink.stop();
    rmSync(folder, { recursive: true, force: true });
  }
}

/**
 * Rows for the mail comparison: nodemailer straight to the sink as the baseline; the outbox judged against
 * it, and shown against a flow sending straight after its unit of work too.
 */
export function mailRows(figures: MailRatio, target: number): Row[] {
  return [
    { name: 'mails, nodemailer direct (baseline)', perSecond: figures.directPerSecond, p99: undefined },
    {
      name: 'mails, direct after a unit of work',
      perSecond: figures.directFromUnitPerSecond,
      p99: undefined,
      ratio: figures.directFromUnitPerSecond / figures.directPerSecond,
    },
    {
      name: 'mails through the outbox',
      perSecond: figures.outboxPerSecond,
      p99: undefined,
      ratio: figures.outboxPerSecond / figures.directPerSecond,
      target,
    },
  ];
}

/** Each round's two rates and their ratio. */
export function formatMailRuns(figures: MailRatio): string {
  return figures.runs
    .map(
      (run, index) =>
        `  round ${index + 1}: direct ${run.directPerSecond.toFixed(0).padStart(5)}/s  ` +
        `direct after a unit ${run.directFromUnitPerSecond.toFixed(0).padStart(5)}/s  ` +
        `outbox ${run.outboxPerSecond.toFixed(0).padStart(5)}/s  ` +
        `ratio ${(run.outboxPerSecond / run.directPerSecond).toFixed(2)} ` +
        `(${(run.outboxPerSecond / run.directFromUnitPerSecond).toFixed(2)} of direct after a unit)`,
    )
    .join('\n');
}
