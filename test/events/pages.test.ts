/**
 * The event pages as people use them (app.inject with login cookies and the forms' CSRF tokens): the
 * organizer creates an event from the form, opens registration, registers vendors and buyers, reviews a
 * self-registration, collects wishes, generates and adjusts the schedule on the grid, publishes, checks
 * in and records outcomes; participants register, set wishes and read their agenda. Each page is refused
 * to the wrong role, bad forms show inline Chinese errors and change nothing, conflicts show the message.
 */
import t from 'tap';
import { buildTestApp } from '../helper.js';
import { toCurrentUser } from '../../src/accounts/access.js';
import { approvedVendor, getPage, postForm, textOf } from '../suppliers/pages-support.js';
import { session } from '../demands/support.js';
import { buyerWithUser, createEventFromForm, eventForm, vendorWithUser } from './pages-support.js';

const app = await buildTestApp(t, { LOGIN_RATE_LIMIT: '100000' }, { background: false });
const organizer = await session(app, 'organizer');
const admin = await session(app, 'admin');
const hik = await vendorWithUser(app, '杭州滨安视讯科技有限公司', 101);
const uni = await vendorWithUser(app, '浙江江南安防系统有限公司', 102);
const late = await vendorWithUser(app, '杭州晚报名智能有限公司', 103);
const unapproved = (await app.models.Vendor.create(approvedVendor('未审核企业有限公司', 104, { status: 'submitted' }))).toObject();
const school = await buyerWithUser(app, '杭州市滨江区教育局', 'district', ['中小学校园视频监控升级', '校园周界报警系统']);
const hospital = await buyerWithUser(app, '浙江省人民医院', 'province', ['院区监控高清改造']);
const outsider = await session(app, 'buyer', { buyerOrg: (await buyerWithUser(app, '无关的采购单位', 'city', [])).org._id });

const Event = app.models.Event;
const P = app.models.EventParticipant;
const M = app.models.EventMeeting;
let eventId = '';
const participantOf = async (filter: Record<string, unknown>) => (await P.findOne({ event: eventId, ...filter }).lean())!;

t.test('the new-event form: inline errors change nothing; a good form creates the slot grid with breaks', async (t) => {
  const form = await getPage(app, '/organizer/events/new', organizer.cookie);
  t.equal(form.statusCode, 200);
  t.match(form.body, /value="安防专场"/, 'the theme defaults to 安防专场');
  t.match(form.body, /<option value="security" selected>安防<\/option>/, 'fields from the taxonomy');
  t.match(form.body, /value="10:30-10:45, 12:00-13:30"/, 'breaks as people write them');

  const bad = await postForm(app, '/organizer/events/new', organizer.cookie, eventForm({
    title: '<script>alert(1)</script>', tables: '0', startTime: '早上', breaks: '10:00-10:15, 午饭', slotCount: '',
  }));
  t.equal(bad.statusCode, 400);
  t.match(bad.body, /id="e-tables">至少 1 张洽谈桌</);
  t.match(bad.body, /id="e-startTime">请填写第一个时段的开始时间/);
  t.match(bad.body, /id="e-breaks">“午饭”不是有效的休息时间/);
  t.match(bad.body, /id="e-slotCount">时段数应为/);
  t.notOk(bad.body.includes('<script>alert(1)</script>'), 'what was typed is escaped');
  t.match(bad.body, /&lt;script&gt;/, 'and kept');
  const tooMany = await postForm(app, '/organizer/events/new', organizer.cookie, eventForm({ startTime: '23:00', slotCount: '5' }));
  t.equal(tooMany.statusCode, 400);
  t.match(tooMany.body, /一天内放不下 5 个 20 分钟的时段/);
  t.equal(await Event.countDocuments(), 0, 'nothing written');

  eventId = await createEventFromForm(app, organizer.cookie);
  const event = (await Event.findById(eventId).lean())!;
  t.equal(event.phase, 'draft');
  t.equal(event.slots.length, 6);
  t.equal(event.slots[0].start.toISOString(), '2099-03-18T01:00:00.000Z', '09:00 Beijing');
  t.equal(event.slots[3].start.toISOString(), '2099-03-18T02:15:00.000Z', 'the fourth slot starts after the 10:00-10:15 break');
  t.equal(event.field, 'security');

  const list = await getPage(app, '/organizer/events', organizer.cookie);
  t.equal(list.statusCode, 200);
  t.match(textOf(list.body), /滨江区设备更新供需对接会（安防专场） 安防专场/);
  t.match(textOf(list.body), /筹备中/);
  t.match(list.body, /href="\/organizer\/events" aria-current="page">对接会</, 'the nav entry');
});

