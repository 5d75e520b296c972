/** JSON API of matchmaking events (docs/api.md: events, participants, preferences, schedule, agenda.ics). */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ObjectIdParam } from '../accounts/index.js';
import { attachment } from '../web/download.js';
import { agendaCalendar } from './ics.js';
import { stillUnplaced } from './read-model.js';
import {
  Changes, DashboardOut, EventOut, EventParams, MeetingOut, MeetingPlain, ParticipantOut, ParticipantParams, Stats, Unscheduled,
  eventJson, meetingJson, participantJson, people, route, staff,
} from './api-out.js';
import { dashboardWorkbook, loadDashboard } from './report.js';
import { eventDeps } from './deps.js';
import {
  CheckInCodeInput, CheckInInput, EventInput, EventUpdate, MeetingAdd, MeetingMove, OutcomeInput, ParticipantInput, ParticipantUpdate,
  PhaseInput, PreferenceInput, ReviewInput, ScheduleRunInput, kindNames,
} from './schemas.js';
import { isStaff, requireUser } from '../accounts/index.js';

const MeetingParams = z.object({ id: ObjectIdParam, meetingId: ObjectIdParam });

const eventRoutes: FastifyPluginAsyncZod = async (app) => {
  app.post('/api/v1/events', route(staff, {
    summary: '创建对接会', description: '时段 `slots` 按时间先后排列、互不重叠（ISO 时间，建议带 +08:00）；时段之间的空档即茶歇。洽谈桌编号 1..tables。新建的对接会处于“筹备中”（draft）阶段。',
    body: EventInput,
    response: { 201: z.object({ id: z.string() }) },
  }), async (request, reply) => {
    const event = await app.events.create(requireUser(request), request.body);
    return reply.code(201).header('location', `/api/v1/events/${String(event._id)}`).send({ id: String(event._id) });
  });

  app.get('/api/v1/events', route(people, { summary: '对接会列表（筹备中的只有主办方可见）', response: { 200: z.object({ events: z.array(EventOut.extend({ vendors: z.number(), buyers: z.number() })) }) } }), async (request) => ({
    events: (await app.events.list(request.user)).map(({ event, vendors, buyers }) => ({ ...eventJson(event), vendors, buyers })),
  }));

  app.get('/api/v1/events/:id', route(people, { summary: '对接会详情', params: EventParams, response: { 200: z.object({ event: EventOut }) } }),
    async (request) => ({ event: eventJson(await app.events.visible(request.user, request.params.id)) }));

  app.put('/api/v1/events/:id', route(staff, { summary: '修改对接会（已有洽谈安排后不能再改时段和洽谈桌）', params: EventParams, body: EventUpdate, response: { 200: z.object({ event: EventOut }) } }),
    async (request) => ({ event: eventJson(await app.events.update(requireUser(request), request.params.id, request.body)) }));

  app.post('/api/v1/events/:id/phase', route(staff, {
    summary: '切换阶段', params: EventParams, body: PhaseInput,
    description: '筹备中 → 报名中 → 意向征集 → 排期中 → 日程已发布 → 已结束。每次前进一步；发布前可退回上一步。发布后参会方可看到自己的日程。',
    response: { 200: z.object({ event: EventOut }) },
  }, { audit: 'event.phase' }), async (request) => ({ event: eventJson(await app.events.transition(requireUser(request), request.params.id, request.body.to)) }));

  app.post('/api/v1/events/:id/participants', route(people, {
    summary: '报名参会', params: EventParams, body: ParticipantInput,
    description: '供应商须已入选推介清单，按统一社会信用代码 `vendorCreditCode` 报名（资料与产品取自清单）；采购方填写 `buyer` 单位信息与关联需求 `demands`。主办方代为报名即为已通过；供应商、采购方账号在报名阶段为本单位报名，待主办方审核。`unavailableSlots` 为不能参加的时段编号（从 0 开始）；`representatives` 为供应商同时洽谈的代表人数。',
    response: { 201: z.object({ participantId: z.string(), status: z.string() }) },
  }), async (request, reply) => {
    const p = await app.events.register(requireUser(request), request.params.id, request.body);
    return reply.code(201).send({ participantId: String(p._id), status: p.status });
  });

  app.get('/api/v1/events/:id/participants', route(people, { summary: '参会方列表（参会方只看到已通过的参会方和自己）', params: EventParams, response: { 200: z.object({ participants: z.array(ParticipantOut) }) } }), async (request) => {
    const user = requireUser(request);
    const { participants, mine } = await app.events.participants(user, request.params.id);
    return { participants: participants.map((p) => participantJson(p, isStaff(user) || String(p._id) === String(mine?._id))) };
  });

  app.put('/api/v1/events/:id/participants/:participantId', route(people, { summary: '修改报名信息（不可参加的时段、代表人数、关联需求、联系人）', params: ParticipantParams, body: ParticipantUpdate, response: { 200: z.object({ participant: ParticipantOut }) } }),
    async (request) => ({ participant: participantJson(await app.events.updateParticipant(requireUser(request), request.params.id, request.params.participantId, request.body), true) }));

  app.post('/api/v1/events/:id/participants/:participantId/review', route(staff, { summary: '审核报名（通过或不通过，不通过须写原因）', params: ParticipantParams, body: ReviewInput, response: { 200: z.object({ participant: ParticipantOut }) } }, { audit: 'event.participant.review' }),
    async (request) => ({ participant: participantJson(await app.events.review(requireUser(request), request.params.id, request.params.participantId, request.body), true) }));

  app.post('/api/v1/events/:id/participants/:participantId/withdraw', route(people, { summary: '退出对接会（已有洽谈安排时须先取消洽谈）', params: ParticipantParams, body: z.object({}).strict().nullish(), response: { 200: z.object({ participant: ParticipantOut }) } }),
    async (request) => ({ participant: participantJson(await app.events.withdraw(requireUser(request), request.params.id, request.params.participantId), true) }));

  app.post('/api/v1/events/:id/participants/:participantId/check-in', route(staff, { summary: '现场签到（arrived 已到场 / no_show 未到场 / clear 撤销）', params: ParticipantParams, body: CheckInInput, response: { 200: z.object({ participant: ParticipantOut }) } }, { audit: 'event.check-in' }),
    async (request) => ({ participant: participantJson(await app.eventMeetings.checkIn(requireUser(request), request.params.id, request.params.participantId, request.body.state), true) }));

  app.post('/api/v1/events/:id/check-in', route(staff, {
    summary: '扫码签到（参会方的签到码，见日程和名牌上的二维码）', params: EventParams,
    description: '按签到码把该参会方标记为已到场。幂等：同一签到码再扫只答 `firstScan: false`，不重复计数；多台手机同时扫同一码也只计一次。别场对接会的签到码、输错的签到码答 404。`first` 与 `firstScan` 同义（docs/api.md 的固定字段）。`arrived`/`expected` 为本场已到场 / 应到（已通过的参会方）数。',
    body: CheckInCodeInput,
    response: { 200: z.object({
      participant: z.object({ id: z.string(), name: z.string(), kind: z.string() }),
      firstScan: z.boolean(), first: z.boolean(), checkInAt: z.string(), arrived: z.number(), expected: z.number(),
    }) },
  }, { audit: 'event.check-in' }), async (request) => {
    const event = await app.events.load(request.params.id);
    const r = await app.eventMeetings.checkIns.scan(requireUser(request), event, request.body.code);
    return { participant: r.participant, firstScan: r.firstScan, first: r.firstScan, checkInAt: r.checkInAt.toISOString(), arrived: r.arrived, expected: r.expected };
  });

  app.get('/api/v1/events/:id/publish-preview', route(staff, {
    summary: '发布预览：每个参会方将被告知的新增、调整、取消的洽谈（与上次告知的日程相比）', params: EventParams,
    response: { 200: z.object({
      revision: z.number(), firstPublication: z.boolean(),
      participants: z.array(z.object({
        id: z.string(), name: z.string(), kind: z.string(),
        added: z.array(MeetingPlain), moved: z.array(z.object({ from: MeetingPlain, to: MeetingPlain })), cancelled: z.array(MeetingPlain),
      })),
    }) },
  }), async (request) => {
    const preview = await app.eventMeetings.publishPreview(requireUser(request), request.params.id);
    return {
      revision: preview.event.revision ?? 0,
      firstPublication: preview.firstPublication,
      participants: preview.participants.map(({ participant, news }) => ({ id: String(participant._id), name: participant.name, kind: participant.kind, ...news })),
    };
  });

  app.post('/api/v1/events/:id/announce', route(staff, {
    summary: '通知日程变动（发布后手工调整的洽谈，按发布预览告知相关参会方）', params: EventParams,
    description: '`revision` 为查看预览时的版本（`GET …/publish-preview`）；此后日程又有改动则 409，请重新预览。',
    body: z.object({ revision: z.number('请给出查看预览时的版本号 revision').int().min(0) }).strict(),
    response: { 200: z.object({ told: z.number() }) },
  }, { audit: 'event.announce' }), async (request) => app.eventMeetings.announce(requireUser(request), request.params.id, request.body.revision));

  app.get('/api/v1/events/:id/participants/:participantId/suggestions', route(people, {
    summary: '推荐洽谈对象（由匹配引擎按采购方的需求与供应商的产品计算，附理由）', params: ParticipantParams,
    response: { 200: z.object({ suggestions: z.array(z.object({
      to: z.string(), name: z.string(), score: z.number(), level: z.string().optional(),
      demand: z.object({ id: z.string(), title: z.string() }),
      reasons: z.array(z.object({ factor: z.string(), text: z.string() })),
      products: z.array(z.object({ name: z.string(), model: z.string() })),
    })) }) },
  }), async (request) => ({ suggestions: await app.events.suggestions(requireUser(request), request.params.id, request.params.participantId) }));

  app.post('/api/v1/events/:id/preferences', route(people, {
    summary: '设置洽谈意向', params: EventParams, body: PreferenceInput,
    description: '`from` 为本方参会编号，`to` 为另一方参会编号；`level` 为 must（必须见）、want（希望见）或 no（不见，排期时绝不安排这一对）。同一对再次设置即覆盖。',
    response: { 201: z.object({ from: z.string(), to: z.string(), level: z.string() }) },
  }), async (request, reply) => {
    const w = await app.events.setPreference(requireUser(request), request.params.id, request.body);
    return reply.code(201).send({ from: String(w.from), to: String(w.to), level: w.level });
  });

  app.delete('/api/v1/events/:id/preferences', route(people, { summary: '撤销洽谈意向', params: EventParams, querystring: z.object({ from: ObjectIdParam, to: ObjectIdParam }), response: { 204: z.null() } }), async (request, reply) => {
    await app.events.clearPreference(requireUser(request), request.params.id, request.query.from, request.query.to);
    return reply.code(204).send(null);
  });

  app.get('/api/v1/events/:id/preferences', route(people, { summary: '洽谈意向（主办方看到全部；参会方看到自己设置的和对方对自己的，“不见”只有设置方可见）', params: EventParams, response: { 200: z.object({ preferences: z.array(z.object({ from: z.string(), to: z.string(), level: z.string(), source: z.string() })) }) } }), async (request) => {
    const user = requireUser(request);
    const event = await app.events.visible(user, request.params.id);
    const mine = await app.events.own(user, event._id);
    const list = await app.events.preferences(user, event, mine);
    return { preferences: list.map((w) => ({ from: String(w.from), to: String(w.to), level: w.level, source: w.source ?? 'manual' })) };
  });

  app.post('/api/v1/events/:id/schedule', route(staff, {
    summary: '生成并保存日程', params: EventParams, body: ScheduleRunInput.nullish(),
    description: '按已通过的参会方与洽谈意向计算最优日程并保存。已发布或主办方手工安排的洽谈保持原位（`allowMoves: true` 时可换时段或桌号，但不会被取消）；返回本次的变动（保留、调整、取消、新增）与未能安排的意向及原因。计算期间若有人调整了日程，本次保存被拒绝（409），重新生成即可。',
    response: { 200: z.object({ meetings: z.array(MeetingPlain), unscheduled: Unscheduled, changes: Changes, stats: Stats }) },
  }), async (request) => {
    const result = await app.eventMeetings.run(requireUser(request), request.params.id, request.body ?? {});
    return { meetings: result.meetings, unscheduled: result.unscheduled, changes: result.changes, stats: { ...result.stats } };
  });

  app.get('/api/v1/events/:id/schedule', route(staff, {
    summary: '当前日程（全部洽谈、未能安排的意向及原因、统计）', params: EventParams,
    response: { 200: z.object({ meetings: z.array(MeetingOut), unscheduled: Unscheduled, stats: Stats }) },
  }), async (request) => {
    const { event, meetings } = await app.eventMeetings.current(requireUser(request), request.params.id);
    const unscheduled = stillUnplaced(event.lastRun?.unscheduled ?? [], meetings)
      .map((u) => ({ buyer: String(u.buyer), vendor: String(u.vendor), reason: u.reason ?? 'capacity', weight: u.weight ?? 0 }));
    const stats = { meetings: meetings.length, ...((event.lastRun?.stats as Record<string, number> | undefined) ?? {}) };
    stats.meetings = meetings.length;
    return { meetings: meetings.map((m) => meetingJson(event, m)), unscheduled, stats };
  });

  app.post('/api/v1/events/:id/meetings', route(staff, { summary: '手工安排一场洽谈（排期时保持原位）', params: EventParams, body: MeetingAdd, response: { 201: z.object({ meeting: MeetingOut }) } }), async (request, reply) => {
    const event = await app.events.load(request.params.id);
    return reply.code(201).send({ meeting: meetingJson(event, await app.eventMeetings.add(requireUser(request), request.params.id, request.body)) });
  });

  app.post('/api/v1/events/:id/meetings/:meetingId/move', route(staff, { summary: '调整洽谈的时段与桌号', params: MeetingParams, body: MeetingMove, response: { 200: z.object({ meeting: MeetingOut }) } }), async (request) => {
    const meeting = await app.eventMeetings.move(requireUser(request), request.params.id, request.params.meetingId, request.body);
    return { meeting: meetingJson(await app.events.load(request.params.id), meeting) };
  });

  app.delete('/api/v1/events/:id/meetings/:meetingId', route(staff, { summary: '取消一场洽谈（已登记结果的不能取消）', params: MeetingParams, response: { 204: z.null() } }), async (request, reply) => {
    await app.eventMeetings.cancel(requireUser(request), request.params.id, request.params.meetingId);
    return reply.code(204).send(null);
  });

  app.post('/api/v1/events/:id/meetings/:meetingId/outcome', route(staff, {
    summary: '登记洽谈结果', params: MeetingParams, body: OutcomeInput,
    description: 'held 已洽谈、no_show 未到场、intent 达成意向、signed 已签约（可填金额）。已洽谈、意向、签约同时写入该采购需求与供应商的跟进记录（只前进不后退，来源记为对接会）；采购方关联了多条需求时须用 `demand` 指明是哪一条。',
    response: { 200: z.object({ meeting: MeetingOut }) },
  }), async (request) => {
    const meeting = await app.eventMeetings.outcome(requireUser(request), request.params.id, request.params.meetingId, request.body);
    return { meeting: meetingJson(await app.events.load(request.params.id), meeting) };
  });

  app.get('/api/v1/events/:id/participants/:participantId/agenda', route(people, {
    summary: '参会方的洽谈日程（参会方在发布后可见）', params: ParticipantParams,
    description: '只答该参会方本单位与主办方。`checkInCode` 为该参会方的签到码（已通过的参会方才有）。每场洽谈附对方单位（`counterpart.name`）、联系人及所谈的需求（有记录时）。',
    response: { 200: z.object({
      published: z.boolean(),
      checkInCode: z.string().optional(),
      meetings: z.array(MeetingOut.extend({
        counterpart: z.object({ id: z.string(), name: z.string(), kind: z.string(), contactName: z.string().optional(), contactPhone: z.string().optional() }).optional(),
        demandTitle: z.string().optional(),
      })),
    }) },
  }), async (request) => {
    const agenda = await app.eventMeetings.agenda(requireUser(request), request.params.id, request.params.participantId);
    return {
      published: agenda.published,
      // Participants get their code with their agenda, once published; organizers any time.
      checkInCode: agenda.published || isStaff(request.user) ? agenda.checkInCode : undefined,
      meetings: agenda.meetings.map(({ meeting, counterpart, demand }) => ({
        ...meetingJson(agenda.event, meeting),
        demand: demand?.id ?? (meeting.demand ? String(meeting.demand) : undefined),
        demandTitle: demand?.title,
        counterpart: counterpart ? {
          id: String(counterpart._id), name: counterpart.name, kind: counterpart.kind,
          contactName: counterpart.contactName ?? undefined, contactPhone: counterpart.contactPhone ?? undefined,
        } : undefined,
      })),
    };
  });

  app.get('/api/v1/events/:id/participants/:participantId/agenda.ics', route(people, { summary: '下载参会方日程（iCalendar .ics）', params: ParticipantParams }), async (request, reply) => {
    const agenda = await app.eventMeetings.agenda(requireUser(request), request.params.id, request.params.participantId);
    const host = request.hostname.split(':')[0] || 'gongxu.local';
    const ics = agendaCalendar({
      eventTitle: agenda.event.title,
      venue: agenda.event.venue ?? '',
      participant: agenda.participant.name,
      link: `${request.protocol}://${request.host}/events/${request.params.id}/agenda/${request.params.participantId}`,
      host,
      entries: agenda.meetings.filter((m) => m.slot).map(({ meeting, slot, counterpart }) => ({
        meetingId: String(meeting._id), start: slot!.start, end: slot!.end, table: meeting.table,
        counterpart: counterpart?.name ?? '', counterpartKind: kindNames[counterpart?.kind ?? ''] ?? '', updatedAt: meeting.updatedAt,
      })),
    });
    return reply
      .type('text/calendar; charset=utf-8')
      .header('content-disposition', attachment('agenda.ics', `${agenda.participant.name}-洽谈日程.ics`))
      .send(ics);
  });

  app.get('/api/v1/events/:id/dashboard', route(staff, {
    summary: '对接会数据看板（意向、安排、洽谈、意向、签约，按领域和采购方层级）', params: EventParams,
    response: { 200: z.object({ dashboard: DashboardOut }) },
  }), async (request) => {
    const event = await app.events.staffEvent(requireUser(request), request.params.id);
    return { dashboard: (await loadDashboard(eventDeps(app), event)).figures };
  });

  app.get('/api/v1/events/:id/report.xlsx', route(staff, { summary: '导出对接会报表（.xlsx：按领域、按采购方层级、洽谈明细）', params: EventParams }), async (request, reply) => {
    const event = await app.events.staffEvent(requireUser(request), request.params.id);
    const data = await loadDashboard(eventDeps(app), event);
    return reply
      .type('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet')
      .header('content-disposition', attachment('event-report.xlsx', `${event.title}-对接会报表.xlsx`))
      .send(await dashboardWorkbook(event, data));
  });
};

export default eventRoutes;
