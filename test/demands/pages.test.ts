/**
 * Demand pages as people use them: the post-a-demand form with inline errors, a demand with its matched
 * suppliers and reasons (sample data, real search), what a vendor may see, the buyer's workbench and the
 * organizers' board with its filters.
 */
import t from 'tap';
import { buildTestApp } from '../helper.js';
import { seedSampleData } from '../../src/seeding/index.js';
import { getPage, postForm, textOf } from '../suppliers/pages-support.js';
import { session } from './support.js';

const app = await buildTestApp(t, { LOGIN_RATE_LIMIT: '100000' }, { background: false });
await seedSampleData(app.models);
await app.searchSync.drain();

const bureau = (await app.models.BuyerOrg.findOne({ name: '杭州市滨江区教育局' }).lean())!;
const buyer = await session(app, 'buyer', { buyerOrg: bureau._id });
const organizer = await session(app, 'organizer');
const binjiangVendor = (await app.models.Vendor.findOne({ district: '滨江区', fields: 'security' }).lean())!;
const vendor = await session(app, 'vendor', { vendor: binjiangVendor._id });

t.test('the post-a-demand form shows every problem next to its field and keeps what was typed', async (t) => {
  const form = await getPage(app, '/demands/new', buyer.cookie);
  t.equal(form.statusCode, 200);
  t.match(form.body, /杭州市滨江区教育局/, 'a buyer posts for its own organization');
  t.match(form.body, /<optgroup label="教育"><option value="school-furniture"/, 'categories grouped by field');
  t.match(form.body, /name="requiredCertifications" value="iso9001"/, 'certifications as checkboxes');

  const res = await postForm(app, '/demands/new', buyer.cookie, {
    title: '<b>x', description: '想要一批<script>alert(1)</script>摄像头', quantity: '-2', budgetYuan: 'abc', deadline: '2020-01-01',
    field: 'security', category: 'school-furniture', status: 'open',
  });
  t.equal(res.statusCode, 400);
  const text = textOf(res.body);
  t.match(text, /请按提示修改后再提交/);
  t.match(res.body, /id="e-quantity">数量应大于 0</);
  t.match(res.body, /id="e-budgetYuan">必须是数字</);
  t.notOk(res.body.includes('<script>alert(1)</script>'), 'what was typed is escaped');
  t.match(res.body, /想要一批&lt;script&gt;/, 'and kept');

  const mismatch = await postForm(app, '/demands/new', buyer.cookie, { title: '类别不符', field: 'security', category: 'school-furniture', status: 'open' });
  t.match(mismatch.body, /id="e-category">所选类别不属于所选领域</);
  const past = await postForm(app, '/demands/new', buyer.cookie, { title: '过期的需求', deadline: '2020-01-01', status: 'open' });
  t.match(past.body, /id="e-deadline">截止日期不能早于今天</, 'service errors show inline too');
  t.equal(await app.models.Demand.countDocuments({ title: { $in: ['类别不符', '过期的需求'] } }), 0, 'nothing written');
});

let demandId = '';

t.test('a posted demand shows its matched local suppliers with every reason and the follow-up buttons', async (t) => {
  const res = await postForm(app, '/demands/new', buyer.cookie, {
    title: '全区中小学校园视频监控升级', status: 'open',
    description: '全区中小学校门口和操场的老旧摄像头要换成高清网络摄像机，晚上也要看得清，带录像存储。',
    field: 'security', category: 'video-surveillance', quantity: '600', unit: '路', budgetYuan: '3000000',
    deadline: '2099-08-31', preferredCertifications: ['zhejiang-made'], privateNotes: '内部备注：校长们希望暑假施工',
  });
  t.equal(res.statusCode, 303);
  demandId = /\/demands\/([0-9a-f]{24})$/.exec(res.headers.location as string)![1];

  const page = await getPage(app, `/demands/${demandId}`, buyer.cookie);
  t.equal(page.statusCode, 200);
  const text = textOf(page.body);
  t.match(text, /全区中小学校园视频监控升级/);
  t.match(text, /征集中/);
  t.match(text, /内部备注：校长们希望暑假施工/, 'the buyer sees its own notes');
  const matches = await app.matching.matchDemandById(demandId, { limit: 20 });
  t.ok(matches.length >= 3, `sample data yields matches (${matches.length})`);
  t.match(text, new RegExp(`匹配的供应商（${matches.length}）`));
  for (const m of matches.slice(0, 5)) {
    t.match(page.body, `href="/directory/vendors/${m.vendor.id}"`, `${m.vendor.name} is listed`);
    for (const r of m.reasons.filter((x) => x.text)) t.ok(text.includes(r.text), `reason shown: ${r.text}`);
    for (const p of m.products) t.match(page.body, `href="/directory/products/${p.productId}"`);
  }
  t.match(page.body, new RegExp(`action="/demands/${demandId}/follow-up/${matches[0].vendor.id}"`), 'follow-up buttons per vendor');
  t.match(page.body, new RegExp(`action="/demands/${demandId}/close"`), 'lifecycle buttons for the buyer');
  t.match(text, /创建，状态为征集中/, 'the history');
});

