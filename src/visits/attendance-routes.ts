/**
 * Withdrawing and no-show (attendance.ts) through the API and the pages: a buyer withdraws its
 * registration before the visit (/api/v1/visits/:id/registrations/:rid/withdraw, and the button on
 * /visits/:id); an organizer marks an approved organization as not come after the visit, or clears the
 * mark (…/attendance, and the buttons on /organizer/visits/:id). Both are audited.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { STAFF_ROLES, requireUser } from '../accounts/index.js';
import { badRequest } from '../web/errors.js';
import { formErrors, pageForm, readForm } from '../web/forms.js';
import { createAttendance } from './attendance.js';
import { RegistrationParams } from './forms.js';
import { RegistrationOut, registrationJson } from './routes.js';
import { apiRoute } from '../web/api-route.js';

const route = apiRoute('企业调研与现场考察');

export const AttendanceInput = z.object({
  state: z.enum(['no_show', 'clear'], { error: '到场情况应为 no_show（未到场）或 clear（撤销未到场标记）' }),
}).strict();
const AttendanceForm = pageForm({ text: ['state'] as const }, (v) => ({ state: v.state }), AttendanceInput);

const attendanceRoutes: FastifyPluginAsyncZod = async (app) => {
  const attendance = createAttendance({ conn: app.conn, models: app.models, clock: app.clock, visits: app.visits });

  app.post('/api/v1/visits/:id/registrations/:rid/withdraw', route(['buyer', ...STAFF_ROLES], {
    summary: '退出调研考察（活动开始前；名额随即释放）', params: RegistrationParams, body: z.object({}).strict().nullish(),
    description: '采购方为本单位（主办方可代为）退出待审核或已通过的报名，状态变为 withdrawn（已退出）；已通过的报名所占名额随即释放，可再通过其他单位。第一站开始后、活动结束或取消后、已签到或已登记考察结果的，答 409。再次退出答当前报名，不重复释放名额。别的单位的报名答 404。',
    response: { 200: z.object({ registration: RegistrationOut }) },
  }, { audit: 'visit.registration.withdraw' }), async (request) => ({ registration: registrationJson(await attendance.withdraw(requireUser(request), request.params.id, request.params.rid)) }));

  app.post('/api/v1/visits/:id/registrations/:rid/attendance', route(STAFF_ROLES, {
    summary: '标记未到场（活动结束后）或撤销该标记', params: RegistrationParams, body: AttendanceInput,
    description: '`no_show`：把审核通过但没有到场的单位标记为未到场（`checkIn: "no_show"`），计入统计报表的“未到场单位”；`clear`：撤销该标记。须在活动结束后（最后一站结束或活动已标记为已结束）；已签到、已登记考察结果的单位不能标记为未到场（409）。',
    response: { 200: z.object({ registration: RegistrationOut }) },
  }, { audit: 'visit.attendance' }), async (request) => ({ registration: registrationJson(await attendance.mark(requireUser(request), request.params.id, request.params.rid, request.body.state)) }));

  // ---- pages (a refusal is the error page with its Chinese message and status) ----
  app.post('/visits/:id/registrations/:rid/withdraw', {
    config: { access: ['buyer'] as const, audit: 'visit.registration.withdraw' }, schema: { params: RegistrationParams }, attachValidation: true,
  }, async (request, reply) => {
    formErrors(request, '未找到该报名。');
    const r = await attendance.withdraw(requireUser(request), request.params.id, request.params.rid);
    request.flash('success', `已退出本次活动（${r.name}），名额已释放。`);
    return reply.redirect(`/visits/${request.params.id}`, 303);
  });

  app.post('/organizer/visits/:id/registrations/:rid/attendance', {
    config: { access: STAFF_ROLES, audit: 'visit.attendance' }, schema: { params: RegistrationParams, body: AttendanceForm.schema }, attachValidation: true,
  }, async (request, reply) => {
    const form = readForm(request, AttendanceForm, '未找到该报名。');
    if (!form.ok) throw badRequest(Object.values(form.errors)[0] ?? '提交的数据有误。');
    const r = await attendance.mark(requireUser(request), request.params.id, request.params.rid, form.input.state);
    request.flash('success', form.input.state === 'no_show' ? `已将“${r.name}”标记为未到场。` : `已撤销“${r.name}”的未到场标记。`);
    return reply.redirect(`/organizer/visits/${request.params.id}#registrations`, 303);
  });
};

export default attendanceRoutes;
