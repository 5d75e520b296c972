/**
 * `app.followUps`: moves a match through its follow-up (contacted → intent → signed, or declined) for the
 * people allowed to (state.ts), records every step with who and when, and tells the other side.
 *
 * A move is one MongoDB transaction: read the current follow-up, check the move, write it with a
 * conditional update on the status and step count it was read with (or insert the first step, guarded by
 * the unique (demand, vendor) index), and queue the notification. Two moves made at once cannot both
 * apply to the same state: the loser gets a 409.
 */
import { Types, type ClientSession, type Connection, type Model } from 'mongoose';
import type { Models } from '../infra/models.js';
import type { CurrentUser } from '../accounts/index.js';
import type { MatchingService } from '../matching/index.js';
import type { Reason } from '../matching/index.js';
import { badRequest, conflict, forbidden, notFound } from '../web/errors.js';
import type { NotifyEventInput } from '../notifications/index.js';
import type { FollowUp } from './model.js';
import {
  actionLabels, chinaMonth, funnelCountKeys, funnelShare, isValidMove, partyOf, roleMayMove, stageOf, statusNames, targetStatus,
  type FollowUpStatus,
} from './state.js';
import { followUpView, type Actor, type FollowUpLean, type FollowUpView, type MoveInput } from './view.js';

export { followUpActionsFor, followUpPartial, followUpView, type Actor, type DemandRef, type FollowUpView, type MoveInput, type StepView } from './view.js';

const isObjectId = (id: string) => /^[0-9a-f]{24}$/i.test(id);

export interface FollowUpServiceOptions {
  conn: Connection;
  models: Models;
  FollowUp: Model<FollowUp>;
  clock: () => Date;
  matching: () => MatchingService | undefined;
  notify: (event: NotifyEventInput, options?: { session?: ClientSession }) => Promise<unknown>;
  log: { warn(obj: object, msg: string): void };
  /** Message counts of the pairs' conversations ("demandId:vendorId" → count), from src/threads. */
  messageCounts: (pairs: Array<{ demandId: string; vendorId: string }>) => Promise<Map<string, number>>;
}

