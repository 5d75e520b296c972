/**
 * The organizer's grid of an event (/organizer/events/:id/grid: slots × tables, with the move, cancel,
 * add and outcome forms), its printable table cards and its dashboard. A refused action (400/409) is
 * shown next to its form on the grid.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { STAFF_ROLES, requireUser, type CurrentUser } from '../accounts/index.js';
import { formErrors, readForm, type PageForm } from '../web/forms.js';
import { EventParams, GridQuery, MeetingAddForm, MeetingMoveForm, MeetingParams, OutcomeForm, eventMissing } from './forms.js';
import { qrDataUrl } from './checkin.js';
import { cardsView, chosenMeeting, dashboardView, describeMeeting, gridView, type GridState } from './grid-view.js';
import { messageOf } from './pages-view.js';
import { createEventReadModel } from './read-model.js';
import { eventDeps } from './deps.js';
import { loadDashboard } from './report.js';
import { outcomeNames } from './schemas.js';

const access = { access: STAFF_ROLES };
const meetingMissing = '未找到该洽谈。';

const gridPages: FastifyPluginAsyncZod = async (app) => {
  const reads = createEventReadModel(eventDeps(app));

  async function renderGrid(request: FastifyRequest, reply: FastifyReply, id: string, state: GridState = {}, query: { m?: string; slot?: string; table?: string; p?: string } = {}) {
    const user = requireUser(request);
    const { event, meetings } = await app.eventMeetings.current(user, id);
    const wishes = await app.events.preferences(user, event, null);
    const names = await app.events.names(event._id);
    const selectedId = state.meetingId ?? query.m;
    const chosen = chosenMeeting(meetings, selectedId);
    const demands = chosen ? await reads.demandTitles(names.get(String(chosen.buyer))?.demands ?? []) : [];
    return reply.code(state.status ?? 200).page('events/grid.hbs', gridView({
      event, meetings, names, selectedId, demands, cell: { slot: query.slot, table: query.table }, state, wishes, only: query.p,
    }));
  }

  app.get('/organizer/events/:id/grid', { config: access, schema: { params: EventParams, querystring: GridQuery }, attachValidation: true }, async (request, reply) => {
    formErrors(request, eventMissing);
    return renderGrid(request, reply, request.params.id, {}, request.query);
  });

  /** A grid action: success → flash and back to the grid; refused (400/409) → the grid with the message next to the form. */
  async function gridAct(request: FastifyRequest, reply: FastifyReply, id: string, state: GridState, fn: () => Promise<string>, back = '') {
    try {
      request.flash('success', await fn());
      return reply.redirect(`/organizer/events/${id}/grid${back}`, 303);
    } catch (err) {
      const e = messageOf(err);
      return renderGrid(request, reply, id, { ...state, errors: { _form: e.message, ...e.details }, status: e.status });
    }
  }

  const onEvent = { config: access, schema: { params: EventParams }, attachValidation: true } as const;
  const onMeeting = { config: access, schema: { params: MeetingParams }, attachValidation: true } as const;
  /** The message of a placed or moved meeting, with the names and the slot's time. */
  const described = async (id: string, meeting: Parameters<typeof describeMeeting>[2]) => {
    const event = await app.events.load(id);
    return describeMeeting(event, await app.events.names(event._id), meeting);
  };

  app.post('/organizer/events/:id/meetings', { ...onEvent, schema: { ...onEvent.schema, body: MeetingAddForm.schema } }, async (request, reply) => {
    const id = request.params.id;
    const form = readForm(request, MeetingAddForm, eventMissing);
    if (!form.ok) return renderGrid(request, reply, id, { errors: { _form: '请选择采购方、供应商、时段和桌号。', ...form.errors }, status: 400, values: form.values });
    return gridAct(request, reply, id, { values: form.values }, async () => {
      const m = await app.eventMeetings.add(requireUser(request), id, form.input);
      return `已安排洽谈：${await described(id, m)}。`;
    });
  });

  /** A form about one meeting (move, outcome): refused → the grid with `refused` by the meeting's form; done → back to it. */
  function meetingForm<K extends string, Out>(form: PageForm<K, never, Out>, refused: string, fn: (user: CurrentUser, id: string, meetingId: string, input: Out) => Promise<string>) {
    return async (request: FastifyRequest<{ Params: { id: string; meetingId: string } }>, reply: FastifyReply) => {
      const { id, meetingId } = request.params;
      const read = readForm(request, form, meetingMissing);
      if (!read.ok) return renderGrid(request, reply, id, { errors: { _form: refused, ...read.errors }, status: 400, meetingId, values: read.values });
      return gridAct(request, reply, id, { meetingId, values: read.values }, () => fn(requireUser(request), id, meetingId, read.input), `?m=${meetingId}#edit`);
    };
  }

  app.post('/organizer/events/:id/meetings/:meetingId/move', { ...onMeeting, schema: { ...onMeeting.schema, body: MeetingMoveForm.schema } },
    meetingForm(MeetingMoveForm, '请选择新的时段和桌号。', async (user, id, meetingId, to) => `已调整：${await described(id, await app.eventMeetings.move(user, id, meetingId, to))}。`));

  app.post('/organizer/events/:id/meetings/:meetingId/cancel', onMeeting, async (request, reply) => {
    formErrors(request, meetingMissing);
    const { id, meetingId } = request.params;
    return gridAct(request, reply, id, { meetingId, values: {} }, async () => {
      await app.eventMeetings.cancel(requireUser(request), id, meetingId);
      return '已取消这场洽谈。';
    });
  });

  app.post('/organizer/events/:id/meetings/:meetingId/outcome', { ...onMeeting, schema: { ...onMeeting.schema, body: OutcomeForm.schema } },
    meetingForm(OutcomeForm, '请按提示修改后再提交。', async (user, id, meetingId, input) => {
      const m = await app.eventMeetings.outcome(user, id, meetingId, input);
      return `已登记洽谈结果：${outcomeNames[m.outcome ?? ''] ?? ''}。`;
    }));

  // ---- printable table cards, dashboard ----
  app.get('/organizer/events/:id/cards', onEvent, async (request, reply) => {
    formErrors(request, eventMissing);
    const { event, meetings } = await app.eventMeetings.current(requireUser(request), request.params.id);
    // Each card's QR opens that table's meetings (organizers only: the page lists who meets whom).
    const origin = `${request.protocol}://${request.host}`;
    const qrs = await Promise.all(Array.from({ length: event.tables }, (_, i) => qrDataUrl(`${origin}/organizer/events/${String(event._id)}/tables/${i + 1}`)));
    return reply.page('events/cards.hbs', cardsView(event, meetings, await app.events.names(event._id), qrs));
  });

  app.get('/organizer/events/:id/dashboard', onEvent, async (request, reply) => {
    formErrors(request, eventMissing);
    const event = await app.events.staffEvent(requireUser(request), request.params.id);
    const { figures } = await loadDashboard(eventDeps(app), event);
    return reply.page('events/dashboard.hbs', dashboardView(event, figures));
  });
};

export default gridPages;
