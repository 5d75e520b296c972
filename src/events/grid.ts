/**
 * The slot grid of an event from what an organizer types (pure, no I/O): the day, the first slot's start
 * time, the slot length, how many slots, and the breaks ("10:30-10:45, 12:00-13:30"). Times are Beijing
 * time (+08:00, no daylight saving). Slots follow each other without gaps; a slot that would run into a
 * break starts when the break ends instead. Every slot lies within the day.
 */

export const BEIJING_OFFSET_MINUTES = 8 * 60;
const DAY_MINUTES = 24 * 60;

export interface Break {
  /** Minutes after midnight (Beijing time). */
  start: number;
  end: number;
}

export interface SlotGridInput {
  /** YYYY-MM-DD (the day in Beijing). */
  date: string;
  /** Minutes after midnight of the first slot's start. */
  firstStart: number;
  /** Length of every slot in minutes. */
  slotMinutes: number;
  /** How many slots. */
  count: number;
  breaks: Break[];
}

export interface GridSlot {
  start: Date;
  end: Date;
}

export type GridResult = { ok: true; slots: GridSlot[] } | { ok: false; path: string; message: string };

/** "9:00", "09:30", "9点30", "13：30" → minutes after midnight; null when not a time of day. */
export function parseTimeOfDay(text: string): number | null {
  const m = /^\s*(\d{1,2})\s*[:：点.]\s*(\d{2})?\s*分?\s*$/.exec(text) ?? /^\s*(\d{1,2})\s*$/.exec(text);
  if (!m) return null;
  const h = Number(m[1]);
  const min = m[2] === undefined ? 0 : Number(m[2]);
  if (h > 24 || min > 59 || (h === 24 && min > 0)) return null;
  return h * 60 + min;
}

export const formatTimeOfDay = (minutes: number) => `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;

/**
 * "10:30-10:45, 12:00-13:30" (also with Chinese commas, 、 ; or new lines, and – — ~ ～ 至 between the
 * times) → breaks sorted by start; or the Chinese reason the text is not understood.
 */
export function parseBreaks(text: string): { ok: true; breaks: Break[] } | { ok: false; message: string } {
  const parts = text.split(/[,，、;；\n\r]+/).map((s) => s.trim()).filter(Boolean);
  const breaks: Break[] = [];
  for (const part of parts) {
    const m = /^(.+?)\s*(?:-|–|—|~|～|至|到)\s*(.+)$/.exec(part);
    const start = m ? parseTimeOfDay(m[1]) : null;
    const end = m ? parseTimeOfDay(m[2]) : null;
    if (start === null || end === null) return { ok: false, message: `“${part}”不是有效的休息时间，应写成 10:30-10:45，多段用逗号分开` };
    if (end <= start) return { ok: false, message: `休息时间“${part}”的结束应晚于开始` };
    breaks.push({ start, end });
  }
  breaks.sort((a, b) => a.start - b.start || a.end - b.end);
  return { ok: true, breaks };
}

/** Beijing wall-clock minutes of a day → the instant. */
export function beijingInstant(date: string, minutes: number): Date | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!m) return null;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const midnightUtc = Date.UTC(y, mo - 1, d);
  const check = new Date(midnightUtc);
  if (check.getUTCFullYear() !== y || check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== d) return null;
  return new Date(midnightUtc + (minutes - BEIJING_OFFSET_MINUTES) * 60_000);
}

/** Beijing wall-clock minutes after midnight of an instant. */
export const beijingMinutes = (d: Date) => (((d.getTime() / 60_000 + BEIJING_OFFSET_MINUTES) % DAY_MINUTES) + DAY_MINUTES) % DAY_MINUTES;

/** Beijing calendar day (YYYY-MM-DD) of an instant. */
export const beijingDay = (d: Date) => new Date(d.getTime() + BEIJING_OFFSET_MINUTES * 60_000).toISOString().slice(0, 10);

/**
 * Places `count` slots of `slotMinutes` from `firstStart`, each starting where the previous ended, pushed
 * past any break it would intersect. Fails (with the form field to blame) when they do not fit in the day.
 */
export function buildSlotGrid(input: SlotGridInput): GridResult {
  const { date, firstStart, slotMinutes, count } = input;
  if (!Number.isInteger(slotMinutes) || slotMinutes < 1) return { ok: false, path: 'slotMinutes', message: '每个时段至少 1 分钟' };
  if (!Number.isInteger(count) || count < 1) return { ok: false, path: 'slotCount', message: '至少需要 1 个时段' };
  if (!Number.isInteger(firstStart) || firstStart < 0 || firstStart >= DAY_MINUTES) return { ok: false, path: 'startTime', message: '开始时间应在 00:00 到 23:59 之间' };
  if (!beijingInstant(date, 0)) return { ok: false, path: 'date', message: '请填写有效的日期' };
  const breaks = [...input.breaks].sort((a, b) => a.start - b.start);
  const minutes: Array<[number, number]> = [];
  let at = firstStart;
  while (minutes.length < count) {
    const end = at + slotMinutes;
    // The first break the slot [at, end) would intersect: start after it and look again.
    const clash = breaks.find((b) => b.start < end && b.end > at);
    if (clash) {
      at = clash.end;
      continue;
    }
    if (end > DAY_MINUTES) {
      return {
        ok: false, path: 'slotCount',
        message: `一天内放不下 ${count} 个 ${slotMinutes} 分钟的时段（只能放 ${minutes.length} 个），请减少时段数、缩短时长或提前开始时间`,
      };
    }
    minutes.push([at, end]);
    at = end;
  }
  return { ok: true, slots: minutes.map(([s, e]) => ({ start: beijingInstant(date, s)!, end: beijingInstant(date, e)! })) };
}
