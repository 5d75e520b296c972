/**
 * Who may see and do what in a buyer–vendor conversation (pure, no I/O).
 *
 * - The two parties: the buyer organization that posted the demand (any of its buyer accounts) and the
 *   vendor (any of its accounts). Organizers and admins read every conversation, read-only, to follow the
 *   matchmaking up; anyone else (another vendor, another buyer, a district leader) gets a 404.
 * - A conversation opens when the vendor has shown interest: its follow-up reached 有意向 (or 已签约), or
 *   the two wished each other at a matchmaking event. A buyer's 婉拒 closes it for new messages.
 * - Contacts show only on mutual interest: the buyer 接受 the vendor's 有意向, both sides wished each other
 *   (必须见 or 希望见) at an event, or the pair signed.
 */
import type { Role } from '../accounts/index.js';
import type { InterestAnswer, ThreadSide } from './model.js';

export type Viewer = ThreadSide | 'staff';

export function viewerOf(
  user: { role: Role; vendorId?: string; buyerOrgId?: string } | null | undefined,
  demandBuyerOrgId: string,
  vendorId: string,
): Viewer | null {
  if (!user) return null;
  if (user.role === 'organizer' || user.role === 'admin') return 'staff';
  if (user.role === 'vendor') return user.vendorId && user.vendorId === vendorId ? 'vendor' : null;
  if (user.role === 'buyer') return user.buyerOrgId && user.buyerOrgId === demandBuyerOrgId ? 'buyer' : null;
  return null;
}

/** What is known about one (demand, vendor) pair. */
export interface PairFacts {
  /** The follow-up's current status, null without one. */
  followUpStatus: string | null;
  /** Whether the follow-up ever reached 有意向 (a step to intent, whoever made it). */
  everIntent: boolean;
  answer: InterestAnswer | null;
  /** Both sides wished each other (必须见/希望见) at some matchmaking event. */
  mutualEventWish: boolean;
  demandStatus: string;
}

export const vendorInterested = (f: PairFacts) =>
  f.everIntent || f.followUpStatus === 'intent' || f.followUpStatus === 'signed' || f.mutualEventWish;

export const mutualInterest = (f: PairFacts) =>
  f.answer === 'accepted' || f.mutualEventWish || f.followUpStatus === 'signed';

/** Whether the conversation exists for its parties at all (a page to read). */
export const threadOpen = (f: PairFacts) => f.demandStatus !== 'draft' && (vendorInterested(f) || mutualInterest(f));

/** Why a party may not post now, or null when it may. */
export function postRefusal(viewer: Viewer, f: PairFacts): string | null {
  if (viewer === 'staff') return '平台组织方只能查看对话，不能发言。';
  if (!threadOpen(f)) return '双方尚未表达对接意向，暂不能发送消息。';
  if (f.answer === 'declined' && !mutualInterest(f)) return '采购方已婉拒该意向，不能再发送消息。';
  if (f.followUpStatus === 'declined' && !mutualInterest(f)) return '该对接已标记为不合适，不能再发送消息。';
  return null;
}

/** Why the buyer may not answer the vendor's interest now, or null when it may. */
export function answerRefusal(viewer: Viewer, f: PairFacts): string | null {
  if (viewer !== 'buyer') return '只有发布需求的采购单位可以答复供应商的意向。';
  if (f.answer) return `已答复过该意向（${f.answer === 'accepted' ? '已接受' : '已婉拒'}）。`;
  if (f.followUpStatus !== 'intent') {
    return f.followUpStatus === 'signed' ? '双方已签约，无需答复意向。' : '供应商尚未表示有意向，暂无可答复的意向。';
  }
  return null;
}

export const answerNames: Record<InterestAnswer, string> = { accepted: '已接受', declined: '已婉拒' };

export type AttachmentType = 'application/pdf' | 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
export const MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024;

/**
 * The attachment's type by content, or undefined: a PDF ("%PDF-1.x" at the very start and "%%EOF" in the
 * last kilobyte) or an .xlsx (a zip whose first entry header is at byte 0 and which names
 * [Content_Types].xml and xl/workbook.xml). The file name is never consulted.
 */
export function sniffAttachment(buf: Buffer): AttachmentType | undefined {
  if (buf.length >= 16 && /^%PDF-[12]\.\d/.test(buf.toString('latin1', 0, 8))
    && buf.subarray(Math.max(0, buf.length - 1024)).includes('%%EOF')) return 'application/pdf';
  if (buf.length >= 30 && buf[0] === 0x50 && buf[1] === 0x4b && buf[2] === 0x03 && buf[3] === 0x04
    && buf.includes('[Content_Types].xml') && buf.includes('xl/workbook.xml')) {
    return 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
  }
  return undefined;
}

/** A safe stored file name: no path, no control characters, at most 100 characters, the right extension. */
export function attachmentName(name: string | undefined, type: AttachmentType): string {
  const ext = type === 'application/pdf' ? '.pdf' : '.xlsx';
  // eslint-disable-next-line no-control-regex
  const base = (name ?? '').replace(/^.*[\\/]/, '').replace(/[\u0000-\u001f\u007f"]/g, '').trim().replace(/\.(pdf|xlsx)$/i, '').slice(0, 100);
  return `${base || '附件'}${ext}`;
}
