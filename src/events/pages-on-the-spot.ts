/**
 * 现场约谈 pages: a participant asks for an extra meeting from its agenda page (the form posts here and
 * comes back to the agenda with a message), and organizers place or decline the open requests at
 * /organizer/events/:id/requests, each with the cells where both sides are free (one click per cell).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ObjectIdParam, requireUser } from '../accounts/index.js';
import { badRequest } from '../web/errors.js';
import { formErrors, pageForm, readForm } from '../web/forms.js';
import { EventParams, ParticipantParams, eventMissing } from './forms.js';
import { eventView, messageOf, slotsView } from './pages-view.js';
import { kindNames, DeclineInput, MeetingMove, MeetingRequestInput } from './schemas.js';

const RequestParams = z.object({ id: ObjectIdParam, requestId: ObjectIdParam });
const AskForm = pageForm({ text: ['to', 'note'] }, (v) => ({ to: v.to, note: v.note }), MeetingRequestInput);
const PlaceForm = pageForm({ text: ['slot', 'table'] }, (v) => ({ slot: v.slot, table: v.table }), MeetingMove);
const DeclineForm = pageForm({ text: ['reason'] }, (v) => ({ reason: v.reason }), DeclineInput);
const staffAccess = { access: ['organizer', 'admin'] as const };
const people = { access: ['vendor', 'buyer', 'organizer', 'admin'] as const };

const onTheSpotPages: FastifyPluginAsyncZod = async (app) => {
  app.post('/events/:id/agenda/:participantId/requests', {
    config: people, schema: { params: ParticipantParams, body: AskForm.schema }, attachValidation: true,
  }, async (request, reply) => {
    const { id, participantId } = request.params;
    const back = `/events/${id}/agenda/${participantId}#spot`;
    const form = readForm(request, AskForm, '未找到该参会方。');
    if (!form.ok) {
      request.flash('error', form.errors.to ?? form.errors.note ?? '请选择要约谈的参会方。');
      return reply.redirect(back, 303);
    }
    try {
      await app.meetingRequests.ask(requireUser(request), id, participantId, form.input);
      request.flash('success', '约谈申请已提交，主办方安排后日程会自动更新，并通知双方。');
    } catch (err) {
      request.flash('error', messageOf(err, true).message);
    }
    return reply.redirect(back, 303);
  });

  app.get('/organizer/events/:id/requests', { config: staffAccess, schema: { params: EventParams }, attachValidation: true }, async (request, reply) => {
    formErrors(request, eventMissing);
    const { event, requests } = await app.meetingRequests.openWithCells(requireUser(request), request.params.id);
    const slots = slotsView(event);
    return reply.page('events/requests.hbs', {
      title: `现场约谈 · ${event.title}`,
      event: eventView(event),
      open: event.phase === 'published',
      requests: requests.map(({ request: r, buyer, vendor, cells }) => ({
        id: String(r._id),
        buyer: buyer?.name ?? '',
        vendor: vendor?.name ?? '',
        askedBy: kindNames[String(r.from) === String(r.buyer) ? 'buyer' : 'vendor'],
        note: r.note ?? '',
        at: r.createdAt,
        cells: cells.map((c) => ({ ...c, label: `第 ${c.slot + 1} 时段 ${slots[c.slot]?.time ?? ''} · ${c.table} 号桌` })),
      })),
    });
  });

  /** Places or declines a request from the list, then back to the list with what happened (or why not). */
  async function decide(request: FastifyRequest, reply: FastifyReply, id: string, act: () => Promise<string>) {
    try {
      request.flash('success', await act());
    } catch (err) {
      request.flash('error', messageOf(err, true).message);
    }
    return reply.redirect(`/organizer/events/${id}/requests`, 303);
  }

  app.post('/organizer/events/:id/requests/:requestId/place', {
    config: { ...staffAccess, audit: 'event.meeting-request.place' }, schema: { params: RequestParams, body: PlaceForm.schema }, attachValidation: true,
  }, async (request, reply) => {
    const { id, requestId } = request.params;
    const form = readForm(request, PlaceForm, '未找到该约谈申请。');
    return decide(request, reply, id, async () => {
      if (!form.ok) throw badRequest('请选择一个空闲的时段和桌号。');
      await app.meetingRequests.place(requireUser(request), id, requestId, form.input);
      return `已安排在第 ${form.input.slot + 1} 时段 ${form.input.table} 号桌，双方已收到通知。`;
    });
  });

  app.post('/organizer/events/:id/requests/:requestId/decline', {
    config: { ...staffAccess, audit: 'event.meeting-request.decline' }, schema: { params: RequestParams, body: DeclineForm.schema }, attachValidation: true,
  }, async (request, reply) => {
    const { id, requestId } = request.params;
    const form = readForm(request, DeclineForm, '未找到该约谈申请。');
    return decide(request, reply, id, async () => {
      if (!form.ok) throw badRequest(form.errors.reason ?? '请填写不能安排的原因。');
      await app.meetingRequests.decline(requireUser(request), id, requestId, form.input.reason);
      return '已告知不能安排。';
    });
  });
};

export default onTheSpotPages;
