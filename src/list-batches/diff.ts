/**
 * What changed between two batches of the list (pure). Entries are matched by their natural key
 * (vendor: 统一社会信用代码; product: credit code + model); every other field is compared by value
 * (null and a missing field are the same). `applyChanges(prev, diffEntries(prev, next))` gives `next` back
 * (in key order), and `diffEntries(a, a)` is empty: test/list-batches/diff.test.ts holds it to both.
 */

export interface VendorEntry {
  vendorId?: string;
  creditCode: string;
  name: string;
  province?: string;
  city?: string;
  district?: string;
  address?: string;
  website?: string;
  description?: string;
  fields: string[];
  certifications: string[];
}

export interface ProductEntry {
  productId?: string;
  vendorCreditCode: string;
  vendorName?: string;
  name: string;
  model: string;
  category?: string;
  field?: string;
  certifications: string[];
  energyGrade?: number;
  priceMin?: number;
  priceMax?: number;
  capacityPerMonth?: number;
  leadTimeDays?: number;
  images: string[];
}

export interface Snapshot { vendors: VendorEntry[]; products: ProductEntry[] }

export interface FieldChange { field: string; before: unknown; after: unknown }
export interface Changed<T> { key: string; before: T; after: T; fields: FieldChange[] }
export interface EntryDiff<T> { added: T[]; removed: T[]; changed: Array<Changed<T>> }
export interface SnapshotDiff { vendors: EntryDiff<VendorEntry>; products: EntryDiff<ProductEntry> }

export const vendorKey = (v: Pick<VendorEntry, 'creditCode'>) => v.creditCode;
export const productKey = (p: Pick<ProductEntry, 'vendorCreditCode' | 'model'>) => `${p.vendorCreditCode}\u0000${p.model}`;

/** Fields that identify an entry, or are bookkeeping a citation does not show: never reported as changes. */
const NOT_COMPARED = new Set(['vendorId', 'productId', 'images', 'vendorName']);

const present = (v: unknown) => v !== undefined && v !== null;
const same = (a: unknown, b: unknown) => JSON.stringify(present(a) ? a : null) === JSON.stringify(present(b) ? b : null);

function byKey<T>(list: readonly T[], keyOf: (t: T) => string): Map<string, T> {
  return new Map(list.map((t) => [keyOf(t), t]));
}
const sortedKeys = (m: Map<string, unknown>) => [...m.keys()].sort();

/** Added, removed and changed (field by field) entries from `prev` to `next`, each list in key order. */
export function diffEntries<T extends object>(prev: readonly T[], next: readonly T[], keyOf: (t: T) => string): EntryDiff<T> {
  const before = byKey(prev, keyOf);
  const after = byKey(next, keyOf);
  const added = sortedKeys(after).filter((k) => !before.has(k)).map((k) => after.get(k)!);
  const removed = sortedKeys(before).filter((k) => !after.has(k)).map((k) => before.get(k)!);
  const changed: Array<Changed<T>> = [];
  for (const key of sortedKeys(after)) {
    const a = before.get(key);
    const b = after.get(key)!;
    if (!a) continue;
    const names = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    const fields = names
      .filter((f) => !same((a as Record<string, unknown>)[f], (b as Record<string, unknown>)[f]))
      .map((f) => ({ field: f, before: (a as Record<string, unknown>)[f] ?? null, after: (b as Record<string, unknown>)[f] ?? null }));
    if (fields.length) changed.push({ key, before: a, after: b, fields });
  }
  return { added, removed, changed };
}

/** `prev` with a diff applied: removed entries gone, changed fields set, added entries in; key order. */
export function applyChanges<T extends object>(prev: readonly T[], diff: EntryDiff<T>, keyOf: (t: T) => string): T[] {
  const out = byKey(prev, keyOf);
  for (const r of diff.removed) out.delete(keyOf(r));
  for (const c of diff.changed) {
    const entry = { ...(out.get(c.key) as Record<string, unknown>) };
    for (const f of c.fields) {
      if (present(f.after)) entry[f.field] = f.after;
      else delete entry[f.field];
    }
    out.set(c.key, entry as T);
  }
  for (const a of diff.added) out.set(keyOf(a), a);
  return sortedKeys(out).map((k) => out.get(k)!);
}

/** An entry as a citation compares it: bookkeeping fields dropped, empty values dropped, lists sorted. */
export function citation<T extends object>(entry: T): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(entry)) {
    if (NOT_COMPARED.has(k) || !present(v) || v === '') continue;
    out[k] = Array.isArray(v) ? [...v].sort() : v;
  }
  return out as T;
}

/** The changes between two snapshots, compared as citations. */
export function diffSnapshots(prev: Snapshot, next: Snapshot): SnapshotDiff {
  return {
    vendors: diffEntries(prev.vendors.map(citation), next.vendors.map(citation), vendorKey),
    products: diffEntries(prev.products.map(citation), next.products.map(citation), productKey),
  };
}

export const isEmptyDiff = (d: EntryDiff<unknown>) => !d.added.length && !d.removed.length && !d.changed.length;
