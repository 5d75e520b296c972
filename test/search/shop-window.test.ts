/**
 * The directory as a shop window, on real MongoDB and Meilisearch: sort orders (property), the vendor tab
 * and API, credit-code and model search, pinyin of company names, the page clamp, the export link, the
 * compare page, result-card images and placeholders, and Chinese 4xx for bad input.
 */
import t from 'tap';
import fc from 'fast-check';
import { buildTestApp } from '../helper.js';
import { addProduct, addVendor } from './fixtures.js';

const regions = [
  { province: '浙江省', city: '杭州市', district: '滨江区', tier: 3 },
  { province: '浙江省', city: '杭州市', district: '西湖区', tier: 2 },
  { province: '浙江省', city: '宁波市', district: '鄞州区', tier: 1 },
  { province: '江苏省', city: '南京市', district: '玄武区', tier: 0 },
];
const words = ['网络摄像机', '门禁', '录像机', '摄像头'];
const categories = ['video-surveillance', 'access-control', 'video-analytics'];

interface Hit { productId: string; name: string; model: string; priceMin: number | null; priceMax: number | null; localityTier: number; listedAt: number | null; image: string | null; vendor: { id: string; name: string } }
interface Result { total: number; page: number; pageSize: number; sort: string; hits: Hit[] }

