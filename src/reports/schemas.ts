/**
 * The report's filters (GET query): period (from/to, whole days in China time), field and region.
 * Messages are Chinese; a bad filter is a 400 page, never a 500.
 */
import { z } from 'zod';
import { fieldCodes, taxonomy } from '../taxonomy/index.js';

const { home, zhejiangCities, hangzhouDistricts } = taxonomy.regions;

/** '省外' = outside the home province. */
export const OUTSIDE = '省外';
export const regionValues = [...new Set([home.province, OUTSIDE, ...zhejiangCities, ...hangzhouDistricts])];

const empty = (v: unknown) => (v === '' || v === null ? undefined : v);
const DAY_RE = /^\d{4}-\d{2}-\d{2}$/;
const isRealDay = (s: string) => {
  const d = new Date(`${s}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s && d.getUTCFullYear() >= 2000 && d.getUTCFullYear() <= 2100;
};
const day = (what: string) =>
  z.preprocess(empty, z.string({ error: `${what}应为日期` })
    .regex(DAY_RE, `${what}格式应为“年-月-日”，例如 2026-01-31`)
    .refine(isRealDay, `${what}不是有效的日期（2000–2100 年）`)
    .optional());

/** At most this many months in one report (the trend charts have one bar per month). */
export const MAX_MONTHS = 120;

export const ReportQuery = z.object({
  from: day('开始日期'),
  to: day('结束日期'),
  field: z.preprocess(empty, z.enum(fieldCodes as [string, ...string[]], { error: '未知的领域代码' }).optional()),
  region: z.preprocess(empty, z.enum(regionValues as [string, ...string[]], { error: '未知的地区，请从列表中选择' }).optional()),
}).superRefine((q, ctx) => {
  if (q.from && q.to && q.from > q.to) ctx.addIssue({ code: 'custom', path: ['to'], message: '结束日期不能早于开始日期' });
  if (q.from && q.to) {
    const months = (Number(q.to.slice(0, 4)) - Number(q.from.slice(0, 4))) * 12 + Number(q.to.slice(5, 7)) - Number(q.from.slice(5, 7)) + 1;
    if (months > MAX_MONTHS) ctx.addIssue({ code: 'custom', path: ['from'], message: `时间段最长 ${MAX_MONTHS} 个月` });
  }
});
export type ReportQuery = z.infer<typeof ReportQuery>;
