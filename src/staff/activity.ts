import type { AuditEventType } from '../audit/audit-trail.ts';
import type { Clock } from '../clock.ts';
import { GatehouseError, throwIfInvalid } from '../errors.ts';
import {
  bucketMs,
  type AuditRepository,
  type BucketCount,
  type TimeBucket,
} from '../store/audit-repository.ts';

/** One UTC day of activity, from the audit log. */
export interface ActivityDay {
  /** YYYY-MM-DD, UTC */
  date: string;
  signUps: number;
  signIns: number;
  failedSignIns: number;
  lockouts: number;
}

/** The longest range asked for at once (a leap year), and the range when none is named. */
export const activityDays = { max: 366, default: 30 } as const;

type CountedField = Exclude<keyof ActivityDay, 'date'>;

// Which audit event each count counts.
const countedTypes = {
  signUps: 'registered',
  signIns: 'sign_in_succeeded',
  failedSignIns: 'sign_in_failed',
  lockouts: 'locked_out',
} as const satisfies Record<CountedField, AuditEventType>;

const { day: dayMs, hour: hourMs } = bucketMs;
// A day or an hour is settled this long after it ends: an event's time is taken before its transaction
// commits, and instances' clocks differ by a little; after this, nothing more is written with its time.
// An hour, not less: a margin far beyond both, and it costs a request at most one more hour read live.
const settleTime = hourMs;
const datePattern = /^(\d{4})-(\d{2})-(\d{2})$/;

/** The day (since the epoch) a YYYY-MM-DD date names; undefined for anything else, 2026-02-30 included. */
function dayOf(date: string): number | undefined {
  const match = datePattern.exec(date);
  if (match === null) return undefined;
  const time = Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]));
  // Date.UTC rolls 02-30 over into March; only a date that comes back as written is one
  return new Date(time).toISOString().startsWith(date) ? time / dayMs : undefined;
}

const dateOf = (day: number): string => new Date(day * dayMs).toISOString().slice(0, 10);

export interface ActivityDeps {
  events: Pick<AuditRepository, 'countPer' | 'findKeptCounts' | 'keepCounts' | 'deleteHourlyCountsBefore'>;
  clock: Clock;
}

export type Activity = ReturnType<typeof createActivity>;

/** Sign-ups, sign-ins and lockouts per day, as the console's chart shows them. */
export function createActivity({ events, clock }: ActivityDeps) {
  const types = Object.values(countedTypes);

  /**
   * The counts of the days or hours numbered `first` to `last`, all settled: those kept, and those not kept
   * yet (none asked for them since they settled), counted now in one grouped query over the (type,
   * created_at) index and kept, zeros too, so that a quiet one is known as counted. An instance counting
   * the same ones at once counts the same events, and its keeping then does nothing.
   */
  async function countSettled(
    size: TimeBucket,
    first: number,
    last: number,
  ): Promise<{ kept: BucketCount[]; fresh: BucketCount[] }> {
    if (last < first) return { kept: [], fresh: [] };
    const kept = await events.findKeptCounts(size, first, last);
    const keptBuckets = new Set(kept.map((count) => count.bucket));
    const missing: number[] = [];
    for (let bucket = first; bucket <= last; bucket += 1) if (!keptBuckets.has(bucket)) missing.push(bucket);
    const [firstMissing, lastMissing] = [missing[0], missing.at(-1)];
    if (firstMissing === undefined || lastMissing === undefined) return { kept, fresh: [] };
    const counted = new Map(
      (
        await events.countPer(size, types, firstMissing * bucketMs[size], (lastMissing + 1) * bucketMs[size])
      ).map((count) => [`${String(count.bucket)} ${count.type}`, count.count]),
    );
    const fresh = missing.flatMap((bucket) =>
      types.map((type) => ({ bucket, type, count: counted.get(`${String(bucket)} ${type}`) ?? 0 })),
    );
    await events.keepCounts(size, fresh);
    return { kept, fresh };
  }

  /**
   * The counts of the days from `firstDay` to `lastDay`, as days (several for one day and type, to be
   * added up). A settled day is read as its kept counts; a day still open (today, and until 01:00 also
   * yesterday) as the kept counts of its settled hours and a live count of the rest. Each request thus
   * reads the events of the last hour or two, not of its whole range nor of the whole day so far.
   */
  async function countDays(firstDay: number, lastDay: number): Promise<BucketCount[]> {
    const settledUntil = clock.now() - settleTime;
    const firstOpenDay = Math.floor(settledUntil / dayMs);
    const firstOpenHour = Math.floor(settledUntil / hourMs);
    const days = await countSettled('day', firstDay, Math.min(lastDay, firstOpenDay - 1));
    const counts = [...days.kept, ...days.fresh];
    const firstLiveDay = Math.max(firstDay, firstOpenDay);
    if (firstLiveDay > lastDay) return counts;

    const hoursPerDay = dayMs / hourMs;
    const hours = await countSettled(
      'hour',
      firstLiveDay * hoursPerDay,
      Math.min((lastDay + 1) * hoursPerDay, firstOpenHour) - 1,
    );
    // The hours of a settled day are read no more (its own counts are): they go whenever hours are kept,
    // at most once an hour, so the table holds about a day or two of hours.
    if (hours.fresh.length > 0) await events.deleteHourlyCountsBefore(firstOpenDay * hoursPerDay);
    for (const { bucket, type, count } of [...hours.kept, ...hours.fresh]) {
      counts.push({ bucket: Math.floor(bucket / hoursPerDay), type, count });
    }
    const liveFrom = Math.max(firstLiveDay * dayMs, firstOpenHour * hourMs);
    counts.push(...(await events.countPer('day', types, liveFrom, (lastDay + 1) * dayMs)));
    return counts;
  }

  return {
    /**
     * Every UTC day from `from` to `to` (both YYYY-MM-DD, both included), zeros included: at most
     * activityDays.max of them. Without `to`, up to today; without `from`, activityDays.default days
     * ending at `to`.
     */
    async perDay({
      from,
      to,
    }: {
      from?: string | undefined;
      to?: string | undefined;
    }): Promise<ActivityDay[]> {
      const lastDay = to === undefined ? Math.floor(clock.now() / dayMs) : dayOf(to);
      const firstDay = from === undefined ? (lastDay ?? 0) - activityDays.default + 1 : dayOf(from);
      if (firstDay === undefined || lastDay === undefined) {
        throw new GatehouseError('validation_failed', 'not a date', {
          fields: {
            ...(firstDay === undefined ? { from: { code: 'invalid' } } : {}),
            ...(lastDay === undefined ? { to: { code: 'invalid' } } : {}),
          },
        });
      }
      // a range that ends before it begins, or spans more days than allowed, is refused at its end
      const span = lastDay - firstDay + 1;
      throwIfInvalid(span < 1 || span > activityDays.max ? { to: { code: 'invalid' } } : {});

      const counts = await countDays(firstDay, lastDay);
      const days: ActivityDay[] = [];
      for (let day = firstDay; day <= lastDay; day += 1) {
        days.push({ date: dateOf(day), signUps: 0, signIns: 0, failedSignIns: 0, lockouts: 0 });
      }
      const fieldOf = new Map<string, CountedField>(
        Object.entries(countedTypes).map(([field, type]) => [type, field as CountedField]),
      );
      for (const { bucket, type, count } of counts) {
        const entry = days[bucket - firstDay];
        const field = fieldOf.get(type);
        if (entry !== undefined && field !== undefined) entry[field] += count;
      }
      return days;
    },
  };
}
