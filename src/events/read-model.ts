/**
 * What the event pages read besides the services' own answers: meeting counts for the list, the saved
 * pairs, the supplier list and buyer organizations to register from, and demand titles. Read-only; the
 * pages' access rules (organizers, or the participant's own organization) are the routes'.
 */
import { Types } from 'mongoose';
import { buyerLevelNames, buyerTypeNames } from '../buyers/index.js';
import { fieldLabel } from './report.js';
import type { EventDeps } from './deps.js';

const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** Demands that may be brought to an event: open or in progress (never drafts or closed ones). */
const broughtStatuses = { $in: ['open', 'in_progress'] };

/** Pairs the last run could not place, less those placed since (by hand or by a later change). */
export function stillUnplaced<U extends { buyer: unknown; vendor: unknown }>(unscheduled: U[], meetings: Array<{ buyer: unknown; vendor: unknown }>): U[] {
  const placed = new Set(meetings.map((m) => `${String(m.buyer)}|${String(m.vendor)}`));
  return unscheduled.filter((u) => !placed.has(`${String(u.buyer)}|${String(u.vendor)}`));
}

export function createEventReadModel({ models, buyers }: Pick<EventDeps, 'models' | 'buyers'>) {
  const { Vendor, Demand, EventMeeting } = models;

  return {
    /** Saved meetings per event, by event id. */
    async meetingCounts(eventIds: unknown[]): Promise<Map<string, number>> {
      const counts = await EventMeeting.aggregate<{ _id: unknown; n: number }>([
        { $match: { event: { $in: eventIds } } },
        { $group: { _id: '$event', n: { $sum: 1 } } },
      ]);
      return new Map(counts.map((c) => [String(c._id), c.n]));
    },

    /** The buyer and vendor of every saved meeting of the event. */
    async meetingPairs(eventId: unknown) {
      return EventMeeting.find({ event: eventId }, { buyer: 1, vendor: 1 }).lean();
    },

    /** Approved vendors of the supplier list by name or credit code (the first 20 by name). */
    async vendorsToRegister(q: string, registered: Set<string>) {
      const found = await Vendor.find(
        { status: 'approved', $or: [{ name: { $regex: escapeRegex(q), $options: 'i' } }, { creditCode: { $regex: `^${escapeRegex(q.toUpperCase())}` } }] },
        { name: 1, creditCode: 1, city: 1, district: 1, fields: 1 },
      ).sort({ name: 1 }).limit(20).lean();
      return found.map((v) => ({
        id: String(v._id), name: v.name, creditCode: v.creditCode, region: [v.city, v.district].filter(Boolean).join(''),
        fields: (v.fields ?? []).map((f: string) => fieldLabel(f)).join('、'), registered: registered.has(String(v._id)),
      }));
    },

    /** Buyer organizations by name (the first 10), each with its open demands to pick from. */
    async buyersToRegister(q: string, registered: Set<string>) {
      const orgs = await buyers.searchByName(q, 10);
      const demands = await Demand.find({ buyerOrg: { $in: orgs.map((o) => o._id) }, status: broughtStatuses }, { title: 1, buyerOrg: 1 })
        .sort({ createdAt: -1 }).limit(200).lean();
      return orgs.map((o) => ({
        id: String(o._id), name: o.name, type: o.type, level: o.level, province: o.province, city: o.city ?? '', district: o.district ?? '',
        levelName: buyerLevelNames[o.level] ?? o.level, typeName: buyerTypeNames[o.type] ?? o.type,
        region: [o.province, o.city, o.district].filter(Boolean).join(''), registered: registered.has(String(o._id)),
        demands: demands.filter((d) => String(d.buyerOrg) === String(o._id)).map((d) => ({ id: String(d._id), title: d.title })),
      }));
    },

    /** Titles of these demands (those that still exist). */
    async demandTitles(ids: unknown[]) {
      const valid = ids.map(String).filter((d) => Types.ObjectId.isValid(d)).map((d) => new Types.ObjectId(d));
      return valid.length ? Demand.find({ _id: { $in: valid } }, { title: 1 }).lean() : [];
    },

    /** An organization's demands that may be brought to an event, newest first. */
    async demandsToBring(buyerOrgId: unknown) {
      if (!buyerOrgId) return [];
      return Demand.find({ buyerOrg: buyerOrgId, status: broughtStatuses }, { title: 1 }).sort({ createdAt: -1 }).limit(100).lean();
    },
  };
}

export type EventReadModel = ReturnType<typeof createEventReadModel>;
