/**
 * Bulk import of vendors and products as background jobs recorded in MongoDB.
 *
 * A request stores the source in GridFS and creates a queued job (202). A worker on any instance claims
 * the job with a lease, reads the source into job rows (vendors before products), then writes batches:
 * each batch's records, change-log entries, search-outbox marks and the job's counts and cursor commit in
 * one transaction, guarded by the lease owner. A worker that dies leaves a lapsing lease; the next worker
 * resumes at the committed cursor, and natural keys make any replay harmless.
 */
import { mongo, Types, type ClientSession, type Connection } from 'mongoose';
import type { Models } from '../infra/models.js';
import { instanceId } from '../infra/background.js';
import { markProducts } from '../search/outbox.js';
import { diffFields, type Actor, type FieldChange } from '../suppliers/history.js';
import { productFields, vendorFields } from '../suppliers/schemas.js';
import { fieldOfCategory } from '../taxonomy/index.js';
import { notFound } from '../web/errors.js';
import { headerOf, naturalKey, validateProduct, validateVendor } from './columns.js';
import { importModels, type ImportJob, type ImportKind, type ImportModels } from './model.js';
import { ImportFileError, readSource, type FileIssue } from './parse.js';

export const ERROR_CAP = 1000;
const LEASE_MS = 30_000;
const MAX_CLAIMS = 5;
/** Products are numbered after every vendor row, so vendors are always written first. */
const PRODUCT_SEQ_BASE = 1_000_000;
/** Keeps one batch's transaction far below MongoDB 4.0's 16 MB limit, whatever the rows hold. */
const BATCH_BYTES = 2 * 1024 * 1024;

export type ImportFormat = 'json' | 'xlsx' | 'csv';
type JobDoc = ImportJob & { _id: Types.ObjectId; createdAt?: Date; updatedAt?: Date };

class LeaseLost extends Error {}
interface SkipNote { kind: ImportKind; row: number; message: string }

const plain = (doc: object) => JSON.parse(JSON.stringify(doc)) as Record<string, unknown>;
const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

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

export interface ImportServiceOptions {
  conn: Connection;
  models: Models;
  clock?: () => Date;
  log?: { error(obj: object, msg: string): void };
  batchSize?: number;
}

export type ImportService = ReturnType<typeof createImportService>;

