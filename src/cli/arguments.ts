import { durationPattern, parseDuration } from '../config/duration.ts';
import { CommandError } from './context.ts';

const duration = new RegExp(durationPattern);

/** A whole number from 1 to `max` (`fallback` when not given), or the command's one-line refusal. */
export function parseCount(option: string, text: string | undefined, fallback: number, max: number): number {
  if (text === undefined) return fallback;
  const count = /^[1-9][0-9]*$/.test(text) ? Number(text) : Number.NaN;
  if (!(count <= max)) throw new CommandError(`${option} must be a whole number from 1 to ${String(max)}`);
  return count;
}

/**
 * A moment as an operator types it: an ISO 8601 time, or a duration (`90m`, `24h`, `7d`, the config's
 * syntax) back from `now` (`direction` -1) or ahead of it (+1).
 */
export function parseMoment(option: string, text: string, now: number, direction: -1 | 1): number {
  if (duration.test(text)) return now + direction * parseDuration(text);
  const time = /^\d{4}-\d{2}-\d{2}/.test(text) ? Date.parse(text) : Number.NaN;
  if (Number.isNaN(time)) {
    throw new CommandError(
      `${option} must be an ISO 8601 time (2026-11-30T08:00:00Z) or a duration (24h, 7d)`,
    );
  }
  return time;
}
