/**
 * Pages of 企业调研 / 现场考察. Organizers: the list (/organizer/visits), create and edit with the stops,
 * one page per visit with its phase, registrations to approve, the check-in count (the check-in page and
 * badges: day.ts), outcomes per stop and whom to invite. Buyers: open visits and suggestions (/visits), a visit with the registration form
 * (/visits/:id), the itinerary with the check-in code (/visits/:id/itinerary/:rid). Host vendors: the
 * visits to their company (/vendor/visits). Every page works without JavaScript.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { Types } from 'mongoose';
import { STAFF_ROLES, isStaff, requireUser, type CurrentUser } from '../accounts/index.js';
import { formatCode, qrDataUrl } from '../events/index.js';
import { fieldName, taxonomy } from '../taxonomy/index.js';
import { AppError } from '../web/errors.js';
import { formErrors, readForm } from '../web/forms.js';
import {
  FORM_STOPS, OutcomeForm, PhaseForm, RegisterForm, RegistrationParams, ReviewForm, StopParams, VisitForm, VisitParams,
  stopFieldErrors, visitFormValues, visitMissing, type VisitFormValues,
} from './forms.js';
import { visitOver, withdrawOpen } from './attendance.js';
import { hhmm } from './route.js';
import { kindNames, outcomeNames, phaseNames, statusNames } from './schemas.js';
import type { OutcomeLean, RegistrationLean, VisitLean } from './service.js';

const staff = { access: STAFF_ROLES };
const people = { access: ['vendor', 'buyer', 'organizer', 'admin'] as const };

/** A 4xx AppError as a message for the page; anything else is thrown on (a 500 page, logged). */
export function messageOf(err: unknown): { status: number; message: string; details: Record<string, string> } {
  if (!(err instanceof AppError) || err.statusCode >= 500) throw err;
  const details: Record<string, string> = {};
  for (const d of err.details ?? []) details[d.path] = d.message;
  return { status: err.statusCode, message: err.message, details };
}

export function visitView(v: VisitLean) {
  return {
    id: String(v._id), title: v.title, kind: v.kind, kindName: kindNames[v.kind], date: v.date, phase: v.phase, phaseName: phaseNames[v.phase],
    fieldName: v.field ? fieldName(v.field) : '', capacity: v.capacity, approved: v.approved ?? 0, meetingPoint: v.meetingPoint ?? '',
    description: v.description ?? '', registrationDeadline: v.registrationDeadline,
    hours: v.stops.length ? `${hhmm(Math.min(...v.stops.map((s) => s.start)))}–${hhmm(Math.max(...v.stops.map((s) => s.end)))}` : '',
    stops: v.stops.map((s, index) => ({
      index, number: index + 1, vendorId: String(s.vendor), vendorName: s.vendorName, place: s.place ?? '', address: s.address,
      start: hhmm(s.start), end: hhmm(s.end), travelMinutes: s.travelMinutes ?? undefined, shows: s.shows ?? '',
    })),
  };
}

const registrationView = (r: RegistrationLean) => ({
  id: String(r._id), name: r.name, status: r.status, statusName: statusNames[r.status], people: r.people ?? 1, officials: r.officials ?? '',
  contactName: r.contactName ?? '', contactPhone: r.contactPhone ?? '', rejectReason: r.rejectReason ?? '', demands: (r.demands ?? []).map(String),
  pending: r.status === 'pending', approved: r.status === 'approved', withdrawn: r.status === 'withdrawn', arrived: r.checkIn === 'arrived', noShow: r.checkIn === 'no_show', checkInAt: r.checkInAt,
  code: r.checkInCode ? formatCode(r.checkInCode) : '',
});

