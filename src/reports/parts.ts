/**
 * The report's shape (sections of tables, each chart drawn from its table) and the small helpers and
 * Chinese names the sections in figures.ts share. Pure.
 */
import { taxonomy } from '../taxonomy/index.js';

export type Cell = string | number;
export interface ChartSpec {
  kind: 'bar' | 'line';
  labels: string[];
  series: Array<{ label: string; data: number[] }>;
  stacked?: boolean;
  horizontal?: boolean;
}
export interface Table {
  id: string;
  title: string;
  note?: string;
  columns: string[];
  rows: Cell[][];
  /** The last row is a total (not charted). */
  totalRow?: boolean;
  chart?: ChartSpec;
}
export interface Headline { label: string; value: string }
export interface Section { id: string; title: string; intro: string; headline: Headline[]; tables: Table[] }
export interface Report {
  generatedAt: Date;
  periodText: string;
  filters: Array<{ label: string; value: string }>;
  sections: Section[];
}


export type Doc = Record<string, unknown>;
export const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
export const key = (row: Doc, k: string) => {
  const id = row._id as Doc | string | null;
  return id && typeof id === 'object' ? String(id[k] ?? '') : String(id ?? '');
};
export const sumBy = (rows: Doc[], match: (row: Doc) => boolean, value = 'n') => rows.filter(match).reduce((a, r) => a + num(r[value]), 0);
export const pct = (part: number, whole: number) => (whole ? `${((part / whole) * 100).toFixed(1)}%` : '—');
export const fmt = (n: number) => n.toLocaleString('zh-CN');
export const yuan = (n: number) => `${n.toLocaleString('zh-CN')} 元`;

export const freshnessNames = { current: '信息有效', stale: '信息待更新', hidden: '已隐藏（超期未确认）' } as const;
export const freshnessKeys = ['current', 'stale', 'hidden'] as const;
export const tierNames = { district: '滨江区', city: '杭州市其他区县', province: '浙江省其他城市', outside: '浙江省外' } as const;
export const tierKeys = ['district', 'city', 'province', 'outside'] as const;
export const levelNames: Record<string, string> = { province: '省级', city: '市级', district: '区级', unknown: '未知层级' };
export const levelKeys = ['province', 'city', 'district'] as const;
export const demandStatusNames: Record<string, string> = {
  open: '征集中', in_progress: '对接中', 'closed:fulfilled': '已关闭·已完成', 'closed:cancelled': '已关闭·已取消', 'closed:expired': '已关闭·已过期',
};
export const phaseNames: Record<string, string> = {
  draft: '草稿', registration: '报名中', preferences: '意向征集', scheduling: '排程中', published: '日程已发布', finished: '已结束',
};
export const categoryNames = new Map(taxonomy.fields.flatMap((f) => f.categories.map((c) => [c.code, c.name] as const)));
export const categoryOrder = new Map(taxonomy.fields.flatMap((f) => f.categories.map((c) => c.code)).map((c, i) => [c, i] as const));
export const fieldOrder = taxonomy.fields.map((f) => f.code);

/** The taxonomy's fields (or the one filtered on), then any other code found in the data. */
export function fieldsShown(found: string[], only?: string): string[] {
  if (only) return [only];
  return [...fieldOrder, ...[...new Set(found)].filter((f) => f && !fieldOrder.includes(f)).sort()];
}

/** A chart from a table's own rows: labels from column 0, one series per listed column. */
export function chartOf(table: Table, columns: number[], options: Partial<ChartSpec> = {}): ChartSpec {
  const rows = table.totalRow ? table.rows.slice(0, -1) : table.rows;
  return {
    kind: 'bar',
    ...options,
    labels: rows.map((r) => String(r[0])),
    series: columns.map((c) => ({ label: table.columns[c], data: rows.map((r) => num(r[c])) })),
  };
}

/** The rows whose `dim` is `value`, counted in all and by freshness: [all, current, stale, hidden]. */
export function freshnessSplit(rows: Doc[], dim: string, value: string): number[] {
  const split = freshnessKeys.map((fr) => sumBy(rows, (x) => key(x, dim) === value && key(x, 'freshness') === fr));
  return [split.reduce((a, n) => a + n, 0), ...split];
}
