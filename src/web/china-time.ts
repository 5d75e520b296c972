/**
 * One way to show a moment: China time (UTC+8, no daylight saving), minutes and no seconds, e.g.
 * "2026-12-01 09:30". Days in file names and date inputs are China days too, so a report made at
 * 07:00 in Hangzhou is not named after yesterday's UTC date.
 */
const OFFSET_MS = 8 * 3600_000;

const toDate = (value: unknown): Date | null => {
  if (value === null || value === undefined || value === '') return null;
  const d = value instanceof Date ? value : new Date(value as string | number);
  return Number.isNaN(d.getTime()) ? null : d;
};

/** yyyy-mm-dd in China time ('' for no date). */
export function chinaDay(value: unknown): string {
  const d = toDate(value);
  return d ? new Date(d.getTime() + OFFSET_MS).toISOString().slice(0, 10) : '';
}

/** yyyy-mm-dd hh:mm in China time ('' for no date). */
export function chinaDateTime(value: unknown): string {
  const d = toDate(value);
  if (!d) return '';
  const iso = new Date(d.getTime() + OFFSET_MS).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)}`;
}

/** hh:mm in China time ('' for no date). */
export function chinaClock(value: unknown): string {
  return chinaDateTime(value).slice(11);
}