t.test('each page is for its roles: 403 for the wrong role, 404 for a draft or someone else\'s agenda', async (t) => {
  for (const url of ['/organizer/events', '/organizer/events/new', `/organizer/events/${eventId}`, `/organizer/events/${eventId}/grid`, `/organizer/events/${eventId}/cards`, `/organizer/events/${eventId}/dashboard`]) {
    t.equal((await getPage(app, url, hik.user.cookie)).statusCode, 403, `vendor ${url}`);
    t.equal((await getPage(app, url, school.user.cookie)).statusCode, 403, `buyer ${url}`);
    t.equal((await getPage(app, url, admin.cookie)).statusCode, 200, `admin ${url}`);
  }
  const guest = await getPage(app, '/events');
  t.match(guest.headers.location ?? '', /^\/login\?next=/);
  const draft = await getPage(app, `/events/${eventId}`, hik.user.cookie);
  t.equal(draft.statusCode, 404, 'a draft is not shown to participants');
  t.match(textOf(draft.body), /未找到该对接会/);
  t.notOk(textOf((await getPage(app, '/events', hik.user.cookie)).body).includes('安防专场'), 'nor listed');
  t.equal((await postForm(app, `/organizer/events/${eventId}/phase`, hik.user.cookie, { to: 'registration' })).statusCode, 403);
  t.match((await getPage(app, '/events', hik.user.cookie)).body, /href="\/events" aria-current="page">对接会</, 'vendor nav entry');
});

t.test('phases from the control page; a wrong step is explained, not an error page', async (t) => {
  const page = await getPage(app, `/organizer/events/${eventId}`, organizer.cookie);
  t.equal(page.statusCode, 200);
  t.match(page.body, /name="to" value="registration"/);
  t.match(textOf(page.body), /开始报名/);
  const skip = await postForm(app, `/organizer/events/${eventId}/phase`, organizer.cookie, { to: 'published' });
  t.equal(skip.statusCode, 409);
  t.match(textOf(skip.body), /对接会当前为“筹备中”，不能直接改为“日程已发布”/);
  t.match(skip.body, /<h2>参会方/, 'shown on the control page');
  const nonsense = await postForm(app, `/organizer/events/${eventId}/phase`, organizer.cookie, { to: 'party' });
  t.equal(nonsense.statusCode, 400);
  t.match(textOf(nonsense.body), /未知的阶段/);
  const ok = await postForm(app, `/organizer/events/${eventId}/phase`, organizer.cookie, { to: 'registration' });
  t.equal(ok.statusCode, 303);
  t.equal((await Event.findById(eventId).lean())!.phase, 'registration');
  t.match(textOf((await getPage(app, `/organizer/events/${eventId}`, organizer.cookie)).body), /对接会已进入“报名中”阶段/);
});

