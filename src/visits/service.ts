/**
 * 企业调研 / 现场考察 (`app.visits`): visits and their route, registrations with organizer approval and
 * capacity, check-in codes, outcomes per stop per buyer (moving the (demand, host vendor) follow-up through
 * the follow-ups capability, in one transaction) and suggestions from the matching engine.
 */
import { Types, type ClientSession, type Connection } from 'mongoose';
import type { FastifyBaseLogger } from 'fastify';
import { actorOf, isStaff, type CurrentUser } from '../accounts/index.js';
import type { BuyerInput, OrgDoc } from '../buyers/index.js';
import { newCheckInCode, normalizeCode } from '../events/index.js';
import { signingTakenMessage, type FollowUpService } from '../followups/index.js';
import type { MatchingService, Reason } from '../matching/index.js';
import type { NotifyEventInput } from '../notifications/index.js';
import type { Models } from '../infra/models.js';
import { badRequest, conflict, forbidden, notFound } from '../web/errors.js';
import type { VisitDoc, VisitOutcomeDoc, VisitPhase, VisitRegistrationDoc } from './model.js';
import { checkRoute, DEFAULT_TRAVEL_MINUTES, timeOrder } from './route.js';
import { kindNames, outcomeNames, phaseNames, type OutcomeInput, type RegistrationInput, type ReviewInput, type StopInput, type VisitInput, type VisitUpdate } from './schemas.js';

type Id = Types.ObjectId;
export type VisitLean = VisitDoc & { _id: Id; createdAt: Date; updatedAt: Date };
export type RegistrationLean = VisitRegistrationDoc & { _id: Id; createdAt: Date; updatedAt: Date };
export type OutcomeLean = VisitOutcomeDoc & { _id: Id; createdAt: Date; updatedAt: Date; amountYuan?: number };

export interface VisitDeps {
  conn: Connection;
  models: Models;
  clock: () => Date;
  /** Late-bound: registered before visits, but read at call time. */
  followUps: () => FollowUpService;
  matching: () => MatchingService;
  notify: (event: NotifyEventInput, options?: { session?: ClientSession }) => Promise<unknown>;
  /** The buyer organization a user registers (its own) or an organizer names (found or created). */
  orgFor: (user: CurrentUser, buyer: BuyerInput | undefined, session?: ClientSession) => Promise<OrgDoc>;
  log: FastifyBaseLogger;
  /** Travel time between stops when a stop does not give one (minutes). */
  defaultTravelMinutes?: number;
}

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

/** The instant of `minutes` after midnight, China time, on `date` (YYYY-MM-DD). */
export const instantOf = (date: string, minutes: number): Date => new Date(Date.parse(`${date}T00:00:00+08:00`) + minutes * 60_000);
const isDuplicateKey = (err: unknown) => (err as { code?: number }).code === 11000;
const reasonsView = (reasons: Reason[]) => reasons.map((r) => ({ factor: r.factor, text: r.text }));
const openPhases: VisitPhase[] = ['registration', 'confirmed', 'finished'];
/** Phases in which the day happens: check-in and outcomes. */
const dayPhases: VisitPhase[] = ['registration', 'confirmed', 'finished'];
const transitions: Record<VisitPhase, VisitPhase[]> = {
  draft: ['registration', 'cancelled'],
  registration: ['draft', 'confirmed', 'cancelled'],
  confirmed: ['registration', 'finished', 'cancelled'],
  finished: [],
  cancelled: [],
};

