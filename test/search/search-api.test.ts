/** Chinese search through GET /api/v1/search and /suggest, against real MongoDB and Meilisearch. */
import t from 'tap';
import { buildTestApp } from '../helper.js';
import { seedSampleData } from '../../src/seeding/index.js';
import { addProduct, addVendor, searchApi } from './fixtures.js';

const cjk = /[\u4e00-\u9fff]/;

t.test('Chinese search over the sample list and a few fixtures', async (t) => {
  const app = await buildTestApp(t, {}, { background: false });
  await seedSampleData(app.models);
  // The sample data leaves freshness to the sweep; these tests want every sample vendor current.
  await app.models.Vendor.updateMany({}, { $set: { confirmedAt: new Date(), freshness: 'current' } });
  await app.models.Product.find({}, { _id: 1 }).lean().then((ps) => import('../../src/search/outbox.js').then((o) => o.markProducts(app.models, ps.map((p) => p._id))));

  const hk = await addVendor(app, { name: '杭州海康威视数字技术股份有限公司', certifications: ['zhejiang-made'] });
  await addProduct(app, hk, { name: '安装简单的红外枪型摄像机', model: 'DS-2CD3T46WDV3', category: 'video-surveillance', description: '免调试，安装简单，适合小区出入口。' });
  const draftVendor = await addVendor(app, { name: '杭州草稿科技有限公司', status: 'submitted' });
  await addProduct(app, draftVendor, { name: '未入库企业的星际摄像机', model: 'XJ-001', category: 'video-surveillance' });
  await addProduct(app, hk, { name: '草稿状态的星际录像机', model: 'XJ-002', category: 'video-analytics', status: 'draft' });
  await addProduct(app, hk, { name: '已归档的星际门禁', model: 'XJ-003', category: 'access-control', status: 'archived' });
  const hidden = await addVendor(app, { name: '杭州过期科技有限公司', freshness: 'hidden', confirmedDaysAgo: 200 });
  await addProduct(app, hidden, { name: '过期企业的星际闸机', model: 'XJ-004', category: 'access-control' });
  const stale = await addVendor(app, { name: '杭州迟滞光电有限公司', freshness: 'stale', confirmedDaysAgo: 100 });
  await addProduct(app, stale, { name: '星光热成像测温仪', model: 'ST-100', category: 'video-surveillance', description: '热成像测温' });
  const current = await addVendor(app, { name: '杭州及时光电有限公司' });
  await addProduct(app, current, { name: '星光热成像测温仪', model: 'CU-100', category: 'video-surveillance', description: '热成像测温' });

  const delivered = await app.searchSync.drain();
  t.ok(delivered.indexed > 400, `sample products indexed (${delivered.indexed})`);

  t.test('synonyms: 摄像头 finds 网络摄像机 listings; NVR finds 网络硬盘录像机', async (t) => {
    const res = await searchApi(app, { q: '摄像头' });
    t.ok(res.total > 5, `摄像头 → ${res.total} hits`);
    t.ok(res.hits.some((h) => h.name.includes('网络摄像机')), res.hits.map((h) => h.name).join(','));
    const ipc = await searchApi(app, { q: 'IPC' });
    t.ok(ipc.hits.some((h) => h.name.includes('摄像机')), 'IPC finds cameras');
    const nvr = await searchApi(app, { q: 'NVR' });
    t.ok(nvr.hits.some((h) => h.name.includes('网络硬盘录像机')), 'NVR finds 网络硬盘录像机');
    const recorder = await searchApi(app, { q: '硬盘录像机' });
    t.ok(recorder.hits.some((h) => h.name.includes('网络硬盘录像机')), '硬盘录像机 finds 网络硬盘录像机');
    const machine = await searchApi(app, { q: '工业母机' });
    t.ok(machine.hits.some((h) => /车床|加工中心/.test(h.name)), `工业母机 → ${machine.hits.map((h) => h.name).join(',')}`);
  });

  t.test('sub-words: 简单 finds a listing that only says 安装简单', async (t) => {
    const res = await searchApi(app, { q: '简单' });
    t.ok(res.hits.some((h) => h.model === 'DS-2CD3T46WDV3'), res.hits.map((h) => h.name).join(','));
    // The hit's description is the highlighted excerpt, though the full description is not fetched.
    const hit = res.hits.find((h) => h.model === 'DS-2CD3T46WDV3');
    t.match(hit?.highlight.description, /<mark>简单<\/mark>.*小区出入口/, 'the description excerpt, highlighted');
    const desks = await searchApi(app, { q: '课桌椅' });
    t.ok(desks.hits.some((h) => h.name.includes('课桌椅')), 'a word inside 人体工效学可升降课桌椅');
  });

  t.test('a typo in a model number still finds the product', async (t) => {
    const res = await searchApi(app, { q: 'DS-2CD3T47WDV3' });
    t.equal(res.hits[0]?.model, 'DS-2CD3T46WDV3', res.hits.map((h) => h.model).join(','));
  });

  t.test('pinyin and initials in suggestions find the vendor', async (t) => {
    for (const q of ['hkws', 'haikang', 'haikangweishi', '海康']) {
      const res = await app.inject({ method: 'GET', url: `/api/v1/search/suggest?q=${encodeURIComponent(q)}` });
      t.equal(res.statusCode, 200);
      const suggestions = res.json().suggestions as Array<{ text: string; kind: string; url: string }>;
      t.ok(suggestions.length <= 8);
      t.ok(suggestions.some((s) => s.kind === 'vendor' && s.text === '杭州海康威视数字技术股份有限公司'), `${q} → ${JSON.stringify(suggestions)}`);
    }
    const empty = await app.inject({ method: 'GET', url: '/api/v1/search/suggest?q=' });
    t.equal(empty.statusCode, 400);
    t.match(empty.json().message, cjk);
  });

  t.test('drafts, archived, unapproved vendors and hidden listings are not found', async (t) => {
    const res = await searchApi(app, { q: '星际' });
    t.same(res.hits.map((h) => h.name), [], 'none of the 星际 fixtures is public');
  });

  t.test('a stale listing ranks below an equally matching current one and carries the stale flag', async (t) => {
    const res = await searchApi(app, { q: '星光热成像测温仪' });
    const models = res.hits.map((h) => h.model);
    t.ok(models.indexOf('CU-100') >= 0 && models.indexOf('ST-100') > models.indexOf('CU-100'), models.join(','));
    t.equal(res.hits.find((h) => h.model === 'ST-100')?.freshness, 'stale');
    t.equal(res.hits.find((h) => h.model === 'CU-100')?.freshness, 'current');
  });

  t.test('facets count what the filters leave, and filters narrow the hits', async (t) => {
    const all = await searchApi(app, { q: '', pageSize: 1 });
    const published = await app.models.Product.countDocuments({ status: 'published', vendor: { $in: (await app.models.Vendor.find({ status: 'approved', freshness: { $ne: 'hidden' } })).map((v) => v._id) } });
    t.equal(all.total, published, 'an empty query lists every public listing');
    const security = all.facets.field.security;
    const filtered = await searchApi(app, { field: 'security', pageSize: 50 });
    t.equal(filtered.total, security, 'field facet count equals the filtered total');
    t.ok(filtered.hits.every((h) => h.certifications !== undefined));
    const cityCount = all.facets.city['宁波市'];
    t.ok(cityCount > 0);
    t.equal((await searchApi(app, { city: '宁波市' })).total, cityCount);
    const cert = await searchApi(app, { certification: 'zhejiang-made', field: 'security' });
    t.ok(cert.total > 0 && cert.total < filtered.total);
    t.ok(cert.hits.every((h) => h.certifications.includes('zhejiang-made') && h.badges.includes('品字标')));
    const sum = Object.values(all.facets.field).reduce((a, b) => a + b, 0);
    t.equal(sum, all.total, 'each product is in exactly one field');
  });

  t.test('pagination: pages do not overlap and cover the total', async (t) => {
    const p1 = await searchApi(app, { field: 'security', pageSize: 10, page: 1 });
    const p2 = await searchApi(app, { field: 'security', pageSize: 10, page: 2 });
    t.equal(p1.hits.length, 10);
    t.equal(p2.page, 2);
    const ids = new Set([...p1.hits, ...p2.hits].map((h) => h.productId));
    t.equal(ids.size, p1.hits.length + p2.hits.length);
    const last = await searchApi(app, { field: 'security', pageSize: 50, page: Math.ceil(p1.total / 50) });
    t.equal(last.hits.length, p1.total - 50 * (Math.ceil(p1.total / 50) - 1));
  });

  t.test('highlights are escaped and marked', async (t) => {
    const res = await searchApi(app, { q: '热成像' });
    const hit = res.hits.find((h) => h.highlight.name.includes('<mark>'));
    t.ok(hit, 'a hit has a marked name');
  });

  t.test('bad query parameters get a Chinese 400, never a 500', async (t) => {
    for (const qs of ['pageSize=51', 'page=0', 'page=abc', 'field=nope', 'certification=%24gt', 'category=elevator&category=charging-pile', `q=${'长'.repeat(101)}`]) {
      const res = await app.inject({ method: 'GET', url: `/api/v1/search?${qs}` });
      t.equal(res.statusCode, 400, qs);
      t.match(res.json().message, cjk);
    }
    const quote = await app.inject({ method: 'GET', url: `/api/v1/search?city=${encodeURIComponent('杭州" OR city = "宁波')}` });
    t.equal(quote.statusCode, 200, 'quotes in a region are a value, not filter syntax');
    t.equal(quote.json().total, 0);
  });
});