t.test('the organizer registers vendors from the list and buyers with their demands', async (t) => {
  const search = await getPage(app, `/organizer/events/${eventId}?vq=${encodeURIComponent('滨安')}`, organizer.cookie);
  t.match(textOf(search.body), /杭州滨安视讯科技有限公司/);
  t.match(search.body, new RegExp(`name="vendorCreditCode" value="${hik.vendor.creditCode}"`));
  const byCode = await getPage(app, `/organizer/events/${eventId}?vq=${uni.vendor.creditCode.slice(0, 16)}`, organizer.cookie);
  t.match(textOf(byCode.body), /浙江江南安防系统有限公司/, 'found by credit code too');
  t.notOk(textOf((await getPage(app, `/organizer/events/${eventId}?vq=${encodeURIComponent('未审核')}`, organizer.cookie)).body).includes('未审核企业有限公司 '), 'only approved vendors are offered');

  t.equal((await postForm(app, `/organizer/events/${eventId}/register-vendor`, organizer.cookie, { vendorCreditCode: hik.vendor.creditCode, representatives: '2' })).statusCode, 303);
  t.equal((await postForm(app, `/organizer/events/${eventId}/register-vendor`, organizer.cookie, { vendorCreditCode: uni.vendor.creditCode, representatives: '1' })).statusCode, 303);
  const twice = await postForm(app, `/organizer/events/${eventId}/register-vendor`, organizer.cookie, { vendorCreditCode: hik.vendor.creditCode, representatives: '1' });
  t.equal(twice.statusCode, 409);
  t.match(textOf(twice.body), /“杭州滨安视讯科技有限公司”已报名本场对接会/);
  const reps = await postForm(app, `/organizer/events/${eventId}/register-vendor`, organizer.cookie, { vendorCreditCode: late.vendor.creditCode, representatives: '99' });
  t.equal(reps.statusCode, 400);
  t.match(textOf(reps.body), /最多 10 名参会代表/);
  const notListed = await postForm(app, `/organizer/events/${eventId}/register-vendor`, organizer.cookie, { vendorCreditCode: unapproved.creditCode, representatives: '1' });
  t.equal(notListed.statusCode, 409);
  t.match(textOf(notListed.body), /尚未通过审核入选推介清单/);

  const buyers = await getPage(app, `/organizer/events/${eventId}?bq=${encodeURIComponent('教育局')}`, organizer.cookie);
  t.match(textOf(buyers.body), /杭州市滨江区教育局 区级/);
  for (const d of school.demands) t.match(buyers.body, new RegExp(`name="demands" value="${d}"`), 'its open demands to pick');
  const pick = /<form method="post" action="[^"]+\/register-buyer" class="ev-buyer-pick">([\s\S]*?)<\/form>/.exec(buyers.body)![1];
  const hidden = Object.fromEntries([...pick.matchAll(/<input type="hidden" name="(buyer\.[a-z]+)" value="([^"]*)">/g)].map((m) => [m[1], m[2]]));
  const picked = await postForm(app, `/organizer/events/${eventId}/register-buyer`, organizer.cookie, { ...hidden, demands: school.demands });
  t.equal(picked.statusCode, 303, textOf(picked.body).slice(0, 300));

  const badBuyer = await postForm(app, `/organizer/events/${eventId}/register-buyer`, organizer.cookie, { 'buyer.name': '', 'buyer.type': 'agency', 'buyer.level': 'nation', 'buyer.province': '浙江省' });
  t.equal(badBuyer.statusCode, 400);
  t.match(badBuyer.body, /id="e-buyer.name">请填写采购单位名称</);
  t.match(textOf(badBuyer.body), /层级应为 省级、市级 或 区级/);
  const newOrg = await postForm(app, `/organizer/events/${eventId}/register-buyer`, organizer.cookie, {
    'buyer.name': '杭州市滨江区长河街道办事处', 'buyer.type': 'agency', 'buyer.level': 'district', 'buyer.province': '浙江省', 'buyer.city': '杭州市', 'buyer.district': '滨江区',
  });
  t.equal(newOrg.statusCode, 303, 'a buyer new to the platform');
  t.ok(await app.models.BuyerOrg.exists({ name: '杭州市滨江区长河街道办事处' }));

  const school1 = await participantOf({ kind: 'buyer', buyerOrg: school.org._id });
  t.equal(school1.status, 'approved');
  t.equal(school1.demands.length, 2);
  t.equal((await participantOf({ kind: 'vendor', vendor: hik.vendor._id })).representatives, 2);
  t.equal(await P.countDocuments({ event: eventId }), 4);
});

