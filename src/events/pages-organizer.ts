/**
 * The organizer's event pages: the list and the new-event form (/organizer/events), the control page of
 * an event (phases, registrations, check-in, wishes, generating the schedule), the grid of slots × tables
 * with move / cancel / add / outcome forms, printable table cards, and the dashboard.
 * Every action calls `app.events` / `app.eventMeetings`; a refused action (400/409) is shown on the page.
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { Types } from 'mongoose';
import { buyerLevelNames, buyerLevels, buyerTypeNames, buyerTypes } from '../buyers/index.js';
import { taxonomy } from '../taxonomy/index.js';
import { parseForm, type FieldErrors } from '../web/forms.js';
import { beijingInstant, buildSlotGrid, parseBreaks, parseTimeOfDay } from './grid.js';
import { meetingOutcomes, type EventPhase } from './model.js';
import { canCheckIn, canRecordOutcome, canSchedule, canTransition } from './phases.js';
import { removalReasonNames, unscheduledReasonNames } from './meetings.js';
import { fieldLabel, levelLabel, loadDashboard } from './report.js';
import {
  CheckInInput, EventInput, MAX_SLOTS, MeetingAdd, MeetingMove, OutcomeInput, ParticipantInput, PhaseInput, ReviewInput, levelNames, outcomeNames, phaseNames,
} from './schemas.js';
import type { EventLean, MeetingLean, ParticipantLean } from './service.js';
import { bodyOf, eventView, list, messageOf, participantView, phaseSteps, slotTime, slotsView, str, type Obj } from './pages-view.js';
import { STAFF_ROLES, requireUser } from '../accounts/index.js';

const staff = STAFF_ROLES;
const access = { access: staff };
type IdParams = { Params: { id: string } };
type MeetingParams = { Params: { id: string; meetingId: string } };
type ParticipantParams = { Params: { id: string; participantId: string } };

const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const phaseOrder: EventPhase[] = ['draft', 'registration', 'preferences', 'scheduling', 'published', 'finished'];
const nextLabels: Record<string, string> = {
  registration: '开始报名', preferences: '进入意向征集', scheduling: '进入排期', published: '发布日程', finished: '结束对接会',
};

// ---------------------------------------------------------------- the new-event form

/** "2027-03-10T18:00" (datetime-local, Beijing time) → ISO with +08:00; anything else is passed on for the schema to refuse. */
function localTime(v: unknown): string | undefined {
  const s = str(v)?.trim();
  if (!s) return undefined;
  return /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/.test(s) ? `${s}:00+08:00` : s;
}

/** The new-event form: the grid from date, first start, slot length, count and breaks; the rest as EventInput. */
export function eventFromForm(body: Obj): { ok: true; input: EventInput } | { ok: false; errors: FieldErrors } {
  const errors: FieldErrors = {};
  const date = str(body.date)?.trim() ?? '';
  if (!beijingInstant(date, 0)) errors.date = '请选择对接会日期';
  const firstStart = parseTimeOfDay(str(body.startTime) ?? '');
  if (firstStart === null || firstStart >= 24 * 60) errors.startTime = '请填写第一个时段的开始时间，例如 09:00';
  const slotMinutes = Number(str(body.slotMinutes) ?? '');
  if (!Number.isInteger(slotMinutes) || slotMinutes < 5 || slotMinutes > 240) errors.slotMinutes = '每个时段的时长应为 5–240 之间的整数（分钟）';
  const slotCount = Number(str(body.slotCount) ?? '');
  if (!Number.isInteger(slotCount) || slotCount < 1 || slotCount > MAX_SLOTS) errors.slotCount = `时段数应为 1–${MAX_SLOTS} 之间的整数`;
  const breaks = parseBreaks(str(body.breaks) ?? '');
  if (!breaks.ok) errors.breaks = breaks.message;
  for (const key of ['registrationDeadline', 'preferenceDeadline'] as const) {
    const v = str(body[key])?.trim();
    if (v && !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/.test(v)) errors[key] = '请选择日期和时间';
  }
  let slots: Array<{ start: Date; end: Date }> = [];
  if (Object.keys(errors).length === 0 && breaks.ok) {
    const grid = buildSlotGrid({ date, firstStart: firstStart!, slotMinutes, count: slotCount, breaks: breaks.breaks });
    if (grid.ok) slots = grid.slots;
    else errors[grid.path] = grid.message;
  }
  const parsed = parseForm(EventInput, {
    title: str(body.title) ?? '', theme: str(body.theme), field: str(body.field), venue: str(body.venue), description: str(body.description),
    tables: str(body.tables) ?? '', slots: slots.length ? slots.map((s) => ({ start: s.start.toISOString(), end: s.end.toISOString() })) : [{ start: '', end: '' }],
    registrationDeadline: localTime(body.registrationDeadline), preferenceDeadline: localTime(body.preferenceDeadline),
  });
  if (!parsed.ok) {
    for (const [key, message] of Object.entries(parsed.errors)) {
      // The grid's own errors were reported above, against the fields a person typed.
      if (key.startsWith('slots')) continue;
      errors[key] ??= message;
    }
  }
  if (Object.keys(errors).length || !parsed.ok) return { ok: false, errors };
  return { ok: true, input: parsed.data };
}

