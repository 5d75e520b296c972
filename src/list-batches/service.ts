/**
 * Publishing numbered batches of the list, reading them, and their objections (异议). A batch is a copy of
 * the approved vendors and their published products at publishing, never a reference: later edits,
 * suspensions or deletions of the live records leave it as it was.
 */
import { once } from 'node:events';
import { mongo, Types, type ClientSession, type Connection } from 'mongoose';
import type { Readable } from 'node:stream';
import type { Models } from '../infra/models.js';
import { effectiveCertifications, sniffFile } from '../suppliers/index.js';
import { AppError, badRequest, conflict, notFound } from '../web/errors.js';
import {
  citation, diffSnapshots, vendorKey,
  type ProductEntry, type Snapshot, type VendorEntry,
} from './diff.js';
import { OBJECTION_BUCKET } from './model.js';
import { chinaDateTime } from '../web/china-time.js';

export type RemovalReason = 'suspended' | 'withdrawn' | 'lapsed';
export const removalReasonNames: Record<RemovalReason, string> = {
  suspended: '已暂停', withdrawn: '已退出或撤下', lapsed: '逾期未确认信息',
};
export const outcomeNames = { upheld: '异议成立', dismissed: '异议不成立' } as const;
export type Outcome = keyof typeof outcomeNames;

export const MAX_OBJECTION_FILE_BYTES = 5 * 1024 * 1024;
export const MAX_OBJECTION_DAYS = 60;
const DAY = 86_400_000;

export interface Actor { id: string; name: string }

/** Which live vendors the booklet or a batch takes: all, one field's, or some vendors (an event's). */
export interface LiveFilter { field?: string; vendorIds?: string[] }

export interface ObjectionInput {
  kind: 'vendor' | 'product';
  creditCode: string;
  model?: string;
  reason: string;
  contact: string;
}
export interface ObjectionFile { buffer: Buffer; filename: string }


const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const clean = <T extends object>(o: T): T => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;