t.test('participants register themselves with unavailable slots; the organizer reviews', async (t) => {
  const list = textOf((await getPage(app, '/events', hospital.user.cookie)).body);
  t.match(list, /滨江区设备更新供需对接会（安防专场）/);
  t.match(list, /报名参会/);
  const page = await getPage(app, `/events/${eventId}`, hospital.user.cookie);
  t.equal(page.statusCode, 200);
  t.match(page.body, /name="unavailableSlots" value="5"> 10:55–11:15/, 'unavailable slots as checkboxes of slot times');
  t.match(textOf(page.body), /10:00–10:15 休息/, 'the break is shown');
  t.match(page.body, new RegExp(`name="demands" value="${hospital.demands[0]}"`), 'its own open demands');
  t.notOk(page.body.includes(school.demands[0]), 'not another organization\'s');

  const bad = await postForm(app, `/events/${eventId}/register`, hospital.user.cookie, { unavailableSlots: ['1', '40'], demands: [school.demands[0]] });
  t.equal(bad.statusCode, 400);
  t.match(textOf(bad.body), /关联的需求须是本单位未关闭的需求|时段编号 40 不存在/);
  t.equal(await P.countDocuments({ event: eventId, buyerOrg: hospital.org._id }), 0, 'nothing written');

  const ok = await postForm(app, `/events/${eventId}/register`, hospital.user.cookie, { unavailableSlots: ['0'], demands: [hospital.demands[0]], contactName: '钱主任', contactPhone: '0571-88888888' });
  t.equal(ok.statusCode, 303);
  const mine = await participantOf({ buyerOrg: hospital.org._id });
  t.equal(mine.status, 'pending');
  t.same(mine.unavailableSlots, [0]);
  t.match(textOf((await getPage(app, `/events/${eventId}`, hospital.user.cookie)).body), /状态： 待审核/);

  const vendorSelf = await postForm(app, `/events/${eventId}/register`, late.user.cookie, { representatives: '1', unavailableSlots: ['2'] });
  t.equal(vendorSelf.statusCode, 303);

  const control = await getPage(app, `/organizer/events/${eventId}`, organizer.cookie);
  t.match(textOf(control.body), /2 个待审核/);
  const lateP = await participantOf({ vendor: late.vendor._id });
  const noReason = await postForm(app, `/organizer/events/${eventId}/participants/${String(lateP._id)}/review`, organizer.cookie, { decision: 'reject', reason: '' });
  t.equal(noReason.statusCode, 400);
  t.match(textOf(noReason.body), /不通过时请写明原因/);
  t.equal((await participantOf({ vendor: late.vendor._id })).status, 'pending', 'unchanged');
  t.equal((await postForm(app, `/organizer/events/${eventId}/participants/${String(lateP._id)}/review`, organizer.cookie, { decision: 'reject', reason: '与本场主题不符' })).statusCode, 303);
  t.match(textOf((await getPage(app, `/events/${eventId}`, late.user.cookie)).body), /未通过\s?，原因：与本场主题不符/);
  t.equal((await postForm(app, `/organizer/events/${eventId}/participants/${String(mine._id)}/review`, organizer.cookie, { decision: 'approve' })).statusCode, 303);
  t.equal((await participantOf({ buyerOrg: hospital.org._id })).status, 'approved');
});

