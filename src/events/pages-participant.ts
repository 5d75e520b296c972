/**
 * The participants' event pages (vendor and buyer users; organizers may look too): the events open to
 * them with their own registration (/events), an event with its registration form (/events/:id), wishes
 * with the platform's suggestions (/events/:id/wishes) and the printable agenda
 * (/events/:id/agenda/:participantId). Ownership and phases are checked by the services.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { isStaff, requireUser, type CurrentUser } from '../accounts/index.js';
import { formErrors, readForm, type FieldErrors } from '../web/forms.js';
import { EventParams, OnBehalfQuery, ParticipantParams, RegistrationForm, WishForm, WishListForm, eventMissing, registrationOf } from './forms.js';
import type { EventPhase } from './model.js';
import { qrDataUrl } from './checkin.js';
import { agendaView, showView, spotView, suggestionRows, wishChanges, wishChangesMessage, wishRows, type RegistrationValues, type WishError } from './participant-view.js';
import { selfPreferencesOpen, selfRegistrationOpen, staffMayEdit } from './phases.js';
import { eventView, messageOf, participantView } from './pages-view.js';
import { createEventReadModel } from './read-model.js';
import { eventDeps } from './deps.js';
import { kindNames, levelNames, participantStatusNames } from './schemas.js';
import type { EventLean, ParticipantLean } from './service.js';

/** Participants' companies and staff; read-only district leaders see events only as report figures. */
const access = { access: ['vendor', 'buyer', 'organizer', 'admin'] as const };
const participantMissing = '未找到该参会方。';

