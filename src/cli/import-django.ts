import { parseArgs } from 'node:util';
import {
  ImportFailed,
  maxBatchSize,
  type ImportSummary,
  type RowReport,
} from '../accounts/django-import/django-importer.ts';
import { openDjangoSource } from '../store/django-source.ts';
import { CommandError, withServices, type Env } from './context.ts';

const usage =
  'usage: gatehouse import-django <sqlite file | sqlite:path | postgres://…> [--table <name>] [--dry-run] [--emails-verified] [--batch-size <1..1000>]';
const defaultBatchSize = 500;

/**
 * `gatehouse import-django <database>`: the users of a Django project, read from its database, with their
 * password hashes. Every row that is skipped or changed on the way in gets a line on stdout; progress goes
 * to stderr on a terminal; the counts end the output.
 */
export async function importDjango(args: string[], env: Env): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      table: { type: 'string' },
      'dry-run': { type: 'boolean', default: false },
      'emails-verified': { type: 'boolean', default: false },
      'batch-size': { type: 'string' },
    },
    allowPositionals: true,
    strict: true,
  });
  const [url, ...extra] = positionals;
  if (url === undefined || url === '' || extra.length > 0) throw new CommandError(usage);
  if (values.table !== undefined && !/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(values.table))
    throw new CommandError(`--table: ${JSON.stringify(values.table)} is not a table name`);
  const batchSize = values['batch-size'] === undefined ? defaultBatchSize : Number(values['batch-size']);
  if (!Number.isSafeInteger(batchSize) || batchSize < 1 || batchSize > maxBatchSize)
    throw new CommandError(`--batch-size: a whole number from 1 to ${maxBatchSize}`);

  const source = await openDjangoSource(url, values.table);
  const progress = progressLine(process.stderr);
  try {
    await withServices(env, async ({ djangoImporter }) => {
      console.log(
        `reading ${source.table} (${source.columns.join(', ')})${values['dry-run'] ? ' — dry run, nothing is written' : ''}`,
      );
      try {
        const summary = await djangoImporter.importUsers(source, {
          dryRun: values['dry-run'],
          emailsVerified: values['emails-verified'],
          batchSize,
          onReport: (report) => {
            progress.clear();
            console.log(describeRow(report));
          },
          onProgress: (done, total) => {
            progress.show(done, total);
          },
        });
        progress.clear();
        console.log(describeSummary(summary));
      } catch (error) {
        progress.clear();
        if (!(error instanceof ImportFailed)) throw error;
        console.log(describeSummary(error.summary));
        const kept = error.summary.dryRun ? '' : '; the batches before it are kept, and a re-run continues';
        throw new Error(`stopped by a failure (${error.message})${kept}`, { cause: error });
      }
    });
  } finally {
    await source.close();
  }
}

function describeRow(report: RowReport): string {
  if (report.action === 'skipped')
    return `django user ${report.djangoId}: skipped (${report.reason}): ${report.detail}`;
  return `django user ${report.djangoId}: ${report.action}; ${report.notes.join('; ')}`;
}

function describeSummary(summary: ImportSummary): string {
  const skipped = Object.entries(summary.skipped).filter(([, count]) => count > 0);
  const skippedTotal = skipped.reduce((sum, [, count]) => sum + count, 0);
  const reasons = skipped.map(([reason, count]) => `${reason} ${count}`).join(', ');
  const verb = summary.dryRun ? 'would be ' : '';
  return [
    `${summary.dryRun ? 'dry run: ' : ''}${summary.total} rows in ${summary.table}:`,
    `imported ${verb}${summary.imported}, updated ${verb}${summary.updated}, unchanged ${summary.unchanged},`,
    `skipped ${skippedTotal}${reasons === '' ? '' : ` (${reasons})`}; without a usable password (must reset) ${summary.mustReset};`,
    `without an email (sign in by username) ${summary.withoutEmail}`,
  ].join(' ');
}

/** One self-overwriting line on stderr, and only on a terminal: a pipe or a log gets the report alone. */
function progressLine(stream: NodeJS.WriteStream) {
  let shown = false;
  return {
    show(done: number, total: number) {
      if (!stream.isTTY) return;
      const percent = total === 0 ? 100 : Math.floor((done / total) * 100);
      stream.write(`\r${done}/${total} rows (${percent}%)`);
      shown = true;
    },
    clear() {
      if (!shown) return;
      stream.write('\r\x1b[K');
      shown = false;
    },
  };
}