t.test('wishes: must / want / no, suggestions section, and the organizer on a participant\'s behalf', async (t) => {
  await postForm(app, `/organizer/events/${eventId}/phase`, organizer.cookie, { to: 'preferences' });
  const [hikP, uniP, schoolP, hospitalP] = await Promise.all([
    participantOf({ vendor: hik.vendor._id }), participantOf({ vendor: uni.vendor._id }),
    participantOf({ buyerOrg: school.org._id }), participantOf({ buyerOrg: hospital.org._id }),
  ]);
  const page = await getPage(app, `/events/${eventId}/wishes`, school.user.cookie);
  t.equal(page.statusCode, 200);
  const text = textOf(page.body);
  t.match(text, /全部供应商（2）/);
  t.match(text, /杭州滨安视讯科技有限公司/);
  t.notOk(text.includes('杭州晚报名智能有限公司'), 'a rejected vendor is not offered');
  t.match(text, /平台推荐/);
  t.match(page.body, new RegExp(`id="w-${String(hikP._id)}"`));

  const bad = await postForm(app, `/events/${eventId}/wishes`, school.user.cookie, { to: String(hikP._id), level: 'maybe' });
  t.equal(bad.statusCode, 400);
  t.match(textOf(bad.body), /意向应为 must（必须见）、want（希望见）或 no（不见）/);
  t.equal(await app.models.EventPreference.countDocuments({ event: eventId }), 0, 'nothing written');

  t.equal((await postForm(app, `/events/${eventId}/wishes`, school.user.cookie, { to: String(hikP._id), level: 'must' })).statusCode, 303);
  t.equal((await postForm(app, `/events/${eventId}/wishes`, school.user.cookie, { to: String(uniP._id), level: 'want', source: 'suggestion' })).statusCode, 303);
  t.equal((await postForm(app, `/events/${eventId}/wishes`, hospital.user.cookie, { to: String(hikP._id), level: 'must' })).statusCode, 303);
  t.equal((await postForm(app, `/events/${eventId}/wishes`, hik.user.cookie, { to: String(hospitalP._id), level: 'want' })).statusCode, 303);
  // The organizer sets a veto for 江南安防 (they do not want to meet the hospital).
  t.equal((await postForm(app, `/events/${eventId}/wishes`, organizer.cookie, { p: String(uniP._id), to: String(hospitalP._id), level: 'no' })).statusCode, 303);
  t.equal((await postForm(app, `/events/${eventId}/wishes`, hospital.user.cookie, { to: String(uniP._id), level: 'want' })).statusCode, 303);

  const after = await getPage(app, `/events/${eventId}/wishes`, school.user.cookie);
  t.match(after.body, new RegExp(`<tr id="w-${String(hikP._id)}">[\\s\\S]*?value="must" checked`), 'the saved wish is checked');
  t.match(textOf(after.body), /来自推荐/);
  const vendorView = textOf((await getPage(app, `/events/${eventId}/wishes`, uni.user.cookie)).body);
  t.match(vendorView, /全部采购方（3）/);
  t.match(vendorView, /对方希望见/, 'the other side\'s wish shows');
  const hospitalView = await getPage(app, `/events/${eventId}/wishes`, hospital.user.cookie);
  t.notOk(hospitalView.body.includes('不见</span>'), 'a veto about it is private');

  const control = textOf((await getPage(app, `/organizer/events/${eventId}`, organizer.cookie)).body);
  t.match(control, /洽谈意向（6 条）/);
  t.match(control, /必须见 2 希望见 3 不见 1/);
  t.equal((await getPage(app, `/events/${eventId}/wishes`, outsider.cookie)).statusCode, 200);
  t.match(textOf((await getPage(app, `/events/${eventId}/wishes`, outsider.cookie)).body), /您还没有报名本场对接会/);
  const foreign = await postForm(app, `/events/${eventId}/wishes`, outsider.cookie, { to: String(hikP._id), level: 'must' });
  t.equal(foreign.statusCode, 409);
  t.match(textOf(foreign.body), /请先报名本场对接会/);
  t.equal(schoolP.status, 'approved');

  // The whole list in one form: one post sets, changes and clears several wishes at once.
  const mine = async () => Object.fromEntries((await app.models.EventPreference.find({ event: eventId, from: schoolP._id }).lean()).map((w) => [String(w.to), w.level]));
  t.same(await mine(), { [String(hikP._id)]: 'must', [String(uniP._id)]: 'want' });
  const listPage = await getPage(app, `/events/${eventId}/wishes`, school.user.cookie);
  t.equal((listPage.body.match(/action="\/events\/[0-9a-f]{24}\/wishes\/list"/g) ?? []).length, 1, 'one form for the whole list');
  t.notOk(/<form[^>]*action="\/events\/[0-9a-f]{24}\/wishes"[^>]*>(?:(?!<\/form>)[\s\S])*name="level" value="must"/.test(listPage.body), 'no form per row');
  const badList = await postForm(app, `/events/${eventId}/wishes/list`, school.user.cookie, { [`w-${String(hikP._id)}`]: 'none', [`w-${String(uniP._id)}`]: 'maybe' });
  t.equal(badList.statusCode, 400);
  t.match(textOf(badList.body), /请为每一家选择/);
  t.same(await mine(), { [String(hikP._id)]: 'must', [String(uniP._id)]: 'want' }, 'a bad choice saves nothing');
  const stranger = await postForm(app, `/events/${eventId}/wishes/list`, school.user.cookie, { [`w-${String(hospitalP._id)}`]: 'must' });
  t.equal(stranger.statusCode, 400, 'a participant of the same side (or unknown) is refused');
  t.same(await mine(), { [String(hikP._id)]: 'must', [String(uniP._id)]: 'want' });
  const saved = await postForm(app, `/events/${eventId}/wishes/list`, school.user.cookie, { [`w-${String(hikP._id)}`]: 'none', [`w-${String(uniP._id)}`]: 'must' });
  t.equal(saved.statusCode, 303);
  t.same(await mine(), { [String(uniP._id)]: 'must' }, 'both rows saved by one submit');
  t.match(textOf((await getPage(app, saved.headers.location as string, school.user.cookie)).body), /已保存意向：必须见 1 家、撤销 1 家/);
  const unchanged = await postForm(app, `/events/${eventId}/wishes/list`, school.user.cookie, { [`w-${String(hikP._id)}`]: 'none', [`w-${String(uniP._id)}`]: 'must' });
  t.match(textOf((await getPage(app, unchanged.headers.location as string, school.user.cookie)).body), /意向没有变化/);
  // Put them back for the tests that follow.
  t.equal((await postForm(app, `/events/${eventId}/wishes/list`, school.user.cookie, { [`w-${String(hikP._id)}`]: 'must', [`w-${String(uniP._id)}`]: 'want' })).statusCode, 303);

  // A row refused while saving (the counterpart withdrew after the page checked the list) saves no row at
  // all: the list is written in one transaction, after every row is checked.
  const schoolUser = toCurrentUser((await app.models.User.findOne({ email: school.user.email }).lean())!);
  await P.updateOne({ _id: uniP._id }, { $set: { status: 'withdrawn' } });
  const refused = await app.events.saveWishList(schoolUser, eventId, String(schoolP._id), {
    set: [{ to: String(hikP._id), level: 'want' }, { to: String(uniP._id), level: 'must' }], clear: [],
  }).then(() => null, (err: { statusCode: number; message: string; details?: Array<{ path: string }> }) => err);
  t.equal(refused?.statusCode, 404, 'to a participant, a withdrawn counterpart is no longer there');
  t.match(refused?.message, /未找到该参会方/);
  t.same(refused?.details?.map((d) => d.path), [String(uniP._id)], 'the refusal names its row');
  t.same(await mine(), { [String(hikP._id)]: 'must', [String(uniP._id)]: 'want' }, 'the row before it is not saved either');
  await P.updateOne({ _id: uniP._id }, { $set: { status: 'approved' } });
});