t.test('a vendor sees the open demand without private notes and only its own match; drafts and edits are not for it', async (t) => {
  const page = await getPage(app, `/demands/${demandId}`, vendor.cookie);
  t.equal(page.statusCode, 200);
  t.notOk(page.body.includes('校长们希望暑假施工'), 'private notes never reach a vendor');
  t.notOk(page.body.includes('/close"'), 'no lifecycle buttons');
  const others = (await app.matching.matchDemandById(demandId, { limit: 20 })).filter((m) => m.vendor.id !== String(binjiangVendor._id));
  for (const m of others) t.notOk(page.body.includes(`/directory/vendors/${m.vendor.id}"`), `competitor ${m.vendor.name} is not shown`);
  t.match(textOf(page.body), /您的匹配情况/);
  t.equal((await getPage(app, `/demands/${demandId}/edit`, vendor.cookie)).statusCode, 403);

  const draftRes = await app.inject({
    method: 'POST', url: '/api/v1/demands', headers: { cookie: buyer.cookie },
    payload: { title: '草稿里的需求', description: '', status: 'draft', privateNotes: '草稿备注' },
  });
  const draft = { _id: draftRes.json().id as string };
  t.equal((await getPage(app, `/demands/${String(draft._id)}`, vendor.cookie)).statusCode, 404);
  const otherBuyer = await session(app, 'buyer', { buyerOrg: (await app.models.BuyerOrg.findOne({ name: { $ne: bureau.name } }).lean())!._id });
  t.equal((await getPage(app, `/demands/${demandId}`, otherBuyer.cookie)).statusCode, 404, 'another organization\'s buyer gets 404');
});

t.test('editing, lifecycle buttons and the buyer workbench', async (t) => {
  const edit = await getPage(app, `/demands/${demandId}/edit`, buyer.cookie);
  t.match(edit.body, /value="全区中小学校园视频监控升级"/);
  const bad = await postForm(app, `/demands/${demandId}/edit`, buyer.cookie, { title: '', field: 'security', category: 'video-surveillance' });
  t.equal(bad.statusCode, 400);
  t.match(bad.body, /id="e-title">请填写需求标题/);
  const ok = await postForm(app, `/demands/${demandId}/edit`, buyer.cookie, {
    title: '全区中小学校园视频监控升级', description: '校门口和操场', field: 'security', category: 'video-surveillance', quantity: '800', unit: '路',
    budgetYuan: '3000000', deadline: '2099-08-31', preferredCertifications: 'zhejiang-made', privateNotes: '内部备注：校长们希望暑假施工',
  });
  t.equal(ok.statusCode, 303);
  t.equal((await app.models.Demand.findById(demandId).lean())!.quantity, 800);

  const noReason = await postForm(app, `/demands/${demandId}/close`, buyer.cookie, { closedAs: 'fulfilled', reason: '' });
  t.equal(noReason.statusCode, 303);
  t.match(textOf((await getPage(app, `/demands/${demandId}`, buyer.cookie)).body), /未能关闭需求：请填写关闭原因/);
  t.equal((await postForm(app, `/demands/${demandId}/start`, buyer.cookie)).statusCode, 303);
  t.equal((await app.models.Demand.findById(demandId).lean())!.status, 'in_progress');

  const dash = await getPage(app, '/buyer', buyer.cookie);
  t.equal(dash.statusCode, 200);
  const text = textOf(dash.body);
  t.match(text, /杭州市滨江区教育局/);
  t.match(dash.body, new RegExp(`href="/demands/${demandId}"`));
  t.match(text, /对接中/);
  t.match(text, /\d+ 家/, 'how many suppliers match');
});

