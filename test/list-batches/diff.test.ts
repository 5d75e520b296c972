/** The batch diff (pure): exact on examples, and its laws on arbitrary lists (fast-check). */
import t from 'tap';
import fc from 'fast-check';
import { isDeepStrictEqual } from 'node:util';
import {
  applyChanges, citation, diffEntries, diffSnapshots, productKey, vendorKey,
  type ProductEntry, type Snapshot, type VendorEntry,
} from '../../src/list-batches/index.js';

const v = (code: string, extra: Partial<VendorEntry> = {}): VendorEntry => ({ creditCode: code, name: `企业${code}`, province: '浙江省', fields: ['security'], certifications: [], ...extra });
const p = (code: string, model: string, extra: Partial<ProductEntry> = {}): ProductEntry => ({ vendorCreditCode: code, name: `产品${model}`, model, category: 'video-surveillance', certifications: [], images: [], ...extra });

t.test('added, removed and changed, field by field', async (t) => {
  const prev: Snapshot = { vendors: [v('A'), v('B'), v('C', { city: '杭州市' })], products: [p('A', 'x1', { priceMin: 100 }), p('B', 'y1')] };
  const next: Snapshot = {
    vendors: [v('A', { name: '企业A（更名）', certifications: ['ccc', 'iso9001'] }), v('C'), v('D')],
    products: [p('A', 'x1', { priceMin: 120, images: ['f1'] }), p('D', 'z1')],
  };
  const d = diffSnapshots(prev, next);
  t.same(d.vendors.added.map(vendorKey), ['D']);
  t.same(d.vendors.removed.map(vendorKey), ['B']);
  t.same(d.vendors.changed.map((c) => [c.key, c.fields]), [
    ['A', [{ field: 'certifications', before: [], after: ['ccc', 'iso9001'] }, { field: 'name', before: '企业A', after: '企业A（更名）' }]],
    ['C', [{ field: 'city', before: '杭州市', after: null }]],
  ]);
  t.same(d.products.added.map((x) => x.model), ['z1']);
  t.same(d.products.removed.map((x) => x.model), ['y1']);
  t.same(d.products.changed.map((c) => c.fields), [[{ field: 'priceMin', before: 100, after: 120 }]], 'a new image is not a change a citation shows');
});

t.test('list order and empty values do not count as changes', async (t) => {
  const a: Snapshot = { vendors: [v('A', { certifications: ['b', 'a'], address: '' }), v('B')], products: [] };
  const b: Snapshot = { vendors: [v('B'), v('A', { certifications: ['a', 'b'] })], products: [] };
  const d = diffSnapshots(a, b);
  t.same([d.vendors.added, d.vendors.removed, d.vendors.changed], [[], [], []]);
});

// ---- laws ---------------------------------------------------------------------------------------------
const value = fc.oneof(fc.constant(undefined), fc.integer({ min: 0, max: 5 }), fc.constantFrom('甲', '乙', ''), fc.array(fc.constantFrom('a', 'b', 'c'), { maxLength: 3 }));
const entry = fc.record({ key: fc.constantFrom('k1', 'k2', 'k3', 'k4', 'k5', 'k6'), f1: value, f2: value, f3: value }, { requiredKeys: ['key'] });
const entries = fc.uniqueArray(entry, { selector: (e) => e.key, maxLength: 6 });
type E = { key: string } & Record<string, unknown>;
const keyOf = (e: E) => e.key;
/** Key order, no empty fields: how a citation compares entries. */
const canon = (list: E[]) => [...list].map((e) => Object.fromEntries(Object.entries(e).filter(([, x]) => x !== undefined && x !== null)) as E).sort((a, b) => (a.key < b.key ? -1 : 1));

t.test('diff(a, a) is empty', async (t) => {
  fc.assert(fc.property(entries, (a) => {
    const d = diffEntries(a as E[], a as E[], keyOf);
    return d.added.length === 0 && d.removed.length === 0 && d.changed.length === 0;
  }));
  t.pass('held for every list');
});

t.test('swapping the arguments swaps added and removed, and before/after of changes', async (t) => {
  fc.assert(fc.property(entries, entries, (a, b) => {
    const ab = diffEntries(a as E[], b as E[], keyOf);
    const ba = diffEntries(b as E[], a as E[], keyOf);
    return isDeepStrictEqual(ab.added, ba.removed) && isDeepStrictEqual(ab.removed, ba.added)
      && isDeepStrictEqual(ab.changed.map((c) => [c.key, c.fields.map((f) => [f.field, f.before, f.after])]), ba.changed.map((c) => [c.key, c.fields.map((f) => [f.field, f.after, f.before])]));
  }), { numRuns: 200 });
  t.pass('held for 200 pairs of lists');
});

t.test('applying the diff to the previous list gives the next', async (t) => {
  fc.assert(fc.property(entries, entries, (a, b) => {
    const d = diffEntries(a as E[], b as E[], keyOf);
    return isDeepStrictEqual(canon(applyChanges(a as E[], d, keyOf)), canon(b as E[]));
  }), { numRuns: 300 });
  t.pass('held for 300 pairs of lists');
  // The same on citations of whole snapshots (products keyed by credit code + model).
  const prev: Snapshot = { vendors: [v('A'), v('B')], products: [p('A', 'm1'), p('B', 'm2', { leadTimeDays: 7 })] };
  const next: Snapshot = { vendors: [v('B', { city: '宁波市' }), v('E')], products: [p('B', 'm2', { leadTimeDays: 9 }), p('E', 'm3')] };
  const d = diffSnapshots(prev, next);
  t.same(applyChanges(prev.products.map(citation), d.products, productKey), next.products.map(citation).sort((x, y) => (productKey(x) < productKey(y) ? -1 : 1)));
  t.same(applyChanges(prev.vendors.map(citation), d.vendors, vendorKey), next.vendors.map(citation).sort((x, y) => (x.creditCode < y.creditCode ? -1 : 1)));
});
