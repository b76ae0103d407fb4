import { foldCase } from '../../case-fold.ts';
import type { AuditTrail } from '../../audit/audit-trail.ts';
import type { Clock } from '../../clock.ts';
import type { DjangoSource, DjangoUserRow } from '../../store/django-source.ts';
import type { ImportedUser, PreviousImport } from '../../store/imported-user-repository.ts';
import type { Store, UnitOfWork } from '../../store/store.ts';
import type { SessionPort } from '../ports.ts';
import { findDuplicateLosers } from './duplicate-addresses.ts';
import { createHeldNames, type HeldNames, type MayTake } from './held-names.ts';
import {
  disambiguatedUsername,
  mapDjangoRow,
  skipWords,
  type MappedRow,
  type SkipReason,
} from './row-mapping.ts';

export type { SkipReason };

/** What became of one Django row that the operator should hear about. */
export type RowReport =
  | { djangoId: string; action: 'skipped'; reason: SkipReason; detail: string }
  | { djangoId: string; action: 'imported' | 'updated' | 'unchanged'; notes: string[] };

export interface ImportSummary {
  table: string;
  /** rows the table held when the import began */
  total: number;
  imported: number;
  updated: number;
  unchanged: number;
  skipped: Record<SkipReason, number>;
  /** accounts (imported or updated) without a usable password: their owners must reset it */
  mustReset: number;
  /** accounts (imported or updated) without an email: they sign in by username, and get no mail */
  withoutEmail: number;
  dryRun: boolean;
}

export interface ImportOptions {
  /** read, check and report everything, write nothing */
  dryRun: boolean;
  /** the addresses count as verified (the Django project verified them itself) */
  emailsVerified: boolean;
  batchSize: number;
  /** told of every row that was skipped or changed on the way in */
  onReport: (report: RowReport) => void;
  /** told after each batch: rows read so far, of `total` */
  onProgress: (done: number, total: number) => void;
}

/** An import that stopped: the batches before the failing one are committed (unless a dry run). */
export class ImportFailed extends Error {
  override readonly name = 'ImportFailed';
  readonly summary: ImportSummary;

  constructor(summary: ImportSummary, cause: unknown) {
    super(cause instanceof Error ? cause.message : String(cause), { cause });
    this.summary = summary;
  }
}

export interface DjangoImporterDeps {
  store: Store;
  sessions: Pick<SessionPort, 'endAll'>;
  audit: AuditTrail;
  clock: Clock;
  newId: () => string;
}

/** The largest batch one transaction writes; every batch is one statement per kind of read or insert. */
export const maxBatchSize = 1_000;

/** A dry run's batch: everything was written, and is rolled back by throwing this. */
class DryRunRollback extends Error {}

/**
 * Imports the users of a Django project's user table, batch by batch, each batch one transaction. Rows are
 * read in primary-key order, a page at a time: memory stays flat however many users there are. A re-run
 * finds what it wrote by the Django id and writes only what changed in Django since.
 */
