/**
 * The bulk-job engine: runs any importer (src/imports/importer.ts) as background jobs recorded in MongoDB.
 *
 * A request stores the source in GridFS and creates a queued job (202). A worker on any instance claims
 * the job with a lease, reads the source into staged rows (the importer's sheets in order), then writes
 * batches: each batch's records (the importer's writeBatch), the rejected rows, and the job's counts,
 * errors and cursor commit in one transaction, guarded by the lease owner. A worker that dies leaves a
 * lapsing lease; the next worker resumes at the committed cursor, and natural keys make any replay harmless.
 */
import { mongo, Types, type ClientSession, type Connection } from 'mongoose';
import type { Models } from '../infra/models.js';
import { instanceId } from '../infra/background.js';
import { databaseUnavailable } from '../infra/db.js';
import { notFound } from '../web/errors.js';
import { headerOf, sheetOf, type Importer, type ValidRow } from './importer.js';
import { jobModels, type ImportJob } from './model.js';
import { ImportFileError, readSource, type FileIssue, type ImportFormat } from './sheets.js';

export const ERROR_CAP = 1000;
const LEASE_MS = 30_000;
const MAX_CLAIMS = 5;
/** Rows of the n-th sheet are numbered from n × SHEET_SEQ, so sheets are written in the importer's order. */
const SHEET_SEQ = 1_000_000;
/** Keeps one batch's transaction far below MongoDB 4.0's 16 MB limit, whatever the rows hold. */
const BATCH_BYTES = 2 * 1024 * 1024;
/** How long the rows of the error workbook are kept. */
const REJECTED_DAYS = 30;

/** A job as stored; `open` is the demand import's flag of jobs queued before the engine (now `publish`). */
export type JobDoc = ImportJob & { _id: Types.ObjectId; createdAt?: Date; updatedAt?: Date; open?: boolean };
interface RowDoc { seq: number; kind: string; row: number; data: string; present: string[]; duplicateOf?: number | null }

class LeaseLost extends Error {}
const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

export interface EngineOptions {
  conn: Connection;
  models: Models;
  clock?: () => Date;
  log?: { error(obj: object, msg: string): void };
  batchSize?: number;
}

export type JobEngine = ReturnType<typeof createJobEngine>;

