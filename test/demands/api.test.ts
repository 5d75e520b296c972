/** The demand API: posting per docs/api.md, validation in Chinese, who sees and edits what. */
import t from 'tap';
import { buildTestApp } from '../helper.js';
import { api, binjiangBureau, demandBody, orgOf, session } from './support.js';

const app = await buildTestApp(t, { LOGIN_RATE_LIMIT: '100000' }, { background: false });
const org = (await orgOf(app, binjiangBureau))!;
const other = (await orgOf(app, { name: '杭州市第一人民医院', type: 'hospital', level: 'city', province: '浙江省', city: '杭州市' }))!;
const buyer = await session(app, 'buyer', { buyerOrg: org._id });
const otherBuyer = await session(app, 'buyer', { buyerOrg: other._id });
const organizer = await session(app, 'organizer');
const vendor = await session(app, 'vendor');

t.test('a buyer posts a demand for its own organization; buyer may be left out', async (t) => {
  const res = await api(app, buyer.cookie).post('/api/v1/demands', demandBody({ privateNotes: '预算内部口径：含三年维保' }));
  t.equal(res.statusCode, 201);
  const { id } = res.json();
  t.match(id, /^[0-9a-f]{24}$/);
  const got = (await api(app, buyer.cookie).get(`/api/v1/demands/${id}`)).json().demand;
  t.match(got, {
    id, title: '中小学午休课桌椅更新采购', field: 'education', category: 'school-furniture', quantity: 3000, unit: '套',
    budgetYuan: 7_500_000, requiredCertifications: ['iso9001'], preferredCertifications: ['zhejiang-made'], status: 'open', source: 'buyer',
    buyer: { name: binjiangBureau.name, level: 'district', type: 'agency' }, privateNotes: '预算内部口径：含三年维保',
    postedBy: { id: buyer.id, role: 'buyer' },
  });
  t.equal(got.deadline, '2099-06-30T15:59:59.999Z', 'a date-only deadline means the end of that day in Beijing');
  t.match(got.history, [{ action: 'create', to: 'open', by: { id: buyer.id } }]);

  const same = await api(app, buyer.cookie).post('/api/v1/demands', demandBody({ buyer: binjiangBureau, title: '区属学校多媒体教室更新' }));
  t.equal(same.statusCode, 201, 'the buyer object naming its own organization is accepted');

  const foreign = await api(app, buyer.cookie).post('/api/v1/demands', demandBody({ title: '别人的需求', buyer: { ...binjiangBureau, name: '杭州市第一人民医院' } }));
  t.equal(foreign.statusCode, 400);
  t.match(foreign.json(), { error: 'BAD_REQUEST', message: /只能为本单位/, details: [{ path: 'buyer.name' }] });
  t.equal(await app.models.Demand.countDocuments({ title: '别人的需求' }), 0);
});

t.test('an organizer posts on behalf of an agency, found or created by exact name', async (t) => {
  const created = await api(app, organizer.cookie).post('/api/v1/demands', demandBody({
    title: '省级医院医学影像设备更新', category: 'medical-imaging', requiredCertifications: ['medical-device-registration'],
    buyer: { name: '浙江省人民医院', type: 'hospital', level: 'province', province: '浙江省', city: '杭州市' },
  }));
  t.equal(created.statusCode, 201);
  const d = await app.models.Demand.findById(created.json().id).lean();
  const newOrg = await app.models.BuyerOrg.findById(d!.buyerOrg).lean();
  t.match(newOrg, { name: '浙江省人民医院', type: 'hospital', level: 'province' });
  t.match(d, { source: 'organizer', postedBy: { role: 'organizer' } });

  const existing = await api(app, organizer.cookie).post('/api/v1/demands', demandBody({ title: '另一条', buyer: { ...binjiangBureau, level: 'city' } }));
  t.equal(existing.statusCode, 201);
  const d2 = await app.models.Demand.findById(existing.json().id).lean();
  t.equal(String(d2!.buyerOrg), String(org._id), 'an existing organization is used by its exact name');
  t.equal((await app.models.BuyerOrg.findById(org._id).lean())!.level, 'district', 'and is not changed');

  const missing = await api(app, organizer.cookie).post('/api/v1/demands', demandBody({ title: '没有单位' }));
  t.equal(missing.statusCode, 400);
  t.match(missing.json(), { message: /请填写采购单位/, details: [{ path: 'buyer' }] });
});

