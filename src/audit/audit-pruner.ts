import type { Clock } from '../clock.ts';
import type { AuditRepository } from '../store/audit-repository.ts';
import { periodicWorker, type Worker } from '../worker.ts';

export interface AuditPrunerDeps {
  events: Pick<AuditRepository, 'deleteOlderThan'>;
  clock: Clock;
  /** AUDIT_RETENTION: events older than this go, ms */
  retention: number;
  /** told when a round failed; the next round tries again */
  onFailure: (error: unknown) => void;
}

// Once an hour is plenty for a retention counted in days; a batch is a short statement on any database.
const interval = 3_600_000;
const batchSize = 1_000;

/** The worker that deletes audit events past their retention, a batch at a time. */
export function createAuditPruner({ events, clock, retention, onFailure }: AuditPrunerDeps): Worker {
  return periodicWorker(
    'audit-pruner',
    interval,
    async (running) => {
      const cutoff = clock.now() - retention;
      while ((await events.deleteOlderThan(cutoff, batchSize)) === batchSize && running());
    },
    onFailure,
  );
}