t.test('generating shows the run and the unscheduled pairs with reasons; the grid moves, adds and cancels', async (t) => {
  const run = await postForm(app, `/organizer/events/${eventId}/schedule`, organizer.cookie, {});
  t.equal(run.statusCode, 303);
  const control = textOf((await getPage(app, `/organizer/events/${eventId}`, organizer.cookie)).body);
  t.match(control, /日程已生成：共 3 场洽谈（保留 0，新增 3，调整 0，取消 0）；1 对意向未能安排/);
  t.match(control, /保留 0 场，新增 3 场，调整 0 场，取消 0 场/);
  t.match(control, /浙江省人民医院 × 浙江江南安防系统有限公司：一方表示不见/, 'the vetoed pair with its Chinese reason');
  t.match(control, /排期中/, 'generating moved the event to scheduling');

  const grid = await getPage(app, `/organizer/events/${eventId}/grid`, organizer.cookie);
  t.equal(grid.statusCode, 200);
  const gridText = textOf(grid.body);
  t.match(gridText, /时段 1 号桌 2 号桌 3 号桌/, 'tables as columns');
  t.match(gridText, /第 1 时段 09:00–09:20/, 'slots as rows with times');
  t.match(gridText, /10:00–10:15 休息/, 'the break row');
  t.match(gridText, /杭州市滨江区教育局 × 杭州滨安视讯科技有限公司/);

  const meetings = await M.find({ event: eventId }).sort({ slot: 1, table: 1 }).lean();
  t.equal(meetings.length, 3, 'the three wished pairs that are not vetoed');
  const [a, b] = meetings;
  // Move a onto b's place: the table is taken → 409 with the message on the grid, nothing moved.
  const clash = await postForm(app, `/organizer/events/${eventId}/meetings/${String(a._id)}/move`, organizer.cookie, { slot: String(b.slot), table: String(b.table) });
  t.equal(clash.statusCode, 409);
  t.match(textOf(clash.body), /已有洽谈|无法参加|都已有洽谈/);
  t.match(clash.body, /class="ev-grid"/, 'shown on the grid page, not an error page');
  t.same((await M.findById(a._id).lean())!.slot, a.slot, 'unchanged');
  const junk = await postForm(app, `/organizer/events/${eventId}/meetings/${String(a._id)}/move`, organizer.cookie, { slot: 'x', table: '1' });
  t.equal(junk.statusCode, 400);
  t.match(textOf(junk.body), /时段编号应为数字/);

  // Find a free (slot, table) both can attend and move there.
  const busy = new Set(meetings.map((m) => `${m.slot}|${m.table}`));
  const buyerBusy = new Set(meetings.filter((m) => String(m.buyer) === String(a.buyer)).map((m) => m.slot));
  const vendorBusy = new Set(meetings.filter((m) => String(m.vendor) === String(a.vendor)).map((m) => m.slot));
  const [buyerP, vendorP] = await Promise.all([P.findById(a.buyer).lean(), P.findById(a.vendor).lean()]);
  let target: { slot: number; table: number } | undefined;
  for (let slot = 0; slot < 6 && !target; slot++) {
    if (slot === a.slot || buyerBusy.has(slot) || vendorBusy.has(slot)) continue;
    if (buyerP!.unavailableSlots.includes(slot) || vendorP!.unavailableSlots.includes(slot)) continue;
    for (let table = 1; table <= 3; table++) if (!busy.has(`${slot}|${table}`)) { target = { slot, table }; break; }
  }
  t.ok(target, 'a free place exists');
  const moved = await postForm(app, `/organizer/events/${eventId}/meetings/${String(a._id)}/move`, organizer.cookie, { slot: String(target!.slot), table: String(target!.table) });
  t.equal(moved.statusCode, 303);
  t.match(moved.headers.location as string, new RegExp(`/grid\\?m=${String(a._id)}#edit$`));
  const m = (await M.findById(a._id).lean())!;
  t.same([m.slot, m.table, m.pinned], [target!.slot, target!.table, true], 'moved and pinned');
  const edit = await getPage(app, `/organizer/events/${eventId}/grid?m=${String(a._id)}`, organizer.cookie);
  t.match(textOf(edit.body), /已调整：/);
  t.match(edit.body, /id="edit"/);

  const addBad = await postForm(app, `/organizer/events/${eventId}/meetings`, organizer.cookie, { buyer: '', vendor: '', slot: '', table: '' });
  t.equal(addBad.statusCode, 400);
  t.match(textOf(addBad.body), /请选择采购方、供应商、时段和桌号/);
  const schoolP = await participantOf({ buyerOrg: school.org._id });
  const uniP = await participantOf({ vendor: uni.vendor._id });
  const dup = await postForm(app, `/organizer/events/${eventId}/meetings`, organizer.cookie, { buyer: String(schoolP._id), vendor: String(uniP._id), slot: '5', table: '3' });
  t.equal(dup.statusCode, 409);
  t.match(textOf(dup.body), /已有一场洽谈/);

  const changhe = await participantOf({ kind: 'buyer', name: '杭州市滨江区长河街道办事处' });
  const free = await M.find({ event: eventId }).lean();
  const taken = new Set(free.map((x) => `${x.slot}|${x.table}`));
  const uniBusy = new Set(free.filter((x) => String(x.vendor) === String(uniP._id)).map((x) => x.slot));
  let place: { slot: number; table: number } | undefined;
  for (let slot = 0; slot < 6 && !place; slot++) {
    if (uniBusy.has(slot)) continue;
    for (let table = 1; table <= 3; table++) if (!taken.has(`${slot}|${table}`)) { place = { slot, table }; break; }
  }
  const added = await postForm(app, `/organizer/events/${eventId}/meetings`, organizer.cookie, { buyer: String(changhe._id), vendor: String(uniP._id), slot: String(place!.slot), table: String(place!.table) });
  t.equal(added.statusCode, 303);
  const addedMeeting = (await M.findOne({ event: eventId, buyer: changhe._id }).lean())!;
  t.ok(addedMeeting.pinned);
  t.equal((await postForm(app, `/organizer/events/${eventId}/meetings/${String(addedMeeting._id)}/cancel`, organizer.cookie)).statusCode, 303);
  t.equal(await M.countDocuments({ event: eventId }), 3, 'cancelled again');
});