export function createImportService(options: ImportServiceOptions) {
  const { conn, models } = options;
  const clock = options.clock ?? (() => new Date());
  const batchSize = options.batchSize ?? 500;
  const { ImportJob, ImportRow }: ImportModels = importModels(conn);
  const { Vendor, Product, ChangeLog } = models;
  const bucket = () => new mongo.GridFSBucket(conn.db!, { bucketName: 'imports' });
  let stopping = false;

  async function storeFile(buffer: Buffer, filename: string): Promise<Types.ObjectId> {
    const upload = bucket().openUploadStream(filename);
    await new Promise<void>((resolve, reject) => {
      upload.once('finish', () => resolve());
      upload.once('error', reject);
      upload.end(buffer);
    });
    return upload.id as Types.ObjectId;
  }

  async function readFile(id: Types.ObjectId): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const chunk of bucket().openDownloadStream(id)) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }

  async function cleanup(job: JobDoc) {
    await ImportRow.deleteMany({ job: job._id });
    if (job.fileId) await bucket().delete(job.fileId).catch(() => {});
  }

  /** Ends a job as failed with a Chinese reason; only its current owner may (unless force). */
  async function failJob(job: JobDoc, owner: string | null, failure: string, issues: FileIssue[] = []) {
    await ImportJob.updateOne(
      { _id: job._id, ...(owner ? { owner } : {}), status: { $in: ['queued', 'running'] } },
      {
        $set: { status: 'failed', failure, finishedAt: clock(), owner: null, leaseUntil: null },
        $inc: { errorCount: issues.length },
        $push: { rowErrors: { $each: issues, $slice: ERROR_CAP } },
      },
    );
    await cleanup(job);
  }

  /** Reads the stored source into job rows. Idempotent: a resumed parse starts over. */
  async function parsePhase(job: JobDoc, owner: string) {
    await ImportRow.deleteMany({ job: job._id });
    const source = await readFile(job.fileId!);
    const seen: Record<ImportKind, Map<string, number>> = { vendor: new Map(), product: new Map() };
    const counts: Record<ImportKind, number> = { vendor: 0, product: 0 };
    let pending: object[] = [];
    const flush = async () => {
      if (!pending.length) return;
      await ImportRow.insertMany(pending, { lean: true });
      pending = [];
      const renewed = await ImportJob.updateOne({ _id: job._id, owner, status: 'running' }, { $set: { leaseUntil: new Date(Date.now() + LEASE_MS) } });
      if (renewed.matchedCount !== 1) throw new LeaseLost();
    };
    for await (const row of readSource(job.format as ImportFormat, source)) {
      const key = naturalKey(row.kind, row.data);
      let duplicateOf: number | undefined;
      if (key !== undefined) {
        duplicateOf = seen[row.kind].get(key);
        if (duplicateOf === undefined) seen[row.kind].set(key, row.row);
      }
      const seq = (row.kind === 'product' ? PRODUCT_SEQ_BASE : 0) + counts[row.kind]++;
      pending.push({ job: job._id, seq, kind: row.kind, row: row.row, data: JSON.stringify(row.data ?? null), present: row.present, duplicateOf });
      if (pending.length >= 1000) await flush();
    }
    await flush();
    const switched = await ImportJob.updateOne(
      { _id: job._id, owner, status: 'running', phase: 'parse' },
      { $set: { phase: 'rows', total: counts.vendor + counts.product, cursor: 0 } },
    );
    if (switched.matchedCount !== 1) throw new LeaseLost();
    // The rows are authoritative now; the source is no longer needed.
    await bucket().delete(job.fileId!).catch(() => {});
    await ImportJob.updateOne({ _id: job._id }, { $unset: { fileId: '' } });
  }

  interface RowDoc { seq: number; kind: string; row: number; data: string; present: string[]; duplicateOf?: number | null }

  /** Writes one batch of rows and advances the job, all in one transaction. */
  async function writeBatch(job: JobDoc, owner: string, rows: RowDoc[]) {
    const nextCursor = rows[rows.length - 1].seq + 1;
    const isFile = job.format !== 'json';
    const actor: Actor = { id: `import:${String(job._id)}`, name: `批量导入（${job.createdBy?.name ?? '未知用户'}）` };

    await conn.transaction(async (session: ClientSession) => {
      const now = clock();
      const issues: FileIssue[] = [];
      // Rows the import left (partly) as they were because the list decided otherwise (suspended, archived).
      const skipped: SkipNote[] = [];
      const rejectedRows = new Set<number>();
      let created = 0;
      let updated = 0;
      let unchanged = 0;
      const logs: object[] = [];
      const marked: Types.ObjectId[] = [];
      const touchedVendors: Types.ObjectId[] = [];
      const reject = (r: RowDoc, field: string, message: string) => {
        const kind = r.kind as ImportKind;
        const name = field === '_row' ? '' : field;
        issues.push({ kind, row: r.row, field: name, ...(isFile && name ? { column: headerOf(kind, name) } : {}), message });
        rejectedRows.add(r.seq);
      };
      const log = (entity: 'vendor' | 'product', entityId: Types.ObjectId, vendor: Types.ObjectId, changes: FieldChange[], note: string) =>
        logs.push({ entity, entityId, vendor, action: 'import', actor, at: now, note, changes: JSON.parse(JSON.stringify(changes)) });

      // --- vendors ---
      const vendorRows = rows.filter((r) => r.kind === 'vendor');
      const validVendors: Array<{ r: RowDoc; input: NonNullable<ReturnType<typeof validateVendor>['value']>; raw: Record<string, unknown> }> = [];
      for (const r of vendorRows) {
        if (r.duplicateOf) {
          reject(r, 'creditCode', `与第 ${r.duplicateOf} 行的统一社会信用代码重复，本行已跳过`);
          continue;
        }
        const raw = JSON.parse(r.data) as unknown;
        const result = validateVendor(raw);
        if (!result.ok) result.issues.forEach((i) => reject(r, i.field, i.message));
        else validVendors.push({ r, input: result.value!, raw: raw as Record<string, unknown> });
      }
      if (validVendors.length) {
        const existing = await Vendor.find({ creditCode: { $in: validVendors.map((v) => v.input.creditCode) } }).session(session).lean();
        const byCode = new Map(existing.map((v) => [v.creditCode, v]));
        const ops: Parameters<typeof Vendor.bulkWrite>[0] = [];
        for (const { r, input, raw } of validVendors) {
          const before = byCode.get(input.creditCode);
          const present = new Set(r.present.filter((f) => (vendorFields as readonly string[]).includes(f)));
          if (!before) {
            const _id = new Types.ObjectId();
            const doc: Record<string, unknown> = { _id, ...input, contact: canonContact(input.contact), status: job.publish ? 'approved' : 'draft' };
            if (job.publish) doc.confirmedAt = now;
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
          if (job.publish && (before.status === 'suspended' || before.status === 'rejected')) {
            // An organizer's suspension or return stands: an import is no way around it (the rest of the row applies).
            skipped.push({ kind: 'vendor', row: r.row, message: before.status === 'suspended'
              ? '该企业已被暂停，导入不会恢复其入库状态（本行其他内容照常导入）'
              : '该企业已被退回，导入不会将其入库（本行其他内容照常导入）；如已整改，请在审核页面通过' });
          } else if (job.publish && before.status !== 'approved') {
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

      // --- products ---
      const productRows = rows.filter((r) => r.kind === 'product');
      const validProducts: Array<{ r: RowDoc; input: NonNullable<ReturnType<typeof validateProduct>['value']> }> = [];
      for (const r of productRows) {
        if (r.duplicateOf) {
          reject(r, 'model', `与第 ${r.duplicateOf} 行的供应商和型号重复，本行已跳过`);
          continue;
        }
        const result = validateProduct(JSON.parse(r.data) as unknown);
        if (!result.ok) result.issues.forEach((i) => reject(r, i.field, i.message));
        else validProducts.push({ r, input: result.value! });
      }
      if (validProducts.length) {
        const codes = [...new Set(validProducts.map((p) => p.input.vendorCreditCode))];
        const vendors = await Vendor.find({ creditCode: { $in: codes } }, { _id: 1, creditCode: 1 }).session(session).lean();
        const vendorByCode = new Map(vendors.map((v) => [v.creditCode, v._id]));
        const existing = await Product.find({ vendorCreditCode: { $in: codes }, model: { $in: validProducts.map((p) => p.input.model) } }).session(session).lean();
        const byKey = new Map(existing.map((p) => [`${p.vendorCreditCode}\u0000${p.model}`, p]));
        const ops: Parameters<typeof Product.bulkWrite>[0] = [];
        for (const { r, input } of validProducts) {
          const vendorId = vendorByCode.get(input.vendorCreditCode);
          if (!vendorId) {
            reject(r, 'vendorCreditCode', `未找到统一社会信用代码为 ${input.vendorCreditCode} 的供应商：它不在本次导入中（或所在行有误被跳过），平台上也没有`);
            continue;
          }
          const before = byKey.get(`${input.vendorCreditCode}\u0000${input.model}`);
          if (before?.status === 'archived') {
            // Archiving was a decision about the listing: an import neither revives nor edits it.
            skipped.push({ kind: 'product', row: r.row, message: '该产品已归档，导入不会重新发布，也不会修改其内容；如需恢复，请先在产品页面恢复' });
            continue;
          }
          const present = new Set(r.present.filter((f) => (productFields as readonly string[]).includes(f)));
          if (present.has('category')) present.add('field');
          const withField: Record<string, unknown> = { ...input, field: fieldOfCategory(input.category) };
          if (!before) {
            const _id = new Types.ObjectId();
            const doc = { _id, ...withField, vendor: vendorId, status: job.publish ? 'published' : 'draft' };
            ops.push({ insertOne: { document: doc as never } });
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
          if (job.publish && before.status !== 'published') {
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
        // Rows were validated with the shared zod schemas above; mongoose's second validation only costs time.
        if (ops.length) await Product.bulkWrite(ops, { session, ordered: true, skipValidation: true });
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

      const advanced = await ImportJob.updateOne(
        { _id: job._id, owner, status: 'running', cursor: job.cursor },
        {
          $inc: { processed: rows.length, created, updated, unchanged, rejected: rejectedRows.size, errorCount: issues.length, skipped: skipped.length },
          $set: { cursor: nextCursor, leaseUntil: new Date(Date.now() + LEASE_MS) },
          $push: { rowErrors: { $each: issues, $slice: ERROR_CAP }, skippedRows: { $each: skipped, $slice: ERROR_CAP } },
        },
        { session },
      );
      // Another worker took the job over: nothing of this batch may commit.
      if (advanced.matchedCount !== 1) throw new LeaseLost();
    });
    job.cursor = nextCursor;
  }

  /** Loads the next batch: up to batchSize rows, fewer when they are large. */
  async function nextRows(job: JobDoc): Promise<RowDoc[]> {
    const rows = await ImportRow.find({ job: job._id, seq: { $gte: job.cursor } }).sort({ seq: 1 }).limit(batchSize).lean<RowDoc[]>();
    let bytes = 0;
    const cut = rows.findIndex((r) => (bytes += r.data.length * 3) > BATCH_BYTES);
    return cut > 0 ? rows.slice(0, cut) : rows;
  }

  return {
    ImportJob,
    ImportRow,

    /** Stores the source and queues the job; a worker picks it up. */
    async createJob(input: { format: ImportFormat; filename: string; publish: boolean; buffer: Buffer; user: { id: string; name: string } }) {
      const fileId = await storeFile(input.buffer, input.filename);
      const job = await ImportJob.create({
        format: input.format, filename: input.filename, fileId, publish: input.publish,
        createdBy: { id: input.user.id, name: input.user.name }, status: 'queued', phase: 'parse',
      });
      return String(job._id);
    },

    /** Takes the oldest job that nobody holds (queued, or running under a lapsed lease). */
    async claimJob(owner: string = instanceId): Promise<JobDoc | null> {
      for (;;) {
        const now = new Date();
        const job = await ImportJob.findOneAndUpdate(
          { status: { $in: ['queued', 'running'] }, $or: [{ leaseUntil: null }, { leaseUntil: { $lt: now } }] },
          { $set: { status: 'running', owner, leaseUntil: new Date(now.getTime() + LEASE_MS) }, $inc: { claims: 1 }, $min: { startedAt: clock() } },
          { sort: { createdAt: 1 }, new: true },
        ).lean<JobDoc>();
        if (!job) return null;
        if (job.claims <= MAX_CLAIMS) return job;
        await failJob(job, owner, '导入任务多次中断（服务重启或出错），已停止。已写入的行已保存，请检查文件后重新导入其余部分。');
      }
    },

    /**
     * Works on a claimed job until it ends, the lease is lost, the instance stops, or `maxBatches`
     * batches are written (tests stop early to simulate a crash).
     */
    async runJob(jobId: Types.ObjectId | string, owner: string = instanceId, opts: { maxBatches?: number } = {}): Promise<'done' | 'failed' | 'paused' | 'lost'> {
      const claimed = await ImportJob.findOne({ _id: jobId, owner, status: 'running' }).lean<JobDoc>();
      if (!claimed) return 'lost';
      let job: JobDoc = claimed;
      try {
        if (job.phase === 'parse') {
          try {
            await parsePhase(job, owner);
          } catch (err) {
            if (!(err instanceof ImportFileError)) throw err;
            await failJob(job, owner, err.message, err.issues);
            return 'failed';
          }
          const parsed = await ImportJob.findOne({ _id: jobId, owner, status: 'running' }).lean<JobDoc>();
          if (!parsed) return 'lost';
          job = parsed;
        }
        let batches = 0;
        for (;;) {
          if (stopping || (opts.maxBatches !== undefined && batches >= opts.maxBatches)) {
            // Hand the job over at once rather than after the lease lapses.
            if (stopping) await ImportJob.updateOne({ _id: job._id, owner }, { $set: { leaseUntil: null, owner: null } });
            return 'paused';
          }
          const rows = await nextRows(job);
          if (!rows.length) {
            const done = await ImportJob.updateOne(
              { _id: job._id, owner, status: 'running' },
              { $set: { status: 'done', finishedAt: clock(), owner: null, leaseUntil: null } },
            );
            if (done.matchedCount !== 1) return 'lost';
            await cleanup(job);
            return 'done';
          }
          await writeBatch(job, owner, rows);
          batches++;
          await tick(); // let requests in between batches
        }
      } catch (err) {
        if (err instanceof LeaseLost) return 'lost';
        options.log?.error({ err, jobId: String(jobId) }, '导入任务出错');
        const processed = job.cursor;
        await failJob(job, owner, `导入出错，已停止${processed ? '（此前的批次已保存）' : ''}：${err instanceof Error ? err.message.slice(0, 200) : '未知错误'}`)
          .catch(() => { /* the lease will lapse and another round decides */ });
        return 'failed';
      }
    },

    /** One worker round: claim and run jobs until none is waiting. Returns whether any ran. */
    async runPending(owner: string = instanceId): Promise<boolean> {
      let ran = false;
      for (let job = await this.claimJob(owner); job && !stopping; job = await this.claimJob(owner)) {
        await this.runJob(job._id, owner);
        ran = true;
      }
      return ran;
    },

    stop() {
      stopping = true;
    },

    async getJob(id: string) {
      if (!Types.ObjectId.isValid(id)) throw notFound('未找到该导入任务。');
      const job = await ImportJob.findById(id).lean<JobDoc>();
      if (!job) throw notFound('未找到该导入任务。');
      return job;
    },

    async listJobs(limit = 20) {
      return ImportJob.find({}, { rowErrors: 0, skippedRows: 0 }).sort({ createdAt: -1 }).limit(limit).lean<JobDoc[]>();
    },
  };
}

/** The job as the API reports it (docs/api.md): queued jobs count as running. */
export function jobView(job: JobDoc) {
  const status = job.status === 'queued' ? 'running' : job.status;
  return {
    id: String(job._id),
    status: status as 'running' | 'done' | 'failed',
    stage: job.status === 'queued' ? 'queued' : job.status === 'running' ? (job.phase === 'parse' ? 'parsing' : 'importing') : job.status,
    format: job.format,
    filename: job.filename ?? '',
    publish: Boolean(job.publish),
    total: job.total ?? 0,
    processed: job.processed ?? 0,
    created: job.created ?? 0,
    updated: job.updated ?? 0,
    unchanged: job.unchanged ?? 0,
    rejected: job.rejected ?? 0,
    errors: (job.rowErrors ?? []).map((e) => ({
      kind: (e.kind ?? 'file') as 'vendor' | 'product' | 'file',
      row: e.row ?? 0,
      field: e.field ?? '',
      ...(e.column ? { column: e.column } : {}),
      message: e.message ?? '',
    })),
    errorsTruncated: (job.errorCount ?? 0) > (job.rowErrors?.length ?? 0),
    /** Rows whose status (or, for archived products, whole content) the import left alone, and why. */
    skipped: (job.skippedRows ?? []).map((s) => ({ kind: (s.kind ?? 'vendor') as 'vendor' | 'product', row: s.row ?? 0, message: s.message ?? '' })),
    skippedCount: job.skipped ?? 0,
    ...(job.failure ? { failure: job.failure } : {}),
    createdBy: job.createdBy?.name ?? '',
    createdAt: job.createdAt?.toISOString() ?? '',
    finishedAt: job.finishedAt?.toISOString() ?? null,
  };
}
export type JobView = ReturnType<typeof jobView>;
