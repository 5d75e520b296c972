/**
 * The schedule and the day (`app.eventMeetings`): generating and saving the schedule, the organizer's
 * manual moves, publishing, check-in, and the outcomes of the day (outcomes.ts).
 *
 * No double-booking, whoever writes: every write to an event's meetings runs in a transaction that also
 * bumps the event's `revision`, and the unique indexes of EventMeeting (table+slot, buyer+slot, vendor
 * seat+slot, pair) refuse a clash even between two writers that each checked first. A schedule run
 * computes outside the transaction from a snapshot at revision r and saves only if the event is still at
 * r, so a manual move made meanwhile is never overwritten: the run is refused and can simply be repeated.
 */
import { Types, type ClientSession } from 'mongoose';
import { actorOf, isStaff, type CurrentUser } from '../accounts/index.js';
import { badRequest, conflict, forbidden, notFound } from '../web/errors.js';
import type { EventPhase } from './model.js';
import { canCheckIn, canSchedule } from './phases.js';
import { createOutcomes } from './outcomes.js';
import { announcementDiff, newsSummary, type News, type PlainMeeting } from './announce.js';
import { createCheckIns } from './checkin.js';
import { schedule, type ScheduleChanges } from './scheduler/index.js';
import type { MeetingAdd, MeetingMove } from './schemas.js';
import { phaseNames } from './schemas.js';
import { createAgendaNotices } from './agenda-notices.js';
import { changesAgainstSaved, type RunResult } from './schedule-changes.js';
import type { EventDeps } from './deps.js';
import { ownsParticipant, type EventLean, type MeetingLean, type ParticipantLean, type PreferenceLean } from './service.js';

type Id = Types.ObjectId;

const isDuplicateKey = (err: unknown) => (err as { code?: number }).code === 11000;

/** Runs fn in a transaction; a unique-index clash (another writer got there first) becomes a 409. */
async function guarded<T>(conn: EventDeps['conn'], clash: string, fn: (session: ClientSession) => Promise<T>): Promise<T> {
  try {
    return await conn.transaction(fn);
  } catch (err) {
    if (isDuplicateKey(err)) throw conflict(clash);
    throw err;
  }
}

