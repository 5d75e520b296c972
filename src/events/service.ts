/**
 * Matchmaking events: the event and its phases, registrations, wishes and suggestions (`app.events`).
 * The schedule, the meetings and the day itself live in meetings.ts; both share the lookups here.
 */
import { Types, type ClientSession } from 'mongoose';
import { actorOf, isStaff, type CurrentUser } from '../accounts/index.js';
import { ownOpenDemands } from '../demands/index.js';
import { AppError, badRequest, conflict, forbidden, notFound } from '../web/errors.js';
import { findOr404 } from '../web/lookup.js';
import type { EventDoc, EventPhase, MeetingDoc, ParticipantDoc, PreferenceDoc } from './model.js';
import { canTransition, selfPreferencesOpen, selfRegistrationOpen, staffMayEdit, visibleToParticipants } from './phases.js';
import type { EventInput, EventUpdate, ParticipantInput, ParticipantUpdate, PreferenceInput, ReviewInput } from './schemas.js';
import { phaseNames } from './schemas.js';
import { createSuggestions } from './suggestions.js';
import { newCheckInCode } from './checkin.js';
import type { EventDeps } from './deps.js';

export type { Suggestion } from './suggestions.js';

type Id = Types.ObjectId;
export type EventLean = EventDoc & { _id: Id; createdAt: Date; updatedAt: Date };
export type ParticipantLean = ParticipantDoc & { _id: Id; createdAt: Date; updatedAt: Date };
export type PreferenceLean = PreferenceDoc & { _id: Id };
/** A saved meeting; `amountYuan` is filled from the follow-up when the meeting is read for display. */
export type MeetingLean = MeetingDoc & { _id: Id; createdAt: Date; updatedAt: Date; amountYuan?: number };

const isDuplicateKey = (err: unknown) => (err as { code?: number }).code === 11000;

/** Whether the user acts for this participant's company or organization. */
export function ownsParticipant(user: CurrentUser, p: Pick<ParticipantDoc, 'kind' | 'vendor' | 'buyerOrg'>): boolean {
  if (p.kind === 'vendor') return user.role === 'vendor' && Boolean(user.vendorId) && String(p.vendor) === user.vendorId;
  return user.role === 'buyer' && Boolean(user.buyerOrgId) && String(p.buyerOrg) === user.buyerOrgId;
}


