/** JSON API of 企业调研 / 现场考察 under /api/v1/visits (README: 企业调研与现场考察). */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ObjectIdParam, STAFF_ROLES, requireUser } from '../accounts/index.js';
import { formatCode } from '../events/index.js';
import { attachment } from '../web/download.js';
import { conflict } from '../web/errors.js';
import { itineraryCalendar } from './ics.js';
import { registrationStatuses, visitKinds, visitPhases } from './model.js';
import { hhmm } from './route.js';
import { CheckInCodeInput, OutcomeInput, PhaseInput, RegistrationInput, ReviewInput, VisitInput, VisitUpdate } from './schemas.js';
import type { OutcomeLean, RegistrationLean, VisitLean } from './service.js';
import { apiRoute } from '../web/api-route.js';

const route = apiRoute('企业调研与现场考察');
const staff = STAFF_ROLES;
const people = ['vendor', 'buyer', 'organizer', 'admin'] as const;
const VisitParams = z.object({ id: ObjectIdParam });
const RegistrationParams = z.object({ id: ObjectIdParam, rid: ObjectIdParam });
const StopParams = z.object({ id: ObjectIdParam, stopIndex: z.coerce.number({ error: '站点编号应为数字' }).int('站点编号应为整数').min(0, '站点编号从 0 开始').max(99, '站点编号超出范围') });
const iso = (d: Date | null | undefined) => (d ? d.toISOString() : undefined);

const StopOut = z.object({
  index: z.number(), vendorId: z.string(), vendorName: z.string(), place: z.string(), address: z.string(),
  start: z.string().describe('时:分（北京时间）'), end: z.string(), travelMinutes: z.number().optional(), shows: z.string(),
});
const VisitOut = z.object({
  id: z.string(), kind: z.enum(visitKinds), title: z.string(), date: z.string(), field: z.string().optional(), description: z.string(),
  meetingPoint: z.string(), capacity: z.number(), approved: z.number(), registrationDeadline: z.string().optional(),
  phase: z.enum(visitPhases), startsAt: z.string(), endsAt: z.string(), stops: z.array(StopOut),
});
export const visitJson = (v: VisitLean): z.infer<typeof VisitOut> => ({
  id: String(v._id), kind: v.kind as z.infer<typeof VisitOut>['kind'], title: v.title, date: v.date, field: v.field ?? undefined,
  description: v.description ?? '', meetingPoint: v.meetingPoint ?? '', capacity: v.capacity, approved: v.approved ?? 0,
  registrationDeadline: iso(v.registrationDeadline), phase: v.phase as z.infer<typeof VisitOut>['phase'],
  startsAt: v.startsAt.toISOString(), endsAt: v.endsAt.toISOString(),
  stops: v.stops.map((s, index) => ({
    index, vendorId: String(s.vendor), vendorName: s.vendorName, place: s.place ?? '', address: s.address,
    start: hhmm(s.start), end: hhmm(s.end), travelMinutes: s.travelMinutes ?? undefined, shows: s.shows ?? '',
  })),
});

export const RegistrationOut = z.object({
  id: z.string(), buyerOrgId: z.string(), name: z.string(),
  status: z.enum(registrationStatuses).describe('pending 待审核 / approved 已通过 / rejected 未通过 / withdrawn 已退出（采购方在活动开始前退出，名额释放）'),
  demands: z.array(z.string()), people: z.number(),
  officials: z.string(), contactName: z.string().optional(), contactPhone: z.string().optional(), rejectReason: z.string().optional(),
  checkIn: z.enum(['arrived', 'no_show']).nullable().describe('arrived 已签到到场 / no_show 未到场（活动结束后主办方标记）/ null 尚无记录'), checkInAt: z.string().optional(),
  checkInCode: z.string().optional().describe('签到码（审核通过后才有；仅主办方和该单位可见），按四位一组书写'),
});
export const registrationJson = (r: RegistrationLean): z.infer<typeof RegistrationOut> => ({
  id: String(r._id), buyerOrgId: String(r.buyerOrg), name: r.name, status: r.status as z.infer<typeof RegistrationOut>['status'], demands: (r.demands ?? []).map(String), people: r.people ?? 1,
  officials: r.officials ?? '', contactName: r.contactName ?? undefined, contactPhone: r.contactPhone ?? undefined, rejectReason: r.rejectReason ?? undefined,
  checkIn: r.checkIn ?? null, checkInAt: iso(r.checkInAt), checkInCode: r.checkInCode ? formatCode(r.checkInCode) : undefined,
});