export function createMeetingService(deps: Pick<EventDeps, 'models' | 'conn' | 'clock' | 'config' | 'followUps' | 'notify' | 'events'>) {
  const { models, conn, clock, events } = deps;
  const { Event, EventParticipant, EventPreference, EventMeeting, Demand } = models;
  const outcomes = createOutcomes(deps);
  const checkIns = createCheckIns(deps);
  const tellAboutAgenda = createAgendaNotices(deps);
  const plainOf = (m: { buyer?: unknown; vendor?: unknown; slot?: number | null; table?: number | null }): PlainMeeting => ({ buyer: String(m.buyer), vendor: String(m.vendor), slot: m.slot ?? 0, table: m.table ?? 0 });
  const storedOf = (m: PlainMeeting) => ({ buyer: new Types.ObjectId(m.buyer), vendor: new Types.ObjectId(m.vendor), slot: m.slot, table: m.table });

  /** Bumps the revision inside the transaction; null when another write moved the event on meanwhile. */
  async function bump(event: EventLean, session: ClientSession, log: Record<string, unknown>, extra: Record<string, unknown> = {}, expectRevision = true) {
    return Event.findOneAndUpdate(
      expectRevision ? { _id: event._id, revision: event.revision } : { _id: event._id },
      { $inc: { revision: 1 }, $push: { log }, ...(Object.keys(extra).length ? { $set: extra } : {}) },
      { new: true, session },
    ).lean<EventLean>();
  }

  /** Lowest representative seat of the vendor free in the slot (ignoring one meeting being moved), or -1. */
  async function freeSeat(event: EventLean, vendor: ParticipantLean, slot: number, session: ClientSession, ignore?: Id): Promise<number> {
    const taken = await EventMeeting.find({ event: event._id, vendor: vendor._id, slot, ...(ignore ? { _id: { $ne: ignore } } : {}) }, { seat: 1 }).session(session).lean();
    const used = new Set(taken.map((m) => m.seat));
    for (let seat = 0; seat < (vendor.representatives ?? 1); seat++) if (!used.has(seat)) return seat;
    return -1;
  }

  /** Checks that (buyer, vendor) may meet in (slot, table); throws the Chinese reason when not. */
  async function checkPlacement(event: EventLean, buyer: ParticipantLean, vendor: ParticipantLean, slot: number, table: number, session: ClientSession, ignore?: Id): Promise<number> {
    if (slot >= event.slots.length) throw badRequest(`时段编号 ${slot} 不存在：本场共 ${event.slots.length} 个时段。`, [{ path: 'slot', message: '时段编号超出范围' }]);
    if (table > event.tables) throw badRequest(`桌号 ${table} 不存在：本场共 ${event.tables} 张洽谈桌。`, [{ path: 'table', message: '桌号超出范围' }]);
    for (const p of [buyer, vendor]) {
      if (p.status !== 'approved') throw conflict(`“${p.name}”的报名尚未通过或已退出，不能安排洽谈。`);
      if ((p.unavailableSlots ?? []).includes(slot)) throw conflict(`“${p.name}”在第 ${slot + 1} 个时段无法参加。`);
    }
    const veto = await EventPreference.findOne({ event: event._id, level: 'no', $or: [{ from: buyer._id, to: vendor._id }, { from: vendor._id, to: buyer._id }] }).session(session).lean();
    if (veto) throw conflict(`${String(veto.from) === String(buyer._id) ? buyer.name : vendor.name}已表示不与对方洽谈，不能安排。`);
    const notMe = ignore ? { _id: { $ne: ignore } } : {};
    if (await EventMeeting.exists({ event: event._id, slot, table, ...notMe }).session(session)) throw conflict(`第 ${slot + 1} 个时段的 ${table} 号桌已有洽谈。`);
    if (await EventMeeting.exists({ event: event._id, buyer: buyer._id, slot, ...notMe }).session(session)) throw conflict(`“${buyer.name}”在第 ${slot + 1} 个时段已有洽谈。`);
    const seat = await freeSeat(event, vendor, slot, session, ignore);
    if (seat < 0) throw conflict(`“${vendor.name}”在第 ${slot + 1} 个时段的 ${vendor.representatives ?? 1} 名代表都已有洽谈。`);
    return seat;
  }

  /** A saved meeting that has not happened yet (one with an outcome is history): refused with `missing` or `held`. */
  async function unheldMeeting(event: EventLean, meetingId: string, session: ClientSession, missing: string, held: string): Promise<MeetingLean> {
    const m = await EventMeeting.findOne({ _id: meetingId, event: event._id }).session(session).lean<MeetingLean>();
    if (!m) throw notFound(missing);
    if (m.outcome) throw conflict(held);
    return m;
  }

  function staffOnly(user: CurrentUser) {
    if (!isStaff(user)) throw forbidden('只有主办方可以安排洽谈。');
  }

  /** The event whose schedule an organizer changes (generate, move, add, cancel): not after it has finished. */
  async function schedulable(user: CurrentUser, id: string): Promise<EventLean> {
    staffOnly(user);
    const event = await events().load(id);
    if (!canSchedule(event.phase as EventPhase)) throw conflict('对接会已结束，日程不能再改动。');
    return event;
  }

  const meetingOut = (m: MeetingLean) => ({ buyer: String(m.buyer), vendor: String(m.vendor), slot: m.slot, table: m.table });

  return {
    /**
     * Generates the schedule from the approved participants and their wishes and saves it. Published and
     * hand-placed meetings stay where they are unless allowMoves; an event before scheduling moves to it.
     */
    async run(user: CurrentUser, id: string, options: { allowMoves?: boolean } = {}): Promise<RunResult> {
      const event = await schedulable(user, id);
      const [participants, wishes, existing] = await Promise.all([
        EventParticipant.find({ event: event._id, status: 'approved' }).lean<ParticipantLean[]>(),
        EventPreference.find({ event: event._id }).lean<PreferenceLean[]>(),
        EventMeeting.find({ event: event._id }).lean<MeetingLean[]>(),
      ]);
      const approved = new Set(participants.map((p) => String(p._id)));
      // A meeting with an outcome has happened: it is history, never moved or removed by a run.
      const happened = existing.filter((m) => m.outcome);
      if (options.allowMoves && happened.length > 0) {
        throw conflict(`已有 ${happened.length} 场洽谈登记了结果，不能再允许调整已发布的洽谈；请不勾选“允许调整”重新生成。`);
      }
      const happenedPairs = new Set(happened.map((m) => `${String(m.buyer)}|${String(m.vendor)}`));
      const held = existing.filter((m) => m.published || m.pinned);
      const result = schedule({
        slots: event.slots.length,
        tables: event.tables,
        participants: participants.map((p) => ({
          id: String(p._id),
          side: p.kind as 'buyer' | 'vendor',
          capacity: p.kind === 'vendor' ? p.representatives ?? 1 : 1,
          unavailable: (p.unavailableSlots ?? []).filter((s) => s < event.slots.length),
        })),
        wishes: wishes
          .filter((w) => approved.has(String(w.from)) && approved.has(String(w.to)))
          // A "no" set after a pair already met does not undo the meeting that happened.
          .filter((w) => !(w.level === 'no' && (happenedPairs.has(`${String(w.from)}|${String(w.to)}`) || happenedPairs.has(`${String(w.to)}|${String(w.from)}`))))
          .map((w) => ({ from: String(w.from), to: String(w.to), level: w.level as 'must' | 'want' | 'no' })),
        published: held.map(meetingOut),
        allowMoves: options.allowMoves ?? false,
      });
      const byId = new Map(participants.map((p) => [String(p._id), p]));
      const key = (m: { buyer: unknown; vendor: unknown; slot: number; table: number }) => `${String(m.buyer)}|${String(m.vendor)}|${m.slot}|${m.table}`;
      const wanted = new Set(result.meetings.map(key));
      const keep = existing.filter((m) => wanted.has(key(m)));
      const keptKeys = new Set(keep.map(key));
      const savedPairs = new Map(existing.map((m) => [`${String(m.buyer)}|${String(m.vendor)}`, m]));
      const drop = existing.filter((m) => !wanted.has(key(m)));
      const published = event.phase === 'published';
      // Seats: kept meetings keep theirs; new ones take the lowest free seat of the vendor in the slot.
      const seatsUsed = new Map<string, Set<number>>();
      for (const m of keep) {
        const k = `${String(m.vendor)}|${m.slot}`;
        if (!seatsUsed.has(k)) seatsUsed.set(k, new Set());
        seatsUsed.get(k)!.add(m.seat);
      }
      const now = clock();
      const fresh = result.meetings.filter((m) => !keptKeys.has(key(m))).map((m) => {
        const k = `${m.vendor}|${m.slot}`;
        if (!seatsUsed.has(k)) seatsUsed.set(k, new Set());
        const used = seatsUsed.get(k)!;
        let seat = 0;
        while (used.has(seat)) seat++;
        used.add(seat);
        const before = savedPairs.get(`${m.buyer}|${m.vendor}`);
        return {
          // A moved meeting keeps its id (and so its calendar UID): it is the same meeting at another time or table.
          ...(before ? { _id: before._id, createdAt: before.createdAt } : { createdAt: now }),
          event: event._id,
          buyer: new Types.ObjectId(m.buyer),
          vendor: new Types.ObjectId(m.vendor),
          vendorId: byId.get(m.vendor)?.vendor,
          buyerOrgId: byId.get(m.buyer)?.buyerOrg,
          slot: m.slot,
          table: m.table,
          seat,
          // A moved meeting stays what it was (hand-placed, published); a new one is published if the schedule is.
          pinned: before?.pinned ?? false,
          published: published || (before?.published ?? false),
          updatedAt: now,
        };
      });
      const changes = changesAgainstSaved(existing, result.meetings, result.changes);
      const summary = `保留 ${changes.kept.length} 场，新增 ${changes.added.length} 场，调整 ${changes.moved.length} 场，取消 ${changes.removed.length} 场`;
      await guarded(conn, '日程在生成期间被他人修改，请重新生成。', async (session) => {
        const lastRun = {
          at: now, by: actorOf(user), allowMoves: options.allowMoves ?? false, stats: result.stats, changes,
          unscheduled: result.unscheduled.map((u) => ({ buyer: new Types.ObjectId(u.buyer), vendor: new Types.ObjectId(u.vendor), reason: u.reason, weight: u.weight })),
        };
        const extra: Record<string, unknown> = { lastRun };
        // After publishing a run is told at once (notifyChanges): what participants know is the new schedule.
        if (published) Object.assign(extra, { announced: result.meetings.map((m) => storedOf(plainOf(m))), announcedAt: now });
        const from = event.phase as EventPhase;
        if (from === 'draft' || from === 'registration' || from === 'preferences') extra.phase = 'scheduling';
        const updated = await bump(event, session, { action: 'schedule', by: actorOf(user), at: now, from, to: (extra.phase as string | undefined) ?? from, text: summary }, extra);
        if (!updated) throw conflict('日程在生成期间被他人修改，请重新生成。');
        if (drop.length) await EventMeeting.deleteMany({ _id: { $in: drop.map((m) => m._id) } }, { session });
        if (fresh.length) await EventMeeting.insertMany(fresh, { session, ordered: true });
      });
      if (published) await notifyChanges(event, changes);
      return { meetings: result.meetings, unscheduled: result.unscheduled, changes, stats: result.stats };
    },

    /** The saved schedule with the last run's unscheduled pairs (docs/api.md shape). */
    async current(user: CurrentUser, id: string) {
      staffOnly(user);
      const event = await events().load(id);
      const meetings = await outcomes.withSigningAmounts(await EventMeeting.find({ event: event._id }).sort({ slot: 1, table: 1 }).lean<MeetingLean[]>());
      return { event, meetings };
    },

    async move(user: CurrentUser, id: string, meetingId: string, to: MeetingMove): Promise<MeetingLean> {
      const event = await schedulable(user, id);
      if (!Types.ObjectId.isValid(meetingId)) throw notFound('未找到该洽谈。');
      return guarded(conn, '该时段或洽谈桌刚刚被他人占用，请刷新后再试。', async (session) => {
        const m = await unheldMeeting(event, meetingId, session, '未找到该洽谈：它可能刚刚被重新排期或取消，请刷新后再试。', '该洽谈已登记结果，不能再调整。');
        const [buyer, vendor] = await Promise.all([events().participant(event, String(m.buyer)), events().participant(event, String(m.vendor))]);
        const seat = await checkPlacement(event, buyer, vendor, to.slot, to.table, session, m._id);
        const updated = await EventMeeting.findOneAndUpdate(
          { _id: m._id, slot: m.slot, table: m.table },
          { $set: { slot: to.slot, table: to.table, seat, pinned: true, published: event.phase === 'published' || m.published } },
          { new: true, session },
        ).lean<MeetingLean>();
        if (!updated) throw conflict('该洽谈刚刚被他人调整，请刷新后再试。');
        await bump(event, session, { action: 'move', by: actorOf(user), at: clock(), text: `${buyer.name} × ${vendor.name}：第 ${m.slot + 1} 时段 ${m.table} 号桌 → 第 ${to.slot + 1} 时段 ${to.table} 号桌` }, {}, false);
        return updated;
      });
    },

    async add(user: CurrentUser, id: string, input: MeetingAdd): Promise<MeetingLean> {
      const event = await schedulable(user, id);
      const [buyer, vendor] = await Promise.all([events().participant(event, input.buyer), events().participant(event, input.vendor)]);
      if (buyer.kind !== 'buyer' || vendor.kind !== 'vendor') throw badRequest('洽谈应在一家采购方与一家供应商之间。', [{ path: 'buyer', message: 'buyer 应为采购方，vendor 应为供应商' }]);
      return guarded(conn, '该时段、洽谈桌或这对参会方刚刚被他人安排，请刷新后再试。', async (session) => {
        if (await EventMeeting.exists({ event: event._id, buyer: buyer._id, vendor: vendor._id }).session(session)) {
          throw conflict(`“${buyer.name}”与“${vendor.name}”已有一场洽谈。`);
        }
        const seat = await checkPlacement(event, buyer, vendor, input.slot, input.table, session);
        const now = clock();
        const [created] = await EventMeeting.create([{
          event: event._id, buyer: buyer._id, vendor: vendor._id, vendorId: vendor.vendor, buyerOrgId: buyer.buyerOrg,
          slot: input.slot, table: input.table, seat, pinned: true, published: event.phase === 'published', createdAt: now, updatedAt: now,
        }], { session });
        await bump(event, session, { action: 'add', by: actorOf(user), at: now, text: `${buyer.name} × ${vendor.name}：第 ${input.slot + 1} 时段 ${input.table} 号桌` }, {}, false);
        return created.toObject() as MeetingLean;
      });
    },

    async cancel(user: CurrentUser, id: string, meetingId: string): Promise<void> {
      const event = await schedulable(user, id);
      if (!Types.ObjectId.isValid(meetingId)) throw notFound('未找到该洽谈。');
      await guarded(conn, '操作冲突，请刷新后再试。', async (session) => {
        const m = await unheldMeeting(event, meetingId, session, '未找到该洽谈。', '该洽谈已登记结果，不能取消。');
        await EventMeeting.deleteOne({ _id: m._id }, { session });
        const names = await events().names(event._id);
        await bump(event, session, { action: 'cancel', by: actorOf(user), at: clock(), text: `${names.get(String(m.buyer))?.name ?? ''} × ${names.get(String(m.vendor))?.name ?? ''}：第 ${m.slot + 1} 时段 ${m.table} 号桌` }, {}, false);
      });
    },

    /** scheduling → published: every meeting becomes visible to its participants, who are told. */
    async publish(user: CurrentUser, event: EventLean): Promise<EventLean> {
      staffOnly(user);
      if (event.phase !== 'scheduling') throw conflict(`对接会当前为“${phaseNames[event.phase]}”，请先生成日程再发布。`);
      const count = await EventMeeting.countDocuments({ event: event._id });
      if (count === 0) throw conflict('还没有任何洽谈安排，请先生成日程。');
      const now = clock();
      const updated = await guarded(conn, '操作冲突，请刷新后再试。', async (session) => {
        const e = await Event.findOneAndUpdate(
          { _id: event._id, phase: 'scheduling' },
          { $set: { phase: 'published', publishedAt: now }, $inc: { revision: 1 }, $push: { log: { action: 'phase', from: 'scheduling', to: 'published', by: actorOf(user), at: now, text: `发布 ${count} 场洽谈` } } },
          { new: true, session },
        ).lean<EventLean>();
        if (!e) throw conflict('对接会阶段刚刚被他人改变，请刷新后再试。');
        await EventMeeting.updateMany({ event: event._id }, { $set: { published: true } }, { session });
        // What participants are told now: the publish preview of later changes compares against it.
        const told = await EventMeeting.find({ event: event._id }, { buyer: 1, vendor: 1, slot: 1, table: 1 }).session(session).lean();
        await Event.updateOne({ _id: event._id }, { $set: { announced: told.map((m) => storedOf(plainOf(m))), announcedAt: now } }, { session });
        return e;
      });
      const participants = await EventParticipant.find({ event: event._id, status: 'approved' }).lean<ParticipantLean[]>();
      await tellAboutAgenda(event, participants, {
        kind: 'event-agenda', title: `“${event.title}”洽谈日程已发布`, body: '请查看您的洽谈安排，可下载日历文件。', dedupe: true,
      });
      return updated;
    },

    async checkIn(user: CurrentUser, id: string, participantId: string, state: 'arrived' | 'no_show' | 'clear'): Promise<ParticipantLean> {
      if (!isStaff(user)) throw forbidden('只有主办方可以签到登记。');
      const event = await events().load(id);
      if (!canCheckIn(event.phase as EventPhase)) throw conflict(`对接会当前为“${phaseNames[event.phase]}”，日程发布后才能签到。`);
      const p = await events().participant(event, participantId);
      if (p.status !== 'approved') throw conflict(`“${p.name}”不是已通过的参会方。`);
      const set = state === 'clear' ? { checkIn: null, checkInAt: null } : { checkIn: state, checkInAt: clock() };
      return (await EventParticipant.findOneAndUpdate({ _id: p._id }, { $set: set }, { new: true }).lean<ParticipantLean>())!;
    },

    checkIns,

    /**
     * Who will be told what when the schedule is published (or its later changes announced): per
     * participant the new, moved and cancelled meetings against the schedule it was last told.
     */
    async publishPreview(user: CurrentUser, id: string) {
      staffOnly(user);
      const event = await events().load(id);
      const meetings = await EventMeeting.find({ event: event._id }, { buyer: 1, vendor: 1, slot: 1, table: 1 }).lean();
      const diff = announcementDiff((event.announced ?? []).map(plainOf), meetings.map(plainOf));
      const names = await events().names(event._id);
      const participants = [...diff.entries()]
        .map(([pid, news]) => ({ participant: names.get(pid), news }))
        .filter((x): x is { participant: ParticipantLean; news: News } => Boolean(x.participant))
        .sort((a, b) => a.participant.kind.localeCompare(b.participant.kind) || a.participant.name.localeCompare(b.participant.name, 'zh-CN'));
      return { event, names, participants, meetings: meetings.length, firstPublication: !event.announced };
    },

    /**
     * After publishing: tells the participants whose meetings changed by hand since they were last told
     * (the preview's list), and records the schedule as told. `revision`, when given, must be the one the
     * preview was read at (else 409: the organizer looks again).
     */
    async announce(user: CurrentUser, id: string, revision?: number) {
      staffOnly(user);
      const event = await events().load(id);
      if (event.phase !== 'published') throw conflict(`对接会当前为“${phaseNames[event.phase]}”，请先发布日程。`);
      if (revision !== undefined && revision !== event.revision) throw conflict('日程在您查看预览后又有改动，请重新查看预览再确认。');
      const now = clock();
      const diff = await conn.transaction(async (session) => {
        const meetings = await EventMeeting.find({ event: event._id }, { buyer: 1, vendor: 1, slot: 1, table: 1 }).session(session).lean();
        const changed = announcementDiff((event.announced ?? []).map(plainOf), meetings.map(plainOf));
        const updated = await Event.updateOne(
          { _id: event._id, revision: event.revision },
          { $set: { announced: meetings.map((m) => storedOf(plainOf(m))), announcedAt: now }, $inc: { revision: 1 }, $push: { log: { action: 'announce', by: actorOf(user), at: now, text: `通知 ${changed.size} 家参会方日程变动` } } },
          { session },
        );
        if (updated.modifiedCount !== 1) throw conflict('日程刚刚被他人修改，请重新查看预览再确认。');
        return changed;
      });
      const list = await EventParticipant.find({ _id: { $in: [...diff.keys()].map((t) => new Types.ObjectId(t)) } }).lean<ParticipantLean[]>();
      for (const p of list) {
        await tellAboutAgenda(event, [p], { kind: 'event-agenda-change', title: `“${event.title}”洽谈安排有变动`, body: `${newsSummary(diff.get(String(p._id))!)}，请查看最新的洽谈日程。` });
      }
      return { told: list.length };
    },

    outcome: outcomes.outcome,
    withSigningAmounts: outcomes.withSigningAmounts,

    /** A participant's meetings: its own once published; organizers any time. */
    async agenda(user: CurrentUser, id: string, participantId: string) {
      const event = await events().visible(user, id);
      const p = await events().participant(event, participantId);
      if (!isStaff(user) && !ownsParticipant(user, p)) throw notFound('未找到该参会方。');
      const filter: Record<string, unknown> = { event: event._id, [p.kind]: p._id };
      if (!isStaff(user)) filter.published = true;
      const meetings = await EventMeeting.find(filter).sort({ slot: 1, table: 1 }).lean<MeetingLean[]>();
      const names = await events().names(event._id);
      // The demand a meeting is about: the one its outcome names, else the buyer's, when it brought exactly one.
      const demandOf = (m: MeetingLean) => {
        if (m.demand) return m.demand;
        const buyer = names.get(String(m.buyer));
        return buyer?.demands?.length === 1 ? buyer.demands[0] : undefined;
      };
      const demandIds = [...new Set(meetings.map(demandOf).filter(Boolean).map(String))];
      const titles = demandIds.length
        ? new Map((await Demand.find({ _id: { $in: demandIds.map((d) => new Types.ObjectId(d)) } }, { title: 1 }).lean()).map((d) => [String(d._id), d.title as string]))
        : new Map<string, string>();
      const checkInCode = await checkIns.codeOf(p);
      return {
        event,
        participant: p,
        checkInCode,
        published: event.phase === 'published' || event.phase === 'finished',
        meetings: meetings.map((m) => {
          const other = names.get(String(p.kind === 'buyer' ? m.vendor : m.buyer));
          const d = demandOf(m);
          return { meeting: m, slot: event.slots[m.slot], counterpart: other, demand: d && titles.has(String(d)) ? { id: String(d), title: titles.get(String(d))! } : undefined };
        }),
      };
    },
  };

  /** After a re-run of a published schedule, the participants whose meetings changed hear of it. */
  async function notifyChanges(event: EventLean, changes: ScheduleChanges) {
    const touched = new Set<string>();
    for (const m of [...changes.added, ...changes.removed.map((r) => r.meeting), ...changes.moved.flatMap((x) => [x.from, x.to])]) {
      touched.add(m.buyer);
      touched.add(m.vendor);
    }
    if (touched.size === 0) return;
    const list = await EventParticipant.find({ _id: { $in: [...touched].map((t) => new Types.ObjectId(t)) } }).lean<ParticipantLean[]>();
    await tellAboutAgenda(event, list, { kind: 'event-agenda-change', title: `“${event.title}”洽谈安排有变动`, body: '请查看最新的洽谈日程。' });
  }
}

export type MeetingService = ReturnType<typeof createMeetingService>;
