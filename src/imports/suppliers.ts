/**
 * The supplier-list importer: vendors (sheet 供应商) and their products (sheet 产品), matched by credit
 * code and by credit code + model. Publishing never lifts a suspension or a return, and an archived
 * product is never edited or republished (those rows are reported as skipped). Each batch writes the
 * records, their change-log entries and the search-outbox marks in the engine's transaction.
 */
import { Types } from 'mongoose';
import { markProducts } from '../search/index.js';
import { diffFields, refreshPublishedCounts, type Actor, type FieldChange } from '../suppliers/index.js';
import { fieldLabels, productFields, vendorFields, type ProductInput, type VendorInput } from '../suppliers/index.js';
import { fieldOfCategory } from '../taxonomy/index.js';
import { naturalKey, productColumns, validateProduct, validateVendor, vendorColumns } from './columns.js';
import { defineImporter, type ValidRow } from './importer.js';
import { normalizeHeader, readSource, type ImportFormat } from './sheets.js';

export const MAX_ROWS = 50_000;

const plain = (doc: object) => JSON.parse(JSON.stringify(doc)) as Record<string, unknown>;

/** Contact in one canonical shape, so key order or an empty object never reads as a change. */
function canonContact(contact: unknown): Record<string, string> | undefined {
  if (!contact || typeof contact !== 'object') return undefined;
  const c = contact as Record<string, unknown>;
  const out: Record<string, string> = {};
  for (const key of ['name', 'phone', 'email']) if (typeof c[key] === 'string' && c[key] !== '') out[key] = c[key];
  return Object.keys(out).length ? out : undefined;
}

/** $set for defined values, $unset for cleared ones. */
function updateOf(next: Record<string, unknown>, fields: string[]) {
  const $set: Record<string, unknown> = {};
  const $unset: Record<string, ''> = {};
  for (const f of fields) {
    if (next[f] === undefined || next[f] === null) $unset[f] = '';
    else $set[f] = next[f];
  }
  return { ...(Object.keys($set).length ? { $set } : {}), ...(Object.keys($unset).length ? { $unset } : {}) };
}

type Row = VendorInput | ProductInput;
const has = (headers: Set<string>, ...names: string[]) => names.some((n) => headers.has(normalizeHeader(n)));