export function createEventService(deps: Pick<EventDeps, 'models' | 'conn' | 'clock' | 'buyers' | 'demands' | 'matching' | 'notify' | 'meetings'>) {
  const { Event, EventParticipant, EventPreference, EventMeeting, Vendor, Demand } = deps.models;
  const { clock } = deps;

  const load = (id: string) => findOr404<EventLean>(Event, id, '未找到该对接会。');

  /** The event as this user may see it: organizers any, others not drafts (a 404, not a hint). */
  async function visible(user: CurrentUser | null | undefined, id: string): Promise<EventLean> {
    const event = await load(id);
    if (!isStaff(user) && !visibleToParticipants(event.phase as EventPhase)) throw notFound('未找到该对接会。');
    return event;
  }

  async function staffEvent(user: CurrentUser, id: string): Promise<EventLean> {
    if (!isStaff(user)) throw forbidden('只有主办方可以管理对接会。');
    return load(id);
  }

  const participant = (event: EventLean, participantId: string) => findOr404<ParticipantLean>(EventParticipant, participantId, '未找到该参会方。', { event: event._id });

  /** The user's own company's participant records in these events, by event id (one query). */
  async function ownIn(user: CurrentUser, eventIds: Id[]): Promise<Map<string, ParticipantLean>> {
    const company = user.role === 'vendor' && user.vendorId ? { kind: 'vendor', vendor: user.vendorId }
      : user.role === 'buyer' && user.buyerOrgId ? { kind: 'buyer', buyerOrg: user.buyerOrgId } : null;
    if (!company || eventIds.length === 0) return new Map();
    const list = await EventParticipant.find({ event: { $in: eventIds }, ...company }).lean<ParticipantLean[]>();
    return new Map(list.map((p) => [String(p.event), p]));
  }

  /** The participant record of the user's own company in this event, if registered. */
  async function own(user: CurrentUser, eventId: Id): Promise<ParticipantLean | null> {
    return (await ownIn(user, [eventId])).get(String(eventId)) ?? null;
  }

  function checkSlots(event: Pick<EventDoc, 'slots'>, slots: number[] | undefined, path = 'unavailableSlots') {
    const bad = (slots ?? []).find((s) => s >= event.slots.length);
    if (bad !== undefined) throw badRequest(`时段编号 ${bad} 不存在：本场共 ${event.slots.length} 个时段（编号 0–${event.slots.length - 1}）。`, [{ path, message: '时段编号超出范围' }]);
  }

  /** A buyer's demands must be its own organization's and not closed. */
  const checkDemands = (buyerOrg: Id, demands: string[] | undefined, session?: ClientSession) => ownOpenDemands(Demand, buyerOrg, demands, session);

  /**
   * Writes that change what a schedule run reads (wishes, who takes part, availability, representatives)
   * run in one transaction with a bump of the event's revision, so a run computed before them is refused
   * when it saves instead of saving a stale schedule (meetings.ts).
   */
  function changingInputs<T>(event: EventLean, fn: (session: ClientSession) => Promise<T>): Promise<T> {
    return deps.conn.transaction(async (session) => {
      const result = await fn(session);
      await Event.updateOne({ _id: event._id }, { $inc: { revision: 1 } }, { session });
      return result;
    });
  }

  const suggestionsFor = createSuggestions(deps, { visible, participant });

  /**
   * A participant's change to its own registration or wishes, while wishes are collected (organizers
   * change any, any time): refused with `notOwn` for someone else's, with `closed` after the deadline.
   */
  async function ownWhileOpen(user: CurrentUser, id: string, participantId: string, notOwn: AppError, closed: string) {
    const event = await visible(user, id);
    const p = await participant(event, participantId);
    if (!isStaff(user)) {
      if (!ownsParticipant(user, p)) throw notOwn;
      if (!selfPreferencesOpen(event.phase as EventPhase, event, clock())) throw conflict(closed);
    }
    return { event, p };
  }

  /** Whether `user` may wish to meet `to` on behalf of `from` at this event; throws the refusal. */
  function checkWish(user: CurrentUser, event: EventLean, from: ParticipantLean, to: ParticipantLean) {
    const phase = event.phase as EventPhase;
    if (!isStaff(user)) {
      if (!ownsParticipant(user, from)) throw forbidden('只能为本单位设置洽谈意向。');
      if (!selfPreferencesOpen(phase, event, clock())) throw conflict('意向征集已截止；如需变更请联系主办方。');
      if (to.status !== 'approved') throw notFound('未找到该参会方。');
    } else if (!staffMayEdit(phase)) {
      throw conflict('对接会已结束。');
    }
    if (from.kind === to.kind) throw badRequest('意向只能在供应商与采购方之间设置。', [{ path: 'to', message: '应为另一方的参会者' }]);
    for (const p of [from, to]) {
      if (p.status === 'rejected' || p.status === 'withdrawn') throw conflict(`“${p.name}”${p.status === 'rejected' ? '报名未通过' : '已退出'}。`);
    }
  }

  /** Updates the event only if it is still as it was read (filter); a change meanwhile is a 409 with this message. */
  async function updateUnchanged(filter: Record<string, unknown>, update: Record<string, unknown>, changedMeanwhile: string): Promise<EventLean> {
    const updated = await Event.findOneAndUpdate(filter, update, { new: true }).lean<EventLean>();
    if (!updated) throw conflict(changedMeanwhile);
    return updated;
  }

  return {
    load,
    visible,
    staffEvent,
    participant,
    own,
    ownIn,

    /** The latest 200 events, newest first; drafts for organizers only. */
    async list(user: CurrentUser | null | undefined) {
      const filter: Record<string, unknown> = isStaff(user) ? {} : { phase: { $ne: 'draft' } };
      const events = await Event.find(filter, { log: 0, lastRun: 0 }).sort({ 'slots.0.start': -1, _id: -1 }).limit(200).lean<EventLean[]>();
      const counts = await EventParticipant.aggregate<{ _id: { event: Id; kind: string }; n: number }>([
        { $match: { event: { $in: events.map((e) => e._id) }, status: 'approved' } },
        { $group: { _id: { event: '$event', kind: '$kind' }, n: { $sum: 1 } } },
      ]);
      const count = (id: Id, kind: string) => counts.find((c) => String(c._id.event) === String(id) && c._id.kind === kind)?.n ?? 0;
      return events.map((e) => ({ event: e, vendors: count(e._id, 'vendor'), buyers: count(e._id, 'buyer') }));
    },

    async create(user: CurrentUser, input: EventInput): Promise<EventLean> {
      if (!isStaff(user)) throw forbidden('只有主办方可以创建对接会。');
      const now = clock();
      const doc = await Event.create({
        ...input,
        theme: input.theme ?? '',
        venue: input.venue ?? '',
        description: input.description ?? '',
        phase: 'draft',
        createdBy: actorOf(user),
        log: [{ action: 'create', to: 'draft', by: actorOf(user), at: now }],
      });
      return doc.toObject() as EventLean;
    },

    async update(user: CurrentUser, id: string, input: EventUpdate): Promise<EventLean> {
      const event = await staffEvent(user, id);
      if (event.phase === 'finished') throw conflict('对接会已结束，不能再修改。');
      const gridChanges = input.slots !== undefined || input.tables !== undefined;
      if (gridChanges && (await EventMeeting.exists({ event: event._id }))) {
        throw conflict('已有洽谈安排，不能再修改时段和洽谈桌；如确需调整，请先取消全部洽谈。');
      }
      if (input.slots) {
        const limit = input.slots.length;
        const beyond = await EventParticipant.exists({ event: event._id, unavailableSlots: { $gte: limit } });
        if (beyond) throw conflict(`有参会方标记了第 ${limit + 1} 个及以后的时段为不可参加，不能把时段减少到 ${limit} 个。`);
      }
      const set = Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined));
      return updateUnchanged(
        { _id: event._id, revision: event.revision },
        { $set: set, $inc: { revision: 1 }, $push: { log: { action: 'edit', by: actorOf(user), at: clock(), text: Object.keys(set).join('、') } } },
        '对接会刚刚被他人修改，请刷新后再试。',
      );
    },

    async transition(user: CurrentUser, id: string, to: EventPhase): Promise<EventLean> {
      const event = await staffEvent(user, id);
      const from = event.phase as EventPhase;
      if (!canTransition(from, to)) {
        throw conflict(`对接会当前为“${phaseNames[from]}”，不能直接改为“${phaseNames[to]}”。`);
      }
      if (to === 'published') return deps.meetings().publish(user, event);
      return updateUnchanged(
        { _id: event._id, phase: from },
        { $set: { phase: to }, $push: { log: { action: 'phase', from, to, by: actorOf(user), at: clock() } } },
        '对接会阶段刚刚被他人改变，请刷新后再试。',
      );
    },

    /**
     * Registers a vendor from the approved supplier list or a buyer organization. Organizers register
     * anyone (approved at once); a vendor or buyer user registers its own company while registration is
     * open, and waits for approval.
     */
    async register(user: CurrentUser, id: string, input: ParticipantInput): Promise<ParticipantLean> {
      const event = await visible(user, id);
      const phase = event.phase as EventPhase;
      if (isStaff(user)) {
        if (!staffMayEdit(phase)) throw conflict('对接会已结束，不能再报名。');
      } else if (!selfRegistrationOpen(phase, event, clock())) {
        throw conflict(phase === 'registration' ? '报名已截止。' : `对接会当前为“${phaseNames[phase]}”，不在报名阶段。`);
      }
      checkSlots(event, input.unavailableSlots);
      const base = {
        event: event._id,
        unavailableSlots: input.unavailableSlots ?? [],
        contactName: input.contactName,
        contactPhone: input.contactPhone,
        status: isStaff(user) ? 'approved' : 'pending',
        // Approved at once: the check-in code comes with the approval (checkin.ts).
        ...(isStaff(user) ? { checkInCode: newCheckInCode() } : {}),
        registeredBy: actorOf(user),
      };
      let doc: Record<string, unknown>;
      if (input.kind === 'vendor') {
        if (input.buyer || input.demands) throw badRequest('供应商报名不填写采购单位和需求。', [{ path: 'buyer', message: '供应商报名不填此项' }]);
        let vendor;
        if (user.role === 'vendor') {
          vendor = user.vendorId ? await Vendor.findById(user.vendorId).lean() : null;
          if (!vendor) throw forbidden('您的账号尚未关联企业，请联系主办方。');
          if (input.vendorCreditCode && input.vendorCreditCode !== vendor.creditCode) throw forbidden('供应商账号只能为本企业报名。');
        } else if (isStaff(user)) {
          if (!input.vendorCreditCode) throw badRequest('请填写供应商的统一社会信用代码（vendorCreditCode）。', [{ path: 'vendorCreditCode', message: '请填写统一社会信用代码' }]);
          vendor = await Vendor.findOne({ creditCode: input.vendorCreditCode.toUpperCase() }).lean();
          if (!vendor) throw badRequest('推介清单中没有这个统一社会信用代码的企业。', [{ path: 'vendorCreditCode', message: '未找到该企业' }]);
        } else {
          throw forbidden('采购方账号不能以供应商身份报名。');
        }
        if (vendor.status !== 'approved') throw conflict(`“${vendor.name}”尚未通过审核入选推介清单，暂不能报名对接会。`);
        doc = { ...base, kind: 'vendor', vendor: vendor._id, name: vendor.name, representatives: input.representatives ?? 1 };
      } else {
        if (input.vendorCreditCode) throw badRequest('采购方报名不填写统一社会信用代码。', [{ path: 'vendorCreditCode', message: '采购方报名不填此项' }]);
        if (input.representatives !== undefined && input.representatives !== 1) {
          throw badRequest('采购方每个时段参加一场洽谈，参会代表人数只对供应商有效。', [{ path: 'representatives', message: '采购方不填此项' }]);
        }
        if (user.role === 'vendor') throw forbidden('供应商账号不能以采购方身份报名。');
        doc = { ...base, kind: 'buyer', representatives: 1 };
      }
      try {
        // One transaction: a buyer organization created here is not left behind when the registration is refused.
        return await changingInputs(event, async (session) => {
          if (doc.kind === 'buyer') {
            const org = await deps.demands.orgFor(user, input.buyer, session);
            Object.assign(doc, { buyerOrg: org._id, name: org.name, demands: await checkDemands(org._id, input.demands, session) });
          }
          const [created] = await EventParticipant.create([doc], { session });
          return created.toObject() as ParticipantLean;
        });
      } catch (err) {
        if (isDuplicateKey(err)) throw conflict(`“${String(doc.name)}”已报名本场对接会。`);
        throw err;
      }
    },

    async updateParticipant(user: CurrentUser, id: string, participantId: string, input: ParticipantUpdate): Promise<ParticipantLean> {
      const { event, p } = await ownWhileOpen(user, id, participantId, notFound('未找到该参会方。'), '报名信息已锁定；如需变更请联系主办方。');
      if (!staffMayEdit(event.phase as EventPhase)) throw conflict('对接会已结束，不能再修改。');
      checkSlots(event, input.unavailableSlots);
      const set: Record<string, unknown> = {};
      if (input.unavailableSlots) set.unavailableSlots = input.unavailableSlots;
      if (input.contactName !== undefined) set.contactName = input.contactName;
      if (input.contactPhone !== undefined) set.contactPhone = input.contactPhone;
      if (input.representatives !== undefined) {
        if (p.kind !== 'vendor') throw badRequest('参会代表人数只对供应商有效。', [{ path: 'representatives', message: '采购方不填此项' }]);
        set.representatives = input.representatives;
      }
      if (input.demands) {
        if (p.kind !== 'buyer') throw badRequest('只有采购方关联需求。', [{ path: 'demands', message: '供应商不填此项' }]);
        set.demands = await checkDemands(p.buyerOrg as Id, input.demands);
      }
      return changingInputs(event, async (session) => {
        // Saved meetings must still fit: fewer representatives or a newly unavailable slot are refused while they clash.
        if (set.unavailableSlots || set.representatives) {
          const meetings = await EventMeeting.find({ event: event._id, [p.kind]: p._id }, { slot: 1, seat: 1 }).session(session).lean();
          const unavailable = new Set((set.unavailableSlots as number[] | undefined) ?? []);
          const clash = meetings.find((m) => unavailable.has(m.slot));
          if (clash) throw conflict(`第 ${clash.slot + 1} 个时段已有洽谈安排，请先调整该洽谈再标记为不可参加。`);
          const reps = set.representatives as number | undefined;
          const over = reps !== undefined ? meetings.find((m) => m.seat >= reps) : undefined;
          if (over) throw conflict(`第 ${over.slot + 1} 个时段已安排了多于 ${reps} 场同时进行的洽谈，请先调整日程。`);
        }
        const updated = await EventParticipant.findOneAndUpdate({ _id: p._id }, { $set: set }, { new: true, session }).lean<ParticipantLean>();
        return updated!;
      });
      },

    async review(user: CurrentUser, id: string, participantId: string, input: ReviewInput): Promise<ParticipantLean> {
      const event = await staffEvent(user, id);
      if (!staffMayEdit(event.phase as EventPhase)) throw conflict('对接会已结束。');
      const p = await participant(event, participantId);
      if (p.status === 'withdrawn') throw conflict('该参会方已退出。');
      const set = input.decision === 'approve'
        ? { status: 'approved', rejectReason: null, ...(p.checkInCode ? {} : { checkInCode: newCheckInCode() }) }
        : { status: 'rejected', rejectReason: input.reason };
      const updated = await changingInputs(event, async (session) => {
        if (input.decision === 'reject' && (await EventMeeting.exists({ event: event._id, [p.kind]: p._id }).session(session))) {
          throw conflict('该参会方已有洽谈安排，请先取消其洽谈。');
        }
        return EventParticipant.findOneAndUpdate({ _id: p._id, status: p.status }, { $set: set }, { new: true, session }).lean<ParticipantLean>();
      });
      if (!updated) throw conflict('该参会方状态刚刚被他人改变，请刷新后再试。');
      const recipients = p.kind === 'vendor' ? { vendorId: String(p.vendor) } : { buyerOrgId: String(p.buyerOrg) };
      await deps.notify({
        kind: 'event-registration',
        recipients,
        title: input.decision === 'approve' ? `“${event.title}”报名已通过` : `“${event.title}”报名未通过`,
        body: input.decision === 'approve' ? '请在截止前标记您希望洽谈的对象。' : `原因：${input.reason ?? ''}`,
        link: `/events/${String(event._id)}`,
      });
      return updated;
    },

    async withdraw(user: CurrentUser, id: string, participantId: string): Promise<ParticipantLean> {
      const event = await visible(user, id);
      const p = await participant(event, participantId);
      if (!isStaff(user) && !ownsParticipant(user, p)) throw notFound('未找到该参会方。');
      if (!staffMayEdit(event.phase as EventPhase)) throw conflict('对接会已结束。');
      return changingInputs(event, async (session) => {
        if (await EventMeeting.exists({ event: event._id, [p.kind]: p._id }).session(session)) {
          throw conflict(isStaff(user) ? '该参会方已有洽谈安排，请先取消其洽谈。' : '已有洽谈安排，退出请联系主办方。');
        }
        return (await EventParticipant.findOneAndUpdate({ _id: p._id }, { $set: { status: 'withdrawn' } }, { new: true, session }).lean<ParticipantLean>())!;
      });
    },

    /** Participants of the event as this user may list them: organizers all; a participant the approved ones (to choose from) and itself. */
    async participants(user: CurrentUser | null | undefined, id: string): Promise<{ event: EventLean; participants: ParticipantLean[]; mine: ParticipantLean | null }> {
      const event = await visible(user, id);
      const mine = user ? await own(user, event._id) : null;
      const filter = isStaff(user) ? { event: event._id } : { event: event._id, $or: [{ status: 'approved' }, ...(mine ? [{ _id: mine._id }] : [])] };
      const participants = await EventParticipant.find(filter).sort({ kind: 1, name: 1 }).lean<ParticipantLean[]>();
      return { event, participants, mine };
    },

    /** Sets (or replaces) a wish; "no" is a veto. A participant sets its own; organizers any. */
    async setPreference(user: CurrentUser, id: string, input: PreferenceInput): Promise<PreferenceLean> {
      const event = await visible(user, id);
      const [from, to] = await Promise.all([participant(event, input.from), participant(event, input.to)]);
      checkWish(user, event, from, to);
      return changingInputs(event, async (session) => (await EventPreference.findOneAndUpdate(
        { event: event._id, from: from._id, to: to._id },
        { $set: { level: input.level, source: input.source ?? 'manual', setBy: actorOf(user) } },
        { upsert: true, new: true, session },
      ).lean<PreferenceLean>())!);
    },

    /**
     * Saves a participant's whole wish list at once (the list form): every row is checked first, then all
     * are written in one transaction, so a refused row leaves every wish as it was. A refusal names its
     * row: the error's detail has the counterpart's id as its path.
     */
    async saveWishList(user: CurrentUser, id: string, fromId: string, changes: { set: Array<{ to: string; level: PreferenceInput['level'] }>; clear: string[] }): Promise<void> {
      const { event, p: from } = await ownWhileOpen(user, id, fromId, forbidden('只能为本单位设置洽谈意向。'), '意向征集已截止；如需变更请联系主办方。');
      // The counterparts in one read; a refusal names its row (the counterpart's id as the detail's path).
      const ids = [...changes.set.map((c) => c.to), ...changes.clear].filter((to) => Types.ObjectId.isValid(to));
      const found = new Map((await EventParticipant.find({ event: event._id, _id: { $in: ids } }).lean<ParticipantLean[]>()).map((p) => [String(p._id), p]));
      const onRow = <T>(to: string, check: (counterpart: ParticipantLean) => T): T => {
        try {
          const counterpart = found.get(to);
          if (!counterpart) throw notFound('未找到该参会方。');
          return check(counterpart);
        } catch (err) {
          if (!(err instanceof AppError)) throw err;
          throw new AppError(err.statusCode, err.code, err.message, [{ path: to, message: err.message }]);
        }
      };
      const sets = changes.set.map((c) => onRow(c.to, (to) => {
        checkWish(user, event, from, to);
        return { to, level: c.level };
      }));
      const clears = changes.clear.map((to) => onRow(to, (p) => p._id));
      if (!sets.length && !clears.length) return;
      await changingInputs(event, async (session) => {
        if (sets.length) {
          await EventPreference.bulkWrite(sets.map(({ to, level }) => ({
            updateOne: {
              filter: { event: event._id, from: from._id, to: to._id },
              update: { $set: { level, source: 'manual', setBy: actorOf(user) } },
              upsert: true,
            },
          })), { session, ordered: true });
        }
        if (clears.length) await EventPreference.deleteMany({ event: event._id, from: from._id, to: { $in: clears } }, { session });
      });
    },

    async clearPreference(user: CurrentUser, id: string, from: string, to: string): Promise<void> {
      const { event, p } = await ownWhileOpen(user, id, from, forbidden('只能为本单位设置洽谈意向。'), '意向征集已截止；如需变更请联系主办方。');
      if (!Types.ObjectId.isValid(to)) throw notFound('未找到该参会方。');
      await changingInputs(event, (session) => EventPreference.deleteOne({ event: event._id, from: p._id, to: new Types.ObjectId(to) }, { session }));
    },

    /** Wishes of the event: organizers all; a participant the ones it set and those set about it that are not vetoes (a veto is private). */
    async preferences(user: CurrentUser, event: EventLean, mine: ParticipantLean | null): Promise<PreferenceLean[]> {
      if (isStaff(user)) return EventPreference.find({ event: event._id }).lean<PreferenceLean[]>();
      if (!mine) return [];
      return EventPreference.find({
        event: event._id,
        $or: [{ from: mine._id }, { to: mine._id, level: { $ne: 'no' } }],
      }).lean<PreferenceLean[]>();
    },

    /** Pairs the matching engine suggests for a participant, with the reasons (suggestions.ts). */
    suggestions: (user: CurrentUser, id: string, participantId: string, limit?: number) => suggestionsFor(user, id, participantId, limit),

    /** Names of the participants by id, for meetings and wishes. */
    async names(eventId: Id): Promise<Map<string, ParticipantLean>> {
      const list = await EventParticipant.find({ event: eventId }).lean<ParticipantLean[]>();
      return new Map(list.map((p) => [String(p._id), p]));
    },

    async buyerOrgs(ids: unknown[]) {
      return deps.buyers.byIds(ids);
    },
  };
}

export type EventService = ReturnType<typeof createEventService>;