t.test('the shop window', async (t) => {
  const app = await buildTestApp(t, {}, { background: false });
  const get = async (url: string) => app.inject({ method: 'GET', url });
  const api = async (qs: Record<string, string | number>) => {
    const res = await get(`/api/v1/search?${new URLSearchParams(Object.entries(qs).map(([k, v]) => [k, String(v)]))}`);
    if (res.statusCode !== 200) throw new Error(`${res.statusCode} ${res.body}`);
    return res.json() as Result;
  };

  // A catalog drawn at random (fixed seed): vendors in each locality tier, products with and without prices.
  const rand = fc.sample(fc.record({
    region: fc.integer({ min: 0, max: 3 }),
    word: fc.constantFrom(...words),
    category: fc.constantFrom(...categories),
    price: fc.option(fc.integer({ min: 100, max: 100_000 }), { nil: undefined }),
  }), { numRuns: 36, seed: 20261201 });
  const vendors = await Promise.all(regions.map((r, i) => addVendor(app, { name: `测试${r.district}安防科技有限公司${i}`, ...r })));
  for (const [i, p] of rand.entries()) {
    await addProduct(app, vendors[p.region], { name: `${p.word}${i}型`, model: `RND-${i}`, category: p.category, ...(p.price ? { priceMin: p.price, priceMax: p.price * 2 } : {}) });
  }
  const hk = await addVendor(app, { name: '杭州海康威视数字技术股份有限公司', certifications: ['zhejiang-made'] });
  const cam = await addProduct(app, hk, {
    name: '400万像素筒型网络摄像机', model: 'DS-2CD3T46', category: 'video-surveillance', priceMin: 680, priceMax: 900,
    capacityPerMonth: 5000, leadTimeDays: 15, specs: [{ key: '分辨率', value: '2560×1440' }, { key: '防护等级', value: 'IP67' }],
  });
  const nvr = await addProduct(app, hk, { name: '32路网络硬盘录像机', model: 'DS-7932N', category: 'video-analytics', leadTimeDays: 20 });
  const hangzhou = await addVendor(app, { name: '杭州航空安防器材有限公司' });
  const other = await addProduct(app, hangzhou, { name: '人脸识别门禁一体机', model: 'HK-AC1', category: 'access-control', priceMin: 1200, capacityPerMonth: 800, specs: [{ key: '识别速度', value: '0.2 秒' }] });
  const fourth = await addProduct(app, hangzhou, { name: '智能门禁控制器', model: 'HK-AC2', category: 'access-control', priceMin: 300 });
  await app.searchSync.drain();

  await t.test('sort orders hold for any query, filter and page size (property)', async (t) => {
    await fc.assert(fc.asyncProperty(
      fc.constantFrom('', ...words),
      fc.option(fc.constantFrom(...categories), { nil: undefined }),
      fc.integer({ min: 3, max: 12 }),
      async (q, category, pageSize) => {
        const all = async (sort: string) => {
          const hits: Hit[] = [];
          for (let page = 1; ; page++) {
            const r = await api({ q, sort, pageSize, page, ...(category ? { category } : {}) });
            hits.push(...r.hits);
            if (page * pageSize >= r.total) return { hits, total: r.total };
          }
        };
        const price = await all('price');
        const priced = price.hits.map((h) => h.priceMin ?? h.priceMax);
        const firstUnpriced = priced.indexOf(null);
        const known = (firstUnpriced < 0 ? priced : priced.slice(0, firstUnpriced)) as number[];
        if (known.some((p, i) => i > 0 && p < known[i - 1])) throw new Error(`price not non-decreasing: ${known.join(',')}`);
        if (firstUnpriced >= 0 && priced.slice(firstUnpriced).some((p) => p !== null)) throw new Error('a priced product after an unpriced one');
        const local = await all('locality');
        const tiers = local.hits.map((h) => h.localityTier);
        if (tiers.some((x, i) => i > 0 && x > tiers[i - 1])) throw new Error(`locality tiers not non-increasing: ${tiers.join(',')}`);
        const newest = await all('newest');
        const at = newest.hits.map((h) => h.listedAt ?? 0);
        if (at.some((x, i) => i > 0 && x > at[i - 1])) throw new Error('newest not newest first');
        const relevance = await all('relevance');
        if (new Set([price.total, local.total, newest.total]).size !== 1 || price.total !== relevance.total) throw new Error('a sort changed what is found');
      },
    ), { numRuns: 25, seed: 7 });
    t.pass('price non-decreasing (unpriced last), locality tiers non-increasing, newest first, same hits');
    const tiers = (await api({ sort: 'locality', pageSize: 50 })).hits.map((h) => h.localityTier);
    t.equal(tiers[0], 3, '滨江区 first');
    t.equal(tiers.at(-1), 0, 'elsewhere last');
  });

  await t.test('bad sort and bad page: Chinese 4xx', async (t) => {
    const bad = await get('/api/v1/search?sort=cheapest');
    t.equal(bad.statusCode, 400);
    t.match(bad.body, /排序方式只能是/);
    const page = await get('/directory?sort=cheapest');
    t.equal(page.statusCode, 400);
    t.match(page.body, /排序方式只能是/);
    t.equal((await get('/directory?tab=people')).statusCode, 400);
    const tooMany = await get(`/directory/compare?ids=${[cam, nvr, other, fourth, cam].map((p) => String(p._id)).join(',')}aa`);
    t.equal(tooMany.statusCode, 400);
    const five = await get(`/directory/compare?ids=${['a', 'b', 'c', 'd', 'e'].map((c) => c.repeat(24)).join(',')}`);
    t.equal(five.statusCode, 400);
    t.match(five.body, /最多同时对比 4 个产品/);
  });

  await t.test('credit code, model and pinyin', async (t) => {
    const byCode = await api({ q: hk.creditCode });
    t.same(new Set(byCode.hits.map((h) => h.vendor.name)), new Set([hk.name]), 'a credit code finds its company’s products only');
    t.equal(byCode.total, 2);
    const lower = await api({ q: ` ${hk.creditCode.toLowerCase()} ` });
    t.equal(lower.total, 2, 'case and spaces forgiven');
    const vendorsByCode = (await get(`/api/v1/search/vendors?q=${hk.creditCode}`)).json() as { total: number; vendors: Array<{ name: string; productCount: number; certifications: string[] }> };
    t.equal(vendorsByCode.total, 1);
    t.equal(vendorsByCode.vendors[0].name, hk.name);
    t.equal(vendorsByCode.vendors[0].productCount, 2);
    t.same(vendorsByCode.vendors[0].certifications, ['zhejiang-made']);

    for (const q of ['DS-2CD3T46', 'DS-2CD', 'ds-2cd3t46']) {
      const r = await api({ q });
      t.equal(r.hits[0]?.productId, String(cam._id), `model ${q} finds the camera first`);
    }
    for (const q of ['hkws', 'haikang']) {
      const r = await api({ q });
      t.ok(r.total >= 2, `${q} finds products`);
      t.same(new Set(r.hits.slice(0, 2).map((h) => h.vendor.name)), new Set([hk.name]), `${q}: 海康威视's products first`);
      const v = (await get(`/api/v1/search/vendors?q=${q}`)).json() as { vendors: Array<{ name: string }> };
      t.equal(v.vendors[0]?.name, hk.name, `${q} finds the company on the vendor tab`);
    }
  });

  await t.test('vendor tab', async (t) => {
    const res = await get(`/directory?tab=vendors&q=${hk.creditCode}`);
    t.equal(res.statusCode, 200);
    t.equal((res.body.match(/class="dir-card dir-vendor-card"/g) ?? []).length, 1, 'one card per company');
    t.match(res.body, /杭州海康威视数字技术股份有限公司/);
    t.match(res.body, /推介产品 <strong>2<\/strong> 项/);
    t.match(res.body, /品字标/);
    t.match(res.body, /领域：安防/);
    const all = await get('/directory?tab=vendors&pageSize=50');
    t.equal((all.body.match(/dir-vendor-card/g) ?? []).length, 6, 'every listed company once');
    t.match(all.body, /共 <strong>6<\/strong> 家企业/);
  });

  await t.test('page clamp', async (t) => {
    const total = (await api({})).total;
    const last = Math.ceil(total / 5);
    const r = await api({ page: 999, pageSize: 5 });
    t.equal(r.page, last, 'the API answers the last page');
    t.equal(r.hits.length, total - (last - 1) * 5);
    const page = await get('/directory?page=999&pageSize=5');
    t.equal(page.statusCode, 200);
    t.match(page.body, new RegExp(`显示第 ${(last - 1) * 5 + 1}–${total} 项`));
    t.match(page.body, new RegExp(`<span aria-current="page">${last}</span>`));
    const vendorsPage = await get('/api/v1/search/vendors?page=999&pageSize=4');
    t.equal(vendorsPage.json().page, 2);
    const none = await api({ q: '量子计算机', page: 7 });
    t.equal(none.page, 1, 'no hits: page 1');
  });

  await t.test('export link carries the filters; images and placeholders', async (t) => {
    const res = await get(`/directory?q=${encodeURIComponent('门禁')}&category=access-control&city=${encodeURIComponent('杭州市')}`);
    const xlsx = /href="([^"]*suppliers\.xlsx[^"]*)"/.exec(res.body)?.[1]?.replace(/&amp;/g, '&').replace(/&#x3D;/g, '=');
    t.ok(xlsx);
    const url = new URL(xlsx!, 'http://x');
    t.equal(url.searchParams.get('category'), 'access-control');
    t.equal(url.searchParams.get('city'), '杭州市');
    t.equal(url.searchParams.get('q'), null, 'the export has no search words');
    t.match(res.body, /不按搜索词/);
    const csv = await get(`/api/v1/exports/suppliers.csv?category=access-control&city=${encodeURIComponent('杭州市')}`);
    t.equal(csv.statusCode, 200, 'the linked export answers');
    t.match(csv.body, /人脸识别门禁一体机/);
    t.notMatch(csv.body, /网络摄像机/, 'filtered');

    t.match(res.body, /src="\/public\/img\/fields\/security\.svg"/, 'a product without an image shows its field icon');
    t.equal((await get('/public/img/fields/security.svg')).statusCode, 200);
    const fileId = '65f000000000000000000001';
    await app.models.Product.updateOne({ _id: other._id }, { $set: { images: [{ fileId, contentType: 'image/png' }] } });
    const { markProducts } = await import('../../src/search/index.js');
    await markProducts(app.models, [other._id]);
    await app.searchSync.drain();
    const withImage = await get(`/directory?q=${encodeURIComponent('人脸识别门禁一体机')}`);
    t.match(withImage.body, new RegExp(`src="/files/${fileId}"`), 'a product image on its card');
  });

  await t.test('compare', async (t) => {
    const ids = [cam, nvr, other, fourth].map((p) => String(p._id));
    const list = await get(`/directory?q=${encodeURIComponent('网络摄像机')}`);
    t.match(list.body, /加入对比/);
    const withTwo = await get(`/directory?compare=${ids.slice(0, 2).join(',')}`);
    t.match(withTwo.body, /已选 2\/4 个产品/);
    t.match(withTwo.body, new RegExp(`href="/directory/compare\\?ids&#x3D;${ids[0]},${ids[1]}"`));
    const full = await get(`/directory?compare=${ids.join(',')}&pageSize=50`);
    t.match(full.body, /对比已满/);
    const res = await get(`/directory/compare?ids=${ids.join(',')}`);
    t.equal(res.statusCode, 200);
    for (const text of ['400万像素筒型网络摄像机', '32路网络硬盘录像机', '人脸识别门禁一体机', '智能门禁控制器', '2560×1440', 'IP67', '0.2 秒', '5000 台（套）/月', '15 天', '680 元', '品字标']) {
      t.match(res.body, text, `compare shows ${text}`);
    }
    const gone = await get(`/directory/compare?ids=${ids[0]},${'f'.repeat(24)}`);
    t.match(gone.body, /有 1 个产品已下架或不存在/);
    t.equal((await get('/directory/compare?ids=nope')).statusCode, 400);
  });
});
