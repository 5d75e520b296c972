/**
 * The outcome of each stop for each approved buyer (考察结果): visited, intent or signed, carried into the
 * follow-up of (the buyer's demand, the stop's host vendor); a signing's amount is kept on the follow-up.
 */
import { Types } from 'mongoose';
import { actorOf, isStaff, type CurrentUser } from '../accounts/index.js';
import { signingTakenMessage } from '../followups/index.js';
import { badRequest, conflict, forbidden, notFound } from '../web/errors.js';
import type { VisitPhase } from './model.js';
import { kindNames, phaseNames, type OutcomeInput } from './schemas.js';
import type { OutcomeLean, RegistrationLean, VisitDeps, VisitLean } from './service.js';

/** Phases in which the day happens: check-in and outcomes. */
export const dayPhases: VisitPhase[] = ['registration', 'confirmed', 'finished'];

export function createVisitOutcomes(
  deps: Pick<VisitDeps, 'conn' | 'models' | 'clock' | 'followUps'>,
  visits: {
    load: (id: string) => Promise<VisitLean>;
    staffVisit: (user: CurrentUser, id: string) => Promise<VisitLean>;
    registrationOf: (visit: VisitLean, rid: string) => Promise<RegistrationLean>;
  },
) {
  const { conn, clock } = deps;
  const { VisitOutcome, FollowUp } = deps.models;
  const { load, staffVisit, registrationOf } = visits;

  async function withAmounts(outcomes: OutcomeLean[]): Promise<OutcomeLean[]> {
    const signed = outcomes.filter((o) => o.outcome === 'signed');
    if (!signed.length) return outcomes;
    const amounts = await deps.followUps().visitSigningAmounts(signed.map((o) => o._id));
    return outcomes.map((o) => (o.outcome === 'signed' ? { ...o, amountYuan: amounts.get(String(o._id)) } : o));
  }

  return {
    withAmounts,

    /**
     * The outcome of one stop for one buyer. visited, intent and signed move the follow-up of (the buyer's
     * demand, the stop's host vendor) to contacted, intent or signed — forward only. A signing is kept once,
     * on the follow-up with its amount: a pair signed elsewhere cannot be signed again here (409 naming the
     * signing). The outcome and the follow-up commit in one transaction.
     */
    async outcome(user: CurrentUser, id: string, stopIndex: number, input: OutcomeInput): Promise<OutcomeLean> {
      if (!isStaff(user)) throw forbidden('只有主办方可以登记考察结果。');
      const visit = await load(id);
      if (!dayPhases.includes(visit.phase as VisitPhase)) throw conflict(`活动当前为“${phaseNames[visit.phase]}”，不能登记考察结果。`);
      const stop = visit.stops[stopIndex];
      if (!stop) throw notFound(`未找到第 ${stopIndex + 1} 站：本次活动共 ${visit.stops.length} 站（编号 0–${visit.stops.length - 1}）。`);
      const r = await registrationOf(visit, input.registration);
      if (r.status !== 'approved') throw conflict('只能为审核通过的单位登记考察结果。');
      if (r.checkIn === 'no_show') throw conflict(`“${r.name}”已标记为未到场，不能登记考察结果；如其实到场了，请先撤销未到场标记。`);
      const demands = (r.demands ?? []).map(String);
      let demand = input.demand;
      if (demand && !demands.includes(demand)) throw badRequest('所选需求不是该单位报名时关联的需求。', [{ path: 'demand', message: '请从该单位关联的需求中选择' }]);
      if (!demand && demands.length === 1) demand = demands[0];
      if (!demand && demands.length > 1) throw badRequest('该单位关联了多条需求，请选择本站考察对应的需求。', [{ path: 'demand', message: '请选择需求' }]);
      if (input.outcome === 'signed' && !demand) throw badRequest('登记签约须对应该单位的一条需求：该单位报名时没有关联需求。', [{ path: 'demand', message: '签约须对应一条需求' }]);
      if (input.amountYuan !== undefined && input.outcome !== 'signed') throw badRequest('只有签约时才能填写金额。', [{ path: 'amountYuan', message: '只有签约时才能填写金额' }]);
      const vendorId = String(stop.vendor);
      const note = input.note ?? `${kindNames[visit.kind]}“${visit.title}”第 ${stopIndex + 1} 站`;

      const saved = await conn.transaction(async (session) => {
        const existing = await VisitOutcome.findOne({ visit: visit._id, stop: stopIndex, registration: r._id }).session(session).lean<OutcomeLean>();
        if (existing?.outcome === 'signed' && input.outcome !== 'signed') throw conflict('本站已登记签约并记入对接跟进；签约是最终结果，不能改为其他结果。');
        if (existing?.outcome === 'signed' && String(existing.demand ?? '') !== (demand ?? '')) throw conflict('本站的签约已记在另一条需求上，不能改换需求。');
        const outcomeId = existing?._id ?? new Types.ObjectId();
        if (demand) {
          const current = await FollowUp.findOne({ demand, vendor: vendorId }).session(session).lean();
          if (input.outcome === 'signed') {
            if (current?.status === 'signed') {
              const signing = [...(current.steps ?? [])].reverse().find((st) => st.status === 'signed');
              if (String(signing?.visitOutcome ?? '') !== String(outcomeId)) throw conflict(signingTakenMessage(current.amountYuan, signing, '本站请登记为“已参观”或“达成意向”。'));
              if (input.amountYuan !== undefined && input.amountYuan !== (current.amountYuan ?? undefined)) {
                throw conflict(`本次签约的金额已登记为 ${current.amountYuan ?? '（未填）'} 元；一次签约只有一个金额，不能再改。`);
              }
            } else if (current?.status === 'declined') {
              throw conflict('该对接已被标记为“不合适”；如确已签约，请先由主办方在对接跟进中重新打开，再登记签约。');
            } else {
              await deps.followUps().advance(user, demand, vendorId, { to: 'signed', note, amountYuan: input.amountYuan }, {
                source: 'visit', session, visit: { visit: String(visit._id), outcome: String(outcomeId) },
              });
            }
          } else {
            const target = input.outcome === 'visited' ? 'contacted' : 'intent';
            const rank: Record<string, number> = { contacted: 1, intent: 2, signed: 3 };
            if (!current || (current.status !== 'declined' && rank[target] > rank[current.status])) {
              await deps.followUps().advance(user, demand, vendorId, { to: target, note }, { source: 'visit', session });
            }
          }
        }
        const set = {
          outcome: input.outcome, note: input.note ?? null, by: actorOf(user), at: clock(),
          buyerOrg: r.buyerOrg, vendor: stop.vendor, demand: demand ? new Types.ObjectId(demand) : null,
        };
        return VisitOutcome.findOneAndUpdate(
          { visit: visit._id, stop: stopIndex, registration: r._id },
          { $set: set, $setOnInsert: { _id: outcomeId } },
          { upsert: true, new: true, session },
        ).lean<OutcomeLean>();
      });
      return (await withAmounts([saved!]))[0];
    },

    /** Outcomes of a visit (organizers), with each signing's amount read from its follow-up. */
    async outcomes(user: CurrentUser, id: string): Promise<OutcomeLean[]> {
      const visit = await staffVisit(user, id);
      return withAmounts(await VisitOutcome.find({ visit: visit._id }).sort({ stop: 1, createdAt: 1 }).lean<OutcomeLean[]>());
    },
  };
}