const OutcomeOut = z.object({
  id: z.string(), stop: z.number(), registration: z.string(), buyerOrgId: z.string(), vendorId: z.string(), demand: z.string().optional(),
  outcome: z.string(), note: z.string().optional(), amountYuan: z.number().optional().describe('签约金额（元），取自对接跟进记录'),
});
const outcomeJson = (o: OutcomeLean): z.infer<typeof OutcomeOut> => ({
  id: String(o._id), stop: o.stop, registration: String(o.registration), buyerOrgId: String(o.buyerOrg), vendorId: String(o.vendor),
  demand: o.demand ? String(o.demand) : undefined, outcome: o.outcome, note: o.note ?? undefined, amountYuan: o.amountYuan ?? undefined,
});
const Reasons = z.array(z.object({ factor: z.string(), text: z.string() }));

const visitRoutes: FastifyPluginAsyncZod = async (app) => {
  app.post('/api/v1/visits', route(staff, {
    summary: '创建企业调研或现场考察', description: '`kind`：survey（企业调研，带采购方或领导与采购方走访一家或多家企业）或 site（现场考察，到供应商设备已在运行的地点，如医院、学校、卡口）。`stops` 为行程站点：接待企业（推介清单中已入选的企业，`vendor` 编号或 `vendorCreditCode`）、地点名称 `place`、地址、开始和结束时间（时:分，北京时间）、考察内容 `shows`、从上一站出发所需路程分钟数 `travelMinutes`（不填按默认路程时间，本平台为 ' + app.config.VISIT_TRAVEL_MINUTES + ' 分钟，运维以 VISIT_TRAVEL_MINUTES 设置）。各站时间不得重叠，前后两站之间须留足路程时间，否则答 400 并指明冲突的站点。新建的活动处于“筹备中”。',
    body: VisitInput,
    response: { 201: z.object({ id: z.string() }) },
  }, { audit: 'visit.create' }), async (request, reply) => {
    const visit = await app.visits.create(requireUser(request), request.body);
    return reply.code(201).header('location', `/api/v1/visits/${String(visit._id)}`).send({ id: String(visit._id) });
  });

  app.get('/api/v1/visits', route(people, {
    summary: '企业调研和现场考察列表（筹备中的只有主办方可见）', querystring: z.object({
      host: z.enum(['true', 'false'], { error: 'host 应为 true 或 false' }).optional().describe('true：只列到本企业考察的活动（供应商）'),
      open: z.enum(['true', 'false'], { error: 'open 应为 true 或 false' }).optional().describe('true：只列报名中的活动'),
    }).strict(),
    response: { 200: z.object({ visits: z.array(VisitOut.extend({ myRegistration: RegistrationOut.optional() })) }) },
  }), async (request) => ({
    visits: (await app.visits.list(requireUser(request), { host: request.query.host === 'true', open: request.query.open === 'true' }))
      .map(({ visit, mine }) => ({ ...visitJson(visit), myRegistration: mine ? registrationJson(mine) : undefined })),
  }));

  app.get('/api/v1/visits/suggestions', route(['buyer'], {
    summary: '为本单位推荐的调研考察活动', description: '报名中的活动，其接待企业与本单位征集中的需求相匹配（匹配引擎的得分和理由）；按得分从高到低。',
    response: { 200: z.object({ suggestions: z.array(z.object({
      visit: z.object({ id: z.string(), title: z.string(), kind: z.string(), date: z.string() }), score: z.number(),
      demand: z.object({ id: z.string(), title: z.string() }), vendor: z.object({ id: z.string(), name: z.string() }), reasons: Reasons,
    })) }) },
  }), async (request) => ({ suggestions: await app.visits.suggestionsForBuyer(requireUser(request)) }));

  app.get('/api/v1/visits/:id', route(people, { summary: '调研考察详情（采购方另见本单位的报名）', params: VisitParams, response: { 200: z.object({ visit: VisitOut, myRegistration: RegistrationOut.optional() }) } }), async (request) => {
    const user = requireUser(request);
    const visit = await app.visits.visible(user, request.params.id);
    const mine = user.role === 'buyer' ? (await app.visits.registrations(user, request.params.id))[0] : undefined;
    return { visit: visitJson(visit), myRegistration: mine ? registrationJson(mine) : undefined };
  });

  app.put('/api/v1/visits/:id', route(staff, { summary: '修改调研考察（登记结果后不能再改站点）', params: VisitParams, body: VisitUpdate, response: { 200: z.object({ visit: VisitOut }) } }, { audit: 'visit.update' }),
    async (request) => ({ visit: visitJson(await app.visits.update(requireUser(request), request.params.id, request.body)) }));

  app.post('/api/v1/visits/:id/phase', route(staff, {
    summary: '切换阶段', params: VisitParams, body: PhaseInput,
    description: '筹备中 → 报名中 → 行程已确定 → 已结束；报名中可退回筹备中，行程已确定可退回报名中；结束前随时可取消。签到和登记结果在报名中、行程已确定、已结束阶段进行。',
    response: { 200: z.object({ visit: VisitOut }) },
  }, { audit: 'visit.phase' }), async (request) => ({ visit: visitJson(await app.visits.transition(requireUser(request), request.params.id, request.body.to)) }));

  app.post('/api/v1/visits/:id/registrations', route(['buyer', ...staff], {
    summary: '报名（采购方为本单位报名，待主办方审核）', params: VisitParams, body: RegistrationInput,
    description: '采购方在报名阶段为本单位报名，`demands` 为本单位征集中或对接中的需求编号（考察结果按需求记入对接跟进）；`people` 为到场人数，`officials` 为随行领导。主办方代为报名须填 `buyer`（单位），有名额时即为已通过。',
    response: { 201: z.object({ registrationId: z.string(), status: z.string() }) },
  }), async (request, reply) => {
    const r = await app.visits.register(requireUser(request), request.params.id, request.body);
    return reply.code(201).send({ registrationId: String(r._id), status: r.status });
  });

  app.get('/api/v1/visits/:id/registrations', route(['buyer', ...staff], { summary: '报名列表（主办方看全部，采购方只看本单位的）', params: VisitParams, response: { 200: z.object({ registrations: z.array(RegistrationOut) }) } }),
    async (request) => ({ registrations: (await app.visits.registrations(requireUser(request), request.params.id)).map(registrationJson) }));

  app.get('/api/v1/visits/:id/registrations/:rid', route(['buyer', ...staff], { summary: '一份报名（含签到码；仅主办方和该单位）', params: RegistrationParams, response: { 200: z.object({ registration: RegistrationOut }) } }),
    async (request) => ({ registration: registrationJson((await app.visits.registration(requireUser(request), request.params.id, request.params.rid)).registration) }));

  app.post('/api/v1/visits/:id/registrations/:rid/review', route(staff, {
    summary: '审核报名（通过或不通过，不通过须写原因）', params: RegistrationParams, body: ReviewInput,
    description: '通过时占用一个名额（名额已满答 409）并生成该单位的签到码（80 位随机数，base32）；再次通过同一报名不重复占用。',
    response: { 200: z.object({ registration: RegistrationOut }) },
  }, { audit: 'visit.registration.review' }), async (request) => ({ registration: registrationJson(await app.visits.review(requireUser(request), request.params.id, request.params.rid, request.body)) }));

  app.get('/api/v1/visits/:id/registrations/:rid/itinerary.ics', route(['buyer', ...staff], { summary: '下载行程（iCalendar .ics，每站一项，含签到码）', params: RegistrationParams }), async (request, reply) => {
    const { visit, registration } = await app.visits.registration(requireUser(request), request.params.id, request.params.rid);
    if (registration.status !== 'approved') throw conflict('报名审核通过后才有行程单。');
    const host = request.hostname.split(':')[0] || 'gongxu.local';
    const base = app.config.PUBLIC_BASE_URL ?? `${request.protocol}://${request.host}`;
    const ics = itineraryCalendar(visit, registration, `${base}/visits/${String(visit._id)}/itinerary/${String(registration._id)}`, host);
    return reply
      .type('text/calendar; charset=utf-8')
      .header('content-disposition', attachment('itinerary.ics', `${visit.title}-${registration.name}-行程.ics`))
      .send(ics);
  });

  app.post('/api/v1/visits/:id/check-in', route(staff, {
    summary: '按签到码签到', params: VisitParams, body: CheckInCodeInput,
    description: '把持该签到码的单位标记为已到场。幂等：同一签到码再次签到答 `first: false`，不重复计数。别的活动或未通过的报名的签到码、输错的签到码答 404。`arrived`/`expected` 为已到场 / 应到（审核通过）的单位数。',
    response: { 200: z.object({
      participant: z.object({ id: z.string(), name: z.string(), kind: z.literal('buyer') }), first: z.boolean(), firstScan: z.boolean().describe('与 first 同义（与对接会签到一致）'),
      checkInAt: z.string(), arrived: z.number(), expected: z.number(),
    }) },
  }, { audit: 'visit.check-in' }), async (request) => {
    const r = await app.visits.checkIn(requireUser(request), request.params.id, request.body.code);
    return { ...r, checkInAt: r.checkInAt.toISOString() };
  });

  app.post('/api/v1/visits/:id/stops/:stopIndex/outcomes', route(staff, {
    summary: '登记某站某采购方的考察结果', params: StopParams, body: OutcomeInput,
    description: '`stopIndex` 为站点编号（按时间先后，从 0 开始）。visited（已参观）、intent（达成意向）、signed（已签约，可填金额 `amountYuan`）把该采购方的需求与本站接待企业的对接跟进推进到“已联系”“有意向”“已签约”（只进不退）。签约只记一次，记在对接跟进上：同一需求与供应商已在别处签约的，答 409 并指明那次签约。采购方关联多条需求时须填 `demand`。',
    response: { 200: z.object({ outcome: OutcomeOut }) },
  }, { audit: 'visit.outcome' }), async (request) => ({ outcome: outcomeJson(await app.visits.outcome(requireUser(request), request.params.id, request.params.stopIndex, request.body)) }));

  app.get('/api/v1/visits/:id/outcomes', route(staff, { summary: '考察结果列表（签约金额取自对接跟进）', params: VisitParams, response: { 200: z.object({ outcomes: z.array(OutcomeOut) }) } }),
    async (request) => ({ outcomes: (await app.visits.outcomes(requireUser(request), request.params.id)).map(outcomeJson) }));

  app.get('/api/v1/visits/:id/invitees', route(['vendor', ...staff], {
    summary: '建议邀请的采购方（其征集中的需求与接待企业相匹配）', params: VisitParams,
    description: '主办方和本活动的接待企业可见；已报名的单位不再列出。按匹配得分从高到低，附匹配理由。',
    response: { 200: z.object({ invitees: z.array(z.object({
      buyerOrg: z.object({ id: z.string(), name: z.string() }), score: z.number(),
      demand: z.object({ id: z.string(), title: z.string() }), vendor: z.object({ id: z.string(), name: z.string() }), reasons: Reasons,
    })) }) },
  }), async (request) => ({ invitees: await app.visits.invitees(requireUser(request), request.params.id) }));
};

export default visitRoutes;
