/**
 * Cell values of every importer: taxonomy codes or their Chinese names (loosely matched), lists of them
 * separated by 、 , ; and the like, and zod issues as row issues. Pure.
 */
import type { z } from 'zod';
import { taxonomy } from '../taxonomy/index.js';
import type { RowIssue } from './importer.js';

/** Spaces, quotes and bracket widths do not matter when a name is matched. */
export const loose = (s: string) => s.replace(/[\s“”"'‘’「」《》]/g, '').replace(/\(/g, '（').replace(/\)/g, '）').toLowerCase();

/** A table from code, name and any extra spellings to the code. */
export function lookup(entries: Array<{ code: string; name: string }>, extra: Record<string, string> = {}): Map<string, string> {
  const map = new Map<string, string>();
  for (const e of entries) {
    map.set(loose(e.code), e.code);
    map.set(loose(e.name), e.code);
  }
  for (const [name, code] of Object.entries(extra)) map.set(loose(name), code);
  return map;
}
export const fieldLookup = lookup(taxonomy.fields);
export const categoryLookup = lookup(taxonomy.fields.flatMap((f) => f.categories));
export const certificationLookup = lookup(taxonomy.certifications);

/** Names offered by the coded columns' dropdowns in the templates. */
export const choices = {
  fields: () => taxonomy.fields.map((f) => f.name),
  categories: () => taxonomy.fields.flatMap((f) => f.categories.map((c) => c.name)),
  certifications: () => taxonomy.certifications.map((c) => c.name),
};

export const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** One code from a code or a name; an unknown one is an issue and leaves the value out. */
export function translate(value: unknown, table: Map<string, string>, what: string, field: string, issues: RowIssue[]): unknown {
  if (typeof value !== 'string' || !value.trim()) return value;
  const code = table.get(loose(value));
  if (!code) issues.push({ field, message: `未知的${what}：${value.slice(0, 40)}（可填代码或名称，见模板“说明”表）` });
  return code;
}

function splitList(value: unknown): string[] | undefined {
  if (value === undefined || value === null) return [];
  if (Array.isArray(value)) return value.map((v) => String(v).trim()).filter(Boolean);
  if (typeof value !== 'string') return undefined;
  return value.split(/[、,，;；\n/|]+/).map((v) => v.trim()).filter(Boolean);
}

/** A list of codes from codes or names ("ccc iso9001" in one cell is split on spaces when the whole is unknown). */
export function codes(value: unknown, table: Map<string, string>, what: string, field: string, issues: RowIssue[]): string[] | undefined {
  const tokens = splitList(value);
  if (!tokens) {
    issues.push({ field, message: `${what}应为代码或名称的列表` });
    return undefined;
  }
  const out: string[] = [];
  for (const token of tokens) {
    const parts = table.has(loose(token)) ? [token] : token.split(/\s+/).filter(Boolean);
    for (const part of parts) {
      const code = table.get(loose(part));
      if (!code) issues.push({ field, message: `未知的${what}：${part.slice(0, 40)}（可填代码或名称，见模板“说明”表）` });
      else if (!out.includes(code)) out.push(code);
    }
  }
  return out;
}

/** Zod issues as row issues, one field each (an array's items report as the array). */
export function zodIssues(error: z.ZodError, prefix = ''): RowIssue[] {
  return error.issues.map((issue) => {
    const numeric = issue.path.findIndex((p) => typeof p === 'number');
    const path = (numeric >= 0 ? issue.path.slice(0, numeric) : issue.path).join('.');
    return { field: path ? `${prefix}${path}` : '_row', message: issue.message };
  });
}