t.test('bad input: Chinese messages with details, and nothing is written', async (t) => {
  const before = await app.models.Demand.countDocuments();
  const orgsBefore = await app.models.BuyerOrg.countDocuments();
  const res = await api(app, organizer.cookie).post('/api/v1/demands', {
    title: 'x', category: 'flying-cars', quantity: -3, budgetYuan: -1, deadline: '下周五', requiredCertifications: ['moon-landing'],
    buyer: { name: '新单位测试', type: 'company', level: 'town', province: '浙江省' },
  });
  t.equal(res.statusCode, 400);
  const body = res.json();
  t.equal(body.error, 'VALIDATION_FAILED');
  t.match(body.message, /[\u4e00-\u9fff]/);
  const byPath = Object.fromEntries(body.details.map((d: { path: string; message: string }) => [d.path, d.message]));
  t.match(byPath, {
    title: /需求标题/, category: /未知的类别/, quantity: /大于 0/, budgetYuan: /不能为负/, deadline: /日期/,
    'requiredCertifications.0': /未知的认证代码/, 'buyer.type': /单位类型/, 'buyer.level': /层级/,
  });
  for (const d of body.details) t.match(d.message, /[\u4e00-\u9fff]/, `${d.path}: Chinese`);

  const mismatch = await api(app, buyer.cookie).post('/api/v1/demands', demandBody({ title: '领域不符', field: 'security' }));
  t.equal(mismatch.statusCode, 400);
  t.match(mismatch.json().details, [{ path: 'category', message: '所选类别不属于所选领域' }]);

  const past = await api(app, buyer.cookie).post('/api/v1/demands', demandBody({ title: '过期需求', deadline: '2020-01-01' }));
  t.equal(past.statusCode, 400);
  t.match(past.json().details, [{ path: 'deadline', message: /早于今天/ }]);

  const dup = await api(app, buyer.cookie).post('/api/v1/demands', demandBody());
  t.equal(dup.statusCode, 400, 'the same title twice for one organization');
  t.match(dup.json().details, [{ path: 'title', message: /同名需求/ }]);

  const notJson = await app.inject({ method: 'POST', url: '/api/v1/demands', headers: { cookie: buyer.cookie, 'content-type': 'application/json' }, payload: '{"title":' });
  t.equal(notJson.statusCode, 400);

  const operator = await api(app, buyer.cookie).post('/api/v1/demands', demandBody({ title: { $gt: '' } }));
  t.equal(operator.statusCode, 400, 'an object where a string belongs is refused, never used as a query operator');

  t.equal(await app.models.Demand.countDocuments(), before, 'no demand was written');
  t.equal(await app.models.BuyerOrg.countDocuments(), orgsBefore, 'no organization was written');
});

t.test('buyers see and edit only their own organization\'s demands', async (t) => {
  const mine = (await api(app, buyer.cookie).post('/api/v1/demands', demandBody({ title: '只属于滨江的需求', privateNotes: '内部：优先考虑本地厂家' }))).json().id;
  const theirs = (await api(app, otherBuyer.cookie).post('/api/v1/demands', demandBody({ title: '医院的需求', category: 'medical-imaging', requiredCertifications: [] }))).json().id;

  const list = (await api(app, buyer.cookie).get('/api/v1/demands?pageSize=100')).json();
  t.ok(list.demands.length >= 2);
  t.ok(list.demands.every((d: { buyer: { name: string } }) => d.buyer.name === binjiangBureau.name), 'only the own organization\'s demands are listed');
  t.notOk(list.demands.some((d: { id: string }) => d.id === theirs));

  t.equal((await api(app, buyer.cookie).get(`/api/v1/demands/${theirs}`)).statusCode, 404, 'another organization\'s demand is not found');
  t.equal((await api(app, buyer.cookie).put(`/api/v1/demands/${theirs}`, demandBody({ title: '改别人的' }))).statusCode, 404);
  t.equal((await api(app, buyer.cookie).post(`/api/v1/demands/${theirs}/close`, { closedAs: 'cancelled', reason: '不要了' })).statusCode, 404);
  t.equal((await app.models.Demand.findById(theirs).lean())!.status, 'open', 'untouched');

  const put = await api(app, buyer.cookie).put(`/api/v1/demands/${mine}`, demandBody({ title: '只属于滨江的需求', quantity: 3500, privateNotes: '内部：优先考虑本地厂家' }));
  t.equal(put.statusCode, 200);
  t.match(put.json().demand, { quantity: 3500 });
  t.match(put.json().demand.history.at(-1), { action: 'edit', fields: ['quantity'], by: { id: buyer.id } });

  const staffList = (await api(app, organizer.cookie).get('/api/v1/demands?pageSize=100')).json();
  t.ok(staffList.demands.some((d: { id: string }) => d.id === theirs) && staffList.demands.some((d: { id: string }) => d.id === mine), 'organizers see every organization');
});

t.test('vendors see open demands without private notes', async (t) => {
  const open = (await api(app, buyer.cookie).post('/api/v1/demands', demandBody({ title: '带内部备注的需求', privateNotes: '绝密备注-供应商不可见' }))).json().id;
  const draft = (await api(app, buyer.cookie).post('/api/v1/demands', demandBody({ title: '草稿需求', status: 'draft' }))).json().id;

  const one = await api(app, vendor.cookie).get(`/api/v1/demands/${open}`);
  t.equal(one.statusCode, 200);
  t.notOk(one.body.includes('绝密备注'), 'private notes are absent from the vendor\'s JSON');
  t.notOk('history' in one.json().demand, 'and so is the internal history');
  t.equal((await api(app, vendor.cookie).get(`/api/v1/demands/${draft}`)).statusCode, 404, 'drafts are not shown to vendors');

  const list = await api(app, vendor.cookie).get('/api/v1/demands?pageSize=100');
  t.notOk(list.body.includes('绝密备注'));
  t.ok(list.json().demands.every((d: { status: string }) => d.status === 'open'));
  t.notOk(list.json().demands.some((d: { id: string }) => d.id === draft));
  t.equal((await api(app, vendor.cookie).put(`/api/v1/demands/${open}`, demandBody())).statusCode, 403, 'vendors cannot edit');

  const filtered = (await api(app, organizer.cookie).get('/api/v1/demands?level=province&pageSize=100')).json();
  t.ok(filtered.demands.length >= 1);
  t.ok(filtered.demands.every((d: { buyer: { level: string } }) => d.buyer.level === 'province'), 'level filter');
  const byQ = (await api(app, organizer.cookie).get(`/api/v1/demands?q=${encodeURIComponent('内部备注')}`)).json();
  t.same(byQ.demands.map((d: { title: string }) => d.title), ['带内部备注的需求'], 'q searches titles and descriptions');
  const bad = await api(app, organizer.cookie).get('/api/v1/demands?level=moon');
  t.equal(bad.statusCode, 400);
  t.match(bad.json().details, [{ path: 'level', message: /层级/ }]);
});
