/**
 * The judged set (judged-set.json, ≥ 40 demands written the way buyers write, graded before tuning) on the
 * sample data in real Meilisearch: the engine's mean nDCG@10 holds a floor and beats a plain title query.
 */
import t from 'tap';
import { buildTestApp } from '../helper.js';
import { evaluateJudgedSet, readJudgedSet, seedSampleIndex } from '../../bench/relevance.js';

t.test('engine nDCG@10 on the judged set holds its floor and beats the plain title query', async (t) => {
  const set = readJudgedSet();
  t.ok(set.demands.length >= 40, 'at least 40 judged demands');
  const app = await buildTestApp(t, {}, { background: false });
  await seedSampleIndex(app);
  const result = await evaluateJudgedSet(app, set);
  t.comment(`nDCG@10 engine ${result.engine.toFixed(3)}, plain title query ${result.baseline.toFixed(3)}`);
  for (const [kind, k] of Object.entries(result.byKind)) t.comment(`  ${kind} (${k.n}): engine ${k.engine.toFixed(3)}, title ${k.baseline.toFixed(3)}`);
  for (const p of result.perDemand) t.comment(`  ${p.engine.toFixed(2)} / ${p.baseline.toFixed(2)}  ${p.title}`);
  t.ok(result.engine >= 0.9, `engine mean nDCG@10 ${result.engine.toFixed(3)} ≥ 0.90`);
  // How people really type: each class holds its own floor, so a good average cannot hide a weak class.
  for (const kind of ['homophone', 'abbreviation', 'deadline', 'quantity']) {
    const k = result.byKind[kind];
    t.ok(k && k.n >= 20, `${kind}: at least 20 judged demands`);
    t.ok(k && k.engine >= 0.9, `${kind}: engine nDCG@10 ${k?.engine.toFixed(3)} ≥ 0.90`);
  }
  t.ok(result.engine >= result.baseline + 0.3, `engine beats the title query by ≥ 0.30 (${result.baseline.toFixed(3)})`);
});