export function createJobEngine<V>(importer: Importer<V>, options: EngineOptions) {
  const { conn, models } = options;
  const clock = options.clock ?? (() => new Date());
  const batchSize = options.batchSize ?? importer.batchSize ?? 500;
  const { ImportJob, ImportRow, RejectedRow } = jobModels(conn, importer.storage);
  // Each chunk is one majority-acknowledged write (~150 ms on a replica set): the default 255 KB chunks
  // made storing a 10 MB file take 5.7 s; 4 MB chunks take three writes.
  const bucket = () => new mongo.GridFSBucket(conn.db!, { bucketName: importer.storage.bucket, chunkSizeBytes: 4 * 1024 * 1024 });
  const reader = importer as unknown as Importer<unknown>;
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

  /** Ends a job as failed with a Chinese reason; only its current owner may. */
  async function failJob(job: JobDoc, owner: string, failure: string, issues: FileIssue[] = []) {
    await ImportJob.updateOne(
      { _id: job._id, owner, status: { $in: ['queued', 'running'] } },
      {
        $set: { status: 'failed', failure, finishedAt: clock(), owner: null, leaseUntil: null },
        $inc: { errorCount: issues.length },
        $push: { rowErrors: { $each: issues, $slice: ERROR_CAP } },
      },
    );
    await cleanup(job);
  }

  /** Reads the stored source into staged rows. Idempotent: a resumed parse starts over. */
  async function parsePhase(job: JobDoc, owner: string) {
    await ImportRow.deleteMany({ job: job._id });
    const source = await readFile(job.fileId!);
    const seen = new Map<string, Map<string, number>>(importer.sheets.map((s) => [s.kind, new Map()]));
    const counts = new Map<string, number>();
    let pending: object[] = [];
    const flush = async () => {
      if (!pending.length) return;
      await ImportRow.insertMany(pending, { lean: true });
      pending = [];
      const renewed = await ImportJob.updateOne({ _id: job._id, owner, status: 'running' }, { $set: { leaseUntil: new Date(Date.now() + LEASE_MS) } });
      if (renewed.matchedCount !== 1) throw new LeaseLost();
    };
    for await (const row of readSource(reader, job.format as ImportFormat, source)) {
      const key = importer.naturalKey(row.kind, row.data);
      let duplicateOf: number | undefined;
      if (key !== undefined) {
        duplicateOf = seen.get(row.kind)!.get(key);
        if (duplicateOf === undefined) seen.get(row.kind)!.set(key, row.row);
      }
      const n = counts.get(row.kind) ?? 0;
      counts.set(row.kind, n + 1);
      const seq = importer.sheets.findIndex((s) => s.kind === row.kind) * SHEET_SEQ + n;
      pending.push({ job: job._id, seq, kind: row.kind, row: row.row, data: JSON.stringify(row.data ?? null), present: row.present, duplicateOf });
      // Each flush waits for a majority once: few, large ones.
      if (pending.length >= 5000) await flush();
    }
    await flush();
    const total = [...counts.values()].reduce((a, b) => a + b, 0);
    const switched = await ImportJob.updateOne({ _id: job._id, owner, status: 'running', phase: 'parse' }, { $set: { phase: 'rows', total, cursor: 0 } });
    if (switched.matchedCount !== 1) throw new LeaseLost();
    // The rows are authoritative now; the source is no longer needed.
    await bucket().delete(job.fileId!).catch(() => {});
    await ImportJob.updateOne({ _id: job._id }, { $unset: { fileId: '' } });
  }

  /** Validates and writes one batch of rows and advances the job, all in one transaction. */
  async function writeBatch(job: JobDoc, owner: string, rows: RowDoc[]) {
    const nextCursor = rows[rows.length - 1].seq + 1;
    const fromFile = job.format !== 'json';
    await conn.transaction(async (session: ClientSession) => {
      const now = clock();
      const issues: FileIssue[] = [];
      const skipped: Array<{ kind: string; row: number; message: string }> = [];
      const rejected = new Map<number, { r: RowDoc; reasons: FileIssue[] }>();
      const reject = (r: RowDoc, field: string, message: string) => {
        const name = field === '_row' ? '' : field;
        const column = fromFile && name ? headerOf(sheetOf(reader, r.kind)?.columns ?? [], name) : undefined;
        const issue = { kind: r.kind, row: r.row, field: name, ...(column ? { column } : {}), message };
        issues.push(issue);
        const entry = rejected.get(r.seq) ?? { r, reasons: [] };
        entry.reasons.push(issue);
        rejected.set(r.seq, entry);
      };
      const valid: Array<ValidRow<V> & { doc: RowDoc }> = [];
      for (const r of rows) {
        if (r.duplicateOf) {
          const dup = importer.duplicate(r.kind, r.duplicateOf);
          reject(r, dup.field, dup.message);
          continue;
        }
        const raw = JSON.parse(r.data) as unknown;
        const result = importer.validateRow(r.kind, raw, { present: r.present, fromFile });
        if (!result.ok) result.issues.forEach((i) => reject(r, i.field, i.message));
        else valid.push({ kind: r.kind, row: r.row, seq: r.seq, raw, present: r.present, value: result.value, doc: r });
      }
      const bySeq = new Map(valid.map((v) => [v.seq, v.doc]));
      const counts = valid.length ? await importer.writeBatch(valid, {
        session, models, now, job: { ...job, publish: job.publish ?? job.open },
        reject: (row, field, message) => reject(bySeq.get(row.seq)!, field, message),
        skip: (row, message) => { skipped.push({ kind: row.kind, row: row.row, message }); },
      }) : {};
      if (rejected.size) {
        const expireAt = new Date(now.getTime() + REJECTED_DAYS * 86_400_000);
        await RejectedRow.bulkWrite([...rejected.values()].map(({ r, reasons }) => ({
          replaceOne: { filter: { job: job._id, seq: r.seq }, replacement: { job: job._id, seq: r.seq, kind: r.kind, row: r.row, data: r.data, reasons, expireAt } as never, upsert: true },
        })), { session });
      }
      const advanced = await ImportJob.updateOne(
        { _id: job._id, owner, status: 'running', cursor: job.cursor },
        {
          $inc: {
            processed: rows.length, created: counts.created ?? 0, updated: counts.updated ?? 0, unchanged: counts.unchanged ?? 0,
            rejected: rejected.size, errorCount: issues.length, skipped: skipped.length,
          },
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
    importer,
    ImportJob,
    ImportRow,
    RejectedRow,

    /** Stores the source and queues the job; a worker picks it up. */
    async createJob(input: { format: ImportFormat; filename: string; publish: boolean; buffer: Buffer; user: { id: string; name: string; role?: string } }) {
      const fileId = await storeFile(input.buffer, input.filename);
      const job = await ImportJob.create({
        format: input.format, filename: input.filename, fileId, publish: input.publish,
        createdBy: { id: input.user.id, name: input.user.name, role: input.user.role }, status: 'queued', phase: 'parse',
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
     * Works on a claimed job (its id, or the claimed job itself) until it ends, the lease is lost, the
     * instance stops, or `maxBatches` batches are written (tests stop early to simulate a crash).
     */
    async runJob(jobRef: Types.ObjectId | string | { _id: Types.ObjectId }, owner: string = instanceId, opts: { maxBatches?: number } = {}): Promise<'done' | 'failed' | 'paused' | 'lost'> {
      const jobId = typeof jobRef === 'object' && '_id' in jobRef ? jobRef._id : jobRef;
      const claimed = await ImportJob.findOne({ _id: jobId, owner, status: 'running' }).lean<JobDoc>();
      if (!claimed) return 'lost';
      let job: JobDoc = claimed;
      try {
        // Jobs queued before rows were staged (no phase) start by reading their file too.
        if (job.phase !== 'rows') {
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
        for (let batches = 0; ; batches++) {
          if (stopping || (opts.maxBatches !== undefined && batches >= opts.maxBatches)) {
            // Hand the job over at once rather than after the lease lapses.
            if (stopping) await ImportJob.updateOne({ _id: job._id, owner }, { $set: { leaseUntil: null, owner: null } });
            return 'paused';
          }
          const rows = await nextRows(job);
          if (!rows.length) {
            const done = await ImportJob.updateOne({ _id: job._id, owner, status: 'running' }, { $set: { status: 'done', finishedAt: clock(), owner: null, leaseUntil: null } });
            if (done.matchedCount !== 1) return 'lost';
            await cleanup(job);
            return 'done';
          }
          await writeBatch(job, owner, rows);
          await tick(); // let requests in between batches
        }
      } catch (err) {
        if (err instanceof LeaseLost) return 'lost';
        if (databaseUnavailable(err)) {
          // An election or a lost connection is no fault of the file: hand the job back to resume at its
          // committed cursor in a later round (natural keys make a replayed batch harmless).
          options.log?.error({ err, jobId: String(jobId) }, `${importer.title}任务暂停：数据库暂时不可用，稍后从已保存处继续`);
          await ImportJob.updateOne({ _id: job._id, owner }, { $set: { leaseUntil: null, owner: null } }).catch(() => { /* the lease lapses instead */ });
          return 'paused';
        }
        options.log?.error({ err, jobId: String(jobId) }, `${importer.title}任务出错`);
        await failJob(job, owner, `导入出错，已停止${job.cursor ? '（此前的批次已保存）' : ''}：${err instanceof Error ? err.message.slice(0, 200) : '未知错误'}`)
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

    /** The rejected rows of a job with their reasons, in file order (for the error workbook). */
    async rejectedRows(job: JobDoc) {
      return RejectedRow.find({ job: job._id }).sort({ seq: 1 }).limit(importer.maxRows).lean();
    },
  };
}
