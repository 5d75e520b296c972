/** The public directory pages: search, facets, badges, escaping, vendor and product pages. */
import t from 'tap';
import { buildTestApp } from '../helper.js';
import { ensureSettings } from '../../src/search/settings.js';
import { addProduct, addVendor } from './fixtures.js';

t.test('directory pages', async (t) => {
  const app = await buildTestApp(t, {}, { background: false });
  const vendor = await addVendor(app, { name: '杭州<b>澄明</b>安防有限公司', certifications: ['zhejiang-made'] });
  const cam = await addProduct(app, vendor, {
    name: '星光<script>alert(1)</script>网络摄像机', model: 'CM-1', category: 'video-surveillance',
    description: '夜视清晰', certifications: ['first-set-provincial'],
  });
  await app.models.Product.updateOne({ _id: cam._id }, { $set: { specs: [{ key: '分辨率', value: '400万像素' }] } });
  const draft = await addProduct(app, vendor, { name: '草稿门禁', model: 'CM-2', category: 'access-control', status: 'draft' });
  const stale = await addVendor(app, { name: '杭州迟到电梯有限公司', freshness: 'stale', confirmedDaysAgo: 100, city: '宁波市', district: '鄞州区' });
  await addProduct(app, stale, { name: '既有住宅加装电梯', model: 'DT-1', category: 'elevator' });
  const pending = await addVendor(app, { name: '杭州待审核有限公司', status: 'submitted' });
  for (let i = 0; i < 25; i++) await addProduct(app, vendor, { name: `分页测试网络摄像机${i}`, model: `FY-${i}`, category: 'video-surveillance' });
  await app.searchSync.drain();

  t.same(await ensureSettings(app.meili, app.searchSync.indexUid), [], 'settings are applied once; a second start changes nothing');

  const home = await app.inject({ method: 'GET', url: '/' });
  t.match(home.body, /href="\/directory"[^>]*>推介清单/, 'the nav links to the directory for guests');

  const res = await app.inject({ method: 'GET', url: '/directory?q=' + encodeURIComponent('摄像头') });
  t.equal(res.statusCode, 200);
  t.match(res.body, /<mark>/, 'matches are highlighted');
  t.notMatch(res.body, /<script>alert/, 'listing text is escaped');
  t.match(res.body, /&lt;script&gt;/);
  t.notMatch(res.body, /<b>澄明/, 'vendor names are escaped');
  t.match(res.body, /首台套/);
  t.match(res.body, /品字标/);
  t.match(res.body, /共 <strong>26<\/strong> 项/);
  t.match(res.body, /下一页/, 'more than one page');
  t.match(res.body, /视频监控前端设备<\/a> <span class="dir-count">26<\/span>/, 'category facet with its count');

  const page2 = await app.inject({ method: 'GET', url: '/directory?q=' + encodeURIComponent('摄像头') + '&page=2' });
  t.match(page2.body, /显示第 21–26 项/);

  const filtered = await app.inject({ method: 'GET', url: '/directory?city=' + encodeURIComponent('宁波市') });
  t.match(filtered.body, /既有住宅加装电梯/);
  t.notMatch(filtered.body, /CM-1/, 'other cities are filtered out');
  t.match(filtered.body, /信息待更新/, 'stale listings carry a badge');
  t.match(filtered.body, /城市：宁波市/, 'active filter shown with a remove link');

  const none = await app.inject({ method: 'GET', url: '/directory?q=' + encodeURIComponent('量子计算机') + '&field=medical' });
  t.match(none.body, /没有找到与“量子计算机”相符的产品/);
  t.match(none.body, /清除全部条件/);
  t.match(none.body, /同义词/);

  const bad = await app.inject({ method: 'GET', url: '/directory?pageSize=500' });
  t.equal(bad.statusCode, 400);
  t.match(bad.body, /每页最多 50 条/);

  const vp = await app.inject({ method: 'GET', url: `/directory/vendors/${String(vendor._id)}` });
  t.equal(vp.statusCode, 200);
  t.match(vp.body, /杭州&lt;b&gt;澄明&lt;\/b&gt;安防有限公司/);
  t.match(vp.body, /badge-cert">品字标/, 'effective certifications');
  t.notMatch(vp.body, /草稿门禁/, 'drafts are not on the vendor page');
  t.equal((await app.inject({ method: 'GET', url: `/directory/vendors/${String(pending._id)}` })).statusCode, 404, 'unapproved vendors have no page');
  t.equal((await app.inject({ method: 'GET', url: '/directory/vendors/nope' })).statusCode, 404);

  const pp = await app.inject({ method: 'GET', url: `/directory/products/${String(cam._id)}` });
  t.equal(pp.statusCode, 200);
  t.match(pp.body, /400万像素/, 'specs table');
  t.match(pp.body, /CM-1/);
  t.equal((await app.inject({ method: 'GET', url: `/directory/products/${String(draft._id)}` })).statusCode, 404, 'drafts have no public page');

  const js = await app.inject({ method: 'GET', url: '/public/js/directory.js' });
  t.equal(js.statusCode, 200, 'the suggestion script is served');
});