export function createFollowUpService(options: FollowUpServiceOptions) {
  const { conn, models, FollowUp, clock } = options;
  const { Demand, Vendor } = models;

  async function load(demandId: string, vendorId: string, session?: ClientSession) {
    if (!isObjectId(demandId)) throw notFound('未找到该需求。');
    if (!isObjectId(vendorId)) throw notFound('未找到该企业。');
    const [demand, vendor] = await Promise.all([
      Demand.findById(demandId, { title: 1, buyerOrg: 1, status: 1 }).session(session ?? null).lean(),
      Vendor.findById(vendorId, { name: 1 }).session(session ?? null).lean(),
    ]);
    if (!demand) throw notFound('未找到该需求。');
    if (!vendor) throw notFound('未找到该企业。');
    return { demand, vendor };
  }

  /** The match as the engine sees it now, to keep with the first step (best effort). */
  async function snapshot(demandId: string, vendorId: string): Promise<{ score: number; reasons: Reason[] } | null> {
    const matching = options.matching();
    if (!matching) return null;
    try {
      const matches = await matching.matchDemandById(demandId, { limit: 100 });
      const hit = matches.find((m) => m.vendor.id === vendorId);
      return hit ? { score: hit.score, reasons: hit.reasons } : null;
    } catch (err) {
      options.log.warn({ err, demandId }, '跟进时未能取得匹配得分，记录不含得分');
      return null;
    }
  }

  /**
   * Moves (demand, vendor) one step. `opts.session` runs the move inside the caller's transaction (an
   * event outcome and its follow-up commit together); `opts.meeting` ties a signing to the event meeting
   * where it was made, so the event's figures count it and no other place does.
   */
  async function advance(
    user: CurrentUser, demandId: string, vendorId: string, input: MoveInput,
    opts: {
      source?: string; session?: ClientSession; meeting?: { event: string; meeting: string }; visit?: { visit: string; outcome: string };
      /** The caller tells the parties itself (a 婉拒 in the conversation sends its own notice): no second one. */
      silent?: boolean;
    } = {},
  ): Promise<FollowUpView> {
    const { demand, vendor } = await load(demandId, vendorId, opts.session);
    const party = partyOf(user, String(demand.buyerOrg), vendorId);
    // Someone else's demand or company does not exist for them.
    if (!party) throw user.role === 'vendor' ? notFound('未找到该企业。') : notFound('未找到该需求。');
    if (demand.status === 'draft') {
      if (party === 'vendor') throw notFound('未找到该需求。');
      throw conflict('需求尚未发布，不能跟进。');
    }
    if (party === 'vendor' && demand.status === 'closed') throw conflict('该需求已关闭，不能再跟进。');
    const existing = await FollowUp.exists({ demand: demand._id, vendor: vendor._id }).session(opts.session ?? null);
    // A vendor acts only on what it can read: an open demand, or one it already follows up. Anything else
    // does not exist for it (and must not notify the buyer).
    if (party === 'vendor' && demand.status !== 'open' && !existing) throw notFound('未找到该需求。');
    if (!roleMayMove(party, input.to)) throw forbidden(`您的角色不能将对接标记为“${actionLabels[input.to]}”。`);
    if ((input.to === 'declined' || input.to === 'reopen') && !input.reason?.trim()) {
      throw badRequest('请填写原因。', [{ path: 'reason', message: input.to === 'declined' ? '请填写不合适的原因' : '请填写重新打开的原因' }]);
    }
    if (input.amountYuan !== undefined && input.to !== 'signed') {
      throw badRequest('只有签约时才能填写金额。', [{ path: 'amountYuan', message: '只有签约时才能填写金额' }]);
    }

    const snap = existing ? null : await snapshot(demandId, vendorId);
    const status = targetStatus(input.to);
    const actor: Actor = { id: user.id, name: user.name, role: user.role };

    const move = async (session: ClientSession) => {
      const at = clock();
      const current = (await FollowUp.findOne({ demand: demand._id, vendor: vendor._id }).session(session).lean()) as FollowUpLean | null;
      const from = (current?.status as FollowUpStatus | undefined) ?? null;
      if (input.from && input.from !== (from ?? 'none')) {
        throw conflict(`对接状态已变为“${from ? statusNames[from] : '未跟进'}”，请刷新后再操作。`);
      }
      if (!isValidMove(from, input.to)) {
        throw conflict(from
          ? `对接当前为“${statusNames[from]}”，不能${input.to === 'reopen' ? '重新打开' : `改为“${statusNames[status]}”`}。`
          : '该对接尚未开始，不能重新打开。');
      }
      const step = {
        status, action: input.to, from, by: actor, at,
        ...(input.note ? { note: input.note } : {}),
        ...(input.reason ? { reason: input.reason } : {}),
        ...(input.amountYuan !== undefined ? { amountYuan: input.amountYuan } : {}),
        source: opts.source ?? 'platform',
        ...(opts.meeting && status === 'signed' ? { event: opts.meeting.event, meeting: opts.meeting.meeting } : {}),
        ...(opts.visit && status === 'signed' ? { visit: opts.visit.visit, visitOutcome: opts.visit.outcome } : {}),
      };
      // The furthest stage reached, kept with the steps it derives from (统计报表's funnel).
      const stage = stageOf([...(current?.steps ?? []).map((x) => x.status as string), status]);
      const set: Record<string, unknown> = { status, stage, updatedAt: at };
      const unset: Record<string, 1> = {};
      if (status === 'declined') set.declineReason = input.reason;
      else unset.declineReason = 1;
      if (status === 'signed' && input.amountYuan !== undefined) set.amountYuan = input.amountYuan;

      if (!current) {
        try {
          await FollowUp.create([{
            demand: demand._id, vendor: vendor._id, buyerOrg: demand.buyerOrg, ...set, steps: [step],
            ...(snap ? { score: snap.score, reasons: snap.reasons } : {}), createdAt: at,
          }], { session });
        } catch (err) {
          if ((err as { code?: number }).code === 11000) throw conflict('对接状态刚刚已被他人更新，请刷新后重试。');
          throw err;
        }
      } else {
        // Conditional on what was read: a move that landed in between makes this one match nothing.
        const res = await FollowUp.updateOne(
          { _id: current._id, status: from, steps: { $size: current.steps.length } },
          { $set: set, ...(Object.keys(unset).length ? { $unset: unset } : {}), $push: { steps: step } },
          { session },
        );
        if (res.matchedCount !== 1) throw conflict('对接状态刚刚已被他人更新，请刷新后重试。');
      }
      // 统计报表's funnel row of the demand, by the difference this step makes to the follow-up's share.
      const before = current ? funnelShare({ stage: stageOf(current.steps.map((x) => x.status as string)), status: from ?? '', amountYuan: current.amountYuan }) : funnelShare(null);
      const after = funnelShare({ stage, status, amountYuan: (set.amountYuan as number | undefined) ?? current?.amountYuan });
      const delta = Object.fromEntries(funnelCountKeys.map((k) => [k, after[k] - before[k]]));
      if (funnelCountKeys.some((k) => delta[k] !== 0)) {
        await models.FollowUpDemand.updateOne(
          { _id: demand._id },
          { $inc: delta, $setOnInsert: { buyerOrg: demand.buyerOrg } },
          { upsert: true, session },
        );
      }
      // 统计报表's steps per month, in the same transaction as the step (reopening is not a step forward).
      if (input.to !== 'reopen') {
        const month = chinaMonth(at);
        await models.FollowUpMonth.updateOne(
          { _id: `${month}:${status}` },
          { $inc: { n: 1, amountFen: input.amountYuan !== undefined ? Math.round(input.amountYuan * 100) : 0 }, $setOnInsert: { month, status } },
          { upsert: true, session },
        );
      }
      // A signing puts an open demand into 对接中 until the buyer or an organizer closes it as fulfilled.
      if (status === 'signed') {
        await Demand.updateOne(
          { _id: demand._id, status: 'open' },
          { $set: { status: 'in_progress' }, $push: { history: { action: 'start', from: 'open', to: 'in_progress', by: actor, at, reason: `与${vendor.name}签约` } } },
          { session },
        );
      }

      const link = `/demands/${String(demand._id)}`;
      if (opts.silent) {
        // Told by the caller.
      } else if (party === 'vendor') {
        if (status === 'contacted' || status === 'intent') {
          await options.notify({
            kind: 'followup.interest',
            recipients: { buyerOrgId: String(demand.buyerOrg) },
            title: `${vendor.name}对需求“${demand.title}”${status === 'intent' ? '表示有意向' : '已与贵单位联系'}`,
            body: input.note ? `留言：${input.note}` : `可在需求页面查看该供应商的匹配理由并继续跟进。`,
            link,
          }, { session });
        }
      } else {
        const who = party === 'buyer' ? '采购方' : '主办方';
        await options.notify({
          kind: 'followup.update',
          recipients: party === 'staff' ? { vendorId: String(vendor._id), buyerOrgId: String(demand.buyerOrg) } : { vendorId: String(vendor._id) },
          title: `需求“${demand.title}”的对接状态更新为“${statusNames[status]}”`,
          body: `${who}${user.name}将${vendor.name}的对接标记为“${statusNames[status]}”${input.reason ? `，原因：${input.reason}` : ''}${input.note ? `，备注：${input.note}` : ''}。`,
          link,
        }, { session });
      }
      return (await FollowUp.findOne({ demand: demand._id, vendor: vendor._id }).session(session).lean()) as FollowUpLean;
    };
    const saved = opts.session ? await move(opts.session) : await conn.transaction(move);
    return followUpView(saved);
  }

  /** Adds each pair's message count (the conversation kept with the follow-up record). */
  async function withCounts(views: FollowUpView[]): Promise<FollowUpView[]> {
    if (!views.length) return views;
    const map = await options.messageCounts(views.map((v) => ({ demandId: v.demandId, vendorId: v.vendorId })));
    return views.map((v) => ({ ...v, messageCount: map.get(`${v.demandId}:${v.vendorId}`) ?? 0 }));
  }

  async function withNames(list: FollowUpLean[]): Promise<FollowUpView[]> {
    const [demands, vendors] = await Promise.all([
      Demand.find({ _id: { $in: [...new Set(list.map((f) => String(f.demand)))] } }, { title: 1 }).lean(),
      Vendor.find({ _id: { $in: [...new Set(list.map((f) => String(f.vendor)))] } }, { name: 1 }).lean(),
    ]);
    const titles = new Map(demands.map((d) => [String(d._id), d.title]));
    const names = new Map(vendors.map((v) => [String(v._id), v.name]));
    return withCounts(list.map((f) => ({ ...followUpView(f), demandTitle: titles.get(String(f.demand)), vendorName: names.get(String(f.vendor)) })));
  }

  return {
    advance,

    /** Follow-ups per demand and status (demand id → status → count), for a buyer's workbench. */
    async countsByDemand(demandIds: Types.ObjectId[]): Promise<Map<string, Record<string, number>>> {
      const rows = demandIds.length
        ? await FollowUp.aggregate<{ _id: { demand: unknown; status: string }; n: number }>([
          { $match: { demand: { $in: demandIds } } },
          { $group: { _id: { demand: '$demand', status: '$status' }, n: { $sum: 1 } } },
        ])
        : [];
      const counts = new Map<string, Record<string, number>>();
      for (const r of rows) counts.set(String(r._id.demand), { ...counts.get(String(r._id.demand)), [r._id.status]: r.n });
      return counts;
    },

    /** The amount of each signing recorded on these visit outcomes (outcome id → amount; absent when none entered). */
    async visitSigningAmounts(outcomeIds: Types.ObjectId[]): Promise<Map<string, number | undefined>> {
      const list = await FollowUp.find({ 'steps.visitOutcome': { $in: outcomeIds }, status: 'signed' }, { amountYuan: 1, 'steps.visitOutcome': 1 }).lean();
      const amounts = new Map<string, number | undefined>();
      for (const f of list) for (const st of f.steps ?? []) if (st.visitOutcome) amounts.set(String(st.visitOutcome), f.amountYuan ?? undefined);
      return amounts;
    },

    /** The amount of each signing made at these event meetings (meeting id → amount; absent when none entered). */
    async signingAmounts(meetingIds: Types.ObjectId[]): Promise<Map<string, number | undefined>> {
      const list = await FollowUp.find({ 'steps.meeting': { $in: meetingIds }, status: 'signed' }, { amountYuan: 1, 'steps.meeting': 1 }).lean();
      const amounts = new Map<string, number | undefined>();
      for (const f of list) for (const st of f.steps ?? []) if (st.meeting) amounts.set(String(st.meeting), f.amountYuan ?? undefined);
      return amounts;
    },

    /** Follow-ups of one demand for the given vendors (no access check: the caller shows only what it may). */
    async get(demandId: string, vendorIds: string[]): Promise<Map<string, FollowUpView>> {
      const ids = vendorIds.filter(isObjectId);
      if (!isObjectId(demandId) || !ids.length) return new Map();
      const list = (await FollowUp.find({ demand: demandId, vendor: { $in: ids } }).lean()) as FollowUpLean[];
      return new Map((await withCounts(list.map(followUpView))).map((v) => [v.vendorId, v]));
    },

    /** One vendor's follow-ups, optionally for some demands only (the opportunity feed). */
    async forVendor(vendorId: string, demandIds?: string[]): Promise<Map<string, FollowUpView>> {
      if (!isObjectId(vendorId)) return new Map();
      const filter: Record<string, unknown> = { vendor: vendorId };
      if (demandIds) filter.demand = { $in: demandIds.filter(isObjectId) };
      const list = (await FollowUp.find(filter).lean()) as FollowUpLean[];
      return new Map((await withCounts(list.map(followUpView))).map((v) => [v.demandId, v]));
    },

    /** A demand's follow-ups as this user may see them: staff and the buyer all, a vendor its own. */
    async listForDemand(user: CurrentUser, demandId: string): Promise<FollowUpView[]> {
      if (!isObjectId(demandId)) throw notFound('未找到该需求。');
      const demand = await Demand.findById(demandId, { buyerOrg: 1, status: 1 }).lean();
      if (!demand) throw notFound('未找到该需求。');
      const filter: Record<string, unknown> = { demand: demand._id };
      if (user.role === 'buyer') {
        if (!user.buyerOrgId || user.buyerOrgId !== String(demand.buyerOrg)) throw notFound('未找到该需求。');
      } else if (user.role === 'vendor') {
        if (demand.status === 'draft') throw notFound('未找到该需求。');
        if (!user.vendorId) return [];
        filter.vendor = new Types.ObjectId(user.vendorId);
      } else if (user.role !== 'organizer' && user.role !== 'admin') {
        // Any other role (a read-only district leader) sees follow-ups only as report figures.
        throw notFound('未找到该需求。');
      }
      const list = (await FollowUp.find(filter).sort({ updatedAt: -1 }).lean()) as FollowUpLean[];
      return withNames(list);
    },

    /** Follow-ups across demands: staff see all (filter by vendor, demand, status); a vendor its own. */
    async listForVendor(user: CurrentUser, query: { vendor?: string; demand?: string; status?: FollowUpStatus; page?: number; pageSize?: number }) {
      const page = query.page ?? 1;
      const pageSize = query.pageSize ?? 50;
      let vendor = query.vendor;
      if (user.role === 'vendor') {
        if (vendor && vendor !== user.vendorId) throw notFound('未找到该企业。');
        if (!user.vendorId) return { total: 0, page, pageSize, followUps: [] as FollowUpView[] };
        vendor = user.vendorId;
      } else if (user.role !== 'admin' && user.role !== 'organizer') {
        throw forbidden();
      }
      const filter: Record<string, unknown> = {};
      if (vendor) filter.vendor = new Types.ObjectId(vendor);
      if (query.demand) filter.demand = new Types.ObjectId(query.demand);
      if (query.status) filter.status = query.status;
      const [total, list] = await Promise.all([
        FollowUp.countDocuments(filter),
        FollowUp.find(filter).sort({ updatedAt: -1, _id: -1 }).skip((page - 1) * pageSize).limit(pageSize).lean() as Promise<FollowUpLean[]>,
      ]);
      return { total, page, pageSize, followUps: await withNames(list) };
    },
  };
}

export type FollowUpService = ReturnType<typeof createFollowUpService>;
