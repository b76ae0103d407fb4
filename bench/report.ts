import type { HttpRatio } from './http-ratio.ts';
import type { LoadFigures } from './load.ts';
import type { LoginRatio } from './login-ratio.ts';
import type { RefreshRate } from './refresh-rate.ts';

/** One line of the summary: a measured rate; compared rows add their ratio and, if judged, a target. */
export interface Row {
  name: string;
  perSecond: number;
  p99: number | undefined;
  ratio?: number;
  target?: number;
}

const columns = [
  { title: 'measurement', width: 36 },
  { title: 'per s', width: 10 },
  { title: 'p99 ms', width: 8 },
  { title: 'ratio', width: 7 },
  { title: 'target', width: 8 },
  { title: 'result', width: 6 },
] as const;

/** Rows for the HTTP comparison: healthz as the baseline, then the authenticated route. */
export function httpRows(figures: HttpRatio, target: number): Row[] {
  return [
    {
      name: 'GET /healthz (baseline)',
      perSecond: figures.healthz.requestsPerSecond,
      p99: figures.healthz.p99,
    },
    {
      name: 'GET /healthz with the token, unread',
      perSecond: figures.headers.requestsPerSecond,
      p99: figures.headers.p99,
      ratio: figures.headers.requestsPerSecond / figures.healthz.requestsPerSecond,
    },
    {
      name: 'GET /api/user (authenticated)',
      perSecond: figures.user.requestsPerSecond,
      p99: figures.user.p99,
      ratio: figures.user.requestsPerSecond / figures.healthz.requestsPerSecond,
      target,
    },
  ];
}

/** Rows for one login concurrency: raw argon2id as the baseline, then logins; unjudged without a target. */
export function loginRows(figures: LoginRatio, target: number | undefined): Row[] {
  const at = `c=${figures.concurrency}`;
  return [
    { name: `argon2id verify, raw (${at})`, perSecond: figures.rawPerSecond, p99: undefined },
    {
      name: `POST /api/users/login (${at})`,
      perSecond: figures.login.requestsPerSecond,
      p99: figures.login.p99,
      ratio: figures.login.requestsPerSecond / figures.rawPerSecond,
      ...(target === undefined ? {} : { target }),
    },
  ];
}

/** Refresh-token rotations against /healthz through the same client; measured, not judged. */
export function refreshRows(figures: RefreshRate): Row[] {
  return [
    {
      name: 'GET /healthz (same client as refresh)',
      perSecond: figures.healthz.requestsPerSecond,
      p99: figures.healthz.p99,
    },
    {
      name: 'POST /api/tokens/refresh',
      perSecond: figures.refresh.requestsPerSecond,
      p99: figures.refresh.p99,
      ratio: figures.refresh.requestsPerSecond / figures.healthz.requestsPerSecond,
    },
  ];
}

/** The rows as a fixed-width table. */
export function formatTable(rows: readonly Row[]): string {
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, index) => {
        const width = columns[index]?.width ?? 0;
        return index === 0 ? cell.padEnd(width) : cell.padStart(width);
      })
      .join('  ');
  const body = rows.map((row) =>
    line([
      row.name,
      row.perSecond.toFixed(row.perSecond < 1000 ? 1 : 0),
      row.p99 === undefined ? '-' : String(row.p99),
      row.ratio === undefined ? '-' : row.ratio.toFixed(3),
      row.target === undefined ? '-' : `>= ${row.target.toFixed(2)}`,
      row.target === undefined ? '' : isMet(row) ? 'pass' : 'FAIL',
    ]),
  );
  const header = line(columns.map((column) => column.title));
  return [header, '-'.repeat(header.length), ...body].join('\n');
}

/** Each HTTP run in order, with each user run's ratio to the healthz run just before it. */
export function formatRuns(figures: HttpRatio): string {
  return figures.runs
    .map(({ route, figures: run }, index) => {
      // each side against the /healthz run that opened its round
      const baseline = figures.runs.slice(0, index).findLast((earlier) => earlier.route === 'healthz')
        ?.figures.requestsPerSecond;
      const paired =
        route !== 'healthz' && baseline !== undefined
          ? `  ratio ${(run.requestsPerSecond / baseline).toFixed(2)}`
          : '';
      return (
        `  run ${index + 1}: ${route.padEnd(7)} ${run.requestsPerSecond.toFixed(0).padStart(7)} req/s` +
        `  p99 ${String(run.p99).padStart(4)} ms${paired}${run.failures > 0 ? `  ${run.failures} failed` : ''}`
      );
    })
    .join('\n');
}

/** Each login round in order: the raw rate, then the login rate measured right after it. */
export function formatLoginRuns(figures: LoginRatio): string {
  return figures.runs
    .map(
      (run, index) =>
        `  c=${figures.concurrency} run ${index + 1}: raw ${run.rawPerSecond.toFixed(1).padStart(6)}/s` +
        `  login ${run.login.requestsPerSecond.toFixed(1).padStart(6)}/s  p99 ${String(run.login.p99).padStart(4)} ms` +
        `  ratio ${(run.login.requestsPerSecond / run.rawPerSecond).toFixed(2)}` +
        (run.login.failures > 0 ? `  ${run.login.failures} failed` : ''),
    )
    .join('\n');
}

/** A loud line for every missed target and every load that saw failures. */
export function findProblems(rows: readonly Row[], loads: ReadonlyArray<[string, LoadFigures]>): string[] {
  const misses = rows
    .filter((row) => !isMet(row))
    .map(
      (row) =>
        `TARGET MISSED: ${row.name} ran at ${row.ratio?.toFixed(3) ?? '?'} of its baseline ` +
        `(target >= ${row.target?.toFixed(2) ?? '?'})`,
    );
  const failures = loads
    .filter(([, figures]) => figures.failures > 0)
    .map(([name, figures]) => `FAILED REQUESTS: ${name} saw ${figures.failures} non-2xx, errors or timeouts`);
  return [...misses, ...failures];
}

function isMet(row: Row): boolean {
  return row.target === undefined || (row.ratio ?? 0) >= row.target;
}
