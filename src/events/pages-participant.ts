/**
 * The participants' event pages (vendor and buyer users; organizers may look too): the events open to
 * them with their own registration (/events), an event with its registration form (/events/:id), wishes
 * with the platform's suggestions (/events/:id/wishes) and the printable agenda
 * (/events/:id/agenda/:participantId). Ownership and phases are checked by the services.
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { isStaff, requireUser, type CurrentUser } from '../accounts/index.js';
import { parseForm, type FieldErrors } from '../web/forms.js';
import type { EventPhase } from './model.js';
import { agendaVisible, selfPreferencesOpen, selfRegistrationOpen, staffMayEdit } from './phases.js';
import { ParticipantInput, ParticipantUpdate, PreferenceInput, kindNames, levelNames, participantStatusNames } from './schemas.js';
import type { EventLean, ParticipantLean } from './service.js';
import { bodyOf, eventView, list, messageOf, participantView, slotsView, str, type Obj } from './pages-view.js';

type IdParams = { Params: { id: string } };
type ParticipantParams = { Params: { id: string; participantId: string } };
/** Participants' companies and staff; read-only district leaders see events only as report figures. */
const access = { access: ['vendor', 'buyer', 'organizer', 'admin'] as const };

const participantPages: FastifyPluginAsync = async (app) => {
  const { Demand } = app.models;
  const events = () => app.events;

  /** An organization's demands that may be brought to an event (not drafts, not closed). */
  async function demandsOf(buyerOrgId: unknown) {
    if (!buyerOrgId) return [];
    return Demand.find({ buyerOrg: buyerOrgId, status: { $in: ['open', 'in_progress'] } }, { title: 1 }).sort({ createdAt: -1 }).limit(100).lean();
  }

  // ---- the events open to me ----
  app.get('/events', { config: access }, async (request, reply) => {
    const user = requireUser(request);
    const rows = await events().list(user);
    const mineByEvent = await events().ownIn(user, rows.map((r) => r.event._id));
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
  interface ShowState { errors?: FieldErrors; values?: Obj; status?: number; pid?: string }

  async function renderShow(request: FastifyRequest, reply: FastifyReply, id: string, state: ShowState = {}) {
    const user = requireUser(request);
    const event = await events().visible(user, id);
    const onBehalf = isStaff(user) && Boolean(state.pid);
    const mine = onBehalf ? await events().participant(event, state.pid!) : await events().own(user, event._id);
    const phase = event.phase as EventPhase;
    const now = app.clock();
    const canRegister = !mine && selfRegistrationOpen(phase, event, now) && ((user.role === 'vendor' && Boolean(user.vendorId)) || (user.role === 'buyer' && Boolean(user.buyerOrgId)));
    const editable = Boolean(mine) && mine!.status !== 'rejected' && mine!.status !== 'withdrawn';
    const canUpdate = editable && (onBehalf ? staffMayEdit(phase) : selfPreferencesOpen(phase, event, now));
    const values = state.values ?? {};
    const unavailable = new Set((values.unavailableSlots as string[] | undefined)?.map(Number) ?? mine?.unavailableSlots ?? []);
    const chosenDemands = new Set((values.demands as string[] | undefined) ?? (mine?.demands ?? []).map(String));
    const demands = await demandsOf(onBehalf ? mine?.buyerOrg : user.role === 'buyer' ? user.buyerOrgId : undefined);
    reply.code(state.status ?? 200);
    return reply.page('events/show.hbs', {
      title: event.title,
      event: eventView(event),
      slots: slotsView(event).map((s) => ({ ...s, unavailable: unavailable.has(s.index) })),
      staff: isStaff(user),
      onBehalf,
      pq: onBehalf ? `?p=${String(mine!._id)}` : '',
      isVendor: onBehalf ? mine!.kind === 'vendor' : user.role === 'vendor',
      isBuyer: onBehalf ? mine!.kind === 'buyer' : user.role === 'buyer',
      noOrg: (user.role === 'vendor' && !user.vendorId) || (user.role === 'buyer' && !user.buyerOrgId),
      mine: mine ? participantView(mine) : null,
      canRegister,
      regForm: canRegister
        ? { heading: '报名参会', action: `/events/${String(event._id)}/register`, button: '提交报名' }
        : canUpdate ? { heading: onBehalf ? `修改报名信息（代 ${mine!.name}）` : '修改报名信息', action: `/events/${String(event._id)}/participants/${String(mine!._id)}/update`, button: '保存' } : null,
      canWithdraw: Boolean(mine) && (mine!.status === 'pending' || mine!.status === 'approved') && staffMayEdit(phase),
      registrationOpen: selfRegistrationOpen(phase, event, now),
      preferencesOpen: selfPreferencesOpen(phase, event, now),
      agendaOut: agendaVisible(phase),
      demandOptions: demands.map((d) => ({ id: String(d._id), title: d.title, checked: chosenDemands.has(String(d._id)) })),
      values: {
        representatives: values.representatives ?? String(mine?.representatives ?? 1),
        contactName: values.contactName ?? mine?.contactName ?? '',
        contactPhone: values.contactPhone ?? mine?.contactPhone ?? '',
      },
      errors: state.errors ?? {},
    });
  }

  app.get<IdParams>('/events/:id', { config: access }, async (request, reply) =>
    renderShow(request, reply, request.params.id, { pid: str(((request.query ?? {}) as Obj).p) }));

  function registrationValues(body: Obj) {
    return {
      representatives: str(body.representatives) ?? '',
      contactName: str(body.contactName) ?? '',
      contactPhone: str(body.contactPhone) ?? '',
      unavailableSlots: list(body.unavailableSlots),
      demands: list(body.demands),
    };
  }

  app.post<IdParams>('/events/:id/register', { config: access }, async (request, reply) => {
    const user = requireUser(request);
    const id = request.params.id;
    const event = await events().visible(user, id);
    if (isStaff(user)) {
      request.flash('info', '主办方请在对接会管理页为供应商或采购方报名。');
      return reply.redirect(`/organizer/events/${String(event._id)}#register`, 303);
    }
    const values = registrationValues(bodyOf(request));
    const kind = user.role === 'vendor' ? 'vendor' : 'buyer';
    const parsed = parseForm(ParticipantInput, {
      kind,
      contactName: values.contactName, contactPhone: values.contactPhone, unavailableSlots: values.unavailableSlots,
      ...(kind === 'vendor' ? { representatives: values.representatives || undefined } : { demands: values.demands }),
    });
    if (!parsed.ok) return renderShow(request, reply, id, { errors: { _form: '请按提示修改后再提交。', ...parsed.errors }, values, status: 400 });
    try {
      await events().register(user, id, parsed.data);
      request.flash('success', '报名已提交，请等待主办方审核。审核通过后即可选择希望洽谈的对象。');
      return reply.redirect(`/events/${id}`, 303);
    } catch (err) {
      const e = messageOf(err);
      return renderShow(request, reply, id, { errors: { _form: e.message, ...e.details }, values, status: e.status });
    }
  });

  app.post<ParticipantParams>('/events/:id/participants/:participantId/update', { config: access }, async (request, reply) => {
    const user = requireUser(request);
    const { id, participantId } = request.params;
    const event = await events().visible(user, id);
    const p = await events().participant(event, participantId);
    const values = registrationValues(bodyOf(request));
    const parsed = parseForm(ParticipantUpdate, {
      contactName: values.contactName, contactPhone: values.contactPhone, unavailableSlots: values.unavailableSlots,
      ...(p.kind === 'vendor' ? { representatives: values.representatives || undefined } : { demands: values.demands }),
    });
    const pid = isStaff(user) ? participantId : undefined;
    if (!parsed.ok) return renderShow(request, reply, id, { errors: { _form: '请按提示修改后再提交。', ...parsed.errors }, values, status: 400, pid });
    try {
      await events().updateParticipant(user, id, participantId, parsed.data);
      request.flash('success', '报名信息已保存。');
      return reply.redirect(pid ? `/events/${id}?p=${pid}` : `/events/${id}`, 303);
    } catch (err) {
      const e = messageOf(err);
      return renderShow(request, reply, id, { errors: { _form: e.message, ...e.details }, values, status: e.status, pid });
    }
  });

  app.post<ParticipantParams>('/events/:id/participants/:participantId/withdraw', { config: access }, async (request, reply) => {
    const { id, participantId } = request.params;
    try {
      const p = await events().withdraw(requireUser(request), id, participantId);
      request.flash('success', `“${p.name}”已退出本场对接会。`);
    } catch (err) {
      request.flash('error', messageOf(err).message);
    }
    return reply.redirect(`/events/${id}`, 303);
  });

  // ---- wishes and suggestions ----
  interface WishState { error?: { to: string; message: string }; status?: number }

  /** Whose wishes the page is about: the user's own registration, or (organizers) the one named by ?p=. */
  async function subject(user: CurrentUser, event: EventLean, p: string | undefined): Promise<ParticipantLean | null> {
    if (isStaff(user)) return p ? events().participant(event, p) : null;
    return events().own(user, event._id);
  }

  async function renderWishes(request: FastifyRequest, reply: FastifyReply, id: string, pid: string | undefined, state: WishState = {}) {
    const user = requireUser(request);
    const { event, participants } = await events().participants(user, id);
    const me = await subject(user, event, pid);
    const phase = event.phase as EventPhase;
    const staff = isStaff(user);
    const base = { title: `洽谈意向 · ${event.title}`, event: eventView(event), staff };
    reply.code(state.status ?? 200);
    if (!me) {
      return reply.page('events/wishes.hbs', {
        ...base,
        formError: state.error?.message ?? '',
        notRegistered: !staff,
        choose: staff
          ? participants.filter((p) => p.status === 'approved').map((p) => ({ id: String(p._id), name: p.name, kindName: kindNames[p.kind] }))
          : [],
      });
    }
    const open = staff ? staffMayEdit(phase) : selfPreferencesOpen(phase, event, app.clock()) && me.status !== 'rejected' && me.status !== 'withdrawn';
    const wishes = await events().preferences(user, event, me);
    const mineTo = new Map(wishes.filter((w) => String(w.from) === String(me._id)).map((w) => [String(w.to), w]));
    const theirs = new Map(wishes.filter((w) => String(w.to) === String(me._id) && w.level !== 'no').map((w) => [String(w.from), w.level]));
    const others = participants.filter((p) => p.kind !== me.kind && p.status === 'approved');
    let suggestions: Obj[] = [];
    let suggestionsUnavailable = false;
    try {
      suggestions = (await events().suggestions(user, id, String(me._id))).map((s) => ({
        to: s.to, name: s.name, percent: Math.round(s.score * 100), demand: s.demand.title,
        reasons: s.reasons.filter((r) => r.text).map((r) => r.text), products: s.products.map((x) => `${x.name}${x.model ? `（${x.model}）` : ''}`),
        levelName: s.level ? levelNames[s.level] : '', wished: Boolean(s.level),
      }));
    } catch (err) {
      request.log.warn({ err }, '推荐暂不可用');
      suggestionsUnavailable = true;
    }
    const pq = staff ? `?p=${String(me._id)}` : '';
    return reply.page('events/wishes.hbs', {
      ...base,
      me: participantView(me),
      pq,
      pid: staff ? String(me._id) : '',
      open,
      otherKindName: me.kind === 'vendor' ? '采购方' : '供应商',
      rows: others.map((o) => {
        const level = mineTo.get(String(o._id))?.level ?? '';
        return {
          id: String(o._id), name: o.name, level, levelName: level ? levelNames[level] : '未设置',
          fromSuggestion: mineTo.get(String(o._id))?.source === 'suggestion',
          theirLevel: theirs.get(String(o._id)) ? levelNames[theirs.get(String(o._id))!] : '',
          options: ['must', 'want', 'no'].map((l) => ({ code: l, name: levelNames[l], checked: l === level })),
          none: !level,
          error: state.error?.to === String(o._id) ? state.error.message : '',
        };
      }),
      suggestions,
      suggestionsUnavailable,
      formError: state.error?.message ?? '',
    });
  }

  app.get<IdParams>('/events/:id/wishes', { config: access }, async (request, reply) =>
    renderWishes(request, reply, request.params.id, str(((request.query ?? {}) as Obj).p)));

  app.post<IdParams>('/events/:id/wishes', { config: access }, async (request, reply) => {
    const user = requireUser(request);
    const id = request.params.id;
    const body = bodyOf(request);
    const event = await events().visible(user, id);
    const pid = isStaff(user) ? str(body.p) : undefined;
    const me = await subject(user, event, pid);
    const to = str(body.to) ?? '';
    if (!me) {
      return renderWishes(request, reply, id, pid, { error: { to, message: isStaff(user) ? '请先选择为哪家参会方设置意向。' : '请先报名本场对接会。' }, status: 409 });
    }
    const level = str(body.level) ?? '';
    const back = `/events/${id}/wishes${isStaff(user) ? `?p=${String(me._id)}` : ''}`;
    try {
      if (level === '' || level === 'none') {
        if (!/^[0-9a-f]{24}$/i.test(to)) return renderWishes(request, reply, id, pid, { error: { to, message: '请选择洽谈对象。' }, status: 400 });
        await events().clearPreference(user, id, String(me._id), to);
        request.flash('success', '已撤销该意向。');
      } else {
        const parsed = parseForm(PreferenceInput, { from: String(me._id), to, level, source: str(body.source) === 'suggestion' ? 'suggestion' : 'manual' });
        if (!parsed.ok) return renderWishes(request, reply, id, pid, { error: { to, message: Object.values(parsed.errors).join('；') }, status: 400 });
        await events().setPreference(user, id, parsed.data);
        const other = (await events().names(event._id)).get(to);
        request.flash('success', `已设置：${levelNames[level]}“${other?.name ?? ''}”。`);
      }
      return reply.redirect(`${back}#w-${to}`, 303);
    } catch (err) {
      const e = messageOf(err, true);
      return renderWishes(request, reply, id, pid, { error: { to, message: e.message }, status: e.status });
    }
  });

  // ---- the agenda ----
  app.get<ParticipantParams>('/events/:id/agenda/:participantId', { config: access }, async (request, reply) => {
    const user = requireUser(request);
    const { id, participantId } = request.params;
    const agenda = await app.eventMeetings.agenda(user, id, participantId);
    const slots = slotsView(agenda.event);
    const staff = isStaff(user);
    return reply.page('events/agenda.hbs', {
      title: `洽谈日程 · ${agenda.participant.name}`,
      event: eventView(agenda.event),
      participant: participantView(agenda.participant),
      staff,
      published: agenda.published,
      show: agenda.published || staff,
      printable: true,
      icsUrl: `/api/v1/events/${id}/participants/${participantId}/agenda.ics`,
      meetings: agenda.meetings.map(({ meeting, counterpart }) => ({
        slot: meeting.slot + 1,
        time: slots[meeting.slot]?.time ?? '',
        table: meeting.table,
        counterpart: counterpart?.name ?? '',
        counterpartKind: counterpart ? kindNames[counterpart.kind] : '',
        outcome: meeting.outcome ?? '',
      })),
    });
  });
};

export default participantPages;