t.test('the organizer board filters by level, field, status and region, with counts and pages', async (t) => {
  const all = await getPage(app, '/organizer/demands?pageSize=100', organizer.cookie);
  t.equal(all.statusCode, 200);
  const total = await app.models.Demand.countDocuments();
  t.match(textOf(all.body), new RegExp(`共 ${total} 条需求`));

  const province = textOf((await getPage(app, '/organizer/demands?level=province&pageSize=100', organizer.cookie)).body);
  const provinceOrgs = await app.models.BuyerOrg.find({ level: 'province' }).lean();
  const nProvince = await app.models.Demand.countDocuments({ buyerOrg: { $in: provinceOrgs.map((o) => o._id) } });
  t.match(province, new RegExp(`共 ${nProvince} 条需求`));
  t.notOk(province.includes('杭州市滨江区教育局'), 'a district buyer is not in the province filter');

  const medical = await app.models.Demand.countDocuments({ field: 'medical' });
  t.match(textOf((await getPage(app, '/organizer/demands?field=medical', organizer.cookie)).body), new RegExp(`共 ${medical} 条需求`));
  const inProgress = textOf((await getPage(app, '/organizer/demands?status=in_progress', organizer.cookie)).body);
  t.match(inProgress, /共 1 条需求/);
  t.match(inProgress, /全区中小学校园视频监控升级/);
  const binjiang = await app.models.BuyerOrg.find({ district: '滨江区' }).lean();
  const nBinjiang = await app.models.Demand.countDocuments({ buyerOrg: { $in: binjiang.map((o) => o._id) } });
  t.match(textOf((await getPage(app, `/organizer/demands?district=${encodeURIComponent('滨江区')}`, organizer.cookie)).body), new RegExp(`共 ${nBinjiang} 条需求`));

  const page1 = await getPage(app, '/organizer/demands?pageSize=5', organizer.cookie);
  t.match(page1.body, /rel="next"/);
  t.match(textOf(page1.body), new RegExp(`第 1 / ${Math.ceil(total / 5)} 页`));
  const bad = await getPage(app, '/organizer/demands?level=moon', organizer.cookie);
  t.equal(bad.statusCode, 200);
  t.match(textOf(bad.body), /筛选条件有误/);
  t.equal((await getPage(app, '/organizer/demands', buyer.cookie)).statusCode, 403);
});

t.test('an organizer posts on behalf of an agency from the form', async (t) => {
  const form = await getPage(app, '/demands/new', organizer.cookie);
  t.match(form.body, /采购单位（代为发布）/);
  const missing = await postForm(app, '/demands/new', organizer.cookie, { title: '代发需求', status: 'draft' });
  t.equal(missing.statusCode, 400);
  t.match(missing.body, /id="e-buyer.name">请填写采购单位名称/);
  t.match(missing.body, /单位类型应为/);
  const res = await postForm(app, '/demands/new', organizer.cookie, {
    title: '代发需求', status: 'draft', category: 'elevator', quantity: '280', unit: '台',
    'buyer.name': '杭州市西湖区住房和城乡建设局', 'buyer.type': 'agency', 'buyer.level': 'district', 'buyer.province': '浙江省', 'buyer.city': '杭州市', 'buyer.district': '西湖区',
  });
  t.equal(res.statusCode, 303);
  const d = await app.models.Demand.findOne({ title: '代发需求' }).lean();
  t.match(d, { status: 'draft', source: 'organizer', field: 'construction' });
  t.match(await app.models.BuyerOrg.findById(d!.buyerOrg).lean(), { name: '杭州市西湖区住房和城乡建设局', level: 'district', district: '西湖区' });
});
