/**
 * Check-in by code (the QR on a participant's agenda and badge): the code itself, its QR picture, and the
 * scan at the door (`app.eventCheckIns`).
 *
 * A code is 80 random bits (crypto.randomBytes) written in base32 (16 characters, A–Z and 2–7, easy to type
 * from a badge), stored on the participant with a unique index per event, so it names one participant of
 * one event and cannot be guessed. A participant gets it when approved; participants approved before codes
 * existed get one the first time their agenda, badge or the check-in page is read.
 *
 * A scan is one conditional update (`checkIn` not yet `arrived` → `arrived`): two scans of the same code at
 * once, from two phones or a queue replayed after the network came back, count once; the second answers
 * `firstScan: false`. The app keeps nothing in memory between requests.
 */
import { randomBytes } from 'node:crypto';
import QRCode from 'qrcode';
import { Types, type Model } from 'mongoose';
import type { EventDeps } from './deps.js';
import { isStaff, type CurrentUser } from '../accounts/index.js';
import { conflict, forbidden, notFound, type AppError } from '../web/errors.js';
import type { EventPhase } from './model.js';
import { canCheckIn } from './phases.js';
import { phaseNames } from './schemas.js';
import type { EventLean, ParticipantLean } from './service.js';

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** RFC 4648 base32 without padding. */
export function base32(bytes: Uint8Array): string {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32[(value << (5 - bits)) & 31];
  return out;
}

/** A new check-in code: 80 random bits, 16 base32 characters. */
export const newCheckInCode = (): string => base32(randomBytes(10));

/** What a person or a scanner typed, as stored: capitals, without spaces or dashes (badges print it in groups of four). */
export const normalizeCode = (input: string): string => input.normalize('NFKC').toUpperCase().replace(/[\s\-_]/g, '');

/** The code in groups of four, as printed under the QR: ABCD-EFGH-JKLM-NPQR. */
export const formatCode = (code: string): string => code.replace(/(.{4})(?=.)/g, '$1-');

/** The QR of a text as an SVG data URL (an <img> source: no markup of ours is injected into the page). */
export async function qrDataUrl(text: string): Promise<string> {
  const svg = await QRCode.toString(text, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
  return `data:image/svg+xml;base64,${Buffer.from(svg).toString('base64')}`;
}

export interface ScanResult {
  participant: { id: string; name: string; kind: string };
  firstScan: boolean;
  checkInAt: Date;
  arrived: number;
  expected: number;
}

/** What the desk sees after a scan, for 对接会 and 调研考察 alike: who arrived, or that they already had. */
export function checkInFlash(r: Pick<ScanResult, 'firstScan' | 'arrived' | 'expected'> & { participant: { name: string } }): ['success' | 'info', string] {
  const tally = `已到 ${r.arrived} / 应到 ${r.expected}`;
  return r.firstScan ? ['success', `签到成功：${r.participant.name}（${tally}）`] : ['info', `${r.participant.name} 已签到过，不重复计数（${tally}）`];
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the participants or the visit registrations
type CodeHolders = Model<any>;

/** The approved holder of a typed or scanned code within `scope` (`{ event }`, `{ visit }`); else `missing`. */
export async function holderOfCode<T extends { status?: string | null }>(holders: CodeHolders, scope: Record<string, unknown>, rawCode: string, missing: AppError): Promise<T> {
  const code = normalizeCode(rawCode);
  if (!/^[A-Z2-7]{16}$/.test(code)) throw missing;
  const holder = await holders.findOne({ ...scope, checkInCode: code }).lean<T>();
  if (!holder || holder.status !== 'approved') throw missing;
  return holder;
}

/**
 * Marks the holder arrived, the one write: only a holder not yet arrived changes, so concurrent scans count
 * once. Whether this scan was the first, and when the holder arrived.
 */
export async function markArrived(holders: CodeHolders, id: Types.ObjectId, now: Date): Promise<{ first: boolean; at: Date }> {
  const first = await holders.findOneAndUpdate({ _id: id, checkIn: { $ne: 'arrived' } }, { $set: { checkIn: 'arrived', checkInAt: now } }, { new: true }).lean<{ checkInAt?: Date | null }>();
  const at = first?.checkInAt ?? (await holders.findById(id, { checkInAt: 1 }).lean<{ checkInAt?: Date | null }>())?.checkInAt ?? now;
  return { first: Boolean(first), at };
}

export function createCheckIns({ models, clock }: Pick<EventDeps, 'models' | 'clock'>) {
  const { EventParticipant } = models;

  /** Gives every approved participant of the event without a code one (a racing writer's code is kept). */
  async function ensureCodes(eventId: Types.ObjectId): Promise<void> {
    const missing = await EventParticipant.find({ event: eventId, status: 'approved', checkInCode: { $exists: false } }, { _id: 1 }).lean();
    for (const p of missing) {
      await EventParticipant.updateOne({ _id: p._id, checkInCode: { $exists: false } }, { $set: { checkInCode: newCheckInCode() } });
    }
  }

  /** The participant's code, given now if it has none yet (approved participants only). */
  async function codeOf(p: ParticipantLean): Promise<string | undefined> {
    if (p.status !== 'approved') return undefined;
    if (p.checkInCode) return p.checkInCode;
    await EventParticipant.updateOne({ _id: p._id, checkInCode: { $exists: false } }, { $set: { checkInCode: newCheckInCode() } });
    return (await EventParticipant.findById(p._id, { checkInCode: 1 }).lean())?.checkInCode ?? undefined;
  }

  async function counts(eventId: Types.ObjectId): Promise<{ arrived: number; expected: number }> {
    const [arrived, expected] = await Promise.all([
      EventParticipant.countDocuments({ event: eventId, status: 'approved', checkIn: 'arrived' }),
      EventParticipant.countDocuments({ event: eventId, status: 'approved' }),
    ]);
    return { arrived, expected };
  }

  return {
    ensureCodes,
    codeOf,
    counts,

    /** Marks the holder of `code` as arrived at this event; idempotent and atomic. A code of another event is a 404. */
    async scan(user: CurrentUser, event: EventLean, rawCode: string): Promise<ScanResult> {
      if (!isStaff(user)) throw forbidden('只有主办方可以签到登记。');
      const missing = notFound('未找到该签到码：它不属于本场对接会，或输入有误，请核对后再试。');
      const p = await holderOfCode<ParticipantLean>(EventParticipant, { event: event._id }, rawCode, missing);
      if (!canCheckIn(event.phase as EventPhase)) throw conflict(`对接会当前为“${phaseNames[event.phase]}”，日程发布后才能签到。`);
      const { first, at } = await markArrived(EventParticipant, p._id, clock());
      return { participant: { id: String(p._id), name: p.name, kind: p.kind }, firstScan: first, checkInAt: at, ...(await counts(event._id)) };
    },
  };
}

export type CheckInService = ReturnType<typeof createCheckIns>;
