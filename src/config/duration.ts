const unitMs = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** `<n>` followed by ms, s, m, h or d; a bare number is seconds. The config schema checks values with it. */
export const durationPattern = '^([0-9]+)(ms|s|m|h|d)?$';
const duration = new RegExp(durationPattern);

/** "15m" → 900000. A bare number is seconds. The config schema has already checked the shape. */
export function parseDuration(text: string): number {
  const match = duration.exec(text);
  if (match === null) throw new RangeError(`not a duration: ${text}`);
  const unit = (match[2] ?? 's') as keyof typeof unitMs;
  return Number(match[1]) * unitMs[unit];
}
