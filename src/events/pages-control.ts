/**
 * The organizer's control page of an event (/organizer/events/:id): phases, registrations (review,
 * check-in, registering vendors and buyers on their behalf), wishes, and generating the schedule.
 * Every action calls `app.events` / `app.eventMeetings`; a refused one (400/409) is shown in place.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { STAFF_ROLES, requireUser } from '../accounts/index.js';
import { formErrors, readForm } from '../web/forms.js';
import { controlView, type ControlState } from './control-view.js';
import {
  BuyerRegistrationForm, CheckInForm, ControlQuery, EventParams, ParticipantParams, PhaseForm, ReviewForm, ScheduleForm, VendorRegistrationForm, eventMissing,
} from './forms.js';
import { messageOf } from './pages-view.js';
import { createEventReadModel } from './read-model.js';
import { eventDeps } from './deps.js';
import { phaseNames } from './schemas.js';

const access = { access: STAFF_ROLES };
const participantMissing = '未找到该参会方。';
/** A search is a few words or the start of a credit code. */
const searchText = (q: string | undefined) => (q ?? '').trim().slice(0, 60);

const controlPages: FastifyPluginAsyncZod = async (app) => {
  const reads = createEventReadModel(eventDeps(app));

  async function renderControl(request: FastifyRequest, reply: FastifyReply, id: string, state: ControlState = {}, query: { vq?: string; bq?: string } = {}) {
    const user = requireUser(request);
    const { event, participants } = await app.events.participants(user, id);
    const vq = searchText(query.vq);
    const bq = searchText(query.bq);
    const registered = (side: 'vendor' | 'buyerOrg') => new Set(participants.filter((p) => p[side]).map((p) => String(p[side])));
    const [vendorResults, buyerResults, wishes, meetings] = await Promise.all([
      vq ? reads.vendorsToRegister(vq, registered('vendor')) : null,
      bq ? reads.buyersToRegister(bq, registered('buyerOrg')) : null,
      app.events.preferences(user, event, null),
      reads.meetingPairs(event._id),
    ]);
    return reply.code(state.status ?? 200).page('events/control.hbs', controlView({
      event, participants, wishes, meetings, search: { vq, bq, vendorResults, buyerResults }, state,
    }));
  }

  app.get('/organizer/events/:id', { config: access, schema: { params: EventParams, querystring: ControlQuery }, attachValidation: true }, async (request, reply) => {
    formErrors(request, eventMissing);
    return renderControl(request, reply, request.params.id, {}, request.query);
  });

  /** Runs an action of the control page: success → flash and back; a refusal (400/409) → the page with the message in place. */
  async function act(request: FastifyRequest, reply: FastifyReply, id: string, form: string, anchor: string, fn: () => Promise<string>, values: Record<string, string> = {}) {
    try {
      request.flash('success', await fn());
      return reply.redirect(`/organizer/events/${id}#${anchor}`, 303);
    } catch (err) {
      const e = messageOf(err);
      return renderControl(request, reply, id, { form, errors: { _form: e.message, ...e.details }, values, status: e.status });
    }
  }

  const post = { config: access, schema: { params: EventParams }, attachValidation: true } as const;
  const postForParticipant = { config: access, schema: { params: ParticipantParams }, attachValidation: true } as const;

  app.post('/organizer/events/:id/phase', { ...post, config: { ...access, audit: 'event.phase' }, schema: { ...post.schema, body: PhaseForm.schema } }, async (request, reply) => {
    const id = request.params.id;
    const form = readForm(request, PhaseForm, eventMissing);
    if (!form.ok) return renderControl(request, reply, id, { form: 'phase', errors: { _form: form.errors.to ?? '未知的阶段' }, status: 400 });
    return act(request, reply, id, 'phase', 'phase', async () => {
      const event = await app.events.transition(requireUser(request), id, form.input.to);
      return `对接会已进入“${phaseNames[event.phase]}”阶段。`;
    });
  });

  app.post('/organizer/events/:id/participants/:participantId/review', {
    ...postForParticipant, config: { ...access, audit: 'event.participant.review' }, schema: { ...postForParticipant.schema, body: ReviewForm.schema },
  }, async (request, reply) => {
    const { id, participantId } = request.params;
    const form = readForm(request, ReviewForm, participantMissing);
    if (!form.ok) {
      await app.events.participant(await app.events.load(id), participantId);
      return renderControl(request, reply, id, { form: `review-${participantId}`, errors: { _form: Object.values(form.errors).join('；'), ...form.errors }, status: 400 });
    }
    return act(request, reply, id, `review-${participantId}`, 'participants', async () => {
      const p = await app.events.review(requireUser(request), id, participantId, form.input);
      return form.input.decision === 'approve' ? `已通过“${p.name}”的报名。` : `已将“${p.name}”的报名标记为未通过。`;
    });
  });

  app.post('/organizer/events/:id/participants/:participantId/check-in', { ...postForParticipant, schema: { ...postForParticipant.schema, body: CheckInForm.schema } }, async (request, reply) => {
    const { id, participantId } = request.params;
    const form = readForm(request, CheckInForm, participantMissing);
    if (!form.ok) return renderControl(request, reply, id, { form: `review-${participantId}`, errors: { _form: form.errors.state ?? '签到状态有误' }, status: 400 });
    const { state } = form.input;
    return act(request, reply, id, `review-${participantId}`, 'participants', async () => {
      const p = await app.eventMeetings.checkIn(requireUser(request), id, participantId, state);
      return state === 'clear' ? `已撤销“${p.name}”的签到。` : `“${p.name}”：${state === 'arrived' ? '已到场' : '未到场'}。`;
    });
  });

  app.post('/organizer/events/:id/register-vendor', { ...post, schema: { ...post.schema, body: VendorRegistrationForm.schema } }, async (request, reply) => {
    const id = request.params.id;
    const form = readForm(request, VendorRegistrationForm, eventMissing);
    // An empty number of representatives is shown again as the default, 1.
    const values = { ...form.values, representatives: form.values.representatives || '1' };
    if (!form.ok) return renderControl(request, reply, id, { form: 'vendor', errors: { _form: Object.values(form.errors).join('；'), ...form.errors }, values, status: 400 });
    return act(request, reply, id, 'vendor', 'register', async () => {
      const p = await app.events.register(requireUser(request), id, form.input);
      return `已为“${p.name}”报名（已通过，${p.representatives ?? 1} 名参会代表）。`;
    }, values);
  });

  app.post('/organizer/events/:id/register-buyer', { ...post, schema: { ...post.schema, body: BuyerRegistrationForm.schema } }, async (request, reply) => {
    const id = request.params.id;
    const form = readForm(request, BuyerRegistrationForm, eventMissing);
    const { demands: _demands, ...values } = form.values;
    if (!form.ok) return renderControl(request, reply, id, { form: 'buyer', errors: { _form: '请按提示修改后再提交。', ...form.errors }, values, status: 400 });
    return act(request, reply, id, 'buyer', 'register', async () => {
      const p = await app.events.register(requireUser(request), id, form.input);
      return `已为“${p.name}”报名（已通过，关联需求 ${(p.demands ?? []).length} 条）。`;
    }, values);
  });

  app.post('/organizer/events/:id/schedule', { ...post, schema: { ...post.schema, body: ScheduleForm.schema } }, async (request, reply) => {
    const id = request.params.id;
    const form = readForm(request, ScheduleForm, eventMissing);
    const allowMoves = form.ok && form.input.allowMoves;
    return act(request, reply, id, 'schedule', 'schedule', async () => {
      const run = await app.eventMeetings.run(requireUser(request), id, { allowMoves });
      const c = run.changes;
      return `日程已生成：共 ${run.meetings.length} 场洽谈（保留 ${c.kept.length}，新增 ${c.added.length}，调整 ${c.moved.length}，取消 ${c.removed.length}）；${run.unscheduled.length} 对意向未能安排。`;
    });
  });
};

export default controlPages;
