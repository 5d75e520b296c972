/**
 * The event pages' view models and forms, without a server: data in, template context out (control page,
 * grid, cards, dashboard, registration and wishes pages), and the page forms' schemas (errors in Chinese,
 * against the typed fields).
 */
import t from 'tap';
import { Types } from 'mongoose';
import { controlView, lastRunView, wishRowsOf } from '../../src/events/control-view.js';
import { cardsView, dashboardView, describeMeeting, gridView, meetingKind } from '../../src/events/grid-view.js';
import { showView, suggestionRows, wishChanges, wishChangesMessage, wishRows } from '../../src/events/participant-view.js';
import { CheckInForm, EventForm, MeetingMoveForm, RegistrationForm, WishForm, registrationOf } from '../../src/events/forms.js';
import type { EventLean, MeetingLean, ParticipantLean, PreferenceLean } from '../../src/events/service.js';
import type { CurrentUser } from '../../src/accounts/access.js';

const id = () => new Types.ObjectId();
const at = (hm: string) => new Date(`2099-03-18T${hm}:00+08:00`);
const event = {
  _id: id(), title: '安防专场对接会', theme: '安防专场', field: 'security', venue: '会展中心', description: '', tables: 2, phase: 'scheduling', revision: 3,
  slots: [{ start: at('09:00'), end: at('09:20') }, { start: at('09:20'), end: at('09:40') }, { start: at('10:00'), end: at('10:20') }],
} as unknown as EventLean;
const participant = (kind: 'vendor' | 'buyer', name: string, status = 'approved', extra: Partial<ParticipantLean> = {}) =>
  ({ _id: id(), event: event._id, kind, name, status, representatives: 1, unavailableSlots: [], demands: [], ...extra }) as unknown as ParticipantLean;
const school = participant('buyer', '滨江区教育局');
const hospital = participant('buyer', '省人民医院', 'pending');
const hik = participant('vendor', '滨安视讯');
const uni = participant('vendor', '江南安防');
const participants = [school, hospital, hik, uni];
const byId = new Map(participants.map((p) => [String(p._id), p]));
const wish = (from: ParticipantLean, to: ParticipantLean, level: string) => ({ from: from._id, to: to._id, level, source: 'manual' }) as unknown as PreferenceLean;
const meeting = (buyer: ParticipantLean, vendor: ParticipantLean, slot: number, table: number, extra: Partial<MeetingLean> = {}) =>
  ({ _id: id(), event: event._id, buyer: buyer._id, vendor: vendor._id, slot, table, seat: 0, ...extra }) as unknown as MeetingLean;

t.test('the control page: phase buttons, participants, wishes by pair, searches', async (t) => {
  const wishes = [wish(school, hik, 'must'), wish(hik, school, 'want'), wish(uni, school, 'no')];
  const view = controlView({ event, participants, wishes, meetings: [], search: { vq: '', bq: '', vendorResults: null, buyerResults: null } });
  t.equal(view.next?.label, '发布日程');
  t.equal(view.prev?.label, '退回到“意向征集”');
  t.same([view.vendorCount, view.buyerCount, view.pendingCount], [2, 1, 1]);
  t.equal(view.participants.find((p) => p.name === '省人民医院')?.canApprove, true);
  t.same(view.levelCounts.map((l) => l.n), [1, 1, 1]);
  t.same(wishRowsOf(wishes, byId), [
    { buyer: '滨江区教育局', vendor: '江南安防', buyerLevel: '—', vendorLevel: '不见', veto: true },
    { buyer: '滨江区教育局', vendor: '滨安视讯', buyerLevel: '必须见', vendorLevel: '希望见', veto: false },
  ].sort((a, b) => a.vendor.localeCompare(b.vendor, 'zh-CN')));
  t.same(view.values, { 'buyer.province': '浙江省', 'buyer.city': '杭州市' }, 'the buyer form starts in Hangzhou');
  const refused = controlView({
    event, participants, wishes: [], meetings: [], search: { vq: '', bq: '', vendorResults: null, buyerResults: null },
    state: { form: `review-${String(hospital._id)}`, errors: { _form: '不通过时请写明原因' } },
  });
  t.equal(refused.participants.find((p) => p.name === '省人民医院')?.error, '不通过时请写明原因', 'the refusal shows by its row');
  t.equal(refused.participants.find((p) => p.name === '滨安视讯')?.error, '');
});

