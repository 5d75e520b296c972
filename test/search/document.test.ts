/** The index document builder and the pure helpers around it. */
import t from 'tap';
import { badgesOf, buildDocument, isSearchable, pinyinKeys, segment, type ProductLike, type VendorLike } from '../../src/search/document.js';
import { buildDocuments, currentWorker, MAX_WORKER_FAILURES, WORKER_MIN_BATCH, workerRunning } from '../../src/search/document-builder.js';
import { highlightHtml } from '../../src/search/service.js';
import { settingsDiff, productSettings } from '../../src/search/settings.js';
import { synonymMap } from '../../src/search/vocabulary.js';

const now = new Date('2026-03-01T00:00:00Z');
const vendor = {
  _id: 'v1', name: '杭州海康威视数字技术股份有限公司', creditCode: '91330108MA0000001X', province: '浙江省', city: '杭州市', district: '滨江区',
  certifications: ['high-tech', 'specialized-new', 'iso9001'],
  qualifications: [{ certification: 'iso9001', expiresAt: new Date('2026-01-01') }],
  status: 'approved', confirmedAt: new Date('2026-02-01'), freshness: 'current' as const,
};
const product = {
  _id: 'p1', vendor: 'v1', name: '安装简单的网络摄像机', model: 'DS-1', category: 'video-surveillance', field: 'security',
  description: '星光级，安装简单', certifications: ['first-set-provincial'], status: 'published', priceMin: 100,
};

t.test('buildDocument shapes a product for search', async (t) => {
  const doc = buildDocument(product, vendor, now);
  t.equal(doc.id, 'p1');
  t.equal(doc.categoryName, '视频监控前端设备');
  t.equal(doc.fieldName, '安防');
  t.same(doc.certifications, ['first-set-provincial', 'high-tech', 'specialized-new'], 'product ∪ vendor certifications, expired ones dropped');
  t.same(doc.badges, ['首台套', '专精特新']);
  t.equal(doc.freshRank, 1);
  t.equal(doc.confirmedAt, vendor.confirmedAt.getTime());
  t.ok(doc.searchable);
  const segs = doc.segments.split(' ');
  for (const w of ['安装', '简单', '摄像机', '网络', '海康']) t.ok(segs.includes(w), `segments include ${w}`);
  t.match(doc.vendorPinyin, /\bhaikangweishi/);
  t.match(doc.vendorInitials, /\bhkws/);
  t.equal(doc.hash, buildDocument(product, vendor, now).hash, 'the hash is stable');
  t.not(doc.hash, buildDocument({ ...product, name: '改名' }, vendor, now).hash, 'and changes with the content');
  const stale = buildDocument(product, { ...vendor, freshness: 'stale' }, now);
  t.equal(stale.freshRank, 0);
  t.equal(stale.freshness, 'stale');
});

t.test('isSearchable: only published products of approved vendors not hidden', async (t) => {
  t.ok(isSearchable(product, vendor));
  t.notOk(isSearchable({ status: 'draft' }, vendor));
  t.notOk(isSearchable({ status: 'archived' }, vendor));
  t.notOk(isSearchable({ status: 'submitted' }, vendor));
  t.notOk(isSearchable(product, { ...vendor, status: 'suspended' }));
  t.notOk(isSearchable(product, { ...vendor, status: 'submitted' }));
  t.notOk(isSearchable(product, { ...vendor, freshness: 'hidden' }));
  t.ok(isSearchable(product, { ...vendor, freshness: 'stale' }), 'stale listings stay, ranked lower');
  t.notOk(isSearchable(product, null));
});

t.test('segments keep domain words whole and add their parts', async (t) => {
  const segs = segment('64路网络硬盘录像机NVR 人体工效学可升降课桌椅');
  for (const w of ['网络硬盘录像机', '录像机', '硬盘', '课桌椅', 'NVR']) t.ok(segs.includes(w), `${w} in ${segs.join('/')}`);
  t.notOk(segs.some((s) => /^\s*$/.test(s) || /^[，。、]$/.test(s)), 'no blanks or punctuation');
});

t.test('pinyin keys start at every word, so the middle of a name is found', async (t) => {
  const keys = pinyinKeys('杭州海康威视');
  for (const k of ['hangzhouhaikangweishi', 'haikangweishi', 'weishi']) t.ok(keys.full.split(' ').includes(k), `${k} in ${keys.full}`);
  for (const k of ['hzhkws', 'hkws', 'ws']) t.ok(keys.initials.split(' ').includes(k), `${k} in ${keys.initials}`);
  t.same(pinyinKeys('ABC-123'), { full: '', initials: '' });
});

