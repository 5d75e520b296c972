/**
 * 企业调研 / 现场考察 (`app.visits`): visits and their route, registrations with organizer approval and
 * capacity, check-in codes, outcomes per stop per buyer (moving the (demand, host vendor) follow-up through
 * the follow-ups capability, in one transaction) and suggestions from the matching engine.
 */
import { Types, type ClientSession, type Connection } from 'mongoose';
import type { FastifyBaseLogger } from 'fastify';
import { actorOf, isStaff, type CurrentUser } from '../accounts/index.js';
import type { BuyerInput, OrgDoc } from '../buyers/index.js';
import { holderOfCode, markArrived, newCheckInCode } from '../events/index.js';
import type { FollowUpService } from '../followups/index.js';
import type { MatchingService } from '../matching/index.js';
import type { NotifyEventInput } from '../notifications/index.js';
import type { Models } from '../infra/models.js';
import { ownOpenDemands } from '../demands/index.js';
import { badRequest, conflict, forbidden, notFound } from '../web/errors.js';
import { findOr404 } from '../web/lookup.js';
import type { VisitDoc, VisitOutcomeDoc, VisitPhase, VisitRegistrationDoc } from './model.js';
import { checkRoute, DEFAULT_TRAVEL_MINUTES, timeOrder } from './route.js';
import { createVisitOutcomes, dayPhases } from './outcomes.js';
import { createVisitSuggestions } from './suggestions.js';
export type { InviteeSuggestion, VisitSuggestion } from './suggestions.js';
import { kindNames, outcomeNames, phaseNames, type RegistrationInput, type ReviewInput, type StopInput, type VisitInput, type VisitUpdate } from './schemas.js';

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

/** The instant of `minutes` after midnight, China time, on `date` (YYYY-MM-DD). */
export const instantOf = (date: string, minutes: number): Date => new Date(Date.parse(`${date}T00:00:00+08:00`) + minutes * 60_000);
const isDuplicateKey = (err: unknown) => (err as { code?: number }).code === 11000;
const openPhases: VisitPhase[] = ['registration', 'confirmed', 'finished'];
const transitions: Record<VisitPhase, VisitPhase[]> = {
  draft: ['registration', 'cancelled'],
  registration: ['draft', 'confirmed', 'cancelled'],
  confirmed: ['registration', 'finished', 'cancelled'],
  finished: [],
  cancelled: [],
};

export function createVisitService(deps: VisitDeps) {
  const { models, clock, conn } = deps;
  const { Visit, VisitRegistration, VisitOutcome, Vendor, Demand } = models;
  const travel = deps.defaultTravelMinutes ?? DEFAULT_TRAVEL_MINUTES;

  const load = (id: string) => findOr404<VisitLean>(Visit, id, '未找到该调研考察活动。');

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

  const registrationOf = (visit: VisitLean, rid: string) => findOr404<RegistrationLean>(VisitRegistration, rid, '未找到该报名。', { visit: visit._id });

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
  const checkDemands = (buyerOrg: Id, demands: string[] | undefined, session?: ClientSession) => ownOpenDemands(Demand, buyerOrg, demands, session);

  const outcomes = createVisitOutcomes(deps, { load, staffVisit, registrationOf });
  const suggestions = createVisitSuggestions(deps, { visible, hosts });

  async function counts(visitId: Id) {
    const [arrived, expected] = await Promise.all([
      VisitRegistration.countDocuments({ visit: visitId, status: 'approved', checkIn: 'arrived' }),
      VisitRegistration.countDocuments({ visit: visitId, status: 'approved' }),
    ]);
    return { arrived, expected };
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
    ...outcomes,
    ...suggestions,

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
          const fields = {
            name: org.name,
            demands: await checkDemands(org._id as Id, input.demands, session),
            people: input.people ?? 1, officials: input.officials ?? '',
            contactName: input.contactName, contactPhone: input.contactPhone,
            status: 'pending', registeredBy: actorOf(user),
          };
          // An organization that withdrew may register again: its one registration record is reopened.
          const reopened = await VisitRegistration.findOneAndUpdate(
            { visit: visit._id, buyerOrg: org._id, status: 'withdrawn' },
            { $set: fields, $unset: { rejectReason: 1 } },
            { new: true, session },
          ).lean<RegistrationLean>();
          const r = reopened ?? ((await VisitRegistration.create([{ visit: visit._id, buyerOrg: org._id, ...fields }], { session }))[0].toObject() as RegistrationLean);
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
      const missing = notFound('未找到该签到码：它不属于本次活动，或输入有误，请核对后再试。');
      const r = await holderOfCode<RegistrationLean>(VisitRegistration, { visit: visit._id }, rawCode, missing);
      if (!dayPhases.includes(visit.phase as VisitPhase)) throw conflict(`活动当前为“${phaseNames[visit.phase]}”，不能签到。`);
      const { first, at } = await markArrived(VisitRegistration, r._id, clock());
      return { participant: { id: String(r._id), name: r.name, kind: 'buyer' as const }, first, firstScan: first, checkInAt: at, ...(await counts(visit._id)) };
    },

    outcomeNames,
    openPhases,
  };
}

export type VisitService = ReturnType<typeof createVisitService>;

