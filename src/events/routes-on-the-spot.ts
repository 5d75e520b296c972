/**
 * JSON API of on-the-spot meetings (现场约谈) and of the live agenda: a participant asks, organizers list
 * the open requests with their free cells and place or decline one; `revision` lets an agenda page see
 * within seconds that its schedule changed (public/js/agenda-live.js).
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ObjectIdParam, requireUser } from '../accounts/index.js';
import { EventParams, MeetingOut, ParticipantParams, meetingJson, people, route, staff } from './api-out.js';
import { DeclineInput, MeetingMove, MeetingRequestInput } from './schemas.js';

const RequestParams = z.object({ id: ObjectIdParam, requestId: ObjectIdParam });
const Cell = z.object({ slot: z.number(), table: z.number() });
const Party = z.object({ id: z.string(), name: z.string() });

const onTheSpotRoutes: FastifyPluginAsyncZod = async (app) => {
  app.post('/api/v1/events/:id/participants/:participantId/meeting-requests', route(people, {
    summary: '现场约谈：参会方在对接会当天申请与另一方加一场洽谈', params: ParticipantParams, body: MeetingRequestInput,
    description: '日程发布后、对接会结束前可申请；`to` 为另一方（采购方↔供应商）的参会方编号。同一对参会方只能有一条待安排的申请；已有洽谈、被对方拒绝洽谈时答 409。主办方在 `GET …/meeting-requests` 看到双方都空闲的时段与桌号，一键安排。',
    response: { 201: z.object({ id: z.string(), status: z.string() }) },
  }), async (request, reply) => {
    const r = await app.meetingRequests.ask(requireUser(request), request.params.id, request.params.participantId, request.body);
    return reply.code(201).send({ id: String(r._id), status: r.status });
  });

  app.get('/api/v1/events/:id/meeting-requests', route(staff, {
    summary: '待安排的现场约谈，及双方都空闲的时段和桌号（每个尚未开始的时段给出最小的空桌号）', params: EventParams,
    response: { 200: z.object({ requests: z.array(z.object({ id: z.string(), buyer: Party, vendor: Party, from: z.string(), note: z.string().optional(), createdAt: z.string(), cells: z.array(Cell) })) }) },
  }), async (request) => {
    const { requests } = await app.meetingRequests.openWithCells(requireUser(request), request.params.id);
    return {
      requests: requests.map(({ request: r, buyer, vendor, cells }) => ({
        id: String(r._id), from: String(r.from), note: r.note ?? undefined, createdAt: r.createdAt.toISOString(), cells,
        buyer: { id: String(r.buyer), name: buyer?.name ?? '' }, vendor: { id: String(r.vendor), name: vendor?.name ?? '' },
      })),
    };
  });

  app.post('/api/v1/events/:id/meeting-requests/:requestId/place', route(staff, {
    summary: '安排一条现场约谈（时段 slot、桌号 table），双方收到通知', params: RequestParams, body: MeetingMove,
    description: '与手工加洽谈相同的检查；两位主办方同时把不同申请放进同一格时，唯一索引只让一场成功，另一场答 409。',
    response: { 200: z.object({ meeting: MeetingOut }) },
  }, { audit: 'event.meeting-request.place' }), async (request) => {
    const meeting = await app.meetingRequests.place(requireUser(request), request.params.id, request.params.requestId, request.body);
    const event = await app.events.load(request.params.id);
    return { meeting: meetingJson(event, meeting) };
  });

  app.post('/api/v1/events/:id/meeting-requests/:requestId/decline', route(staff, { summary: '不安排一条现场约谈（须写原因，申请方可见）', params: RequestParams, body: DeclineInput, response: { 200: z.object({ status: z.literal('declined') }) } }, { audit: 'event.meeting-request.decline' }), async (request) => {
    await app.meetingRequests.decline(requireUser(request), request.params.id, request.params.requestId, request.body.reason);
    return { status: 'declined' as const };
  });

  app.get('/api/v1/events/:id/revision', route(people, {
    summary: '日程版本号：每次洽谈安排有改动都会增加（日程页面据此在几秒内自动更新）', params: EventParams,
    response: { 200: z.object({ revision: z.number() }) },
  }), async (request) => ({ revision: (await app.events.visible(request.user, request.params.id)).revision ?? 0 }));
};

export default onTheSpotRoutes;