const visitPages: FastifyPluginAsyncZod = async (app) => {
  const vendorOptions = async (selected?: string) =>
    (await app.models.Vendor.find({ status: 'approved' }, { name: 1 }).sort({ name: 1 }).limit(1000).lean())
      .map((v) => ({ id: String(v._id), name: v.name, selected: String(v._id) === selected }));

  async function formView(values: VisitFormValues, errors: Record<string, string>, visit?: VisitLean) {
    const rows = [];
    for (let i = 0; i < FORM_STOPS; i++) {
      const k = (x: string) => `s${i}_${x}`;
      rows.push({
        index: i, number: i + 1, vendors: await vendorOptions(values[k('vendor')]),
        place: values[k('place')], address: values[k('address')], start: values[k('start')], end: values[k('end')], travel: values[k('travel')], shows: values[k('shows')],
        errors: { vendor: errors[k('vendor')], address: errors[k('address')], start: errors[k('start')], end: errors[k('end')], travel: errors[k('travel')], shows: errors[k('shows')] },
      });
    }
    return {
      title: visit ? `修改：${visit.title}` : '新建企业调研或现场考察',
      action: visit ? `/organizer/visits/${String(visit._id)}/edit` : '/organizer/visits/new',
      visit: visit ? visitView(visit) : undefined,
      values, errors, rows, defaultTravel: app.config.VISIT_TRAVEL_MINUTES,
      kinds: Object.entries(kindNames).map(([code, name]) => ({ code, name, selected: values.kind === code })),
      fieldOptions: taxonomy.fields.map((f) => ({ code: f.code, name: f.name, selected: f.code === values.field })),
    };
  }

  // ---------------------------------------------------------------- organizers

  app.get('/organizer/visits', { config: staff }, async (request, reply) => {
    const rows = await app.visits.list(requireUser(request));
    return reply.page('visits/organizer-list.hbs', { title: '企业调研与现场考察', rows: rows.map((r) => visitView(r.visit)) });
  });

  const renderForm = async (reply: FastifyReply, values: VisitFormValues, errors: Record<string, string> = {}, status = 200, visit?: VisitLean) =>
    reply.code(status).page('visits/form.hbs', await formView(values, errors, visit));

  app.get('/organizer/visits/new', { config: staff }, async (_request, reply) => {
    const day = new Date(app.clock().getTime() + 14 * 86_400_000 + 8 * 3_600_000).toISOString().slice(0, 10);
    return renderForm(reply, visitFormValues(undefined, { date: day }));
  });

  app.post('/organizer/visits/new', { config: { ...staff, audit: 'visit.create' }, schema: { body: VisitForm.schema }, attachValidation: true }, async (request, reply) => {
    const form = readForm(request, VisitForm);
    if (!form.ok) return renderForm(reply, form.values, { _form: '请按提示修改后再提交。', ...stopFieldErrors(form.errors) }, 400);
    try {
      const visit = await app.visits.create(requireUser(request), form.input);
      request.flash('success', `${kindNames[visit.kind]}已创建（${visit.stops.length} 站），目前处于“筹备中”；准备好后点击“开始报名”。`);
      return reply.redirect(`/organizer/visits/${String(visit._id)}`, 303);
    } catch (err) {
      const e = messageOf(err);
      return renderForm(reply, form.values, { _form: e.message, ...stopFieldErrors(e.details) }, e.status);
    }
  });

  app.get('/organizer/visits/:id/edit', { config: staff, schema: { params: VisitParams }, attachValidation: true }, async (request, reply) => {
    formErrors(request, visitMissing);
    const visit = await app.visits.staffVisit(requireUser(request), request.params.id);
    return renderForm(reply, visitFormValues(visit), {}, 200, visit);
  });

  app.post('/organizer/visits/:id/edit', { config: { ...staff, audit: 'visit.update' }, schema: { params: VisitParams, body: VisitForm.schema }, attachValidation: true }, async (request, reply) => {
    const visit = await app.visits.staffVisit(requireUser(request), request.params.id);
    const form = readForm(request, VisitForm, visitMissing);
    if (!form.ok) return renderForm(reply, form.values, { _form: '请按提示修改后再提交。', ...stopFieldErrors(form.errors) }, 400, visit);
    try {
      await app.visits.update(requireUser(request), request.params.id, form.input);
      request.flash('success', '已保存。');
      return reply.redirect(`/organizer/visits/${request.params.id}`, 303);
    } catch (err) {
      const e = messageOf(err);
      return renderForm(reply, form.values, { _form: e.message, ...stopFieldErrors(e.details) }, e.status, visit);
    }
  });

  async function renderControl(request: FastifyRequest, reply: FastifyReply, id: string, state: { error?: string; status?: number; code?: string } = {}) {
    const user = requireUser(request);
    const visit = await app.visits.staffVisit(user, id);
    const registrations = await app.visits.registrations(user, id);
    const outcomes = await app.visits.outcomes(user, id);
    const demandIds = [...new Set(registrations.flatMap((r) => (r.demands ?? []).map(String)))].map((d) => new Types.ObjectId(d));
    const demandTitle = new Map((await app.models.Demand.find({ _id: { $in: demandIds } }, { title: 1 }).lean()).map((d) => [String(d._id), d.title]));
    const approved = registrations.filter((r) => r.status === 'approved');
    const outcomeOf = new Map(outcomes.map((o: OutcomeLean) => [`${o.stop}:${String(o.registration)}`, o]));
    let invitees: Awaited<ReturnType<typeof app.visits.invitees>> = [];
    try {
      invitees = await app.visits.invitees(user, id, 10);
    } catch (err) {
      request.log.warn({ err }, '邀请建议暂不可用');
    }
    const view = visitView(visit);
    return reply.code(state.status ?? 200).page('visits/control.hbs', {
      title: visit.title,
      visit: view,
      error: state.error, code: state.code,
      canOpen: visit.phase === 'draft', canBackToDraft: visit.phase === 'registration', canConfirm: visit.phase === 'registration',
      canFinish: visit.phase === 'confirmed', canCancel: !['finished', 'cancelled'].includes(visit.phase),
      dayOpen: ['registration', 'confirmed', 'finished'].includes(visit.phase),
      over: visitOver(visit, app.clock()),
      registrations: registrations.map((r) => ({ ...registrationView(r), demandTitles: (r.demands ?? []).map((d) => demandTitle.get(String(d)) ?? String(d)) })),
      arrived: approved.filter((r) => r.checkIn === 'arrived').length, expected: approved.length,
      stops: view.stops.map((s) => ({
        ...s,
        buyers: approved.map((r) => {
          const o = outcomeOf.get(`${s.index}:${String(r._id)}`);
          return {
            id: String(r._id), name: r.name, outcome: o?.outcome, outcomeName: o ? outcomeNames[o.outcome] : '', amountYuan: o?.amountYuan,
            demands: (r.demands ?? []).map((d) => ({ id: String(d), title: demandTitle.get(String(d)) ?? String(d), selected: String(o?.demand ?? '') === String(d) })),
          };
        }),
      })),
      invitees: invitees.map((x) => ({ ...x, scorePct: Math.round(x.score * 100) })),
    });
  }

  app.get('/organizer/visits/:id', { config: staff, schema: { params: VisitParams }, attachValidation: true }, async (request, reply) => {
    formErrors(request, visitMissing);
    return renderControl(request, reply, request.params.id);
  });

  /** A form post on the visit's page: done → back with a flash; refused → the page again with the reason and its status. */
  async function act(request: FastifyRequest, reply: FastifyReply, id: string, errors: Record<string, string> | undefined, run: (user: CurrentUser) => Promise<string>, code?: string) {
    if (errors) return renderControl(request, reply, id, { error: Object.values(errors)[0] ?? '提交的数据有误。', status: 400, code });
    try {
      request.flash('success', await run(requireUser(request)));
      return reply.redirect(`/organizer/visits/${id}`, 303);
    } catch (err) {
      const e = messageOf(err);
      if (e.status === 404 && !code) throw err;
      return renderControl(request, reply, id, { error: e.message, status: e.status, code });
    }
  }

  app.post('/organizer/visits/:id/phase', { config: { ...staff, audit: 'visit.phase' }, schema: { params: VisitParams, body: PhaseForm.schema }, attachValidation: true }, async (request, reply) => {
    const form = readForm(request, PhaseForm, visitMissing);
    return act(request, reply, request.params.id, form.ok ? undefined : form.errors, async (user) => {
      const v = await app.visits.transition(user, request.params.id, form.ok ? form.input.to : 'draft');
      return `活动已进入“${phaseNames[v.phase]}”。`;
    });
  });

  app.post('/organizer/visits/:id/registrations/:rid/review', { config: { ...staff, audit: 'visit.registration.review' }, schema: { params: RegistrationParams, body: ReviewForm.schema }, attachValidation: true }, async (request, reply) => {
    const form = readForm(request, ReviewForm, '未找到该报名。');
    return act(request, reply, request.params.id, form.ok ? undefined : form.errors, async (user) => {
      if (!form.ok) return '';
      const r = await app.visits.review(user, request.params.id, request.params.rid, form.input);
      return form.input.decision === 'approve' ? `已通过“${r.name}”的报名，签到码已生成。` : `“${r.name}”的报名未通过。`;
    });
  });

  app.post('/organizer/visits/:id/stops/:stopIndex/outcomes', { config: { ...staff, audit: 'visit.outcome' }, schema: { params: StopParams, body: OutcomeForm.schema }, attachValidation: true }, async (request, reply) => {
    const form = readForm(request, OutcomeForm, '未找到该站点。');
    return act(request, reply, request.params.id, form.ok ? undefined : form.errors, async (user) => {
      if (!form.ok) return '';
      const o = await app.visits.outcome(user, request.params.id, request.params.stopIndex, form.input);
      return `已登记第 ${o.stop + 1} 站的结果：${outcomeNames[o.outcome]}${o.outcome === 'visited' ? '' : '，已记入对接跟进'}。`;
    });
  });

  // ---------------------------------------------------------------- buyers, vendors

  app.get('/visits', { config: people }, async (request, reply) => {
    const user = requireUser(request);
    if (isStaff(user)) return reply.redirect('/organizer/visits', 303);
    const rows = await app.visits.list(user);
    let suggestions: Awaited<ReturnType<typeof app.visits.suggestionsForBuyer>> = [];
    if (user.role === 'buyer') {
      try {
        suggestions = await app.visits.suggestionsForBuyer(user, 10);
      } catch (err) {
        request.log.warn({ err }, '调研考察推荐暂不可用');
      }
    }
    return reply.page('visits/list.hbs', {
      title: '企业调研与现场考察',
      isBuyer: user.role === 'buyer',
      rows: rows.map((r) => ({ ...visitView(r.visit), open: r.visit.phase === 'registration', mine: r.mine ? registrationView(r.mine) : undefined })),
      suggestions: suggestions.map((s) => ({ ...s, kindName: kindNames[s.visit.kind], scorePct: Math.round(s.score * 100) })),
    });
  });

  app.get('/vendor/visits', { config: { access: ['vendor'] as const } }, async (request, reply) => {
    const user = requireUser(request);
    const rows = await app.visits.list(user, { host: true });
    return reply.page('visits/host.hbs', {
      title: '到本企业的调研考察',
      rows: rows.map((r) => {
        const v = visitView(r.visit);
        return { ...v, myStops: v.stops.filter((s) => s.vendorId === user.vendorId) };
      }),
    });
  });

  async function renderVisit(request: FastifyRequest, reply: FastifyReply, id: string, state: { values?: Record<string, unknown>; errors?: Record<string, string>; status?: number } = {}) {
    const user = requireUser(request);
    const visit = await app.visits.visible(user, id);
    const mine = user.role === 'buyer' ? (await app.visits.registrations(user, id))[0] : undefined;
    // An organization that withdrew may register again while registration is open.
    const mayRegister = user.role === 'buyer' && (!mine || mine.status === 'withdrawn') && visit.phase === 'registration';
    const demands = mayRegister && user.buyerOrgId
      ? await app.models.Demand.find({ buyerOrg: user.buyerOrgId, status: { $in: ['open', 'in_progress'] } }, { title: 1 }).sort({ createdAt: -1 }).limit(50).lean()
      : [];
    const chosen = new Set(((state.values?.demands as string[] | undefined) ?? []).map(String));
    return reply.code(state.status ?? 200).page('visits/show.hbs', {
      title: visit.title,
      visit: visitView(visit),
      isBuyer: user.role === 'buyer',
      canRegister: mayRegister,
      mine: mine ? registrationView(mine) : undefined,
      canWithdraw: Boolean(mine) && ['pending', 'approved'].includes(mine!.status) && mine!.checkIn !== 'arrived' && withdrawOpen(visit, app.clock()),
      demands: demands.map((d) => ({ id: String(d._id), title: d.title, checked: chosen.has(String(d._id)) })),
      values: state.values ?? { people: '1' }, errors: state.errors ?? {},
    });
  }

  app.get('/visits/:id', { config: people, schema: { params: VisitParams }, attachValidation: true }, async (request, reply) => {
    formErrors(request, visitMissing);
    if (isStaff(requireUser(request))) return reply.redirect(`/organizer/visits/${request.params.id}`, 303);
    return renderVisit(request, reply, request.params.id);
  });

  app.post('/visits/:id/register', { config: { access: ['buyer'] as const }, schema: { params: VisitParams, body: RegisterForm.schema }, attachValidation: true }, async (request, reply) => {
    const form = readForm(request, RegisterForm, visitMissing);
    if (!form.ok) return renderVisit(request, reply, request.params.id, { values: form.values, errors: { _form: '请按提示修改后再提交。', ...form.errors }, status: 400 });
    try {
      await app.visits.register(requireUser(request), request.params.id, form.input);
      request.flash('success', '报名已提交，请等待主办方审核；审核通过后可查看行程单和签到码。');
      return reply.redirect(`/visits/${request.params.id}`, 303);
    } catch (err) {
      const e = messageOf(err);
      if (e.status === 404) throw err;
      return renderVisit(request, reply, request.params.id, { values: form.values, errors: { _form: e.message, ...e.details }, status: e.status });
    }
  });

  app.get('/visits/:id/itinerary/:rid', { config: { access: ['buyer', ...STAFF_ROLES] as const }, schema: { params: RegistrationParams }, attachValidation: true }, async (request, reply) => {
    formErrors(request, '未找到该行程单。');
    const { visit, registration } = await app.visits.registration(requireUser(request), request.params.id, request.params.rid);
    const approved = registration.status === 'approved';
    return reply.page('visits/itinerary.hbs', {
      title: `行程单：${visit.title}`,
      visit: visitView(visit),
      registration: registrationView(registration),
      approved,
      qr: approved && registration.checkInCode ? await qrDataUrl(registration.checkInCode) : undefined,
    });
  });
};

export default visitPages;