const participantPages: FastifyPluginAsyncZod = async (app) => {
  const events = app.events;
  const reads = createEventReadModel(eventDeps(app));

  // ---- the events open to me ----
  app.get('/events', { config: access }, async (request, reply) => {
    const user = requireUser(request);
    const rows = await events.list(user);
    const mineByEvent = await events.ownIn(user, rows.map((r) => r.event._id));
    const items = rows.map(({ event, vendors, buyers }) => {
      const mine = mineByEvent.get(String(event._id));
      return {
        ...eventView(event), vendors, buyers,
        mine: mine ? { id: String(mine._id), statusName: participantStatusNames[mine.status] ?? mine.status, status: mine.status } : null,
        registrationOpen: selfRegistrationOpen(event.phase as EventPhase, event, app.clock()),
      };
    });
    return reply.page('events/list.hbs', { title: '对接会', items, staff: isStaff(user) });
  });

  // ---- an event: details, registration ----
  /** pid: an organizer editing a participant's registration on its behalf (/events/:id?p=…). */
  interface ShowState { errors?: FieldErrors; values?: RegistrationValues; status?: number; pid?: string }

  async function renderShow(request: FastifyRequest, reply: FastifyReply, id: string, state: ShowState = {}) {
    const user = requireUser(request);
    const event = await events.visible(user, id);
    const onBehalf = isStaff(user) && Boolean(state.pid);
    const mine = onBehalf ? await events.participant(event, state.pid!) : await events.own(user, event._id);
    const demands = await reads.demandsToBring(onBehalf ? mine?.buyerOrg : user.role === 'buyer' ? user.buyerOrgId : undefined);
    return reply.code(state.status ?? 200).page('events/show.hbs', showView({
      user, staff: isStaff(user), event, mine, onBehalf, demands, now: app.clock(), values: state.values, errors: state.errors,
    }));
  }

  app.get('/events/:id', { config: access, schema: { params: EventParams, querystring: OnBehalfQuery }, attachValidation: true }, async (request, reply) => {
    formErrors(request, eventMissing);
    return renderShow(request, reply, request.params.id, { pid: request.query.p });
  });

  app.post('/events/:id/register', { config: access, schema: { params: EventParams, body: RegistrationForm.schema }, attachValidation: true }, async (request, reply) => {
    const user = requireUser(request);
    const form = readForm(request, RegistrationForm, eventMissing);
    const id = request.params.id;
    const event = await events.visible(user, id);
    if (isStaff(user)) {
      request.flash('info', '主办方请在对接会管理页为供应商或采购方报名。');
      return reply.redirect(`/organizer/events/${String(event._id)}#register`, 303);
    }
    if (!form.ok) return renderShow(request, reply, id, { errors: { _form: '请按提示修改后再提交。', ...form.errors }, values: form.values, status: 400 });
    const kind = user.role === 'vendor' ? 'vendor' : 'buyer';
    try {
      await events.register(user, id, { kind, ...registrationOf(kind, form.input) });
      request.flash('success', '报名已提交，请等待主办方审核。审核通过后即可选择希望洽谈的对象。');
      return reply.redirect(`/events/${id}`, 303);
    } catch (err) {
      const e = messageOf(err);
      return renderShow(request, reply, id, { errors: { _form: e.message, ...e.details }, values: form.values, status: e.status });
    }
  });

  app.post('/events/:id/participants/:participantId/update', {
    config: access, schema: { params: ParticipantParams, body: RegistrationForm.schema }, attachValidation: true,
  }, async (request, reply) => {
    const user = requireUser(request);
    const form = readForm(request, RegistrationForm, participantMissing);
    const { id, participantId } = request.params;
    const event = await events.visible(user, id);
    const p = await events.participant(event, participantId);
    const pid = isStaff(user) ? participantId : undefined;
    if (!form.ok) return renderShow(request, reply, id, { errors: { _form: '请按提示修改后再提交。', ...form.errors }, values: form.values, status: 400, pid });
    try {
      await events.updateParticipant(user, id, participantId, registrationOf(p.kind as 'vendor' | 'buyer', form.input));
      request.flash('success', '报名信息已保存。');
      return reply.redirect(pid ? `/events/${id}?p=${pid}` : `/events/${id}`, 303);
    } catch (err) {
      const e = messageOf(err);
      return renderShow(request, reply, id, { errors: { _form: e.message, ...e.details }, values: form.values, status: e.status, pid });
    }
  });

  app.post('/events/:id/participants/:participantId/withdraw', { config: access, schema: { params: ParticipantParams }, attachValidation: true }, async (request, reply) => {
    formErrors(request, participantMissing);
    const { id, participantId } = request.params;
    try {
      const p = await events.withdraw(requireUser(request), id, participantId);
      request.flash('success', `“${p.name}”已退出本场对接会。`);
    } catch (err) {
      request.flash('error', messageOf(err).message);
    }
    return reply.redirect(`/events/${id}`, 303);
  });

  // ---- wishes and suggestions ----
  interface WishState { error?: WishError; status?: number; typed?: Record<string, string> }

  /** Whose wishes the page is about: the user's own registration, or (organizers) the one named by ?p=. */
  async function subject(user: CurrentUser, event: EventLean, p: string | undefined): Promise<ParticipantLean | null> {
    if (isStaff(user)) return p ? events.participant(event, p) : null;
    return events.own(user, event._id);
  }

  async function renderWishes(request: FastifyRequest, reply: FastifyReply, id: string, pid: string | undefined, state: WishState = {}) {
    const user = requireUser(request);
    const { event, participants } = await events.participants(user, id);
    const me = await subject(user, event, pid);
    const staff = isStaff(user);
    const base = { title: `洽谈意向 · ${event.title}`, event: eventView(event), staff, formError: state.error?.message ?? '' };
    reply.code(state.status ?? 200);
    if (!me) {
      return reply.page('events/wishes.hbs', {
        ...base,
        notRegistered: !staff,
        choose: staff
          ? participants.filter((p) => p.status === 'approved').map((p) => ({ id: String(p._id), name: p.name, kindName: kindNames[p.kind] }))
          : [],
      });
    }
    const phase = event.phase as EventPhase;
    const open = staff ? staffMayEdit(phase) : selfPreferencesOpen(phase, event, app.clock()) && me.status !== 'rejected' && me.status !== 'withdrawn';
    const wishes = await events.preferences(user, event, me);
    let suggestions: ReturnType<typeof suggestionRows> = [];
    let suggestionsUnavailable = false;
    try {
      suggestions = suggestionRows(await events.suggestions(user, id, String(me._id)));
    } catch (err) {
      request.log.warn({ err }, '推荐暂不可用');
      suggestionsUnavailable = true;
    }
    return reply.page('events/wishes.hbs', {
      ...base,
      me: participantView(me),
      pq: staff ? `?p=${String(me._id)}` : '',
      pid: staff ? String(me._id) : '',
      open,
      otherKindName: me.kind === 'vendor' ? '采购方' : '供应商',
      rows: wishRows(me, participants, wishes, state.error, state.typed),
      suggestions,
      suggestionsUnavailable,
    });
  }

  app.get('/events/:id/wishes', { config: access, schema: { params: EventParams, querystring: OnBehalfQuery }, attachValidation: true }, async (request, reply) => {
    formErrors(request, eventMissing);
    return renderWishes(request, reply, request.params.id, request.query.p);
  });

  app.post('/events/:id/wishes', { config: access, schema: { params: EventParams, body: WishForm.schema }, attachValidation: true }, async (request, reply) => {
    const user = requireUser(request);
    const form = readForm(request, WishForm, eventMissing);
    const id = request.params.id;
    const event = await events.visible(user, id);
    const pid = isStaff(user) ? form.values.p || undefined : undefined;
    const me = await subject(user, event, pid);
    const to = form.values.to;
    if (!me) {
      return renderWishes(request, reply, id, pid, { error: { to, message: isStaff(user) ? '请先选择为哪家参会方设置意向。' : '请先报名本场对接会。' }, status: 409 });
    }
    if (!form.ok) return renderWishes(request, reply, id, pid, { error: { to, message: Object.values(form.errors).join('；') }, status: 400 });
    const wish = form.input;
    const back = `/events/${id}/wishes${isStaff(user) ? `?p=${String(me._id)}` : ''}`;
    try {
      if (wish.clear) {
        await events.clearPreference(user, id, String(me._id), wish.to);
        request.flash('success', '已撤销该意向。');
      } else {
        await events.setPreference(user, id, { from: String(me._id), to: wish.to, level: wish.level, source: wish.source });
        const other = (await events.names(event._id)).get(wish.to);
        request.flash('success', `已设置：${levelNames[wish.level]}“${other?.name ?? ''}”。`);
      }
      return reply.redirect(`${back}#w-${to}`, 303);
    } catch (err) {
      const e = messageOf(err, true);
      return renderWishes(request, reply, id, pid, { error: { to, message: e.message }, status: e.status });
    }
  });

  /** The whole list in one form: every row's choice is saved at once (only the changed ones are written). */
  app.post('/events/:id/wishes/list', { config: access, schema: { params: EventParams, body: WishListForm }, attachValidation: true }, async (request, reply) => {
    const user = requireUser(request);
    const errors = formErrors(request, eventMissing);
    const id = request.params.id;
    const raw = request.body as { p?: unknown };
    const pid = isStaff(user) && typeof raw?.p === 'string' && raw.p ? raw.p : undefined;
    if (errors) return renderWishes(request, reply, id, pid, { error: { to: '', message: Object.values(errors).join('；') }, status: 400 });
    const { event, participants } = await events.participants(user, id);
    const me = await subject(user, event, pid);
    if (!me) {
      return renderWishes(request, reply, id, pid, { error: { to: '', message: isStaff(user) ? '请先选择为哪家参会方设置意向。' : '请先报名本场对接会。' }, status: 409 });
    }
    const { levels } = request.body;
    const others = new Set(participants.filter((p) => p.kind !== me.kind && p.status === 'approved').map((p) => String(p._id)));
    const stranger = Object.keys(levels).find((to) => !others.has(to));
    if (stranger) return renderWishes(request, reply, id, pid, { error: { to: '', message: '名单已有变化，请刷新页面后重新选择。' }, status: 400, typed: levels });
    const changes = wishChanges(me, await events.preferences(user, event, me), levels);
    const back = `/events/${id}/wishes${isStaff(user) ? `?p=${String(me._id)}` : ''}`;
    try {
      // All rows or none: a refused row (a participant withdrew meanwhile, the deadline passed) saves nothing.
      await events.saveWishList(user, id, String(me._id), changes);
      request.flash('success', wishChangesMessage(changes));
      return reply.redirect(`${back}#all`, 303);
    } catch (err) {
      const e = messageOf(err, true);
      const to = Object.keys(e.details).find((path) => path in levels) ?? '';
      return renderWishes(request, reply, id, pid, { error: { to, message: e.message }, status: e.status, typed: levels });
    }
  });

  // ---- the agenda ----
  app.get('/events/:id/agenda/:participantId', { config: access, schema: { params: ParticipantParams }, attachValidation: true }, async (request, reply) => {
    formErrors(request, participantMissing);
    const user = requireUser(request);
    const agenda = await app.eventMeetings.agenda(user, request.params.id, request.params.participantId);
    const qr = agenda.checkInCode ? await qrDataUrl(agenda.checkInCode) : '';
    const spot = await app.meetingRequests.forAgenda(agenda.event, agenda.participant);
    return reply.page('events/agenda.hbs', { ...agendaView(agenda, isStaff(user), qr), spot: spot && spotView(spot) });
  });
};

export default participantPages;