t.test('badges come from certification codes', async (t) => {
  t.same(badgesOf(['first-set-municipal', 'zhejiang-made', 'little-giant']), ['首台套', '品字标', '专精特新']);
  t.same(badgesOf(['iso9001']), []);
});

t.test('highlights: everything escaped, only our markers become <mark>', async (t) => {
  t.equal(highlightHtml('<script>\uE000摄像机\uE001</script>'), '&lt;script&gt;<mark>摄像机</mark>&lt;/script&gt;');
  t.equal(highlightHtml('a"b\'c&'), 'a&quot;b&#39;c&amp;');
  t.equal(highlightHtml('\uE000未闭合'), '<mark>未闭合</mark>', 'an unclosed mark is closed');
  t.equal(highlightHtml('<mark>x</mark>'), '&lt;mark&gt;x&lt;/mark&gt;', 'a user-typed <mark> stays text');
});

t.test('synonyms are symmetric and settings compare as sets where order does not matter', async (t) => {
  const map = synonymMap([['摄像机', '摄像头', 'IPC']]);
  t.same(map['摄像头'], ['IPC', '摄像机']);
  t.same(map.IPC, ['摄像头', '摄像机']);
  const reordered = { ...productSettings, filterableAttributes: [...productSettings.filterableAttributes].reverse() };
  t.same(settingsDiff(reordered), [], 'filterable order does not matter');
  const reRanked = { ...productSettings, rankingRules: [...productSettings.rankingRules].reverse() };
  t.same(settingsDiff(reRanked), ['rankingRules'], 'ranking order does');
});

t.test('documents built in the worker thread equal those built in place, field for field', async (t) => {
  const { ObjectId } = (await import('mongoose')).Types;
  const vendors = [vendor, { ...vendor, _id: new ObjectId(), name: '宁波某某环保设备有限公司', city: '宁波市', district: null, freshness: 'stale' as const, qualifications: [] }]
    .map((v) => ({ ...v, _id: typeof v._id === 'string' ? new ObjectId() : v._id }));
  const pairs = Array.from({ length: WORKER_MIN_BATCH + 50 }, (_, i) => {
    const v = vendors[i % 2];
    return [{
      ...product, _id: new ObjectId(), vendor: v._id, name: `${['安装简单的网络摄像机', '智能垃圾分类箱', '午休课桌椅'][i % 3]}${i}`, model: `W-${i}`,
      createdAt: new Date(now.getTime() - i * 60_000), images: i % 4 ? [{ fileId: new ObjectId() }] : [],
      priceMin: i % 5 ? 100 + i : undefined, leadTimeDays: i % 7 ? i : null,
    }, v] as unknown as [ProductLike, VendorLike];
  });
  t.notOk(workerRunning(), 'no worker before the first large batch');
  const viaWorker = await buildDocuments(pairs, now);
  t.ok(workerRunning(), 'the batch went to the worker thread');
  const inPlace = pairs.map(([p, v]) => buildDocument(p, v, now));
  t.equal(viaWorker.length, pairs.length);
  t.same(viaWorker, inPlace, 'same documents, hashes included');
  t.ok(viaWorker.some((d) => d.image) && viaWorker.some((d) => !d.image), 'with and without images');

  // The worker dies with a batch in flight (as it would run out of memory): that batch is built in place,
  // and the next large batch gets a new worker.
  const first = currentWorker();
  const inFlight = buildDocuments(pairs, now);
  await first!.terminate();
  t.same(await inFlight, inPlace, 'the batch whose worker died still gets every document, the same ones');
  t.notOk(workerRunning(), 'no worker right after its death');
  t.same(await buildDocuments(pairs, now), inPlace, 'the next batch is built right');
  t.ok(workerRunning() && currentWorker() !== first, 'by a new worker thread');

  // A worker that keeps dying is given up on: the process builds in place from then on.
  for (let death = 1; death <= MAX_WORKER_FAILURES; death++) {
    const dying = buildDocuments(pairs, now);
    await currentWorker()!.terminate();
    t.same(await dying, inPlace, `death ${death} in a row: the batch is still built right`);
  }
  t.same(await buildDocuments(pairs, now), inPlace);
  t.notOk(currentWorker(), `after ${MAX_WORKER_FAILURES} deaths in a row no new worker is started`);
});
