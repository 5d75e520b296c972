/**
 * Amounts the way people write them in a form: "12万", "45.5万元", "1,200,000", "￥3,000", "1.2亿",
 * full-width digits and commas included. Returns yuan, or null when the text is not an amount.
 */
const UNITS: Record<string, number> = { '': 1, 万: 10_000, 亿: 100_000_000 };

export function parseAmountYuan(text: string): number | null {
  const cleaned = text
    .normalize('NFKC') // full-width digits, commas and ¥ to their ASCII forms
    .replace(/\s+/g, '')
    .replace(/^(?:人民币|RMB|CNY)/i, '')
    .replace(/^[¥￥]/, '')
    .replace(/元(?:整)?$/, '');
  const m = /^(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?(万|亿)?$/.exec(cleaned);
  if (!m) return null;
  const value = Number(m[1].replace(/,/g, '') + (m[2] ?? '')) * UNITS[m[3] ?? ''];
  // Two decimal places at most (分): 45.5万 is exactly 455000, not 455000.00000000006.
  return Number.isFinite(value) ? Math.round(value * 100) / 100 : null;
}

/** For zod preprocessing of a form field: blank → undefined, a written amount → its number, else unchanged (then refused). */
export function amountFromForm(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  if (value.trim() === '') return undefined;
  return parseAmountYuan(value) ?? value;
}
