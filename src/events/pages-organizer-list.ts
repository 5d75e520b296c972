/** The organizer's list of events (/organizer/events) and the new-event form (/organizer/events/new). */
import type { FastifyReply } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { STAFF_ROLES, requireUser } from '../accounts/index.js';
import { taxonomy } from '../taxonomy/index.js';
import { readForm, requiredFields, type FieldErrors } from '../web/forms.js';
import { EventForm, type EventFormValues } from './forms.js';
import { eventView, messageOf } from './pages-view.js';
import { createEventReadModel } from './read-model.js';
import { eventDeps } from './deps.js';

const access = { access: STAFF_ROLES };

/** The new-event form's fields: a fortnight and a week ahead, the usual morning of 20-minute slots. */
export function newEventDefaults(now: Date): EventFormValues {
  const day = new Date(now.getTime() + 21 * 86_400_000 + 8 * 3_600_000).toISOString().slice(0, 10);
  return {
    title: '', theme: '安防专场', field: 'security', venue: '', description: '', tables: '10', date: day, startTime: '09:00', slotMinutes: '20', slotCount: '12',
    breaks: '10:30-10:45, 12:00-13:30', registrationDeadline: '', preferenceDeadline: '',
  };
}

export function newEventView(values: EventFormValues, errors: FieldErrors = {}) {
  return {
    title: '新建对接会',
    /** The * marks, from the form's schema. */
    required: requiredFields(EventForm),
    values,
    errors,
    fieldOptions: taxonomy.fields.map((f) => ({ code: f.code, name: f.name, selected: f.code === values.field })),
  };
}

const organizerListPages: FastifyPluginAsyncZod = async (app) => {
  const reads = createEventReadModel(eventDeps(app));

  app.get('/organizer/events', { config: access }, async (request, reply) => {
    const rows = await app.events.list(requireUser(request));
    const meetingsOf = await reads.meetingCounts(rows.map((r) => r.event._id));
    return reply.page('events/organizer-list.hbs', {
      title: '对接会',
      rows: rows.map((r) => ({ ...eventView(r.event), vendors: r.vendors, buyers: r.buyers, meetings: meetingsOf.get(String(r.event._id)) ?? 0 })),
    });
  });

  const renderNew = (reply: FastifyReply, values: EventFormValues, errors: FieldErrors = {}, status = 200) =>
    reply.code(status).page('events/new.hbs', newEventView(values, errors));

  app.get('/organizer/events/new', { config: access }, async (_request, reply) => renderNew(reply, newEventDefaults(app.clock())));

  app.post('/organizer/events/new', { config: access, schema: { body: EventForm.schema }, attachValidation: true }, async (request, reply) => {
    const form = readForm(request, EventForm);
    if (!form.ok) return renderNew(reply, form.values, { _form: '请按提示修改后再提交。', ...form.errors }, 400);
    try {
      const event = await app.events.create(requireUser(request), form.input);
      request.flash('success', `对接会已创建（${form.input.slots.length} 个时段，${form.input.tables} 张洽谈桌），目前处于“筹备中”。准备好后点击“开始报名”。`);
      return reply.redirect(`/organizer/events/${String(event._id)}`, 303);
    } catch (err) {
      const e = messageOf(err);
      return renderNew(reply, form.values, { _form: e.message, ...e.details }, e.status);
    }
  });
};

export default organizerListPages;
