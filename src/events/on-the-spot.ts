/**
 * On-the-spot meetings (现场约谈) on the day of a published event: a participant asks for an extra meeting
 * with one of the other side; organizers see the open requests with the cells where both are free
 * (free-cells.ts) and place one with one click — through the schedule's own `add`, so the unique indexes
 * of EventMeeting still refuse a double booking between two organizers placing at once — or decline it.
 */
import { Types } from 'mongoose';
import { actorOf, isStaff, type CurrentUser } from '../accounts/index.js';
import { badRequest, conflict, forbidden, notFound } from '../web/errors.js';
import type { EventDeps } from './deps.js';
import { freeCells, type FreeCell } from './free-cells.js';
import { createAgendaNotices } from './agenda-notices.js';
import { ownsParticipant, type EventLean, type ParticipantLean } from './service.js';
import type { MeetingRequestDoc } from './model.js';
import { chinaDateTime } from '../web/china-time.js';

export type MeetingRequestLean = MeetingRequestDoc & { _id: Types.ObjectId; createdAt: Date; updatedAt: Date };

const isDuplicateKey = (err: unknown) => (err as { code?: number }).code === 11000;

export function createMeetingRequests(deps: Pick<EventDeps, 'models' | 'clock' | 'config' | 'notify' | 'events' | 'meetings'>) {
  const { models, clock, events, meetings } = deps;
  const { EventMeeting, EventMeetingRequest, EventPreference } = models;
  const tellAboutAgenda = createAgendaNotices(deps);

  /** Requests are for the day: once the schedule is published, until the event is over. */
  function onTheDay(event: EventLean) {
    if (event.phase !== 'published') throw conflict('现场约谈仅在日程发布后、对接会结束前开放。');
  }

  async function request(id: string, requestId: string): Promise<{ event: EventLean; req: MeetingRequestLean }> {
    const event = await events().load(id);
    if (!Types.ObjectId.isValid(requestId)) throw notFound('未找到该约谈申请。');
    const req = await EventMeetingRequest.findOne({ _id: requestId, event: event._id }).lean<MeetingRequestLean>();
    if (!req) throw notFound('未找到该约谈申请。');
    return { event, req };
  }

  return {
    /** A participant (its company's user, or an organizer for it) asks to meet one of the other side. */
    async ask(user: CurrentUser, id: string, fromId: string, input: { to: string; note?: string }): Promise<MeetingRequestLean> {
      const event = await events().visible(user, id);
      const from = await events().participant(event, fromId);
      if (!isStaff(user) && !ownsParticipant(user, from)) throw notFound('未找到该参会方。');
      onTheDay(event);
      const to = await events().participant(event, input.to).catch(() => {
        throw badRequest('请选择要约谈的参会方。', [{ path: 'to', message: '未找到该参会方' }]);
      });
      if (to.kind === from.kind) throw badRequest('现场约谈应在采购方与供应商之间。', [{ path: 'to', message: '请选择另一方的参会方' }]);
      for (const p of [from, to]) if (p.status !== 'approved') throw conflict(`“${p.name}”不是已通过审核的参会方。`);
      const buyer = from.kind === 'buyer' ? from : to;
      const vendor = from.kind === 'vendor' ? from : to;
      if (await EventMeeting.exists({ event: event._id, buyer: buyer._id, vendor: vendor._id })) throw conflict(`“${buyer.name}”与“${vendor.name}”已有一场洽谈，请查看日程。`);
      if (await EventPreference.exists({ event: event._id, level: 'no', from: to._id, to: from._id })) throw conflict(`“${to.name}”已表示不与您洽谈。`);
      try {
        const [created] = await EventMeetingRequest.create([{ event: event._id, from: from._id, buyer: buyer._id, vendor: vendor._id, note: input.note, status: 'open' }]);
        return created.toObject() as MeetingRequestLean;
      } catch (err) {
        if (isDuplicateKey(err)) throw conflict('已有一条待安排的约谈申请，请等待主办方安排。');
        throw err;
      }
    },

    /**
     * For a participant's agenda page on the day: whom it may still ask (approved, the other side, no
     * meeting together, no open request) and its requests so far, newest first, with the other side's name.
     */
    async forAgenda(event: EventLean, me: ParticipantLean) {
      if (event.phase !== 'published') return null;
      const other = me.kind === 'buyer' ? 'vendor' : 'buyer';
      const [names, together, requests] = await Promise.all([
        events().names(event._id),
        EventMeeting.find({ event: event._id, [me.kind]: me._id }, { [other]: 1 }).lean(),
        EventMeetingRequest.find({ event: event._id, [me.kind]: me._id }).sort({ createdAt: -1 }).lean<MeetingRequestLean[]>(),
      ]);
      const busy = new Set([
        ...together.map((m) => String((m as Record<string, unknown>)[other])),
        ...requests.filter((r) => r.status === 'open').map((r) => String(r[other])),
      ]);
      const candidates = [...names.values()]
        .filter((p) => p.kind === other && p.status === 'approved' && !busy.has(String(p._id)))
        .sort((a, b) => a.name.localeCompare(b.name, 'zh-CN'));
      return {
        candidates: candidates.map((p) => ({ id: String(p._id), name: p.name })),
        requests: requests.map((r) => ({ request: r, counterpart: names.get(String(r[other]))?.name ?? '' })),
      };
    },

    /** Organizers: open requests, oldest first, each with the cells where both sides are free now. */
    async openWithCells(user: CurrentUser, id: string): Promise<{ event: EventLean; requests: Array<{ request: MeetingRequestLean; buyer?: ParticipantLean; vendor?: ParticipantLean; cells: FreeCell[] }> }> {
      if (!isStaff(user)) throw forbidden('只有主办方可以安排现场约谈。');
      const event = await events().load(id);
      const open = await EventMeetingRequest.find({ event: event._id, status: 'open' }).sort({ createdAt: 1 }).lean<MeetingRequestLean[]>();
      if (open.length === 0) return { event, requests: [] };
      const [names, saved] = await Promise.all([
        events().names(event._id),
        EventMeeting.find({ event: event._id }, { buyer: 1, vendor: 1, slot: 1, table: 1 }).lean(),
      ]);
      const plain = saved.map((m) => ({ buyer: String(m.buyer), vendor: String(m.vendor), slot: m.slot, table: m.table }));
      const now = clock();
      return {
        event,
        requests: open.map((request) => {
          const buyer = names.get(String(request.buyer));
          const vendor = names.get(String(request.vendor));
          const cells = buyer && vendor
            ? freeCells(event, { id: String(buyer._id), unavailableSlots: buyer.unavailableSlots }, { id: String(vendor._id), unavailableSlots: vendor.unavailableSlots, representatives: vendor.representatives }, plain, now)
            : [];
          return { request, buyer, vendor, cells };
        }),
      };
    },

    /** Places an open request in (slot, table); both sides are told. A clash made meanwhile is a 409. */
    async place(user: CurrentUser, id: string, requestId: string, cell: FreeCell) {
      if (!isStaff(user)) throw forbidden('只有主办方可以安排现场约谈。');
      const { event, req } = await request(id, requestId);
      onTheDay(event);
      if (req.status !== 'open') throw conflict('该约谈申请已处理。');
      const meeting = await meetings().add(user, id, { buyer: String(req.buyer), vendor: String(req.vendor), slot: cell.slot, table: cell.table });
      await EventMeetingRequest.updateOne({ _id: req._id, status: 'open' }, { $set: { status: 'placed', meeting: meeting._id, decidedBy: actorOf(user), decidedAt: clock() } });
      const names = await events().names(event._id);
      const pair = [names.get(String(req.buyer)), names.get(String(req.vendor))].filter((p): p is ParticipantLean => Boolean(p));
      const start = event.slots[cell.slot]?.start;
      await tellAboutAgenda(event, pair, {
        kind: 'event-agenda-change',
        title: `“${event.title}”现场约谈已安排`,
        body: `${pair.map((p) => p.name).join(' 与 ')}的现场约谈已安排在第 ${cell.slot + 1} 个时段${start ? `（${chinaDateTime(start)}）` : ''}、${cell.table} 号桌。`,
      });
      return meeting;
    },

    /** Declines an open request, with a reason the asker sees. */
    async decline(user: CurrentUser, id: string, requestId: string, reason: string): Promise<void> {
      if (!isStaff(user)) throw forbidden('只有主办方可以处理现场约谈。');
      const { req } = await request(id, requestId);
      const done = await EventMeetingRequest.updateOne({ _id: req._id, status: 'open' }, { $set: { status: 'declined', reason, decidedBy: actorOf(user), decidedAt: clock() } });
      if (done.modifiedCount === 0) throw conflict('该约谈申请已处理。');
    },
  };
}

export type MeetingRequestService = ReturnType<typeof createMeetingRequests>;
