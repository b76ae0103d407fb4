import { parseArgs } from 'node:util';
import { systemClock } from '../clock.ts';
import { durationPattern, parseDuration } from '../config/duration.ts';
import type { AuditFilter, AuditRecord } from '../staff/audit-search.ts';
import { CommandError, withServices, type Env } from './context.ts';
import { formatTable, formatTime } from './table.ts';

// What `--limit` may ask for: a screenful by default, and the export route for more than a long scroll.
const eventLimit = { default: 50, max: 10_000 } as const;

/** A whole number from 1 to `max`, or the command's one-line refusal naming `option`. */
export function parseCount(option: string, text: string | undefined, fallback: number, max: number): number {
  if (text === undefined) return fallback;
  const count = /^[1-9][0-9]*$/.test(text) ? Number(text) : Number.NaN;
  if (!(count <= max)) throw new CommandError(`${option} must be a whole number from 1 to ${String(max)}`);
  return count;
}

/** `--since`: an ISO 8601 time, or a duration back from now (`90m`, `24h`, `7d`). */
function parseSince(text: string, now: number): number {
  if (new RegExp(durationPattern).test(text)) return now - parseDuration(text);
  const time = /^\d{4}-\d{2}-\d{2}/.test(text) ? Date.parse(text) : Number.NaN;
  if (Number.isNaN(time)) {
    throw new CommandError(`--since must be an ISO 8601 time (2026-11-30T08:00:00Z) or a duration (24h, 7d)`);
  }
  return time;
}

const typePattern = /^[a-z][a-z_]{0,63}$/;

/** `gatehouse audit [--user <email|id>] [--type <type>] [--since <time>] [--limit N]`: the log, newest first. */
export async function audit(args: string[], env: Env): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      user: { type: 'string' },
      type: { type: 'string' },
      since: { type: 'string' },
      limit: { type: 'string' },
    },
    strict: true,
  });
  const limit = parseCount('--limit', values.limit, eventLimit.default, eventLimit.max);
  if (values.type !== undefined && !typePattern.test(values.type)) {
    throw new CommandError(`--type must be an event type such as sign_in_failed (got '${values.type}')`);
  }
  const since = values.since === undefined ? undefined : parseSince(values.since, systemClock.now());
  await withServices(env, async ({ staff }) => {
    const user = values.user === undefined ? undefined : await staff.directory.userByEmailOrId(values.user);
    const filter: AuditFilter = { userId: user?.id, type: values.type, since };
    const events: AuditRecord[] = [];
    for await (const batch of staff.auditLog.all(filter)) {
      events.push(...batch.slice(0, limit - events.length));
      if (events.length >= limit) break;
    }
    if (events.length === 0) {
      console.log('no events match');
      return;
    }
    console.log(formatAuditTable(events));
  });
}

/** Events as a table, one a line: when, what, whose, by whom, from where, and the detail. */
export function formatAuditTable(events: readonly AuditRecord[]): string {
  return formatTable(
    ['AT', 'TYPE', 'USER', 'ACTOR', 'IP', 'DETAIL'],
    events.map((event) => [
      formatTime(event.createdAt),
      event.type,
      event.userId ?? '-',
      event.actorId === null ? event.actor : `${event.actor}:${event.actorId}`,
      event.ip ?? '-',
      Object.keys(event.detail).length === 0 ? '' : JSON.stringify(event.detail),
    ]),
  );
}