t.test('the last run in words: changes, and unplaced pairs less those placed since', async (t) => {
  const plain = (b: ParticipantLean, v: ParticipantLean, slot: number, table: number) => ({ buyer: String(b._id), vendor: String(v._id), slot, table });
  const withRun = {
    ...event,
    lastRun: {
      at: new Date(), by: { name: '主办方' }, allowMoves: false, stats: { meetings: 1 },
      changes: { kept: [], moved: [{ from: plain(school, hik, 0, 1), to: plain(school, hik, 1, 2) }], removed: [{ meeting: plain(school, uni, 2, 1), reason: 'veto' }], added: [] },
      unscheduled: [{ buyer: school._id, vendor: uni._id, reason: 'veto', weight: 1 }, { buyer: school._id, vendor: hik._id, reason: 'capacity', weight: 2 }],
    },
  } as unknown as EventLean;
  const run = lastRunView(withRun, byId, [{ buyer: school._id, vendor: hik._id }])!;
  t.equal(run.movedCount, 1);
  t.equal(run.moved[0].from, '第 1 时段（09:00–09:20） 1 号桌');
  t.equal(run.removed[0].reason, '一方后来表示不见');
  t.same(run.unscheduled, [{ pair: '滨江区教育局 × 江南安防', reason: '一方表示不见' }], 'the pair placed by hand is no longer listed');
  t.equal(lastRunView(event, byId, []), null);
});

t.test('the grid: cells, the opened meeting with its options, the add form', async (t) => {
  const names = byId;
  const m = meeting(school, hik, 1, 2, { outcome: 'held' });
  const view = gridView({ event, meetings: [m], names, selectedId: String(m._id), demands: [{ _id: id(), title: '校园监控' }], cell: {} });
  t.equal(view.rows.length, 3);
  t.match(view.rows[1].cells[1], { buyer: '滨江区教育局', vendor: '滨安视讯', outcome: '已洽谈', selected: true });
  t.equal(view.rows[2].breakBefore, '09:40–10:00', 'the break before the third slot');
  t.match(view.selected, { where: '第 2 时段（09:20–09:40）2 号桌', locked: true, severalDemands: false });
  t.equal(view.add.open, false);
  t.same(view.add.buyers.map((b) => b.name), ['滨江区教育局'], 'only approved buyers can be placed');
  const clicked = gridView({ event, meetings: [], names, demands: [], cell: { slot: '2', table: '1' } });
  t.equal(clicked.add.open, true);
  t.equal(clicked.add.slots.find((s) => s.selected)?.index, 2);
  const missing = gridView({ event, meetings: [], names, selectedId: 'nonsense', demands: [], cell: {} });
  t.equal(missing.selectedMissing, true);
  t.equal(describeMeeting(event, names, m), '滨江区教育局 × 滨安视讯：第 2 时段（09:20–09:40）2 号桌');
});