export const supplierImporter = defineImporter<Row>({
  kind: 'supplier',
  title: '批量导入',
  storage: { jobs: 'import_jobs', rows: 'import_rows', bucket: 'imports' },
  maxRows: MAX_ROWS,
  sheets: [
    // Products have a model, vendors a company name.
    { kind: 'vendor', name: '供应商', names: ['vendors'], jsonKey: 'vendors', columns: vendorColumns,
      detect: (h) => !has(h, '型号', 'model', '供应商统一社会信用代码') && has(h, '企业名称', '统一社会信用代码', 'creditCode') },
    { kind: 'product', name: '产品', names: ['products'], jsonKey: 'products', columns: productColumns,
      detect: (h) => has(h, '型号', 'model', '供应商统一社会信用代码') },
  ],
  messages: {
    noSheet: '未找到名为“供应商”或“产品”的工作表，也无法从表头识别。请使用下载的模板。',
    noRows: '文件中没有数据行：请在表头下方填写要导入的供应商或产品。',
    csvUnknown: '无法从 CSV 表头识别是供应商还是产品：表头应包含“企业名称”（供应商）或“型号”（产品）。请使用下载的模板。',
  },
  fieldLabels,
  template: {
    help: [
      '“供应商”和“产品”两张表各占一个工作表，第一行为表头，示例行请删除后再导入。',
      '同一统一社会信用代码（供应商）、同一供应商加型号（产品）再次导入时更新原记录，不会重复创建。',
      '红色表头为必填列。有误的行会被跳过，并在导入结果中列出行号和原因；其余行照常导入。',
      '领域、类别、认证可以填代码或名称（表格中可从下拉列表选择）；多个值用“、”分隔。规格参数写成“名称=值”，多项用“；”分隔。',
    ],
  },
  naturalKey: (kind, raw) => naturalKey(kind as 'vendor' | 'product', raw),
  duplicate: (kind, first) => (kind === 'vendor'
    ? { field: 'creditCode', message: `与第 ${first} 行的统一社会信用代码重复，本行已跳过` }
    : { field: 'model', message: `与第 ${first} 行的供应商和型号重复，本行已跳过` }),
  validateRow(kind, raw) {
    const result = kind === 'vendor' ? validateVendor(raw) : validateProduct(raw);
    return result.ok ? { ok: true, value: result.value! } : { ok: false, issues: result.issues };
  },

  async writeBatch(rows, ctx) {
    const { session, now, models } = ctx;
    const { Vendor, Product, ChangeLog } = models;
    const publish = Boolean(ctx.job.publish);
    const actor: Actor = { id: `import:${String(ctx.job._id)}`, name: `批量导入（${ctx.job.createdBy?.name ?? '未知用户'}）` };
    let created = 0;
    let updated = 0;
    let unchanged = 0;
    const logs: object[] = [];
    const marked: Types.ObjectId[] = [];
    const touchedVendors: Types.ObjectId[] = [];
    const log = (entity: 'vendor' | 'product', entityId: Types.ObjectId, vendor: Types.ObjectId, changes: FieldChange[], note: string) =>
      logs.push({ entity, entityId, vendor, action: 'import', actor, at: now, note, changes: JSON.parse(JSON.stringify(changes)) });

    // --- vendors ---
    const validVendors = rows.filter((r) => r.kind === 'vendor') as Array<ValidRow<VendorInput>>;
    if (validVendors.length) {
      const existing = await Vendor.find({ creditCode: { $in: validVendors.map((v) => v.value.creditCode) } }).session(session).lean();
      const byCode = new Map(existing.map((v) => [v.creditCode, v]));
      const ops: Parameters<typeof Vendor.bulkWrite>[0] = [];
      for (const r of validVendors) {
        const input = r.value;
        const raw = r.raw as Record<string, unknown>;
        const before = byCode.get(input.creditCode);
        const present = new Set(r.present.filter((f) => (vendorFields as readonly string[]).includes(f)));
        if (!before) {
          const _id = new Types.ObjectId();
          const doc: Record<string, unknown> = { _id, ...input, contact: canonContact(input.contact), status: publish ? 'approved' : 'draft' };
          if (publish) doc.confirmedAt = now;
          ops.push({ insertOne: { document: doc as never } });
          log('vendor', _id, _id, [...diffFields({}, plain(doc), vendorFields), { field: 'status', before: null, after: doc.status }], '新建');
          created++;
          continue;
        }
        const old = { ...plain(before), contact: canonContact(before.contact) };
        const next: Record<string, unknown> = { ...old };
        for (const f of present) {
          if (f === 'contact') {
            const given = (raw.contact && typeof raw.contact === 'object' ? Object.keys(raw.contact) : []) as Array<'name' | 'phone' | 'email'>;
            const merged: Record<string, unknown> = { ...(old.contact ?? {}) };
            for (const k of given) merged[k] = input.contact[k];
            next.contact = canonContact(merged);
          } else {
            next[f] = plain({ v: input[f as keyof typeof input] ?? null }).v;
          }
        }
        const changes = diffFields(old, next, vendorFields);
        const setFields = changes.map((c) => c.field);
        if (publish && (before.status === 'suspended' || before.status === 'rejected')) {
          // An organizer's suspension or return stands: an import is no way around it (the rest of the row applies).
          ctx.skip(r, before.status === 'suspended'
            ? '该企业已被暂停，导入不会恢复其入库状态（本行其他内容照常导入）'
            : '该企业已被退回，导入不会将其入库（本行其他内容照常导入）；如已整改，请在审核页面通过');
        } else if (publish && before.status !== 'approved') {
          changes.push({ field: 'status', before: before.status, after: 'approved' });
          next.status = 'approved';
          next.confirmedAt = now;
          next.freshness = 'current';
          setFields.push('status', 'confirmedAt', 'freshness');
        }
        if (!changes.length) {
          unchanged++;
          continue;
        }
        ops.push({ updateOne: { filter: { _id: before._id }, update: updateOf(next, setFields) as never } });
        log('vendor', before._id, before._id, changes, '更新');
        touchedVendors.push(before._id);
        updated++;
      }
      if (ops.length) await Vendor.bulkWrite(ops, { session, ordered: true });
    }

    // --- products (after every vendor row: their vendors exist by now) ---
    const validProducts = rows.filter((r) => r.kind === 'product') as Array<ValidRow<ProductInput>>;
    if (validProducts.length) {
      const codes = [...new Set(validProducts.map((p) => p.value.vendorCreditCode))];
      const vendors = await Vendor.find({ creditCode: { $in: codes } }, { _id: 1, creditCode: 1 }).session(session).lean();
      const vendorByCode = new Map(vendors.map((v) => [v.creditCode, v._id]));
      const existing = await Product.find({ vendorCreditCode: { $in: codes }, model: { $in: validProducts.map((p) => p.value.model) } }).session(session).lean();
      const byKey = new Map(existing.map((p) => [`${p.vendorCreditCode}\u0000${p.model}`, p]));
      const ops: Parameters<typeof Product.bulkWrite>[0] = [];
      const inserts: Array<Record<string, unknown>> = [];
      for (const r of validProducts) {
        const input = r.value;
        const vendorId = vendorByCode.get(input.vendorCreditCode);
        if (!vendorId) {
          ctx.reject(r, 'vendorCreditCode', `未找到统一社会信用代码为 ${input.vendorCreditCode} 的供应商：它不在本次导入中（或所在行有误被跳过），平台上也没有`);
          continue;
        }
        const before = byKey.get(`${input.vendorCreditCode}\u0000${input.model}`);
        if (before?.status === 'archived') {
          // Archiving was a decision about the listing: an import neither revives nor edits it.
          ctx.skip(r, '该产品已归档，导入不会重新发布，也不会修改其内容；如需恢复，请先在产品页面恢复');
          continue;
        }
        const present = new Set(r.present.filter((f) => (productFields as readonly string[]).includes(f)));
        if (present.has('category')) present.add('field');
        const withField: Record<string, unknown> = { ...input, field: fieldOfCategory(input.category) };
        if (!before) {
          const _id = new Types.ObjectId();
          const doc = { _id, ...withField, vendor: vendorId, status: publish ? 'published' : 'draft' };
          inserts.push(doc);
          log('product', _id, vendorId, [...diffFields({}, plain(doc), productFields), { field: 'status', before: null, after: doc.status }], '新建');
          marked.push(_id);
          created++;
          continue;
        }
        const old = plain(before);
        const next: Record<string, unknown> = { ...old };
        for (const f of present) next[f] = plain({ v: withField[f] ?? null }).v;
        const changes = diffFields(old, next, productFields);
        const setFields = changes.map((c) => c.field);
        if (publish && before.status !== 'published') {
          changes.push({ field: 'status', before: before.status, after: 'published' });
          next.status = 'published';
          setFields.push('status');
        }
        if (!changes.length) {
          unchanged++;
          continue;
        }
        ops.push({ updateOne: { filter: { _id: before._id }, update: updateOf(next, setFields) as never } });
        log('product', before._id, vendorId, changes, '更新');
        marked.push(before._id);
        updated++;
      }
      // Rows were validated (and typed) with the shared zod schemas above, so new products go in as plain
      // documents: casting each into a mongoose document took most of the app's time of an import. What
      // mongoose would add is added here: the schema's defaults, the version key and the timestamps.
      if (inserts.length) {
        const at = new Date();
        // An absent value stays absent (the driver would store an undefined one as null; mongoose drops it).
        const defined = (d: Record<string, unknown>) => Object.fromEntries(Object.entries(d).filter(([, v]) => v !== undefined));
        const plainDocs = inserts.map((d) => ({ ...(Product.applyDefaults(defined(d)) as Record<string, unknown>), __v: 0, createdAt: at, updatedAt: at }));
        await Product.insertMany(plainDocs, { session, ordered: true, lean: true });
      }
      // Updates: rows were validated with the shared zod schemas; mongoose's second validation only costs time.
      if (ops.length) await Product.bulkWrite(ops, { session, ordered: true, skipValidation: true });
      // 统计报表's per-vendor counts of published products, in the same transaction.
      if (ops.length || inserts.length) await refreshPublishedCounts(models, [...vendorByCode.values()], session);
    }

    // lean: plain documents straight to the driver (hydrating 500 log entries per batch dominated the import time).
    if (logs.length) await ChangeLog.insertMany(logs, { session, lean: true });
    // A vendor's name, region or status shows in each of its products' search documents.
    if (touchedVendors.length) {
      const theirs = await Product.find({ vendor: { $in: touchedVendors } }, { _id: 1 }).session(session).lean();
      marked.push(...theirs.map((p) => p._id));
    }
    const unique = [...new Map(marked.map((id) => [String(id), id])).values()];
    await markProducts(models, unique, session);
    return { created, updated, unchanged };
  },
});

/** The supplier rows of a source (tests, tools): sheets.ts's reader with this importer. */
export const readSupplierSource = (format: ImportFormat, source: Buffer) => readSource(supplierImporter as never, format, source);