function newFormView(values: Obj, errors: FieldErrors = {}) {
  return {
    values,
    errors,
    fieldOptions: taxonomy.fields.map((f) => ({ code: f.code, name: f.name, selected: f.code === values.field })),
  };
}

function defaultValues(now: Date): Obj {
  const day = new Date(now.getTime() + 21 * 86_400_000 + 8 * 3_600_000).toISOString().slice(0, 10);
  return {
    title: '', theme: '安防专场', field: 'security', venue: '', tables: '10', date: day, startTime: '09:00', slotMinutes: '20', slotCount: '12',
    breaks: '10:30-10:45, 12:00-13:30',
  };
}

// ---------------------------------------------------------------- the plugin

const organizerPages: FastifyPluginAsync = async (app) => {
  const { Vendor, Demand, EventMeeting } = app.models;
  const events = () => app.events;
  const meetings = () => app.eventMeetings;

  // ---- list ----
  app.get('/organizer/events', { config: access }, async (request, reply) => {
    const rows = await events().list(request.user);
    const counts = await EventMeeting.aggregate<{ _id: unknown; n: number }>([
      { $match: { event: { $in: rows.map((r) => r.event._id) } } },
      { $group: { _id: '$event', n: { $sum: 1 } } },
    ]);
    const meetingsOf = new Map(counts.map((c) => [String(c._id), c.n]));
    return reply.page('events/organizer-list.hbs', {
      title: '对接会',
      rows: rows.map((r) => ({ ...eventView(r.event), vendors: r.vendors, buyers: r.buyers, meetings: meetingsOf.get(String(r.event._id)) ?? 0 })),
    });
  });

  // ---- create ----
  async function renderNew(reply: FastifyReply, values: Obj, errors: FieldErrors = {}, status = 200) {
    reply.code(status);
    return reply.page('events/new.hbs', { title: '新建对接会', ...newFormView(values, errors) });
  }

  app.get('/organizer/events/new', { config: access }, async (_request, reply) => renderNew(reply, defaultValues(app.clock())));

  app.post('/organizer/events/new', { config: access }, async (request, reply) => {
    const body = bodyOf(request);
    const values = Object.fromEntries(
      ['title', 'theme', 'field', 'venue', 'description', 'tables', 'date', 'startTime', 'slotMinutes', 'slotCount', 'breaks', 'registrationDeadline', 'preferenceDeadline']
        .map((k) => [k, str(body[k]) ?? '']),
    );
    const form = eventFromForm(body);
    if (!form.ok) return renderNew(reply, values, { _form: '请按提示修改后再提交。', ...form.errors }, 400);
    try {
      const event = await events().create(requireUser(request), form.input);
      request.flash('success', `对接会已创建（${form.input.slots.length} 个时段，${form.input.tables} 张洽谈桌），目前处于“筹备中”。准备好后点击“开始报名”。`);
      return reply.redirect(`/organizer/events/${String(event._id)}`, 303);
    } catch (err) {
      const e = messageOf(err);
      return renderNew(reply, values, { _form: e.message, ...e.details }, e.status);
    }
  });

  // ---- the control page ----
  interface ControlState {
    form?: string;
    errors?: FieldErrors;
    values?: Obj;
    status?: number;
  }

  async function renderControl(request: FastifyRequest, reply: FastifyReply, id: string, state: ControlState = {}) {
    const user = requireUser(request);
    const { event, participants } = await events().participants(user, id);
    const phase = event.phase as EventPhase;
    const at = phaseOrder.indexOf(phase);
    const next = phaseOrder[at + 1];
    const prev = phaseOrder[at - 1];
    const byId = new Map(participants.map((p) => [String(p._id), p]));
    const nameOf = (pid: unknown) => byId.get(String(pid))?.name ?? '（已删除）';
    const query = (request.query ?? {}) as Obj;
    const vq = (str(query.vq) ?? '').trim().slice(0, 60);
    const bq = (str(query.bq) ?? '').trim().slice(0, 60);

    // Vendor search: approved vendors of the supplier list by name or credit code.
    let vendorResults: Obj[] | null = null;
    if (vq) {
      const registered = new Set(participants.filter((p) => p.vendor).map((p) => String(p.vendor)));
      const found = await Vendor.find(
        { status: 'approved', $or: [{ name: { $regex: escapeRegex(vq), $options: 'i' } }, { creditCode: { $regex: `^${escapeRegex(vq.toUpperCase())}` } }] },
        { name: 1, creditCode: 1, city: 1, district: 1, fields: 1 },
      ).sort({ name: 1 }).limit(20).lean();
      vendorResults = found.map((v) => ({
        id: String(v._id), name: v.name, creditCode: v.creditCode, region: [v.city, v.district].filter(Boolean).join(''),
        fields: (v.fields ?? []).map((f: string) => fieldLabel(f)).join('、'), registered: registered.has(String(v._id)),
      }));
    }
    // Buyer search: organizations by name, each with its open demands to pick from.
    let buyerResults: Obj[] | null = null;
    if (bq) {
      const registered = new Set(participants.filter((p) => p.buyerOrg).map((p) => String(p.buyerOrg)));
      const orgs = await app.buyers.searchByName(bq, 10);
      const demands = await Demand.find({ buyerOrg: { $in: orgs.map((o) => o._id) }, status: { $in: ['open', 'in_progress'] } }, { title: 1, buyerOrg: 1 })
        .sort({ createdAt: -1 }).limit(200).lean();
      buyerResults = orgs.map((o) => ({
        id: String(o._id), name: o.name, type: o.type, level: o.level, province: o.province, city: o.city ?? '', district: o.district ?? '', levelName: buyerLevelNames[o.level] ?? o.level, typeName: buyerTypeNames[o.type] ?? o.type,
        region: [o.province, o.city, o.district].filter(Boolean).join(''), registered: registered.has(String(o._id)),
        demands: demands.filter((d) => String(d.buyerOrg) === String(o._id)).map((d) => ({ id: String(d._id), title: d.title })),
      }));
    }

    // Wishes: one row per pair, with each side's level.
    const wishes = await events().preferences(user, event, null);
    const pairs = new Map<string, { buyer: string; vendor: string; buyerLevel?: string; vendorLevel?: string }>();
    for (const w of wishes) {
      const from = byId.get(String(w.from));
      if (!from) continue;
      const buyer = from.kind === 'buyer' ? String(w.from) : String(w.to);
      const vendor = from.kind === 'buyer' ? String(w.to) : String(w.from);
      const key = `${buyer}|${vendor}`;
      const row = pairs.get(key) ?? { buyer, vendor };
      if (from.kind === 'buyer') row.buyerLevel = w.level;
      else row.vendorLevel = w.level;
      pairs.set(key, row);
    }
    const wishRows = [...pairs.values()]
      .map((r) => ({
        buyer: nameOf(r.buyer), vendor: nameOf(r.vendor),
        buyerLevel: r.buyerLevel ? levelNames[r.buyerLevel] : '—', vendorLevel: r.vendorLevel ? levelNames[r.vendorLevel] : '—',
        veto: r.buyerLevel === 'no' || r.vendorLevel === 'no',
      }))
      .sort((a, b) => a.buyer.localeCompare(b.buyer, 'zh-CN') || a.vendor.localeCompare(b.vendor, 'zh-CN'));
    const levelCounts = ['must', 'want', 'no'].map((l) => ({ name: levelNames[l], n: wishes.filter((w) => w.level === l).length }));

    // The last schedule run: what changed and what could not be placed, in words.
    const saved = await EventMeeting.find({ event: event._id }, { buyer: 1, vendor: 1 }).lean();
    const placed = new Set(saved.map((m) => `${String(m.buyer)}|${String(m.vendor)}`));
    const slotLabel = (s: number) => (event.slots[s] ? `第 ${s + 1} 时段（${slotTime(event.slots[s])}）` : `第 ${s + 1} 时段`);
    const where = (m: { slot: number; table: number }) => `${slotLabel(m.slot)} ${m.table} 号桌`;
    const pair = (m: { buyer?: unknown; vendor?: unknown }) => `${nameOf(m.buyer)} × ${nameOf(m.vendor)}`;
    type Plain = { buyer: string; vendor: string; slot: number; table: number };
    const changes = (event.lastRun?.changes ?? null) as { kept: Plain[]; moved: Array<{ from: Plain; to: Plain; reason?: string }>; removed: Array<{ meeting: Plain; reason: string }>; added: Plain[] } | null;
    const lastRun = event.lastRun
      ? {
        at: event.lastRun.at, by: event.lastRun.by?.name ?? '', allowMoves: Boolean(event.lastRun.allowMoves),
        kept: changes?.kept.length ?? 0, addedCount: changes?.added.length ?? 0, movedCount: changes?.moved.length ?? 0, removedCount: changes?.removed.length ?? 0,
        moved: (changes?.moved ?? []).map((m) => ({ pair: pair(m.from), from: where(m.from), to: where(m.to), reason: m.reason ? removalReasonNames[m.reason] ?? m.reason : '' })),
        removed: (changes?.removed ?? []).map((r) => ({ pair: pair(r.meeting), where: where(r.meeting), reason: removalReasonNames[r.reason] ?? r.reason })),
        added: (changes?.added ?? []).map((m) => ({ pair: pair(m), where: where(m) })),
        unscheduled: (event.lastRun.unscheduled ?? [])
          .filter((u) => !placed.has(`${String(u.buyer)}|${String(u.vendor)}`))
          .sort((a, b) => (b.weight ?? 0) - (a.weight ?? 0))
          .map((u) => ({ pair: pair(u), reason: unscheduledReasonNames[u.reason as keyof typeof unscheduledReasonNames] ?? u.reason ?? '' })),
        stats: event.lastRun.stats as Record<string, number> | undefined,
      }
      : null;

    const checkIn = canCheckIn(phase);
    reply.code(state.status ?? 200);
    return reply.page('events/control.hbs', {
      title: event.title,
      event: eventView(event),
      steps: phaseSteps(phase),
      next: next && canTransition(phase, next) ? { to: next, label: nextLabels[next] ?? phaseNames[next] } : null,
      prev: prev && canTransition(phase, prev) ? { to: prev, label: `退回到“${phaseNames[prev]}”` } : null,
      participants: participants.map((p) => ({
        ...participantView(p),
        canApprove: p.status !== 'approved' && p.status !== 'withdrawn' && phase !== 'finished',
        canReject: p.status !== 'rejected' && p.status !== 'withdrawn' && phase !== 'finished',
        checkInButtons: checkIn && p.status === 'approved',
        error: state.form === `review-${String(p._id)}` ? state.errors?._form ?? '' : '',
      })),
      vendorCount: participants.filter((p) => p.kind === 'vendor' && p.status === 'approved').length,
      buyerCount: participants.filter((p) => p.kind === 'buyer' && p.status === 'approved').length,
      pendingCount: participants.filter((p) => p.status === 'pending').length,
      canEdit: phase !== 'finished',
      canSchedule: canSchedule(phase),
      meetingCount: saved.length,
      vq, bq, vendorResults, buyerResults,
      typeOptions: buyerTypes.map((t) => ({ code: t, name: buyerTypeNames[t], selected: t === (state.values?.['buyer.type'] ?? 'agency') })),
      levelOptions: buyerLevels.map((l) => ({ code: l, name: buyerLevelNames[l], selected: l === (state.values?.['buyer.level'] ?? 'district') })),
      wishRows, levelCounts, wishTotal: wishes.length,
      lastRun,
      form: state.form ?? '',
      errors: state.errors ?? {},
      values: { 'buyer.province': '浙江省', 'buyer.city': '杭州市', ...(state.values ?? {}) },
    });
  }

  app.get<IdParams>('/organizer/events/:id', { config: access }, async (request, reply) => renderControl(request, reply, request.params.id));

  /** Runs an action of the control page: success → flash and back; a refusal (400/409) → the page with the message in place. */
  async function act(request: FastifyRequest, reply: FastifyReply, id: string, form: string, anchor: string, fn: () => Promise<string>, values: Obj = {}) {
    try {
      const done = await fn();
      request.flash('success', done);
      return reply.redirect(`/organizer/events/${id}#${anchor}`, 303);
    } catch (err) {
      const e = messageOf(err);
      return renderControl(request, reply, id, { form, errors: { _form: e.message, ...e.details }, values, status: e.status });
    }
  }

  app.post<IdParams>('/organizer/events/:id/phase', { config: { ...access, audit: 'event.phase' } }, async (request, reply) => {
    const id = request.params.id;
    const parsed = parseForm(PhaseInput, { to: str(bodyOf(request).to) });
    if (!parsed.ok) {
      await events().load(id);
      return renderControl(request, reply, id, { form: 'phase', errors: { _form: parsed.errors.to ?? '未知的阶段' }, status: 400 });
    }
    return act(request, reply, id, 'phase', 'phase', async () => {
      const event = await events().transition(requireUser(request), id, parsed.data.to);
      return `对接会已进入“${phaseNames[event.phase]}”阶段。`;
    });
  });

  app.post<ParticipantParams>('/organizer/events/:id/participants/:participantId/review', { config: { ...access, audit: 'event.participant.review' } }, async (request, reply) => {
    const { id, participantId } = request.params;
    const body = bodyOf(request);
    const parsed = parseForm(ReviewInput, { decision: str(body.decision), reason: str(body.reason) });
    if (!parsed.ok) {
      const event = await events().load(id);
      await events().participant(event, participantId);
      return renderControl(request, reply, id, { form: `review-${participantId}`, errors: { _form: Object.values(parsed.errors).join('；'), ...parsed.errors }, status: 400 });
    }
    return act(request, reply, id, `review-${participantId}`, 'participants', async () => {
      const p = await events().review(requireUser(request), id, participantId, parsed.data);
      return parsed.data.decision === 'approve' ? `已通过“${p.name}”的报名。` : `已将“${p.name}”的报名标记为未通过。`;
    });
  });

  app.post<ParticipantParams>('/organizer/events/:id/participants/:participantId/check-in', { config: access }, async (request, reply) => {
    const { id, participantId } = request.params;
    const parsed = parseForm(CheckInInput, { state: str(bodyOf(request).state) });
    if (!parsed.ok) {
      await events().load(id);
      return renderControl(request, reply, id, { form: `review-${participantId}`, errors: { _form: parsed.errors.state ?? '签到状态有误' }, status: 400 });
    }
    return act(request, reply, id, `review-${participantId}`, 'participants', async () => {
      const p = await meetings().checkIn(requireUser(request), id, participantId, parsed.data.state);
      return parsed.data.state === 'clear' ? `已撤销“${p.name}”的签到。` : `“${p.name}”：${parsed.data.state === 'arrived' ? '已到场' : '未到场'}。`;
    });
  });

  app.post<IdParams>('/organizer/events/:id/register-vendor', { config: access }, async (request, reply) => {
    const id = request.params.id;
    const body = bodyOf(request);
    const values = { vendorCreditCode: str(body.vendorCreditCode) ?? '', representatives: str(body.representatives) ?? '1' };
    const parsed = parseForm(ParticipantInput, { kind: 'vendor', vendorCreditCode: values.vendorCreditCode, representatives: values.representatives || undefined });
    if (!parsed.ok) {
      await events().load(id);
      return renderControl(request, reply, id, { form: 'vendor', errors: { _form: Object.values(parsed.errors).join('；'), ...parsed.errors }, values, status: 400 });
    }
    return act(request, reply, id, 'vendor', 'register', async () => {
      const p = await events().register(requireUser(request), id, parsed.data);
      return `已为“${p.name}”报名（已通过，${p.representatives ?? 1} 名参会代表）。`;
    }, values);
  });

  app.post<IdParams>('/organizer/events/:id/register-buyer', { config: access }, async (request, reply) => {
    const id = request.params.id;
    const body = bodyOf(request);
    const values: Obj = Object.fromEntries(['buyer.name', 'buyer.type', 'buyer.level', 'buyer.province', 'buyer.city', 'buyer.district', 'contactName', 'contactPhone'].map((k) => [k, str(body[k]) ?? '']));
    const parsed = parseForm(ParticipantInput, {
      kind: 'buyer',
      buyer: {
        name: values['buyer.name'], type: values['buyer.type'] || undefined, level: values['buyer.level'] || undefined,
        province: values['buyer.province'], city: values['buyer.city'], district: values['buyer.district'],
      },
      demands: list(body.demands),
      contactName: values.contactName, contactPhone: values.contactPhone,
    });
    if (!parsed.ok) {
      await events().load(id);
      return renderControl(request, reply, id, { form: 'buyer', errors: { _form: '请按提示修改后再提交。', ...parsed.errors }, values, status: 400 });
    }
    return act(request, reply, id, 'buyer', 'register', async () => {
      const p = await events().register(requireUser(request), id, parsed.data);
      return `已为“${p.name}”报名（已通过，关联需求 ${(p.demands ?? []).length} 条）。`;
    }, values);
  });

  app.post<IdParams>('/organizer/events/:id/schedule', { config: access }, async (request, reply) => {
    const id = request.params.id;
    const allowMoves = Boolean(str(bodyOf(request).allowMoves));
    return act(request, reply, id, 'schedule', 'schedule', async () => {
      const run = await meetings().run(requireUser(request), id, { allowMoves });
      const c = run.changes;
      return `日程已生成：共 ${run.meetings.length} 场洽谈（保留 ${c.kept.length}，新增 ${c.added.length}，调整 ${c.moved.length}，取消 ${c.removed.length}）；${run.unscheduled.length} 对意向未能安排。`;
    });
  });

  // ---- the grid ----
  interface GridState { errors?: FieldErrors; status?: number; meetingId?: string; values?: Obj }

  async function renderGrid(request: FastifyRequest, reply: FastifyReply, id: string, state: GridState = {}) {
    const user = requireUser(request);
    const { event, meetings: saved } = await meetings().current(user, id);
    const names = await events().names(event._id);
    const query = (request.query ?? {}) as Obj;
    const selectedId = state.meetingId ?? str(query.m);
    const phase = event.phase as EventPhase;
    const nameOf = (pid: unknown) => names.get(String(pid))?.name ?? '';
    const cell = new Map(saved.map((m) => [`${m.slot}|${m.table}`, m]));
    const tables = Array.from({ length: event.tables }, (_, i) => i + 1);
    const slots = slotsView(event);
    const rows = slots.map((s) => ({
      ...s,
      cells: tables.map((table) => {
        const m = cell.get(`${s.index}|${table}`);
        return m
          ? {
            id: String(m._id), buyer: nameOf(m.buyer), vendor: nameOf(m.vendor), pinned: Boolean(m.pinned), table,
            outcome: m.outcome ? outcomeNames[m.outcome] : '', selected: String(m._id) === selectedId,
          }
          : { id: '', table, slot: s.index };
      }),
    }));
    let selected: Obj | null = null;
    const chosen = selectedId && Types.ObjectId.isValid(selectedId) ? saved.find((m) => String(m._id) === selectedId) : undefined;
    if (chosen) {
      const buyer = names.get(String(chosen.buyer));
      const demandIds = (buyer?.demands ?? []).map(String);
      const demands = demandIds.length ? await Demand.find({ _id: { $in: demandIds.map((d) => new Types.ObjectId(d)) } }, { title: 1 }).lean() : [];
      const v = state.values ?? {};
      const slotPick = v.slot !== undefined ? Number(v.slot) : chosen.slot;
      const tablePick = v.table !== undefined ? Number(v.table) : chosen.table;
      selected = {
        id: String(chosen._id), buyer: nameOf(chosen.buyer), vendor: nameOf(chosen.vendor), where: `第 ${chosen.slot + 1} 时段（${slots[chosen.slot]?.time ?? ''}）${chosen.table} 号桌`,
        outcome: chosen.outcome ? outcomeNames[chosen.outcome] : '', amountYuan: chosen.amountYuan, locked: Boolean(chosen.outcome),
        slotOptions: slots.map((s) => ({ index: s.index, label: `第 ${s.number} 时段 ${s.time}`, selected: s.index === slotPick })),
        tableOptions: tables.map((t) => ({ n: t, selected: t === tablePick })),
        outcomeOptions: meetingOutcomes.map((o) => ({ code: o, name: outcomeNames[o], selected: o === (v.outcome ?? chosen.outcome) })),
        demandOptions: demands.map((d) => ({ id: String(d._id), title: d.title, selected: String(d._id) === String(v.demand ?? chosen.demand ?? '') })),
        severalDemands: demands.length > 1,
        canOutcome: canRecordOutcome(phase),
      };
    }
    const approved = [...names.values()].filter((p) => p.status === 'approved');
    const v = state.meetingId ? {} : state.values ?? {};
    const addSlot = v.slot !== undefined ? Number(v.slot) : Number(str(query.slot) ?? NaN);
    const addTable = v.table !== undefined ? Number(v.table) : Number(str(query.table) ?? NaN);
    reply.code(state.status ?? 200);
    return reply.page('events/grid.hbs', {
      title: `洽谈安排 · ${event.title}`,
      event: eventView(event),
      tables,
      rows,
      selected,
      selectedMissing: Boolean(selectedId) && !chosen,
      errors: state.errors ?? {},
      addErrors: state.meetingId ? {} : state.errors ?? {},
      editErrors: state.meetingId ? state.errors ?? {} : {},
      canEdit: canSchedule(phase),
      meetingCount: saved.length,
      add: {
        buyers: approved.filter((p) => p.kind === 'buyer').map((p) => ({ id: String(p._id), name: p.name, selected: String(p._id) === v.buyer })),
        vendors: approved.filter((p) => p.kind === 'vendor').map((p) => ({ id: String(p._id), name: p.name, selected: String(p._id) === v.vendor })),
        slots: slots.map((s) => ({ index: s.index, label: `第 ${s.number} 时段 ${s.time}`, selected: s.index === addSlot })),
        tables: tables.map((t) => ({ n: t, selected: t === addTable })),
        open: Number.isInteger(addSlot) || Boolean(state.errors && !state.meetingId),
      },
    });
  }

  app.get<IdParams>('/organizer/events/:id/grid', { config: access }, async (request, reply) => renderGrid(request, reply, request.params.id));

  /** A grid action: success → flash and back to the grid; refused (400/409) → the grid with the message next to the form. */
  async function gridAct(request: FastifyRequest, reply: FastifyReply, id: string, meetingId: string | undefined, values: Obj, fn: () => Promise<string>, back = '') {
    try {
      const done = await fn();
      request.flash('success', done);
      return reply.redirect(`/organizer/events/${id}/grid${back}`, 303);
    } catch (err) {
      const e = messageOf(err);
      return renderGrid(request, reply, id, { errors: { _form: e.message, ...e.details }, status: e.status, meetingId, values });
    }
  }

  const describe = (event: EventLean, names: Map<string, ParticipantLean>, m: MeetingLean) =>
    `${names.get(String(m.buyer))?.name ?? ''} × ${names.get(String(m.vendor))?.name ?? ''}：第 ${m.slot + 1} 时段（${event.slots[m.slot] ? slotTime(event.slots[m.slot]) : ''}）${m.table} 号桌`;

  app.post<IdParams>('/organizer/events/:id/meetings', { config: access }, async (request, reply) => {
    const id = request.params.id;
    const body = bodyOf(request);
    const values: Obj = { buyer: str(body.buyer), vendor: str(body.vendor), slot: str(body.slot), table: str(body.table) };
    const parsed = parseForm(MeetingAdd, values);
    if (!parsed.ok) {
      await events().load(id);
      return renderGrid(request, reply, id, { errors: { _form: '请选择采购方、供应商、时段和桌号。', ...parsed.errors }, status: 400, values });
    }
    return gridAct(request, reply, id, undefined, values, async () => {
      const m = await meetings().add(requireUser(request), id, parsed.data);
      const event = await events().load(id);
      return `已安排洽谈：${describe(event, await events().names(event._id), m)}。`;
    });
  });

  app.post<MeetingParams>('/organizer/events/:id/meetings/:meetingId/move', { config: access }, async (request, reply) => {
    const { id, meetingId } = request.params;
    const body = bodyOf(request);
    const values: Obj = { slot: str(body.slot), table: str(body.table) };
    const parsed = parseForm(MeetingMove, values);
    if (!parsed.ok) {
      await events().load(id);
      return renderGrid(request, reply, id, { errors: { _form: '请选择新的时段和桌号。', ...parsed.errors }, status: 400, meetingId, values });
    }
    return gridAct(request, reply, id, meetingId, values, async () => {
      const m = await meetings().move(requireUser(request), id, meetingId, parsed.data);
      const event = await events().load(id);
      return `已调整：${describe(event, await events().names(event._id), m)}。`;
    }, `?m=${meetingId}#edit`);
  });

  app.post<MeetingParams>('/organizer/events/:id/meetings/:meetingId/cancel', { config: access }, async (request, reply) => {
    const { id, meetingId } = request.params;
    return gridAct(request, reply, id, meetingId, {}, async () => {
      await meetings().cancel(requireUser(request), id, meetingId);
      return '已取消这场洽谈。';
    });
  });

  app.post<MeetingParams>('/organizer/events/:id/meetings/:meetingId/outcome', { config: access }, async (request, reply) => {
    const { id, meetingId } = request.params;
    const body = bodyOf(request);
    const values: Obj = { outcome: str(body.outcome), demand: str(body.demand), amountYuan: str(body.amountYuan), note: str(body.note) };
    const parsed = parseForm(OutcomeInput, values);
    if (!parsed.ok) {
      await events().load(id);
      return renderGrid(request, reply, id, { errors: { _form: '请按提示修改后再提交。', ...parsed.errors }, status: 400, meetingId, values });
    }
    return gridAct(request, reply, id, meetingId, values, async () => {
      const m = await meetings().outcome(requireUser(request), id, meetingId, parsed.data);
      return `已登记洽谈结果：${outcomeNames[m.outcome ?? ''] ?? ''}。`;
    }, `?m=${meetingId}#edit`);
  });

  // ---- printable table cards ----
  app.get<IdParams>('/organizer/events/:id/cards', { config: access }, async (request, reply) => {
    const { event, meetings: saved } = await meetings().current(requireUser(request), request.params.id);
    const names = await events().names(event._id);
    const slots = slotsView(event);
    const byTable = new Map<number, MeetingLean[]>();
    for (const m of saved) byTable.set(m.table, [...(byTable.get(m.table) ?? []), m]);
    const cards = Array.from({ length: event.tables }, (_, i) => i + 1).map((table) => {
      const at = new Map((byTable.get(table) ?? []).map((m) => [m.slot, m]));
      return {
        table,
        count: at.size,
        slots: slots.map((s) => {
          const m = at.get(s.index);
          return { ...s, buyer: m ? names.get(String(m.buyer))?.name ?? '' : '', vendor: m ? names.get(String(m.vendor))?.name ?? '' : '' };
        }),
      };
    });
    return reply.page('events/cards.hbs', { title: `桌卡 · ${event.title}`, event: eventView(event), cards, printable: true });
  });

  // ---- dashboard ----
  app.get<IdParams>('/organizer/events/:id/dashboard', { config: access }, async (request, reply) => {
    const event = await events().staffEvent(requireUser(request), request.params.id);
    const { figures } = await loadDashboard(app, event);
    const row = (label: string) => (r: { key: string; wishes: number; scheduled: number; held: number; intents: number; signed: number; amountYuan: number }) => ({ ...r, label: label === 'field' ? fieldLabel(r.key) : levelLabel(r.key) });
    return reply.page('events/dashboard.hbs', {
      title: `数据看板 · ${event.title}`,
      event: eventView(event),
      total: figures.total,
      byField: figures.byField.map(row('field')),
      byLevel: figures.byLevel.map(row('level')),
      people: figures.participants,
    });
  });
};

export default organizerPages;
