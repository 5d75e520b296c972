/**
 * Pairs the matching engine suggests for a participant: a buyer's demands matched against the event's
 * approved vendors (a vendor sees the buyers whose demands it fits), with the reasons and the wish the
 * participant already set for each.
 */
import { Types } from 'mongoose';
import { isStaff, type CurrentUser } from '../accounts/index.js';
import { notFound } from '../web/errors.js';
import type { EventDeps } from './deps.js';
import { ownsParticipant, type EventLean, type ParticipantLean, type PreferenceLean } from './service.js';

export interface Suggestion {
  /** The participant suggested to meet. */
  to: string;
  name: string;
  score: number;
  /** The demand the suggestion comes from (a buyer's demand matched against the vendor's products). */
  demand: { id: string; title: string };
  reasons: Array<{ factor: string; text: string }>;
  products: Array<{ name: string; model: string }>;
  /** The wish already set for this pair by the participant, if any. */
  level?: string;
}

interface Lookups {
  visible(user: CurrentUser, id: string): Promise<EventLean>;
  participant(event: EventLean, participantId: string): Promise<ParticipantLean>;
}

export function createSuggestions({ models, matching }: Pick<EventDeps, 'models' | 'matching'>, { visible, participant }: Lookups) {
  const { EventParticipant, EventPreference, Demand } = models;
  /**
   * Pairs the matching engine suggests for a participant: a buyer's demands matched against the
   * event's approved vendors (a vendor sees the buyers whose demands it fits), with the reasons.
   */
  return async function suggestions(user: CurrentUser, id: string, participantId: string, limit = 20): Promise<Suggestion[]> {
    const event = await visible(user, id);
    const p = await participant(event, participantId);
    if (!isStaff(user) && !ownsParticipant(user, p)) throw notFound('未找到该参会方。');
    const others = await EventParticipant.find({ event: event._id, kind: p.kind === 'buyer' ? 'vendor' : 'buyer', status: 'approved' }).lean<ParticipantLean[]>();
    if (others.length === 0) return [];
    const wishes = await EventPreference.find({ event: event._id, from: p._id }).lean<PreferenceLean[]>();
    const levelOf = new Map(wishes.map((w) => [String(w.to), w.level]));
    const best = new Map<string, Suggestion>();
    const consider = (s: Suggestion) => {
      const prev = best.get(s.to);
      if (!prev || s.score > prev.score) best.set(s.to, s);
    };
    const view = (reasons: Array<{ factor: string; text: string }>) => reasons.map((r) => ({ factor: r.factor, text: r.text }));
    if (p.kind === 'buyer') {
      const vendorParticipant = new Map(others.map((o) => [String(o.vendor), o]));
      const demands = await Demand.find({ _id: { $in: p.demands ?? [] }, status: { $in: ['open', 'in_progress'] } }).lean();
      for (const demand of demands) {
        const matches = await matching.matchDemand(demand as never, { limit: 100 });
        for (const m of matches) {
          const o = vendorParticipant.get(m.vendor.id);
          if (o) consider({ to: String(o._id), name: o.name, score: m.score, demand: { id: String(demand._id), title: demand.title }, reasons: view(m.reasons), products: m.products.map((x) => ({ name: x.name, model: x.model })), level: levelOf.get(String(o._id)) });
        }
      }
    } else {
      const buyerOfDemand = new Map<string, ParticipantLean>();
      for (const o of others) for (const d of o.demands ?? []) buyerOfDemand.set(String(d), o);
      if (buyerOfDemand.size > 0) {
        const demands = await Demand.find({ _id: { $in: [...buyerOfDemand.keys()].map((d) => new Types.ObjectId(d)) }, status: { $in: ['open', 'in_progress'] } }).lean();
        // The vendor's fit with each demand brought to the event, as in its opportunity feed.
        for (const { demand: d, match: m } of await matching.fitOfVendor(String(p.vendor), demands)) {
          const o = buyerOfDemand.get(String(d._id))!;
          consider({ to: String(o._id), name: o.name, score: m.score, demand: { id: String(d._id), title: d.title }, reasons: view(m.reasons), products: m.products.map((x) => ({ name: x.name, model: x.model })), level: levelOf.get(String(o._id)) });
        }
      }
    }
    return [...best.values()].sort((a, b) => b.score - a.score || a.name.localeCompare(b.name, 'zh-CN')).slice(0, limit);
  };
}
