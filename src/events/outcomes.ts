/**
 * Outcomes of the day's meetings (`app.eventMeetings.outcome`). A signing is one fact, kept once on the
 * (demand, vendor) follow-up with its amount; the meeting only says it was signed there, and the meeting
 * and the follow-up are written in one transaction.
 */
import { Types } from 'mongoose';
import { actorOf, isStaff, type CurrentUser } from '../accounts/index.js';
import { badRequest, conflict, forbidden, notFound } from '../web/errors.js';
import type { EventPhase, MeetingOutcome } from './model.js';
import { canRecordOutcome } from './phases.js';
import type { OutcomeInput } from './schemas.js';
import type { MeetingLean } from './service.js';
import { signingTakenMessage } from '../followups/index.js';
import type { EventDeps } from './deps.js';

export function createOutcomes({ models, conn, clock, followUps, events }: Pick<EventDeps, 'models' | 'conn' | 'clock' | 'followUps' | 'events'>) {
  const { EventMeeting, FollowUp } = models;

  /**
   * A meeting's outcome; held, intent and signed also move the follow-up of (the buyer's demand, the
   * vendor) to contacted, intent or signed — forward only, never back (a later outcome that is behind
   * the follow-up changes only the meeting). The meeting and the follow-up commit in one transaction.
   *
   * A signing is one fact, kept once, on the follow-up (amount included); the meeting only says it was
   * signed here. So a pair signed elsewhere cannot be signed again at the event (409 naming the existing
   * signing), a signing needs the demand it is about, and a signing made here is final.
   */
  async function outcome(user: CurrentUser, id: string, meetingId: string, input: OutcomeInput): Promise<MeetingLean> {
    if (!isStaff(user)) throw forbidden('只有主办方可以登记洽谈结果。');
    const event = await events().load(id);
    if (!canRecordOutcome(event.phase as EventPhase)) throw conflict('日程发布后才能登记洽谈结果。');
    if (!Types.ObjectId.isValid(meetingId)) throw notFound('未找到该洽谈。');
    const found = await EventMeeting.findOne({ _id: meetingId, event: event._id }).lean<MeetingLean>();
    if (!found) throw notFound('未找到该洽谈。');
    const buyer = await events().participant(event, String(found.buyer));
    const demands = (buyer.demands ?? []).map(String);
    let demand: string | undefined = input.demand ?? (found.demand ? String(found.demand) : undefined);
    if (demand && !demands.includes(demand) && String(found.demand ?? '') !== demand) {
      throw badRequest('所选需求不是该采购方报名时关联的需求。', [{ path: 'demand', message: '请从该采购方的需求中选择' }]);
    }
    if (!demand && demands.length === 1) demand = demands[0];
    const follows = input.outcome !== 'no_show';
    if (follows && !demand && demands.length > 1) {
      throw badRequest('该采购方关联了多条需求，请选择本次洽谈对应的需求。', [{ path: 'demand', message: '请选择需求' }]);
    }
    if (input.outcome === 'signed' && (!demand || !found.vendorId)) {
      throw badRequest('登记签约须对应采购方的一条需求：该采购方报名时没有关联需求，请先在其报名信息中关联需求。', [{ path: 'demand', message: '签约须对应一条需求' }]);
    }
    if (input.amountYuan !== undefined && input.outcome !== 'signed') {
      throw badRequest('只有签约时才能填写金额。', [{ path: 'amountYuan', message: '只有签约时才能填写金额' }]);
    }

    const updated = await conn.transaction(async (session) => {
      const m = await EventMeeting.findOne({ _id: found._id, event: event._id }).session(session).lean<MeetingLean>();
      if (!m) throw conflict('该洽谈刚刚被重新排期或取消，请刷新后再试。');
      const signedHere = m.outcome === 'signed';
      if (signedHere && input.outcome !== 'signed') {
        throw conflict('本次洽谈登记的签约已记入对接跟进；签约是最终结果，不能改为其他结果。');
      }
      if (signedHere && demand !== String(m.demand ?? '')) throw conflict('本次洽谈的签约已记在另一条需求上，不能改换需求。');
      if (follows && demand && m.vendorId) {
        const vendorId = String(m.vendorId);
        const current = await FollowUp.findOne({ demand, vendor: vendorId }).session(session).lean();
        const target = input.outcome === 'held' ? 'contacted' : input.outcome;
        if (input.outcome === 'signed') {
          if (current?.status === 'signed') {
            const signing = [...(current.steps ?? [])].reverse().find((st) => st.status === 'signed');
            if (!signedHere || String(signing?.meeting ?? '') !== String(m._id)) throw conflict(signingTakenMessage(current.amountYuan, signing, '本次洽谈请登记为“已洽谈”或“达成意向”。'));
            if (input.amountYuan !== undefined && input.amountYuan !== (current.amountYuan ?? undefined)) {
              throw conflict(`本次签约的金额已登记为 ${current.amountYuan ?? '（未填）'} 元；一次签约只有一个金额，不能再改。`);
            }
          } else if (current?.status === 'declined') {
            throw conflict('该对接已被标记为“不合适”；如确已签约，请先由主办方在对接跟进中重新打开，再登记签约。');
          } else {
            await followUps.advance(user, demand, vendorId, { to: 'signed', note: input.note ?? `对接会“${event.title}”洽谈`, amountYuan: input.amountYuan }, {
              source: 'event', session, meeting: { event: String(event._id), meeting: String(m._id) },
            });
          }
        } else {
          const rank: Record<string, number> = { contacted: 1, intent: 2, signed: 3 };
          // Forward only: an outcome behind the follow-up (or one already declined) changes only the meeting.
          if (!current || (current.status !== 'declined' && rank[target] > rank[current.status])) {
            await followUps.advance(user, demand, vendorId, { to: target as 'contacted' | 'intent', note: input.note ?? `对接会“${event.title}”洽谈` }, { source: 'event', session });
          }
        }
      }
      const set: Record<string, unknown> = { outcome: input.outcome as MeetingOutcome, outcomeBy: actorOf(user), outcomeAt: clock(), outcomeNote: input.note ?? null };
      if (demand) set.demand = new Types.ObjectId(demand);
      return EventMeeting.findOneAndUpdate({ _id: m._id, event: event._id }, { $set: set }, { new: true, session }).lean<MeetingLean>();
    });
    if (!updated) throw conflict('该洽谈刚刚被重新排期或取消，请刷新后再试。');
    return (await withSigningAmounts([updated]))[0];
  }

  /** Meetings with the amount of the signing made at each (read from the follow-up, where it is kept). */
  async function withSigningAmounts(meetings: MeetingLean[]): Promise<MeetingLean[]> {
    const signed = meetings.filter((m) => m.outcome === 'signed');
    if (!signed.length) return meetings;
    const amounts = await followUps.signingAmounts(signed.map((m) => m._id));
    return meetings.map((m) => (m.outcome === 'signed' ? { ...m, amountYuan: amounts.get(String(m._id)) } : m));
  }

  return { outcome, withSigningAmounts };
}

