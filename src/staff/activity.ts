import type { AuditEventType } from '../audit/audit-trail.ts';
import type { Clock } from '../clock.ts';
import { GatehouseError, throwIfInvalid } from '../errors.ts';
import type { AuditRepository, DailyCount } from '../store/audit-repository.ts';

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

const dayMs = 86_400_000;
// A day is settled this long after it ends: an event's time is taken before its transaction commits, and
// instances' clocks differ by a little; after this, nothing more is written with that day's time.
const settleTime = 3_600_000;
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
  events: Pick<AuditRepository, 'countByDay' | 'findDailyCounts' | 'keepDailyCounts'>;
  clock: Clock;
}

export type Activity = ReturnType<typeof createActivity>;

/** Sign-ups, sign-ins and lockouts per day, as the console's chart shows them. */
export function createActivity({ events, clock }: ActivityDeps) {
  const types = Object.values(countedTypes);

  /** Each day's events of the counted types, grouped, in one query over the (type, created_at) index. */
  const countLive = (firstDay: number, lastDay: number) =>
    events.countByDay(types, firstDay * dayMs, (lastDay + 1) * dayMs);

  /**
   * The counts of the days from `firstDay` to `lastDay`. A settled day is counted once, in the first
   * request that asks for it, and its counts kept (zeros too, so that a quiet day is known as counted);
   * the days since are counted afresh every time. Each request thus reads the events of the last day or
   * two, not of its whole range.
   */
  async function countDays(firstDay: number, lastDay: number): Promise<DailyCount[]> {
    const firstOpenDay = Math.floor((clock.now() - settleTime) / dayMs);
    const lastSettledDay = Math.min(lastDay, firstOpenDay - 1);
    const counts: DailyCount[] = [];
    if (lastSettledDay >= firstDay) {
      const kept = await events.findDailyCounts(firstDay, lastSettledDay);
      counts.push(...kept);
      const keptDays = new Set(kept.map((count) => count.day));
      const missing: number[] = [];
      for (let day = firstDay; day <= lastSettledDay; day += 1) if (!keptDays.has(day)) missing.push(day);
      const [first, last] = [missing[0], missing.at(-1)];
      if (first !== undefined && last !== undefined) {
        const counted = new Map(
          (await countLive(first, last)).map((count) => [`${String(count.day)} ${count.type}`, count.count]),
        );
        const fresh = missing.flatMap((day) =>
          types.map((type) => ({ day, type, count: counted.get(`${String(day)} ${type}`) ?? 0 })),
        );
        await events.keepDailyCounts(fresh);
        counts.push(...fresh);
      }
    }
    const firstLiveDay = Math.max(firstDay, firstOpenDay);
    if (firstLiveDay <= lastDay) counts.push(...(await countLive(firstLiveDay, lastDay)));
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
      for (const { day, type, count } of counts) {
        const entry = days[day - firstDay];
        const field = fieldOf.get(type);
        if (entry !== undefined && field !== undefined) entry[field] = count;
      }
      return days;
    },
  };
}