t.test('the grid: meetings coloured and marked by must, want or hand-placed; the filter by participant', async (t) => {
  const wishes = [wish(school, hik, 'want'), wish(hik, school, 'must'), wish(school, uni, 'want')];
  const other = participant('buyer', '区第一中学');
  const names = new Map([...byId, [String(other._id), other]]);
  const must = meeting(school, hik, 0, 1);
  const want = meeting(school, uni, 1, 1);
  const pinned = meeting(other, hik, 1, 2, { pinned: true });
  const filled = meeting(other, uni, 0, 2);
  t.equal(meetingKind(must, wishes), 'must', 'a must from either side wins over a want');
  t.equal(meetingKind(want, wishes), 'want');
  t.equal(meetingKind(pinned, [wish(other, hik, 'must')]), 'pinned', 'hand-placed wins');
  t.equal(meetingKind(filled, wishes), 'other');
  const view = gridView({ event, meetings: [must, want, pinned, filled], names, demands: [], cell: {}, wishes });
  t.same(view.rows[0].cells.map((c) => 'mark' in c ? c.mark : ''), ['必见', '补位'], 'each meeting carries its mark in words');
  t.same(view.rows[1].cells.map((c) => 'kind' in c ? c.kind : ''), ['want', 'pinned']);
  t.same(view.legend.map((l) => l.mark), ['手工', '必见', '希望', '补位']);
  t.equal(view.filter.active, false);
  t.notOk(view.rows.flatMap((r) => r.cells).some((c) => 'hidden' in c && c.hidden));
  t.same(view.filter.groups.map((g) => g.label), ['采购方', '供应商']);

  const only = gridView({ event, meetings: [must, want, pinned, filled], names, demands: [], cell: {}, wishes, only: String(hik._id) });
  t.match(only.filter, { active: true, name: '滨安视讯', shown: 2 });
  const shown = only.rows.flatMap((r) => r.cells).filter((c) => c.id && !('hidden' in c && c.hidden)).map((c) => 'buyer' in c ? c.buyer : '');
  t.same(shown.sort(), ['区第一中学', '滨江区教育局'].sort(), 'only 滨安视讯\'s meetings are shown');
  t.equal(only.filter.groups[1].options.find((o) => o.selected)?.name, '滨安视讯');
  const unknown = gridView({ event, meetings: [must], names, demands: [], cell: {}, wishes, only: 'nonsense' });
  t.equal(unknown.filter.active, false, 'an unknown participant shows everything');
  const published = gridView({ event: { ...event, phase: 'published' } as EventLean, meetings: [must, meeting(school, uni, 2, 2, { outcome: 'held' })], names, demands: [], cell: {}, wishes });
  t.same(published.rows.flatMap((r) => r.cells).filter((c) => c.id).map((c) => 'movable' in c && c.movable), [true, false], 'a meeting with an outcome cannot be dragged');
});

t.test('table cards and the dashboard', async (t) => {
  const cards = cardsView(event, [meeting(school, hik, 0, 2)], byId);
  t.equal(cards.cards.length, 2);
  t.same(cards.cards.map((c) => c.count), [0, 1]);
  t.equal(cards.cards[1].slots[0].vendor, '滨安视讯');
  const row = { wishes: 1, scheduled: 1, held: 0, intents: 0, signed: 0, amountYuan: 0 };
  const dash = dashboardView(event, { total: { key: 'total', ...row }, byField: [{ key: 'security', ...row }], byLevel: [{ key: 'unknown', ...row }], participants: { vendors: 2, buyers: 1, pending: 1 } });
  t.equal(dash.byField[0].label, '安防');
  t.equal(dash.byLevel[0].label, '未填写');
});