export function createVisitService(deps: VisitDeps) {
  const { models, clock, conn } = deps;
  const { Visit, VisitRegistration, VisitOutcome, Vendor, Demand, FollowUp } = models;
  const travel = deps.defaultTravelMinutes ?? DEFAULT_TRAVEL_MINUTES;

  async function load(id: string): Promise<VisitLean> {
    if (!Types.ObjectId.isValid(id)) throw notFound('未找到该调研考察活动。');
    const visit = await Visit.findById(id).lean<VisitLean>();
    if (!visit) throw notFound('未找到该调研考察活动。');
    return visit;
  }

  /** Organizers see every visit; others not drafts (a 404, not a hint). */
  async function visible(user: CurrentUser | null | undefined, id: string): Promise<VisitLean> {
    const visit = await load(id);
    if (!isStaff(user) && visit.phase === 'draft') throw notFound('未找到该调研考察活动。');
    return visit;
  }

  async function staffVisit(user: CurrentUser, id: string): Promise<VisitLean> {
    if (!isStaff(user)) throw forbidden('只有主办方可以管理企业调研和现场考察。');
    return load(id);
  }

  async function registrationOf(visit: VisitLean, rid: string): Promise<RegistrationLean> {
    if (!Types.ObjectId.isValid(rid)) throw notFound('未找到该报名。');
    const r = await VisitRegistration.findOne({ _id: rid, visit: visit._id }).lean<RegistrationLean>();
    if (!r) throw notFound('未找到该报名。');
    return r;
  }

  const owns = (user: CurrentUser, r: Pick<RegistrationLean, 'buyerOrg'>) => user.role === 'buyer' && Boolean(user.buyerOrgId) && String(r.buyerOrg) === user.buyerOrgId;
  const hosts = (user: CurrentUser, v: Pick<VisitLean, 'stops'>) => user.role === 'vendor' && Boolean(user.vendorId) && v.stops.some((s) => String(s.vendor) === user.vendorId);

  /** The stops with their host vendors looked up (approved list only), checked as a route, in time order. */
  async function resolveStops(stops: StopInput[]) {
    const resolved: Array<{ vendor: Id; vendorName: string; place: string; address: string; start: number; end: number; travelMinutes?: number; shows: string }> = [];
    for (const [i, s] of stops.entries()) {
      const path = `stops.${i}.vendor`;
      let vendor;
      if (s.vendor) vendor = await Vendor.findById(s.vendor).lean();
      else if (s.vendorCreditCode) vendor = await Vendor.findOne({ creditCode: s.vendorCreditCode.toUpperCase() }).lean();
      else throw badRequest(`第 ${i + 1} 站请选择接待企业（vendor 或 vendorCreditCode）。`, [{ path, message: '请选择接待企业' }]);
      if (!vendor) throw badRequest(`第 ${i + 1} 站的接待企业不在推介清单中。`, [{ path, message: '未找到该企业' }]);
      if (vendor.status !== 'approved') throw badRequest(`第 ${i + 1} 站的“${vendor.name}”尚未通过审核入选推介清单，不能作为接待企业。`, [{ path, message: '须为已入选推介清单的企业' }]);
      resolved.push({
        vendor: vendor._id, vendorName: vendor.name, place: s.place ?? '', address: s.address, start: s.start, end: s.end,
        ...(s.travelMinutes !== undefined ? { travelMinutes: s.travelMinutes } : {}), shows: s.shows ?? '',
      });
    }
    const problems = checkRoute(resolved.map((s) => ({ name: s.place ? `${s.vendorName}（${s.place}）` : s.vendorName, start: s.start, end: s.end, travelMinutes: s.travelMinutes })), travel);
    if (problems.length) {
      throw badRequest(`行程安排不可行：${problems.map((p) => p.message).join('')}`, problems.map((p) => ({ path: `stops.${p.stop}.start`, message: p.message })));
    }
    return timeOrder(resolved.map((s) => ({ name: '', start: s.start, end: s.end }))).map((i) => resolved[i]);
  }

  const span = (date: string, stops: Array<{ start: number; end: number }>) => ({
    startsAt: instantOf(date, Math.min(...stops.map((s) => s.start))),
    endsAt: instantOf(date, Math.max(...stops.map((s) => s.end))),
  });

  /** A buyer's demands must be its own organization's and open (or in progress). */
  async function checkDemands(buyerOrg: Id, demands: string[] | undefined, session?: ClientSession): Promise<Id[]> {
    const ids = [...new Set(demands ?? [])].map((d) => new Types.ObjectId(d));
    if (ids.length === 0) return [];
    const found = await Demand.find({ _id: { $in: ids }, buyerOrg, status: { $in: ['open', 'in_progress'] } }, { _id: 1 }).session(session ?? null).lean();
    if (found.length !== ids.length) {
      throw badRequest('关联的需求须是本单位征集中或对接中的需求。', [{ path: 'demands', message: '有需求不存在、不属于该单位、尚是草稿或已关闭' }]);
    }
    return ids;
  }

  async function counts(visitId: Id) {
    const [arrived, expected] = await Promise.all([
      VisitRegistration.countDocuments({ visit: visitId, status: 'approved', checkIn: 'arrived' }),
      VisitRegistration.countDocuments({ visit: visitId, status: 'approved' }),
    ]);
    return { arrived, expected };
  }

  async function withAmounts(outcomes: OutcomeLean[]): Promise<OutcomeLean[]> {
    const signed = outcomes.filter((o) => o.outcome === 'signed');
    if (!signed.length) return outcomes;
    const amounts = await deps.followUps().visitSigningAmounts(signed.map((o) => o._id));
    return outcomes.map((o) => (o.outcome === 'signed' ? { ...o, amountYuan: amounts.get(String(o._id)) } : o));
  }

  /** Approves inside a transaction: the visit's approved count rises only while below capacity. */
  async function approve(visit: VisitLean, r: RegistrationLean, session: ClientSession): Promise<void> {
    const seat = await Visit.updateOne(
      { _id: visit._id, $expr: { $lt: ['$approved', '$capacity'] } },
      { $inc: { approved: 1 } },
      { session },
    );
    if (seat.modifiedCount !== 1) throw conflict(`名额已满：本次活动共 ${visit.capacity} 个名额，已全部通过审核。`);
    const res = await VisitRegistration.updateOne(
      { _id: r._id, status: r.status },
      { $set: { status: 'approved', rejectReason: null, ...(r.checkInCode ? {} : { checkInCode: newCheckInCode() }) } },
      { session },
    );
    if (res.modifiedCount !== 1) throw conflict('该报名状态刚刚被他人改变，请刷新后再试。');
  }

  return {
    load,
    visible,
    staffVisit,
    registrationOf,
    owns,
    hosts,
    counts,
    withAmounts,

    /** Visits newest first (at most 200); drafts for organizers only; `host` = only those visiting the vendor's company. */
    async list(user: CurrentUser, options: { host?: boolean; open?: boolean } = {}) {
      const filter: Record<string, unknown> = isStaff(user) ? {} : { phase: { $ne: 'draft' } };
      if (options.host) {
        if (user.role !== 'vendor' || !user.vendorId) return [];
        filter['stops.vendor'] = new Types.ObjectId(user.vendorId);
      }
      if (options.open) filter.phase = 'registration';
      const visits = await Visit.find(filter, { log: 0 }).sort({ startsAt: -1, _id: -1 }).limit(200).lean<VisitLean[]>();
      const mine = user.role === 'buyer' && user.buyerOrgId
        ? await VisitRegistration.find({ visit: { $in: visits.map((v) => v._id) }, buyerOrg: user.buyerOrgId }).lean<RegistrationLean[]>()
        : [];
      const mineOf = new Map(mine.map((r) => [String(r.visit), r]));
      return visits.map((v) => ({ visit: v, mine: mineOf.get(String(v._id)) }));
    },

    async create(user: CurrentUser, input: VisitInput): Promise<VisitLean> {
      if (!isStaff(user)) throw forbidden('只有主办方可以创建企业调研和现场考察。');
      const stops = await resolveStops(input.stops);
      const doc = await Visit.create({
        ...input,
        description: input.description ?? '',
        meetingPoint: input.meetingPoint ?? '',
        stops,
        ...span(input.date, stops),
        phase: 'draft',
        approved: 0,
        createdBy: actorOf(user),
        log: [{ action: 'create', to: 'draft', by: actorOf(user), at: clock() }],
      });
      return doc.toObject() as VisitLean;
    },

    async update(user: CurrentUser, id: string, input: VisitUpdate): Promise<VisitLean> {
      const visit = await staffVisit(user, id);
      if (visit.phase === 'finished' || visit.phase === 'cancelled') throw conflict(`活动${phaseNames[visit.phase]}，不能再修改。`);
      const set: Record<string, unknown> = Object.fromEntries(Object.entries(input).filter(([k, v]) => v !== undefined && k !== 'stops'));
      if (input.stops) {
        if (await VisitOutcome.exists({ visit: visit._id })) throw conflict('已登记考察结果，不能再修改行程站点。');
        set.stops = await resolveStops(input.stops);
      }
      if (input.capacity !== undefined && input.capacity < (visit.approved ?? 0)) {
        throw conflict(`已有 ${visit.approved} 家单位通过审核，名额不能少于 ${visit.approved}。`);
      }
      const date = input.date ?? visit.date;
      Object.assign(set, span(date, (set.stops as Array<{ start: number; end: number }> | undefined) ?? visit.stops));
      const updated = await Visit.findOneAndUpdate(
        { _id: visit._id, updatedAt: visit.updatedAt },
        { $set: set, $push: { log: { action: 'edit', by: actorOf(user), at: clock(), text: Object.keys(input).join('、') } } },
        { new: true },
      ).lean<VisitLean>();
      if (!updated) throw conflict('活动刚刚被他人修改，请刷新后再试。');
      return updated;
    },

    async transition(user: CurrentUser, id: string, to: VisitPhase): Promise<VisitLean> {
      const visit = await staffVisit(user, id);
      const from = visit.phase as VisitPhase;
      if (!transitions[from].includes(to)) throw conflict(`活动当前为“${phaseNames[from]}”，不能改为“${phaseNames[to]}”。`);
      const updated = await Visit.findOneAndUpdate(
        { _id: visit._id, phase: from },
        { $set: { phase: to }, $push: { log: { action: 'phase', from, to, by: actorOf(user), at: clock() } } },
        { new: true },
      ).lean<VisitLean>();
      if (!updated) throw conflict('活动阶段刚刚被他人改变，请刷新后再试。');
      return updated;
    },

    /**
     * A buyer registers its own organization while registration is open (pending until an organizer
     * approves); an organizer registers any organization in any phase before the end, approved at once
     * while there are places.
     */
    async register(user: CurrentUser, id: string, input: RegistrationInput): Promise<RegistrationLean> {
      if (user.role === 'vendor') throw forbidden('供应商作为接待企业参加，不能报名企业调研或现场考察。');
      if (!isStaff(user) && user.role !== 'buyer') throw forbidden();
      if (isStaff(user) && !input.buyer) throw badRequest('请填写采购单位（buyer）：主办方代为报名须指明是哪家单位。', [{ path: 'buyer', message: '请填写采购单位' }]);
      const visit = await visible(user, id);
      const phase = visit.phase as VisitPhase;
      if (isStaff(user)) {
        if (phase === 'finished' || phase === 'cancelled') throw conflict(`活动${phaseNames[phase]}，不能再报名。`);
      } else {
        if (phase !== 'registration') throw conflict(`活动当前为“${phaseNames[phase]}”，不在报名阶段。`);
        if (visit.registrationDeadline && clock() > visit.registrationDeadline) throw conflict('报名已截止。');
      }
      try {
        return await conn.transaction(async (session) => {
          const org = await deps.orgFor(user, input.buyer, session);
          const [created] = await VisitRegistration.create([{
            visit: visit._id, buyerOrg: org._id, name: org.name,
            demands: await checkDemands(org._id as Id, input.demands, session),
            people: input.people ?? 1, officials: input.officials ?? '',
            contactName: input.contactName, contactPhone: input.contactPhone,
            status: 'pending', registeredBy: actorOf(user),
          }], { session });
          const r = created.toObject() as RegistrationLean;
          if (isStaff(user)) await approve(visit, r, session);
          return (await VisitRegistration.findById(r._id).session(session).lean<RegistrationLean>())!;
        });
      } catch (err) {
        if (isDuplicateKey(err)) throw conflict('该单位已报名本次活动。');
        throw err;
      }
    },

    /** Organizers: every registration; a buyer: its own. */
    async registrations(user: CurrentUser, id: string): Promise<RegistrationLean[]> {
      const visit = await visible(user, id);
      const filter: Record<string, unknown> = { visit: visit._id };
      if (!isStaff(user)) {
        if (user.role !== 'buyer' || !user.buyerOrgId) return [];
        filter.buyerOrg = new Types.ObjectId(user.buyerOrgId);
      }
      return VisitRegistration.find(filter).sort({ createdAt: 1, _id: 1 }).lean<RegistrationLean[]>();
    },

    /** One registration, to organizers and to the registered buyer (someone else's is a 404). */
    async registration(user: CurrentUser, id: string, rid: string): Promise<{ visit: VisitLean; registration: RegistrationLean }> {
      const visit = await visible(user, id);
      const registration = await registrationOf(visit, rid);
      if (!isStaff(user) && !owns(user, registration)) throw notFound('未找到该报名。');
      return { visit, registration };
    },

    async review(user: CurrentUser, id: string, rid: string, input: ReviewInput): Promise<RegistrationLean> {
      const visit = await staffVisit(user, id);
      if (visit.phase === 'finished' || visit.phase === 'cancelled') throw conflict(`活动${phaseNames[visit.phase]}，不能再审核。`);
      const r = await registrationOf(visit, rid);
      if (r.status === 'withdrawn') throw conflict('该单位已退出。');
      if (input.decision === 'approve' && r.status === 'approved') return r;
      await conn.transaction(async (session) => {
        if (input.decision === 'approve') return approve(visit, r, session);
        if (await VisitOutcome.exists({ visit: visit._id, registration: r._id }).session(session)) {
          throw conflict('已为该单位登记了考察结果，不能改为不通过。');
        }
        const res = await VisitRegistration.updateOne({ _id: r._id, status: r.status }, { $set: { status: 'rejected', rejectReason: input.reason } }, { session });
        if (res.modifiedCount !== 1) throw conflict('该报名状态刚刚被他人改变，请刷新后再试。');
        if (r.status === 'approved') await Visit.updateOne({ _id: visit._id }, { $inc: { approved: -1 } }, { session });
      });
      const approvedNow = input.decision === 'approve';
      await deps.notify({
        kind: 'visit-registration',
        recipients: { buyerOrgId: String(r.buyerOrg) },
        title: `${kindNames[visit.kind]}“${visit.title}”报名${approvedNow ? '已通过' : '未通过'}`,
        body: approvedNow ? '请在行程单上查看各站点时间和您的签到码。' : `原因：${input.reason ?? ''}`,
        link: approvedNow ? `/visits/${String(visit._id)}/itinerary/${String(r._id)}` : `/visits/${String(visit._id)}`,
      });
      return (await VisitRegistration.findById(r._id).lean<RegistrationLean>())!;
    },

    /** Marks the holder of `code` as arrived; idempotent and atomic. A code of another visit, or none, is a 404. */
    async checkIn(user: CurrentUser, id: string, rawCode: string) {
      const visit = await staffVisit(user, id);
      const code = normalizeCode(rawCode);
      const missing = notFound('未找到该签到码：它不属于本次活动，或输入有误，请核对后再试。');
      if (!/^[A-Z2-7]{16}$/.test(code)) throw missing;
      const r = await VisitRegistration.findOne({ visit: visit._id, checkInCode: code }).lean<RegistrationLean>();
      if (!r || r.status !== 'approved') throw missing;
      if (!dayPhases.includes(visit.phase as VisitPhase)) throw conflict(`活动当前为“${phaseNames[visit.phase]}”，不能签到。`);
      const now = clock();
      const first = await VisitRegistration.findOneAndUpdate(
        { _id: r._id, checkIn: { $ne: 'arrived' } },
        { $set: { checkIn: 'arrived', checkInAt: now } },
        { new: true },
      ).lean<RegistrationLean>();
      const at = first?.checkInAt ?? (await VisitRegistration.findById(r._id, { checkInAt: 1 }).lean())?.checkInAt ?? now;
      return { participant: { id: String(r._id), name: r.name, kind: 'buyer' as const }, first: Boolean(first), firstScan: Boolean(first), checkInAt: at, ...(await counts(visit._id)) };
    },

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

    outcomeNames,
    openPhases,
  };
}

export type VisitService = ReturnType<typeof createVisitService>;

