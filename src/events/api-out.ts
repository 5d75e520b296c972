/**
 * What the two route files of the events JSON API share (docs/api.md): who may call, the address params,
 * the response schemas and the mapping of stored documents to them.
 */
import { z } from 'zod';
import { ObjectIdParam, STAFF_ROLES } from '../accounts/index.js';
import { apiRoute } from '../web/api-route.js';
import { eventPhases } from './model.js';
import type { EventLean, MeetingLean, ParticipantLean } from './service.js';

export const route = apiRoute('供需对接会');
export const staff = STAFF_ROLES;
/** Participants' companies and staff; read-only district leaders see events only as report figures. */
export const people = ['vendor', 'buyer', 'organizer', 'admin'] as const;
export const EventParams = z.object({ id: ObjectIdParam });
export const ParticipantParams = z.object({ id: ObjectIdParam, participantId: ObjectIdParam });

const iso = (d: Date | null | undefined) => (d ? d.toISOString() : undefined);

export const EventOut = z.object({
  id: z.string(),
  title: z.string(),
  theme: z.string(),
  field: z.string().optional(),
  venue: z.string(),
  description: z.string(),
  tables: z.number(),
  slots: z.array(z.object({ index: z.number(), start: z.string(), end: z.string() })),
  registrationDeadline: z.string().optional(),
  preferenceDeadline: z.string().optional(),
  phase: z.enum(eventPhases),
  publishedAt: z.string().optional(),
});
export const eventJson = (e: EventLean): z.infer<typeof EventOut> => ({
  id: String(e._id), title: e.title, theme: e.theme ?? '', field: e.field ?? undefined, venue: e.venue ?? '', description: e.description ?? '',
  tables: e.tables, slots: e.slots.map((s, index) => ({ index, start: s.start.toISOString(), end: s.end.toISOString() })),
  registrationDeadline: iso(e.registrationDeadline), preferenceDeadline: iso(e.preferenceDeadline), phase: e.phase as z.infer<typeof EventOut>['phase'],
  publishedAt: iso(e.publishedAt),
});

export const ParticipantOut = z.object({
  id: z.string(), kind: z.enum(['vendor', 'buyer']), name: z.string(), status: z.string(),
  vendorId: z.string().optional(), buyerOrgId: z.string().optional(), demands: z.array(z.string()),
  representatives: z.number(), unavailableSlots: z.array(z.number()), checkIn: z.string().nullable(),
  rejectReason: z.string().optional(), contactName: z.string().optional(), contactPhone: z.string().optional(),
});
export const participantJson = (p: ParticipantLean, full: boolean): z.infer<typeof ParticipantOut> => ({
  id: String(p._id), kind: p.kind as 'vendor' | 'buyer', name: p.name, status: p.status,
  vendorId: p.vendor ? String(p.vendor) : undefined, buyerOrgId: p.buyerOrg ? String(p.buyerOrg) : undefined,
  demands: (p.demands ?? []).map(String), representatives: p.representatives ?? 1, unavailableSlots: p.unavailableSlots ?? [],
  checkIn: p.checkIn ?? null, rejectReason: full ? p.rejectReason ?? undefined : undefined,
  // Contacts only to organizers and the participant itself.
  contactName: full ? p.contactName ?? undefined : undefined, contactPhone: full ? p.contactPhone ?? undefined : undefined,
});

export const MeetingOut = z.object({
  id: z.string(), buyer: z.string(), vendor: z.string(), slot: z.number(), table: z.number(), start: z.string().optional(), end: z.string().optional(),
  pinned: z.boolean(), published: z.boolean(), outcome: z.string().nullable(), demand: z.string().optional(), amountYuan: z.number().optional(),
});
export const meetingJson = (e: EventLean, m: MeetingLean): z.infer<typeof MeetingOut> => ({
  id: String(m._id), buyer: String(m.buyer), vendor: String(m.vendor), slot: m.slot, table: m.table,
  start: iso(e.slots[m.slot]?.start), end: iso(e.slots[m.slot]?.end), pinned: Boolean(m.pinned), published: Boolean(m.published),
  outcome: m.outcome ?? null, demand: m.demand ? String(m.demand) : undefined, amountYuan: m.amountYuan ?? undefined,
});

export const Unscheduled = z.array(z.object({ buyer: z.string(), vendor: z.string(), reason: z.string(), weight: z.number() }));
export const Stats = z.record(z.string(), z.number());
export const MeetingPlain = z.object({ buyer: z.string(), vendor: z.string(), slot: z.number(), table: z.number() });
export const Changes = z.object({
  kept: z.array(MeetingPlain),
  moved: z.array(z.object({ from: MeetingPlain, to: MeetingPlain, reason: z.string().optional() })),
  removed: z.array(z.object({ meeting: MeetingPlain, reason: z.string() })),
  added: z.array(MeetingPlain),
});

export const DashboardRowOut = z.object({
  key: z.string().describe('领域代码、采购方层级（province/city/district）或 unknown'),
  wishes: z.number().describe('有“必须见/希望见”且无人“不见”的供需对数'),
  scheduled: z.number(), held: z.number(), intents: z.number(), signed: z.number(), amountYuan: z.number(),
});
export const DashboardOut = z.object({
  total: DashboardRowOut,
  byField: z.array(DashboardRowOut).describe('按供应商的第一个主营领域'),
  byLevel: z.array(DashboardRowOut),
  participants: z.object({ vendors: z.number(), buyers: z.number(), pending: z.number(), arrived: z.number().optional() }),
});