t.test('the registration and wishes pages', async (t) => {
  const vendorUser = { id: 'u', email: 'v@example.com', name: '联系人', role: 'vendor', vendorId: String(id()) } as CurrentUser;
  const registration = { ...event, phase: 'registration' } as unknown as EventLean;
  const show = showView({ user: vendorUser, staff: false, event: registration, mine: null, onBehalf: false, demands: [], now: new Date('2099-01-01') });
  t.equal(show.canRegister, true);
  t.equal(show.regForm?.button, '提交报名');
  t.equal(show.values.representatives, '1');
  const typed = showView({
    user: vendorUser, staff: false, event: registration, mine: null, onBehalf: false, demands: [], now: new Date('2099-01-01'),
    values: { representatives: '12', contactName: '张三', contactPhone: '', unavailableSlots: ['1'], demands: [] },
  });
  t.equal(typed.values.representatives, '12', 'what was typed comes back');
  t.same(typed.slots.map((s) => s.unavailable), [false, true, false]);
  const rows = wishRows(school, participants, [wish(school, hik, 'want'), wish(uni, school, 'no'), wish(hik, school, 'must')], { to: String(uni._id), message: '意向征集已截止' });
  t.same(rows.map((r) => [r.name, r.levelName, r.theirLevel, r.error]), [['滨安视讯', '希望见', '必须见', ''], ['江南安防', '未设置', '', '意向征集已截止']], 'a veto stays private');
  const suggestion = { to: 'x', name: '滨安视讯', score: 0.834, demand: { id: 'd', title: '校园监控' }, reasons: [{ factor: 'f', text: '' }, { factor: 'g', text: '领域相同' }], products: [{ name: '摄像机', model: 'DS-1' }] };
  t.same(suggestionRows([suggestion, { ...suggestion, to: 'y', level: 'want' }, { ...suggestion, to: 'z', level: 'no' }]),
    [{ to: 'x', name: '滨安视讯', percent: 83, demand: '校园监控', reasons: ['领域相同'], products: ['摄像机（DS-1）'] }], 'those wished for or vetoed are left out');
  const changes = wishChanges(school, [wish(school, hik, 'want'), wish(school, uni, 'no'), wish(hik, school, 'must')], { [String(hik._id)]: 'must', [String(uni._id)]: 'none' });
  t.same(changes, { set: [{ to: String(hik._id), level: 'must' }], clear: [String(uni._id)] });
  t.equal(wishChangesMessage(changes), '已保存意向：必须见 1 家、撤销 1 家。');
  t.same(wishChanges(school, [wish(school, hik, 'want')], { [String(hik._id)]: 'want', [String(uni._id)]: 'none' }), { set: [], clear: [] }, 'unchanged rows are not written');
  const asTyped = wishRows(school, participants, [wish(school, hik, 'want')], undefined, { [String(hik._id)]: 'none' });
  t.equal(asTyped[0].none, true, 'a refused save shows the choices as made');
});

t.test('page forms: what the service takes, or Chinese errors against the typed fields', async (t) => {
  const ok = EventForm.read({
    _csrf: 'token', title: '对接会', theme: '', field: 'security', venue: '', description: '', tables: '3', date: '2099-03-18', startTime: '09:00', slotMinutes: '20',
    slotCount: '3', breaks: '', registrationDeadline: '', preferenceDeadline: '',
  });
  t.ok(ok.ok, 'the CSRF field is not part of the input');
  if (ok.ok) t.equal(ok.input.slots.length, 3);
  t.notOk('_csrf' in ok.values);
  const bad = EventForm.schema.safeParse({ title: '', tables: '0' });
  t.notOk(bad.success);
  const messages = bad.error?.issues.map((i) => `${i.path.join('.')}:${i.message}`) ?? [];
  t.ok(messages.includes('tables:至少 1 张洽谈桌'));
  t.ok(messages.includes('title:请填写对接会名称'));
  t.same(EventForm.values({ title: ['a', 'b'], tables: 3 }).title, 'a', 'a repeated field is read once');

  const move = MeetingMoveForm.schema.safeParse({ slot: '-1', table: 'x' });
  t.same(move.error?.issues.map((i) => [i.path.join('.'), i.message]), [['slot', '时段编号从 0 开始'], ['table', '桌号应为数字']]);
  t.match(CheckInForm.schema.safeParse({ state: 'maybe' }).error?.issues[0].message, /签到状态应为/);
  const reg = RegistrationForm.schema.safeParse({ representatives: '', contactName: '张三', unavailableSlots: '2', demands: ['x'] });
  t.same(reg.error?.issues.map((i) => i.path.join('.')), ['demands.0'], 'a demand id that is not one');
  const vendorReg = RegistrationForm.read({ representatives: '2', unavailableSlots: ['2', '0', '2'] });
  t.ok(vendorReg.ok);
  if (vendorReg.ok) t.same(registrationOf('vendor', vendorReg.input), { contactName: undefined, contactPhone: undefined, unavailableSlots: [0, 2], representatives: 2 });
  t.match(WishForm.read({ to: 'a'.repeat(24), level: 'none' }), { ok: true, input: { clear: true, to: 'a'.repeat(24) } });
  t.match(WishForm.read({ to: '', level: '' }), { ok: false, errors: { to: '请选择洽谈对象。' } });
  for (const issue of WishForm.schema.safeParse({ to: 'a'.repeat(24), level: 'maybe' }).error?.issues ?? []) t.notMatch(issue.message, /[A-Za-z]{4,}.*expected|Invalid/, 'no raw zod message');
});
