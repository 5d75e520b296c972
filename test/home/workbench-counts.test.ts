/**
 * The organizers' workbench: every count is a link, and it equals the rows the linked queue shows — the
 * review queue's sections (companies, products, their pending changes) and the demand board filtered by
 * level (open demands only).
 */
import t from 'tap';
import { buildTestApp, createUser, login } from '../helper.js';
import { addProduct, addVendor } from '../search/fixtures.js';

t.test('each workbench count equals the rows on the page it links to', async (t) => {
  const app = await buildTestApp(t, { LOGIN_RATE_LIMIT: '1000' }, { background: false });
  const revision = { changes: { description: '新的简介' }, submittedBy: '联系人', submittedAt: new Date() };
  const approved = await addVendor(app, { name: '杭州滨安视讯科技有限公司' });
  await addVendor(app, { name: '待审核企业一有限公司', status: 'submitted' });
  await addVendor(app, { name: '待审核企业二有限公司', status: 'submitted' });
  await addVendor(app, { name: '草稿企业有限公司', status: 'draft' });
  await app.models.Vendor.updateOne({ _id: approved._id }, { $set: { pendingRevision: revision } });
  for (const [i, status] of ['submitted', 'submitted', 'submitted', 'published', 'draft'].entries()) {
    await addProduct(app, approved, { name: `网络摄像机${i}`, model: `BJ-${i}`, category: 'video-surveillance', status });
  }
  const published = await addProduct(app, approved, { name: '硬盘录像机', model: 'NVR-1', category: 'video-surveillance' });
  await app.models.Product.updateOne({ _id: published._id }, { $set: { pendingRevision: revision } });
  const org = async (level: string, name: string) => app.models.BuyerOrg.create({ name, type: 'agency', level, province: '浙江省', city: '杭州市' });
  const orgs = { province: await org('province', '浙江省教育厅'), city: await org('city', '杭州市卫健委'), district: await org('district', '滨江区教育局') };
  const demand = (o: { _id: unknown }, title: string, status: string) => app.models.Demand.create({ title, field: 'security', quantity: 10, unit: '台', buyerOrg: o._id, status });
  await demand(orgs.province, '省厅监控更新', 'open');
  await demand(orgs.city, '医院监控更新', 'open');
  await demand(orgs.city, '医院门禁更新', 'open');
  await demand(orgs.city, '医院旧需求', 'closed');
  await demand(orgs.district, '学校课桌', 'open');
  await demand(orgs.district, '学校草稿', 'draft');
  await demand(orgs.district, '学校对接中', 'in_progress');

  const organizer = await createUser(app, 'organizer');
  const cookie = await login(app, organizer.email, organizer.password);
  const get = (url: string) => app.inject({ method: 'GET', url, headers: { cookie } });
  const workbench = (await get('/organizer')).body;
  const links = [...workbench.matchAll(/<a href="([^"]+)" data-count="([a-z-]+)">(\d+)<\/a>/g)].map((m) => ({ href: m[1].replace(/&amp;/g, '&').replace(/&#x3D;/g, '='), key: m[2], n: Number(m[3]) }));
  t.same(links.map((l) => l.key), ['vendors', 'vendor-revisions', 'products', 'product-revisions', 'demands-province', 'demands-city', 'demands-district'], 'every queue count is a link');
  t.same(Object.fromEntries(links.map((l) => [l.key, l.n])), {
    vendors: 2, 'vendor-revisions': 1, products: 3, 'product-revisions': 1, 'demands-province': 1, 'demands-city': 2, 'demands-district': 1,
  });

  // The rows each link opens.
  const review = (await get('/organizer/review')).body;
  const section = (id: string) => {
    const start = review.indexOf(`id="${id}"`);
    const next = review.indexOf('<h2', start + 1);
    return review.slice(start, next < 0 ? undefined : next);
  };
  const rowsOf: Record<string, (html: string) => number> = {
    'q-vendors': () => (section('q-vendors').match(/<article class="wb-item" id="vendor-/g) ?? []).length,
    'q-vendor-revisions': () => (section('q-vendor-revisions').match(/<article class="wb-item" id="vendor-revision-/g) ?? []).length,
    'q-products': () => (section('q-products').match(/<article class="wb-item" id="product-/g) ?? []).length,
    'q-revisions': () => (section('q-revisions').match(/<article class="wb-item" id="revision-/g) ?? []).length,
  };
  for (const link of links) {
    const [path, anchor] = link.href.split('#');
    if (path === '/organizer/review') {
      t.equal(rowsOf[anchor](review), link.n, `${link.key}: ${link.n} shown, ${link.n} rows in ${link.href}`);
    } else {
      const page = await get(path);
      t.equal(page.statusCode, 200);
      const body = page.body.slice(page.body.indexOf('<tbody>'), page.body.indexOf('</tbody>'));
      const rows = (body.match(/<tr>/g) ?? []).length - (body.includes('没有符合条件的需求') ? 1 : 0);
      t.equal(rows, link.n, `${link.key}: ${link.n} shown, ${rows} rows in ${link.href}`);
    }
  }
});
