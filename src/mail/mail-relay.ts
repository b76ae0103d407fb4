import type { AuditDetail, AuditEvent } from '../audit/audit-trail.ts';
import type { Logger } from 'pino';
import type { OutgoingMail } from '../accounts/ports.ts';
import type { Clock } from '../clock.ts';
import type { Metrics } from '../metrics/metrics.ts';
import type { ClaimedMail, OutboxRepository } from '../store/outbox-repository.ts';
import type { Worker } from '../worker.ts';
import type { RenderedMail } from './templates.ts';
import { DeliveryFailure, type MailTransport } from './transport.ts';

export interface MailRelayOptions {
  /** the outbox on the database itself: the relay's statements are its own, never a request's */
  outbox: OutboxRepository;
  /** what a claimed mail says; throws when its payload cannot be opened */
  open: (sealed: string) => OutgoingMail;
  render: (mail: OutgoingMail) => RenderedMail;
  transport: MailTransport;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  /** attempts before a mail is failed */
  maxAttempts: number;
  /** the wait before the first retry; each later one is `retryGrowth` times the last */
  retryDelay: number;
  pollInterval: number;
  /** the transport's timeout; a claim is leased for `leaseTimeouts` of it */
  timeout: number;
  /** sent and failed mails older than this are deleted */
  retention: number;
  /** mails sent at once (the SMTP connections) */
  concurrency: number;
  /** writes a delivery or a final failure into the audit log; failing to is logged, never fatal */
  recordEvent: (event: AuditEvent) => Promise<void>;
}

const retryGrowth = 3;
// A claim outlives any one send by far: a send is bounded by the transport's timeouts (a few of them), and
// no send starts once half the lease has gone, so a lease never runs out under a mail being sent.
const leaseTimeouts = 10;
// Mails claimed in one statement.
const batchSize = 32;
// Finished mails are pruned at most this often per instance.
const pruneInterval = 3_600_000;
// Stopping waits this long for the sends in flight; a claim it abandons returns when its lease ends.
const stopWait = 5_000;

/** The wait after a mail's `attempts`-th failed attempt: retryDelay, then three times longer each time. */
export function retryDelayAfter(attempts: number, retryDelay: number): number {
  return retryDelay * retryGrowth ** (attempts - 1);
}

/**
 * The background worker that delivers the outbox: claims due mails under a lease (so instances sharing a
 * database never send one twice), sends them, retries with exponential backoff, fails a mail after its
 * last attempt or a permanent refusal, and prunes finished mails. It runs when told a mail was queued
 * here (`wake`), and otherwise every poll interval.
 */