t.test('before publishing the agenda is not out; after publishing it shows time and table', async (t) => {
  const schoolP = await participantOf({ buyerOrg: school.org._id });
  const before = await getPage(app, `/events/${eventId}/agenda/${String(schoolP._id)}`, school.user.cookie);
  t.equal(before.statusCode, 200);
  t.match(textOf(before.body), /日程尚未发布/);
  t.notOk(textOf(before.body).includes('杭州滨安视讯科技有限公司 供应商'));
  const staffView = textOf((await getPage(app, `/events/${eventId}/agenda/${String(schoolP._id)}`, organizer.cookie)).body);
  t.match(staffView, /参会方目前还看不到以下安排/);

  const publish = await postForm(app, `/organizer/events/${eventId}/phase`, organizer.cookie, { to: 'published' });
  t.equal(publish.statusCode, 303);
  t.equal((await Event.findById(eventId).lean())!.phase, 'published');

  const after = await getPage(app, `/events/${eventId}/agenda/${String(schoolP._id)}`, school.user.cookie);
  const text = textOf(after.body);
  const event = (await Event.findById(eventId).lean())!;
  const mine = await M.find({ event: eventId, buyer: schoolP._id }).sort({ slot: 1 }).lean();
  t.equal(mine.length, 2);
  for (const m of mine) {
    const start = new Date(event.slots[m.slot].start.getTime() + 8 * 3600_000).toISOString().slice(11, 16);
    t.match(text, new RegExp(`${start}–\\d\\d:\\d\\d 第 ${m.slot + 1} 时段 ${m.table} 号桌`), `time and table of slot ${m.slot + 1}`);
  }
  t.match(text, /杭州滨安视讯科技有限公司 供应商/);
  t.match(after.body, new RegExp(`href="/api/v1/events/${eventId}/participants/${String(schoolP._id)}/agenda.ics"`));
  t.equal((await getPage(app, `/events/${eventId}/agenda/${String(schoolP._id)}`, hospital.user.cookie)).statusCode, 404, 'another buyer\'s agenda is not found');
  t.equal((await getPage(app, `/events/${eventId}/agenda/${String(schoolP._id)}`, hik.user.cookie)).statusCode, 404);
  t.match(textOf((await getPage(app, '/events', school.user.cookie)).body), /我的日程/);
});

