/**
 * Badges (名牌), shared by the 对接会 and 企业调研/现场考察 (pure: data in, template context out). One badge
 * per person or organization: the activity's title, the person's name (else the organization's), the
 * organization, the role and the check-in QR with its code in groups of four; eight to an A4 sheet (2 × 4,
 * public/css/event-day.css). The partial views/partials/badge-sheets.hbs prints the sheets.
 */
import { formatCode } from './checkin.js';

export interface BadgeInput {
  /** The activity the badge is for (printed small at the top). */
  heading: string;
  /** The contact person; empty: the organization's name is printed large instead. */
  person: string;
  organization: string;
  /** buyer or vendor: the colour of the role tag. */
  kind: string;
  /** The role as printed (供应商, 采购方, …). */
  role: string;
  /** The check-in code as stored (16 base32 characters). */
  code: string;
  /** Its QR (qrDataUrl). */
  qr: string;
}

export const BADGES_PER_SHEET = 8;

export function badgeSheets(badges: BadgeInput[], perSheet = BADGES_PER_SHEET) {
  const items = badges.map((b) => ({ heading: b.heading, person: b.person, organization: b.organization, kind: b.kind, kindName: b.role, code: formatCode(b.code), qr: b.qr }));
  const sheets: Array<{ badges: typeof items }> = [];
  for (let i = 0; i < items.length; i += perSheet) sheets.push({ badges: items.slice(i, i + perSheet) });
  return { sheets, count: items.length };
}