export function createListBatchService(deps: { conn: Connection; models: Models; clock: () => Date }) {
  const { conn, models, clock } = deps;
  const { ListBatch, ListBatchVendor, ListBatchCounter, ListBatchObjection, Vendor, Product } = models;
  const bucket = () => new mongo.GridFSBucket(conn.db!, { bucketName: OBJECTION_BUCKET });

  /** The live list now: approved vendors not hidden for staleness, with their published products. */
  async function liveSnapshot(filter: LiveFilter = {}, session?: ClientSession): Promise<Snapshot> {
    const now = clock();
    const q: Record<string, unknown> = { status: 'approved', freshness: { $ne: 'hidden' } };
    if (filter.field) q.fields = filter.field;
    if (filter.vendorIds) q._id = { $in: filter.vendorIds.map((id) => new Types.ObjectId(id)) };
    const vendors = await Vendor.find(q).session(session ?? null).sort({ creditCode: 1 }).lean();
    const productQuery: Record<string, unknown> = { status: 'published', vendor: { $in: vendors.map((v) => v._id) } };
    if (filter.field) productQuery.field = filter.field;
    const products = await Product.find(productQuery).session(session ?? null).sort({ vendorCreditCode: 1, model: 1 }).lean();
    const names = new Map(vendors.map((v) => [v.creditCode, v.name]));
    return {
      vendors: vendors.map((v): VendorEntry => clean({
        vendorId: String(v._id), creditCode: v.creditCode, name: v.name,
        province: str(v.province), city: str(v.city), district: str(v.district), address: str(v.address),
        website: str(v.website), description: str(v.description), fields: [...(v.fields ?? [])].sort(),
        certifications: effectiveCertifications(v.certifications ?? [], (v.qualifications ?? []) as never, now).sort(),
      })),
      products: products.map((p): ProductEntry => clean({
        productId: String(p._id), vendorCreditCode: p.vendorCreditCode, vendorName: names.get(p.vendorCreditCode),
        name: p.name, model: p.model, category: str(p.category), field: str(p.field), certifications: [...(p.certifications ?? [])].sort(),
        energyGrade: num(p.energyGrade), priceMin: num(p.priceMin), priceMax: num(p.priceMax),
        capacityPerMonth: num(p.capacityPerMonth), leadTimeDays: num(p.leadTimeDays),
        images: (p.images ?? []).map((i) => String(i.fileId)),
      })),
    };
  }

  /** A published batch's frozen list. */
  async function batchSnapshot(number: number, session?: ClientSession): Promise<Snapshot> {
    const docs = await ListBatchVendor.find({ number }).session(session ?? null).sort({ 'vendor.creditCode': 1 }).lean();
    return {
      vendors: docs.map((d) => d.vendor as unknown as VendorEntry),
      products: docs.flatMap((d) => d.products as unknown as ProductEntry[]),
    };
  }

  /** Why each removed entry left the list, judged from the live records at publishing. */
  async function removalReasons(vendorCodes: string[], productKeys: Array<{ creditCode: string; model: string }>, session: ClientSession) {
    const codes = [...new Set([...vendorCodes, ...productKeys.map((p) => p.creditCode)])];
    const live = await Vendor.find({ creditCode: { $in: codes } }).session(session).select('creditCode status freshness').lean();
    const vendorReason = new Map<string, RemovalReason | undefined>();
    for (const code of codes) {
      const v = live.find((x) => x.creditCode === code);
      vendorReason.set(code, !v ? 'withdrawn' : v.status === 'suspended' ? 'suspended'
        : v.status === 'approved' && v.freshness === 'hidden' ? 'lapsed' : v.status === 'approved' ? undefined : 'withdrawn');
    }
    return {
      vendor: (code: string): RemovalReason => vendorReason.get(code) ?? 'withdrawn',
      // A product goes with its company (that reason), or on its own: archived, unpublished or deleted.
      product: (code: string): RemovalReason => vendorReason.get(code) ?? 'withdrawn',
    };
  }

  async function publish(input: { title?: string; objectionDays?: number }, actor: Actor): Promise<{ id: string; number: number }> {
    let result: { id: string; number: number } | undefined;
    for (let attempt = 0; !result; attempt++) {
      try {
        result = await conn.transaction(async (session) => {
          const now = clock();
          const counter = await ListBatchCounter.findOneAndUpdate({ _id: 'batches' }, { $inc: { seq: 1 } }, { upsert: true, new: true, session }).lean();
          const number = counter!.seq;
          const next = await liveSnapshot({}, session);
          const prev = number > 1 ? await batchSnapshot(number - 1, session) : { vendors: [], products: [] };
          const diff = diffSnapshots(prev, next);
          const reasons = await removalReasons(diff.vendors.removed.map(vendorKey), diff.products.removed.map((p) => ({ creditCode: p.vendorCreditCode, model: p.model })), session);
          const vendorName = new Map([...prev.vendors, ...next.vendors].map((v) => [v.creditCode, v.name]));
          const productRef = (p: ProductEntry) => ({ kind: 'product' as const, creditCode: p.vendorCreditCode, model: p.model, name: p.name, vendorName: vendorName.get(p.vendorCreditCode) });
          const changes = {
            added: [
              ...diff.vendors.added.map((v) => ({ kind: 'vendor' as const, creditCode: v.creditCode, name: v.name })),
              ...diff.products.added.map(productRef),
            ],
            removed: [
              ...diff.vendors.removed.map((v) => ({ kind: 'vendor' as const, creditCode: v.creditCode, name: v.name, reason: reasons.vendor(v.creditCode) })),
              ...diff.products.removed.map((p) => ({ ...productRef(p), reason: reasons.product(p.vendorCreditCode) })),
            ],
            changed: [
              ...diff.vendors.changed.map((c) => ({ kind: 'vendor' as const, creditCode: c.after.creditCode, name: c.after.name, fields: c.fields })),
              ...diff.products.changed.map((c) => ({ ...productRef(c.after), fields: c.fields })),
            ],
          };
          const title = input.title?.trim() || `滨江区设备更新供应商推介清单（第 ${number} 批）`;
          const days = input.objectionDays ?? 0;
          const [batch] = await ListBatch.create([{
            number, title, publishedAt: now, objectionUntil: days > 0 ? new Date(now.getTime() + days * DAY) : null,
            publishedBy: actor, counts: { vendors: next.vendors.length, products: next.products.length }, changes,
          }], { session });
          const productsOf = new Map<string, ProductEntry[]>();
          for (const p of next.products) productsOf.set(p.vendorCreditCode, [...(productsOf.get(p.vendorCreditCode) ?? []), p]);
          if (next.vendors.length) {
            await ListBatchVendor.insertMany(next.vendors.map((v) => ({ batch: batch._id, number, vendor: v, products: productsOf.get(v.creditCode) ?? [] })), { session });
          }
          return { id: String(batch._id), number };
        });
      } catch (err) {
        // Two first publishes may both try to create the counter: the loser retries and increments it.
        if ((err as { code?: number }).code === 11000 && attempt < 5) continue;
        throw err;
      }
    }
    return result;
  }

  async function list() {
    const batches = await ListBatch.find().sort({ number: -1 }).select('-changes').lean();
    return batches;
  }

  async function get(number: number) {
    const batch = await ListBatch.findOne({ number }).lean();
    if (!batch) throw notFound(`没有第 ${number} 批推介清单。`);
    return batch;
  }

  /** The batch's vendors with their products, by name. */
  async function entries(number: number) {
    const docs = await ListBatchVendor.find({ number }).lean();
    return docs
      .map((d) => ({ vendor: d.vendor as unknown as VendorEntry, products: d.products as unknown as ProductEntry[] }))
      .sort((a, b) => a.vendor.name.localeCompare(b.vendor.name, 'zh-CN') || a.vendor.creditCode.localeCompare(b.vendor.creditCode));
  }

  const objectionOpen = (batch: { objectionUntil?: Date | null }) => !!batch.objectionUntil && batch.objectionUntil.getTime() > clock().getTime();

  async function fileObjection(number: number, input: ObjectionInput, file: ObjectionFile | undefined, ip: string) {
    const batch = await get(number);
    if (!batch.objectionUntil) throw new AppError(409, 'NO_OBJECTION_PERIOD', `第 ${number} 批推介清单未设公示期，不受理异议。`);
    if (!objectionOpen(batch)) throw new AppError(409, 'OBJECTION_PERIOD_OVER', `第 ${number} 批推介清单的公示期已于 ${chinaDateTime(batch.objectionUntil)} 结束，不再受理异议。`);
    const doc = await ListBatchVendor.findOne({ number, 'vendor.creditCode': input.creditCode }).lean();
    if (!doc) throw badRequest('本批推介清单中没有该统一社会信用代码的企业。', [{ path: 'creditCode', message: '本批清单中没有该企业' }]);
    let entry: Record<string, unknown>;
    if (input.kind === 'vendor') entry = { kind: 'vendor', creditCode: doc.vendor.creditCode, name: doc.vendor.name };
    else {
      if (!input.model) throw badRequest('对产品提出异议时请填写产品型号。', [{ path: 'model', message: '请填写产品型号' }]);
      const p = doc.products.find((x) => x.model === input.model);
      if (!p) throw badRequest('本批推介清单中该企业没有这个型号的产品。', [{ path: 'model', message: '本批清单中没有该型号' }]);
      entry = { kind: 'product', creditCode: doc.vendor.creditCode, model: p.model, name: p.name, vendorName: doc.vendor.name };
    }
    let stored: { fileId: Types.ObjectId; contentType: string; filename: string; length: number } | undefined;
    if (file?.buffer.length) {
      if (file.buffer.length > MAX_OBJECTION_FILE_BYTES) throw new AppError(413, 'FILE_TOO_LARGE', '附件不能超过 5 MB，请压缩后再上传。');
      const contentType = sniffFile(file.buffer, ['pdf', 'image']);
      if (!contentType) throw new AppError(415, 'UNSUPPORTED_MEDIA_TYPE', '附件只支持 PDF 文件或 JPEG、PNG、WebP 格式的图片（按文件内容判断，而非扩展名）。');
      const filename = file.filename.slice(0, 200) || (contentType === 'application/pdf' ? '附件.pdf' : '附件');
      const upload = bucket().openUploadStream(filename, { metadata: { contentType, number } });
      upload.end(file.buffer);
      await once(upload, 'finish');
      stored = { fileId: upload.id as Types.ObjectId, contentType, filename, length: file.buffer.length };
    }
    try {
      const objection = await ListBatchObjection.create({
        batch: batch._id, number, entry, reason: input.reason, contact: input.contact, file: stored, filedAt: clock(), ip,
      });
      return objection.toObject();
    } catch (err) {
      if (stored) await bucket().delete(stored.fileId).catch(() => {});
      throw err;
    }
  }

  async function objections(number: number) {
    await get(number);
    return ListBatchObjection.find({ number }).sort({ filedAt: -1 }).lean();
  }

  async function answer(number: number, id: string, input: { outcome: Outcome; text: string }, actor: Actor) {
    await get(number);
    if (!Types.ObjectId.isValid(id) || !/^[0-9a-f]{24}$/i.test(id)) throw notFound('没有这条异议。');
    const existing = await ListBatchObjection.findOne({ _id: id, number }).lean();
    if (!existing) throw notFound('没有这条异议。');
    const updated = await ListBatchObjection.findOneAndUpdate(
      { _id: id, number, answer: { $exists: false } },
      { $set: { answer: { text: input.text, outcome: input.outcome, by: actor, at: clock() } } },
      { new: true },
    ).lean();
    if (!updated) throw conflict('这条异议已经答复过了。');
    return updated;
  }

  async function objectionFile(number: number, id: string): Promise<{ stream: Readable; contentType: string; filename: string }> {
    const o = /^[0-9a-f]{24}$/i.test(id) ? await ListBatchObjection.findOne({ _id: id, number }).lean() : null;
    if (!o?.file?.fileId) throw notFound('该异议没有附件。');
    return { stream: bucket().openDownloadStream(o.file.fileId), contentType: o.file.contentType ?? 'application/octet-stream', filename: o.file.filename ?? '附件' };
  }

  return { liveSnapshot, batchSnapshot, publish, list, get, entries, objectionOpen, fileObjection, objections, answer, objectionFile, citation };
}

export type ListBatchService = ReturnType<typeof createListBatchService>;
