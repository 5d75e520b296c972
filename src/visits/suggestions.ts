/** Suggestions around visits: open visits for a buyer's demands, and buyers worth inviting to a visit. */
import { isStaff, type CurrentUser } from '../accounts/index.js';
import type { Reason } from '../matching/index.js';
import { forbidden } from '../web/errors.js';
import type { VisitDeps, VisitLean } from './service.js';

export interface VisitSuggestion {
  visit: { id: string; title: string; kind: string; date: string };
  score: number;
  demand: { id: string; title: string };
  vendor: { id: string; name: string };
  reasons: Array<{ factor: string; text: string }>;
}

export interface InviteeSuggestion {
  buyerOrg: { id: string; name: string };
  score: number;
  demand: { id: string; title: string };
  vendor: { id: string; name: string };
  reasons: Array<{ factor: string; text: string }>;
}

const reasonsView = (reasons: Reason[]) => reasons.map((r) => ({ factor: r.factor, text: r.text }));

export function createVisitSuggestions(
  deps: Pick<VisitDeps, 'models' | 'matching'>,
  visits: {
    visible: (user: CurrentUser | null | undefined, id: string) => Promise<VisitLean>;
    hosts: (user: CurrentUser, v: Pick<VisitLean, 'stops'>) => boolean;
  },
) {
  const { models } = deps;
  const { Visit, VisitRegistration, Demand } = models;
  const { visible, hosts } = visits;

  return {
    /** Open visits whose host vendors fit the buyer organization's open demands, best first, with the reasons. */
    async suggestionsForBuyer(user: CurrentUser, limit = 20): Promise<VisitSuggestion[]> {
      if (user.role !== 'buyer') throw forbidden('只有采购方账号有推荐的调研考察活动。');
      // An account not yet tied to an organization has no demands to match.
      if (!user.buyerOrgId) return [];
      const visits = await Visit.find({ phase: 'registration' }, { log: 0 }).sort({ startsAt: 1 }).limit(100).lean<VisitLean[]>();
      if (!visits.length) return [];
      const demands = await Demand.find({ buyerOrg: user.buyerOrgId, status: 'open' }).sort({ createdAt: -1 }).limit(20).lean();
      const best = new Map<string, VisitSuggestion>();
      for (const demand of demands) {
        const matches = await deps.matching().matchDemand(demand as never, { limit: 100 });
        for (const m of matches) {
          for (const v of visits) {
            if (!v.stops.some((s) => String(s.vendor) === m.vendor.id)) continue;
            const prev = best.get(String(v._id));
            if (prev && prev.score >= m.score) continue;
            best.set(String(v._id), {
              visit: { id: String(v._id), title: v.title, kind: v.kind, date: v.date }, score: m.score,
              demand: { id: String(demand._id), title: demand.title }, vendor: { id: m.vendor.id, name: m.vendor.name }, reasons: reasonsView(m.reasons),
            });
          }
        }
      }
      return [...best.values()].sort((a, b) => b.score - a.score).slice(0, limit);
    },

    /** Buyers worth inviting: organizations whose open demands fit the visit's host vendors (not yet registered). */
    async invitees(user: CurrentUser, id: string, limit = 30): Promise<InviteeSuggestion[]> {
      const visit = await visible(user, id);
      if (!isStaff(user) && !hosts(user, visit)) throw forbidden('只有主办方和接待企业可以查看邀请建议。');
      const registered = new Set((await VisitRegistration.find({ visit: visit._id }, { buyerOrg: 1 }).lean()).map((r) => String(r.buyerOrg)));
      const filter: Record<string, unknown> = { status: 'open' };
      if (visit.field) filter.field = visit.field;
      const demands = (await Demand.find(filter).sort({ createdAt: -1 }).limit(100).lean()).filter((d) => !registered.has(String(d.buyerOrg)));
      if (!demands.length) return [];
      const orgNames = new Map((await models.BuyerOrg.find({ _id: { $in: demands.map((d) => d.buyerOrg) } }, { name: 1 }).lean()).map((o) => [String(o._id), o.name]));
      const best = new Map<string, InviteeSuggestion>();
      const vendors = [...new Map(visit.stops.map((s) => [String(s.vendor), s.vendorName])).entries()];
      for (const [vendorId, vendorName] of vendors) {
        for (const { demand: d, match: m } of await deps.matching().fitOfVendor(vendorId, demands)) {
          const org = String(d.buyerOrg);
          const prev = best.get(org);
          if (prev && prev.score >= m.score) continue;
          best.set(org, {
            buyerOrg: { id: org, name: orgNames.get(org) ?? '' }, score: m.score, demand: { id: String(d._id), title: d.title },
            vendor: { id: vendorId, name: vendorName }, reasons: reasonsView(m.reasons),
          });
        }
      }
      return [...best.values()].sort((a, b) => b.score - a.score).slice(0, limit);
    },
  };
}