t.test('the day: check-in, outcomes with the demand, the dashboard and the table cards', async (t) => {
  const schoolP = await participantOf({ buyerOrg: school.org._id });
  const control = await getPage(app, `/organizer/events/${eventId}`, organizer.cookie);
  t.match(control.body, new RegExp(`/participants/${String(schoolP._id)}/check-in`), 'check-in buttons once published');
  t.equal((await postForm(app, `/organizer/events/${eventId}/participants/${String(schoolP._id)}/check-in`, organizer.cookie, { state: 'arrived' })).statusCode, 303);
  t.equal((await participantOf({ buyerOrg: school.org._id })).checkIn, 'arrived');
  const badState = await postForm(app, `/organizer/events/${eventId}/participants/${String(schoolP._id)}/check-in`, organizer.cookie, { state: 'late' });
  t.equal(badState.statusCode, 400);

  const meeting = (await M.findOne({ event: eventId, buyer: schoolP._id }).lean())!;
  const edit = await getPage(app, `/organizer/events/${eventId}/grid?m=${String(meeting._id)}`, organizer.cookie);
  t.match(edit.body, /name="outcome"/);
  t.match(edit.body, /<option value="">请选择…<\/option>/, 'the buyer brought two demands: choose one');
  const noDemand = await postForm(app, `/organizer/events/${eventId}/meetings/${String(meeting._id)}/outcome`, organizer.cookie, { outcome: 'signed', amountYuan: '1,200,000' });
  t.equal(noDemand.statusCode, 400);
  t.match(noDemand.body, /id="e-demand">请选择需求</);
  const badAmount = await postForm(app, `/organizer/events/${eventId}/meetings/${String(meeting._id)}/outcome`, organizer.cookie, { outcome: 'signed', amountYuan: '很多', demand: school.demands[0] });
  t.equal(badAmount.statusCode, 400);
  t.match(badAmount.body, /id="e-amountYuan">金额应为数字，如 120000、12万 或 45.5万元</);
  t.notOk((await M.findById(meeting._id).lean())!.outcome, 'nothing recorded');
  const signed = await postForm(app, `/organizer/events/${eventId}/meetings/${String(meeting._id)}/outcome`, organizer.cookie, { outcome: 'signed', amountYuan: '120万元', demand: school.demands[0] });
  t.equal(signed.statusCode, 303, 'an amount written as 120万元 is taken');
  const saved = (await M.findById(meeting._id).lean())!;
  t.equal(saved.outcome, 'signed');
  const followUp = await app.models.FollowUp.findOne({ demand: school.demands[0] }).lean();
  t.equal(followUp?.status, 'signed', 'flows into the follow-up');
  t.equal(followUp?.amountYuan, 1_200_000, 'the amount is kept once, on the follow-up');
  const locked = await postForm(app, `/organizer/events/${eventId}/meetings/${String(meeting._id)}/cancel`, organizer.cookie);
  t.equal(locked.statusCode, 409);
  t.match(textOf(locked.body), /该洽谈已登记结果，不能取消/);

  const dash = await getPage(app, `/organizer/events/${eventId}/dashboard`, organizer.cookie);
  t.equal(dash.statusCode, 200);
  const text = textOf(dash.body);
  t.match(text, /按领域/);
  t.match(text, /安防 3 3 1 1 1 1,200,000 元/, 'by field: the security row');
  t.match(text, /区级/);
  t.match(text, /省级/);
  t.match(dash.body, new RegExp(`href="/api/v1/events/${eventId}/report.xlsx"`));

  const cards = await getPage(app, `/organizer/events/${eventId}/cards`, organizer.cookie);
  t.equal(cards.statusCode, 200);
  t.equal((cards.body.match(/class="card ev-card"/g) ?? []).length, 3, 'one card per table');
  t.match(textOf(cards.body), /1 号桌/);
  t.match(textOf(cards.body), /10:00–10:15 休息/);
});