export function createDjangoImporter({ store, sessions, audit, clock, newId }: DjangoImporterDeps) {
  async function importBatch(
    unit: UnitOfWork,
    rows: DjangoUserRow[],
    losers: Map<string, string>,
    held: HeldNames,
    options: ImportOptions,
    summary: ImportSummary,
  ): Promise<RowReport[]> {
    const now = clock.now();
    const reports: RowReport[] = [];
    const skip = (djangoId: string, reason: SkipReason, detail: string) => {
      summary.skipped[reason] += 1;
      reports.push({ djangoId, action: 'skipped', reason, detail });
    };
    const mapped: MappedRow[] = [];
    for (const row of rows) {
      const djangoId = String(row.id);
      const keeper = losers.get(djangoId);
      if (keeper !== undefined) {
        skip(djangoId, 'duplicate_email', `same email (ignoring case) as Django user ${keeper}, who is kept`);
        continue;
      }
      const result = mapDjangoRow(row);
      if ('skip' in result) skip(djangoId, result.skip, skipWords[result.skip]);
      else mapped.push(result);
    }
    const previous = await unit.importedUsers.findPrevious(mapped.map((row) => row.legacyId));
    const changed = mapped.filter((row) => previous.get(row.legacyId)?.fingerprint !== row.fingerprint);
    summary.unchanged += mapped.length - changed.length;
    const emailOwners = await unit.importedUsers.findEmailOwners(
      changed.flatMap((row) => (row.email === null ? [] : [row.email])),
    );
    const usernameOwners = await unit.importedUsers.findUsernameOwners(changed.map((row) => row.username));
    // accounts this batch rewrote: the database shows their new names already
    const rewrittenHere = new Set<string>();
    /**
     * Whether account `id` may take `key`, which `stored` holds in the database, if anyone. When it may
     * though `stored` holds it, `stored` is an account the run rewrote: in this batch (done), or in a dry
     * run's earlier batch, rolled back, so its old value is moved out of the way first, as the run's
     * committed batch moved it.
     */
    const mayTake: MayTake = async (kind, key, stored, id) => {
      if (held.isHeld(kind, key, stored, id)) return false;
      // (a run's own batches are all committed: only a dry run ever has such a holder)
      if (options.dryRun && stored !== undefined && stored !== id && !rewrittenHere.has(stored))
        await unit.importedUsers.vacate(stored, kind);
      return true;
    };
    const inserts: Array<ImportedUser & { id: string }> = [];
    for (const row of changed) {
      const before = previous.get(row.legacyId);
      const id = before?.id ?? newId();
      // no address is nobody's: any number of accounts may have none
      const email = row.email?.toLowerCase();
      if (email !== undefined && !(await mayTake('email', email, emailOwners.get(email), id))) {
        skip(
          row.legacyId,
          'email_taken',
          'the email belongs to a Gatehouse account not imported from this row',
        );
        continue;
      }
      const username = await freeUsername(unit, row, id, usernameOwners, mayTake);
      held.hold(id, row.email, username, before !== undefined);
      if (before !== undefined) rewrittenHere.add(id);
      const user: ImportedUser = {
        email: row.email,
        username,
        passwordHash: passwordFor(row, before),
        firstName: row.firstName,
        lastName: row.lastName,
        isActive: row.isActive,
        isStaff: row.isStaff,
        isSuperuser: row.isSuperuser,
        emailVerifiedAt: options.emailsVerified && row.email !== null ? now : null,
        lastLoginAt: row.lastLoginAt,
        createdAt: row.joinedAt ?? now,
        legacyId: row.legacyId,
        fingerprint: row.fingerprint,
      };
      if (row.mustReset) summary.mustReset += 1;
      if (row.email === null) summary.withoutEmail += 1;
      if (before === undefined) {
        inserts.push({ ...user, id });
        summary.imported += 1;
      } else {
        await unit.importedUsers.update(id, user, now);
        await endSessionsIfNeeded(unit, id, before, user);
        summary.updated += 1;
      }
      if (row.notes.length > 0)
        reports.push({
          djangoId: row.legacyId,
          action: before === undefined ? 'imported' : 'updated',
          notes: row.notes,
        });
    }
    await unit.importedUsers.insertMany(inserts, now);
    // in the order the rows were read, skipped or not
    const position = new Map(rows.map((row, index) => [String(row.id), index]));
    return reports.sort((a, b) => (position.get(a.djangoId) ?? 0) - (position.get(b.djangoId) ?? 0));
  }

  /**
   * The row's username, or, when another account holds it (any casing), the same with the Django id after
   * it: reported, never merged. Checked against the database and the rows of the run (`mayTake`).
   */
  async function freeUsername(
    unit: UnitOfWork,
    row: MappedRow,
    id: string,
    owners: Map<string, string>,
    mayTake: MayTake,
  ): Promise<string> {
    const wanted = foldCase(row.username);
    if (await mayTake('username', wanted, owners.get(wanted), id)) return row.username;
    for (let attempt = 0; ; attempt += 1) {
      const candidate = disambiguatedUsername(row.username, row.legacyId, attempt);
      const other = await unit.users.findByUsername(candidate);
      if (await mayTake('username', foldCase(candidate), other?.id, id)) {
        row.notes.push(
          `username ${JSON.stringify(row.username)} is taken: imported as ${JSON.stringify(candidate)}`,
        );
        return candidate;
      }
    }
  }

  /**
   * A password changed in Django since the last run replaces Gatehouse's; one unchanged there keeps what
   * Gatehouse holds, which may be the argon2id hash of a sign-in since.
   */
  function passwordFor(row: MappedRow, before: PreviousImport | undefined): string {
    if (before === undefined || before.fingerprint === null) return row.passwordHash;
    const passwordDigest = (fingerprint: string) => fingerprint.slice(fingerprint.indexOf('.') + 1);
    return passwordDigest(before.fingerprint) === passwordDigest(row.fingerprint)
      ? before.passwordHash
      : row.passwordHash;
  }

  /** As a password change or a deactivation in Gatehouse would: the account's sessions end. */
  async function endSessionsIfNeeded(
    unit: UnitOfWork,
    id: string,
    before: PreviousImport,
    user: ImportedUser,
  ) {
    if (before.isActive && !user.isActive) await sessions.endAll(unit, id, 'deactivated');
    else if (user.passwordHash !== before.passwordHash) await sessions.endAll(unit, id, 'password_changed');
  }

  return {
    async importUsers(source: DjangoSource, options: ImportOptions): Promise<ImportSummary> {
      const summary: ImportSummary = {
        table: source.table,
        total: await source.count(),
        imported: 0,
        updated: 0,
        unchanged: 0,
        skipped: { invalid_email: 0, duplicate_email: 0, email_taken: 0 },
        mustReset: 0,
        withoutEmail: 0,
        dryRun: options.dryRun,
      };
      const batchSize = Math.min(Math.max(1, options.batchSize), maxBatchSize);
      let done = 0;
      try {
        const losers = await findDuplicateLosers(source);
        // a dry run's batches are rolled back: what they would have written stays known here instead
        const runHeld = createHeldNames();
        let after: number | string | undefined;
        for (;;) {
          const rows = await source.readPage(after, batchSize);
          const last = rows.at(-1);
          if (last === undefined) break;
          after = last.id;
          // counts are taken from a copy, and kept only once the batch has committed
          const counted = structuredClone(summary);
          const held = options.dryRun ? runHeld : createHeldNames();
          const reports = await runBatch(
            (unit) => importBatch(unit, rows, losers, held, options, counted),
            options.dryRun,
          );
          Object.assign(summary, counted);
          for (const report of reports) options.onReport(report);
          done += rows.length;
          options.onProgress(done, Math.max(done, summary.total));
        }
      } catch (error) {
        await recordRun(summary, false);
        throw new ImportFailed(summary, error);
      }
      await recordRun(summary, true);
      return summary;
    },
  };

  async function runBatch<T>(work: (unit: UnitOfWork) => Promise<T>, dryRun: boolean): Promise<T> {
    if (!dryRun) return store.transaction(work);
    let result: { value: T } | undefined;
    try {
      await store.transaction(async (unit) => {
        result = { value: await work(unit) };
        throw new DryRunRollback('dry run');
      });
    } catch (error) {
      if (!(error instanceof DryRunRollback) || result === undefined) throw error;
    }
    return (result as { value: T }).value;
  }

  /** One event per run in the security history (a system action), with its counts; none for a dry run. */
  async function recordRun(summary: ImportSummary, completed: boolean): Promise<void> {
    if (summary.dryRun) return;
    const skipped = Object.values(summary.skipped).reduce((sum, count) => sum + count, 0);
    await audit.record(store, {
      type: 'users_imported',
      detail: {
        source: 'django',
        table: summary.table,
        imported: summary.imported,
        updated: summary.updated,
        unchanged: summary.unchanged,
        skipped,
        mustReset: summary.mustReset,
        withoutEmail: summary.withoutEmail,
        completed,
      },
    });
  }
}