export function createMailRelay(options: MailRelayOptions) {
  const { outbox, transport, clock, logger, metrics, maxAttempts, retryDelay, pollInterval } = options;
  const lease = leaseTimeouts * options.timeout;
  let stopped = true;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let wokenWhileRunning = false;
  let lastPrune: number | undefined;
  // marks of sent mails still being written
  const recording = new Set<Promise<void>>();

  function wake(): void {
    if (stopped) return;
    if (running !== undefined) {
      wokenWhileRunning = true;
      return;
    }
    clearTimeout(timer);
    timer = undefined;
    wokenWhileRunning = false;
    running = run();
  }

  async function run(): Promise<void> {
    let unreachable = false;
    try {
      await pruneWhenDue();
      unreachable = await deliverWhileDue();
    } catch (error) {
      logger.warn({ err: error }, 'the mail relay could not read or update the outbox; it tries again');
    }
    // decided in the same turn that ends the run, so that a wake arriving now is either seen here or
    // starts a run of its own
    running = undefined;
    if (stopped) return;
    // a server that could not be reached is left alone until the next poll, whatever was queued meanwhile
    if (wokenWhileRunning && !unreachable) {
      wake();
      return;
    }
    timer = setTimeout(wake, pollInterval);
  }

  /**
   * Sends due mails on `concurrency` lanes, claiming the next batch when the claimed ones run out (one
   * claim at a time), until none is due or the server cannot be reached; what is claimed but not begun
   * then is given back. True when the server could not be reached.
   */
  async function deliverWhileDue(): Promise<boolean> {
    const waiting: ClaimedMail[] = [];
    let exhausted = false;
    let unreachable = false;
    let failure: { error: unknown } | undefined;
    let claiming: Promise<void> | undefined;
    const claim = async () => {
      wokenWhileRunning = false;
      const now = clock.now();
      const claimed = await outbox.claimDue(now, now + lease, batchSize);
      if (claimed.length === 0) exhausted = true;
      waiting.push(...claimed);
    };
    const lane = async () => {
      try {
        while (!stopped && !unreachable && failure === undefined) {
          const mail = waiting.shift();
          if (mail === undefined) {
            if (exhausted) return;
            claiming ??= claim().finally(() => {
              claiming = undefined;
            });
            await claiming;
          } else if (clock.now() > mail.claimedUntil - lease / 2) {
            // too late to begin within its lease: back to the outbox, for the next claim
            waiting.push(mail);
            exhausted = true;
            return;
          } else if (await attempt(mail)) {
            unreachable = true;
          }
        }
      } catch (error) {
        failure ??= { error };
      }
    };
    await Promise.all(Array.from({ length: options.concurrency }, lane));
    await Promise.all(recording);
    await outbox.release(waiting.map((mail) => mail.id));
    if (failure !== undefined) throw failure.error;
    return unreachable;
  }

  /** One attempt at one mail; true when the server could not be reached. */
  async function attempt(mail: ClaimedMail): Promise<boolean> {
    const attempts = mail.attempts + 1;
    let rendered: RenderedMail;
    try {
      if (mail.payloadSealed === null) throw new Error('no payload');
      rendered = options.render(options.open(mail.payloadSealed));
    } catch {
      await giveUp(mail, attempts, 'the stored mail could not be opened (was SECRET_KEY changed?)');
      return false;
    }
    let answer: string;
    try {
      answer = await transport.send(rendered);
    } catch (error) {
      const failure =
        error instanceof DeliveryFailure ? error : new DeliveryFailure(String(error), false, true);
      if (failure.permanent || attempts >= maxAttempts) {
        await giveUp(mail, attempts, failure.reason);
      } else {
        const retryIn = retryDelayAfter(attempts, retryDelay);
        await outbox.recordFailure(mail.id, failure.reason, clock.now() + retryIn);
        metrics.mail(mail.kind, 'retried');
        logger.warn(
          { mail: mail.id, kind: mail.kind, attempts, retryInMs: retryIn, reason: failure.reason },
          'mail not sent; it will be tried again',
        );
      }
      return failure.unreachable;
    }
    metrics.mail(mail.kind, 'sent');
    logger.info({ mail: mail.id, kind: mail.kind, attempts, response: answer }, 'mail sent');
    // recorded while the lane sends its next mail: the lease keeps the row from every other relay until
    // then, and the run waits for every record before it ends
    const recorded = outbox.markSent(mail.id, clock.now()).then(
      () => audited('mail_sent', mail, { attempts }),
      (error: unknown) => {
        logger.error(
          { err: error, mail: mail.id, kind: mail.kind },
          'a sent mail could not be recorded as sent; it will be sent again when its lease ends',
        );
      },
    );
    recording.add(recorded);
    void recorded.finally(() => recording.delete(recorded));
    return false;
  }

  /** The audit log's event of a mail's end; the outbox row is what counts, so a failure here is only logged. */
  async function audited(
    type: 'mail_sent' | 'mail_failed',
    mail: ClaimedMail,
    detail: AuditDetail,
  ): Promise<void> {
    try {
      await options.recordEvent({
        type,
        detail: { mail: mail.id, kind: mail.kind, to: mail.recipient, ...detail },
      });
    } catch (error) {
      logger.warn({ err: error, mail: mail.id }, 'the audit log could not record a mail');
    }
  }

  async function giveUp(mail: ClaimedMail, attempts: number, reason: string): Promise<void> {
    await outbox.recordFailure(mail.id, reason, undefined);
    await audited('mail_failed', mail, { attempts, reason });
    metrics.mail(mail.kind, 'failed');
    logger.error(
      { mail: mail.id, kind: mail.kind, attempts, reason },
      'mail failed; it will not be tried again',
    );
  }

  async function pruneWhenDue(): Promise<void> {
    const now = clock.now();
    if (lastPrune !== undefined && now - lastPrune < pruneInterval) return;
    lastPrune = now;
    const deleted = await outbox.deleteFinishedBefore(now - options.retention);
    if (deleted > 0) logger.info({ deleted }, 'pruned finished mails from the outbox');
  }

  return {
    name: 'mail-relay',
    /** The first look at the outbox is one poll interval on, after the server has settled. */
    start() {
      stopped = false;
      timer = setTimeout(wake, pollInterval);
    },
    /**
     * Waits (at most a few seconds) for the mails being sent; the rest stay queued for the next start or
     * another instance. Bounded because a query can wait for ever on a pool closed under it.
     */
    async stop() {
      stopped = true;
      clearTimeout(timer);
      timer = undefined;
      let waiting: NodeJS.Timeout | undefined;
      const settled = await Promise.race([
        running?.then(() => true) ?? true,
        new Promise<false>((resolve) => {
          waiting = setTimeout(resolve, stopWait, false);
        }),
      ]);
      clearTimeout(waiting);
      if (!settled)
        logger.warn(
          'the mail relay stopped before its sends finished; their mails stay claimed until their lease ends',
        );
      transport.close();
    },
    /** A mail was queued and committed here: send it now rather than at the next poll. */
    wake,
  } satisfies Worker & { wake(): void };
}
