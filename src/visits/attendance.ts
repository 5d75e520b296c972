/**
 * Who comes, beside check-in (service.ts): a buyer withdraws its registration before the visit (pending or
 * approved; an approved one frees its place, in the same transaction), and an organizer marks an approved
 * organization that did not come as no-show once the visit is over (or clears the mark). Both are refused
 * with a Chinese 409 when they no longer fit: the visit has begun or ended, the organization checked in, or
 * outcomes were recorded for it.
 */
import type { Connection } from 'mongoose';
import { isStaff, type CurrentUser } from '../accounts/index.js';
import type { Models } from '../infra/models.js';
import { conflict, forbidden, notFound } from '../web/errors.js';
import { hhmm } from './route.js';
import { phaseNames } from './schemas.js';
import type { RegistrationLean, VisitLean, VisitService } from './service.js';

export interface AttendanceDeps {
  conn: Connection;
  models: Models;
  clock: () => Date;
  visits: VisitService;
}

export type AttendanceState = 'no_show' | 'clear';

/** Whether the visit is over: finished by an organizer, or past the end of its last stop. */
export const visitOver = (visit: Pick<VisitLean, 'phase' | 'endsAt'>, now: Date): boolean => visit.phase === 'finished' || now >= visit.endsAt;
/** Whether a registration may still be withdrawn: before the first stop starts, while the visit is on. */
export const withdrawOpen = (visit: Pick<VisitLean, 'phase' | 'startsAt'>, now: Date): boolean =>
  ['draft', 'registration', 'confirmed'].includes(visit.phase) && now < visit.startsAt;

export function createAttendance({ conn, models, clock, visits }: AttendanceDeps) {
  const { Visit, VisitRegistration, VisitOutcome } = models;
  const reload = async (r: RegistrationLean) => (await VisitRegistration.findById(r._id).lean<RegistrationLean>())!;

  return {
    /** The registered buyer (or an organizer for it) withdraws before the visit; idempotent. */
    async withdraw(user: CurrentUser, id: string, rid: string): Promise<RegistrationLean> {
      if (!isStaff(user) && user.role !== 'buyer') throw forbidden();
      const visit = await visits.visible(user, id);
      const r = await visits.registrationOf(visit, rid);
      if (!isStaff(user) && !visits.owns(user, r)) throw notFound('未找到该报名。');
      if (r.status === 'withdrawn') return r;
      if (r.status === 'rejected') throw conflict('该报名未通过审核，无需退出。');
      if (!withdrawOpen(visit, clock())) {
        throw conflict(['finished', 'cancelled'].includes(visit.phase)
          ? `活动${phaseNames[visit.phase]}，不能再退出。`
          : `活动已于 ${visit.date} ${hhmm(visit.stops[0]?.start ?? 0)} 开始，不能再退出；未能到场的，由主办方在活动结束后标记为未到场。`);
      }
      if (r.checkIn === 'arrived') throw conflict('该单位已签到，不能再退出。');
      await conn.transaction(async (session) => {
        if (await VisitOutcome.exists({ visit: visit._id, registration: r._id }).session(session)) throw conflict('已为该单位登记了考察结果，不能再退出。');
        const res = await VisitRegistration.updateOne({ _id: r._id, status: r.status, checkIn: { $ne: 'arrived' } }, { $set: { status: 'withdrawn' } }, { session });
        if (res.modifiedCount !== 1) throw conflict('该报名状态刚刚被他人改变，请刷新后再试。');
        // The place it held is free again.
        if (r.status === 'approved') await Visit.updateOne({ _id: visit._id }, { $inc: { approved: -1 } }, { session });
      });
      return reload(r);
    },

    /** An organizer marks an approved organization as not come (no_show), or clears the mark, after the visit. */
    async mark(user: CurrentUser, id: string, rid: string, state: AttendanceState): Promise<RegistrationLean> {
      const visit = await visits.staffVisit(user, id);
      const r = await visits.registrationOf(visit, rid);
      if (r.status !== 'approved') throw conflict(`“${r.name}”不是审核通过的单位，无需标记到场情况。`);
      if (visit.phase === 'draft' || visit.phase === 'cancelled') throw conflict(`活动当前为“${phaseNames[visit.phase]}”，不能标记到场情况。`);
      if (!visitOver(visit, clock())) throw conflict(`活动结束后才能标记未到场：本次活动 ${visit.date} ${hhmm(visit.stops.at(-1)?.end ?? 0)} 结束。`);
      if (state === 'clear') {
        await VisitRegistration.updateOne({ _id: r._id, checkIn: 'no_show' }, { $set: { checkIn: null } });
        return reload(r);
      }
      if (r.checkIn === 'arrived') throw conflict(`“${r.name}”已签到到场，不能标记为未到场。`);
      if (await VisitOutcome.exists({ visit: visit._id, registration: r._id })) throw conflict(`已为“${r.name}”登记了考察结果，不能标记为未到场。`);
      const res = await VisitRegistration.updateOne({ _id: r._id, status: 'approved', checkIn: { $ne: 'arrived' } }, { $set: { checkIn: 'no_show' } });
      if (res.matchedCount !== 1) throw conflict('该单位刚刚签到或状态被他人改变，请刷新后再试。');
      return reload(r);
    },
  };
}

export type AttendanceService = ReturnType<typeof createAttendance>;
