/** Rebuilding the index with no search downtime, and checking it against MongoDB. */
import t from 'tap';
import { buildTestApp } from '../helper.js';
import { checkIndex, checkReport, fixIndex, reindex } from '../../src/search/reindex.js';
import { addProduct, addVendor, searchApi } from './fixtures.js';

t.test('reindex swaps in a fresh index while search keeps answering; check-index finds differences', async (t) => {
  const app = await buildTestApp(t, {}, { background: false });
  const prefix = app.config.MEILI_INDEX_PREFIX;
  const vendor = await addVendor(app, { name: '杭州重建测试科技有限公司' });
  const products = [];
  for (let i = 0; i < 30; i++) {
    products.push(await addProduct(app, vendor, { name: `重建测试网络摄像机${i}`, model: `CJ-${i}`, category: 'video-surveillance' }));
  }
  await app.searchSync.drain();
  t.equal((await searchApi(app, { q: '重建测试' })).total, 30);

  // Search keeps answering with every listing during the rebuild.
  let searching = true;
  const answers: number[] = [];
  const searcher = (async () => {
    while (searching) answers.push((await searchApi(app, { q: '重建测试' })).total);
  })();
  // A change committed just before the rebuild and delivered to the old index only must not be lost.
  await app.models.Product.updateOne({ _id: products[2]._id }, { $set: { name: '重建期间改名的网络摄像机' } });
  const result = await reindex(app.models, app.meili, prefix, new Date());
  searching = false;
  t.comment(`reindex took ${result.ms} ms`);
  await searcher;
  t.equal(result.documents, 30);
  t.ok(answers.length > 0 && answers.every((n) => n === 30), `search answered ${answers.length} times, always complete`);
  const indexes = await app.meili.getIndexes({ limit: 1000 });
  t.same(indexes.results.map((i) => i.uid).filter((uid) => uid.startsWith(prefix)), [`${prefix}products`], 'the temporary index is gone');
  t.same((await app.meili.index(`${prefix}products`).getSettings()).rankingRules?.[3], 'freshRank:desc', 'the swapped-in index has the declared settings');
  // Changes committed during the rebuild are queued again.
  t.ok(await app.models.SearchOutbox.exists({ _id: products[2]._id }), 'changes from around the rebuild are queued again after the swap');
  await app.searchSync.drain();
  t.ok((await searchApi(app, { q: '重建期间改名' })).hits.some((h) => h.name === '重建期间改名的网络摄像机'));

  t.ok((await checkIndex(app.models, app.meili, prefix, new Date())).inStep, 'in step after a rebuild');

  // Make it drift: a missing document, an extra one, and an out-of-date one.
  const index = app.meili.index(`${prefix}products`);
  await index.deleteDocuments([String(products[0]._id)]).waitTask({ timeout: 120_000 });
  await index.addDocuments([{ id: 'ghost0000000000000000000', name: '幽灵产品', hash: 'x' }]).waitTask({ timeout: 120_000 });
  await app.models.Product.updateOne({ _id: products[1]._id }, { $set: { name: '悄悄改名的产品' } });
  const check = await checkIndex(app.models, app.meili, prefix, new Date());
  t.same(check.missing, [String(products[0]._id)]);
  t.same(check.extra, ['ghost0000000000000000000']);
  t.same(check.outdated, [String(products[1]._id)]);
  t.notOk(check.inStep);
  const report = checkReport(check);
  t.match(report, /缺失.*1 个/);
  t.match(report, /多余.*1 个/);
  t.match(report, /过期.*1 个/);
  t.match(report, /不一致/);

  await fixIndex(app.models, check);
  // The ghost has no product id MongoDB could hold, so it is removed by a rebuild, not by the outbox.
  await app.searchSync.drain();
  const again = await checkIndex(app.models, app.meili, prefix, new Date());
  t.same(again.missing, []);
  t.same(again.outdated, []);
  await reindex(app.models, app.meili, prefix, new Date());
  t.ok((await checkIndex(app.models, app.meili, prefix, new Date())).inStep, 'a rebuild clears the rest');
  t.ok((await searchApi(app, { q: '悄悄改名' })).hits.some((h) => h.name === '悄悄改名的产品'));
});
