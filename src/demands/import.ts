/**
 * Demand-list import (the lists that arrive from the province and the city): .xlsx, .csv or JSON, as
 * background jobs recorded in MongoDB, following the supplier import's patterns. The request stores the
 * source in GridFS and queues a job; a worker on any instance claims it with a lease, reads the source,
 * and writes rows in batches: each batch's demands, organizations, the job's counts, errors and cursor
 * commit in one transaction guarded by the lease owner. A resumed job re-reads the (unchanged) source and
 * continues at the committed cursor. (buyer organization name + title) is the natural key: importing the
 * same list again updates rather than duplicates. Bad rows are reported with row, column and reason.
 */
import ExcelJS from 'exceljs';
import { parse as parseCsv } from 'csv-parse/sync';
import { mongo, Schema, Types, type ClientSession, type Connection, type Model } from 'mongoose';
import type { Models } from '../infra/models.js';
import { instanceId } from '../infra/background.js';
import { isBlankRow, normalizeHeader } from '../imports/columns.js';
import { checkXlsx } from '../imports/xlsx-guard.js';
import { taxonomy } from '../taxonomy/index.js';
import { notFound } from '../web/errors.js';
import { csvText, restoreFormulaText, xlsxBuffer } from '../web/spreadsheet-safety.js';
import { BuyerInput, DemandUpdate } from './schemas.js';
import { changedFields, updateOf, type Actor } from './service.js';

export const MAX_DEMAND_ROWS = 10_000;
const LEASE_MS = 30_000;
const MAX_CLAIMS = 5;
const ERROR_CAP = 1000;

// ---- columns -------------------------------------------------------------------------------------

export interface DemandColumn { header: string; path: string; required?: boolean; aliases?: string[]; example: string | number; note?: string }

export const demandColumns: DemandColumn[] = [
  { header: '需求标题', path: 'title', required: true, aliases: ['标题', '需求名称'], example: '中小学午休课桌椅更新采购', note: '同一采购单位的标题不能重复；再次导入即为更新' },
  { header: '需求描述', path: 'description', aliases: ['描述', '需求说明'], example: '约 3000 套，座椅可放倒躺睡，暑假内安装完毕。' },
  { header: '领域', path: 'field', example: '教育', note: '领域代码或名称；填了类别可不填' },
  { header: '类别', path: 'category', example: '课桌椅与午休设备', note: '类别代码或名称，见“说明”表' },
  { header: '数量', path: 'quantity', example: 3000, note: '大于 0 的数' },
  { header: '单位', path: 'unit', example: '套' },
  { header: '预算（元）', path: 'budgetYuan', aliases: ['预算'], example: 7500000, note: '不小于 0' },
  { header: '必需认证', path: 'requiredCertifications', example: 'ISO 9001 质量管理体系', note: '认证代码或名称，多个用“、”分隔；匹配时为硬性条件' },
  { header: '优选认证', path: 'preferredCertifications', example: '品字标“浙江制造”、绿色产品认证', note: '认证代码或名称，多个用“、”分隔' },
  { header: '截止日期', path: 'deadline', example: '2027-06-30', note: '日期，如 2027-06-30；不能早于今天' },
  { header: '采购单位', path: 'buyer.name', required: true, aliases: ['采购单位名称', '单位名称'], example: '杭州市某某区教育局', note: '按名称精确匹配已有单位；没有则新建' },
  { header: '单位类型', path: 'buyer.type', example: '机关单位', note: '企业、医院、学校、机关单位、其他；新单位必填' },
  { header: '层级', path: 'buyer.level', example: '市级', note: '省级、市级、区级；新单位必填' },
  { header: '省份', path: 'buyer.province', example: '浙江省', note: '新单位必填' },
  { header: '城市', path: 'buyer.city', example: '杭州市' },
  { header: '区县', path: 'buyer.district', example: '' },
];

const headerIndex = new Map<string, DemandColumn>();
for (const c of demandColumns) for (const name of [c.header, c.path, ...(c.aliases ?? [])]) headerIndex.set(normalizeHeader(name), c);

export const headerOfPath = (path: string) => (demandColumns.find((c) => c.path === path) ?? demandColumns.find((c) => c.path.split('.')[0] === path))?.header;

// ---- values: codes or Chinese names ----------------------------------------------------------------

const loose = (s: string) => s.replace(/[\s“”"'‘’「」《》]/g, '').replace(/\(/g, '（').replace(/\)/g, '）').toLowerCase();
function lookup(entries: Array<{ code: string; name: string }>, extra: Record<string, string> = {}) {
  const map = new Map<string, string>();
  for (const e of entries) {
    map.set(loose(e.code), e.code);
    map.set(loose(e.name), e.code);
  }
  for (const [name, code] of Object.entries(extra)) map.set(loose(name), code);
  return map;
}
const fieldLookup = lookup(taxonomy.fields);
const categoryLookup = lookup(taxonomy.fields.flatMap((f) => f.categories));
const certLookup = lookup(taxonomy.certifications);
const typeLookup = lookup([], {
  enterprise: 'enterprise', 企业: 'enterprise', 公司: 'enterprise', hospital: 'hospital', 医院: 'hospital', 医疗机构: 'hospital',
  school: 'school', 学校: 'school', 高校: 'school', agency: 'agency', 机关单位: 'agency', 机关: 'agency', 事业单位: 'agency', 政府部门: 'agency',
  other: 'other', 其他: 'other',
});
const levelLookup = lookup([], {
  province: 'province', 省级: 'province', 省: 'province', city: 'city', 市级: 'city', 市: 'city',
  district: 'district', 区级: 'district', 区: 'district', 区县级: 'district', 县级: 'district',
});

interface Issue { field: string; message: string }

function translate(value: unknown, table: Map<string, string>, what: string, field: string, issues: Issue[]): unknown {
  if (typeof value !== 'string' || !value.trim()) return value;
  const code = table.get(loose(value));
  if (!code) {
    issues.push({ field, message: `未知的${what}：${value.slice(0, 40)}（可填代码或名称，见模板“说明”表）` });
    return undefined;
  }
  return code;
}

function translateList(value: unknown, field: string, issues: Issue[]): unknown {
  if (Array.isArray(value)) value = value.join('、');
  if (typeof value !== 'string') return value;
  const out: string[] = [];
  for (const token of value.split(/[、,，;；\n/|]+/).map((v) => v.trim()).filter(Boolean)) {
    const parts = certLookup.has(loose(token)) ? [token] : token.split(/\s+/).filter(Boolean);
    for (const part of parts) {
      const code = certLookup.get(loose(part));
      if (!code) issues.push({ field, message: `未知的认证：${part.slice(0, 40)}（可填代码或名称，见模板“说明”表）` });
      else if (!out.includes(code)) out.push(code);
    }
  }
  return out;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export interface DemandRowValue {
  fields: import('./schemas.js').DemandFields;
  buyer: { name: string; type?: string; level?: string; province?: string; city?: string; district?: string };
  present: string[];
}

/** Validates one raw row (from a sheet or JSON) into demand fields and the organization it belongs to. */
export function validateDemandRow(raw: unknown, present?: string[]): { ok: true; value: DemandRowValue } | { ok: false; issues: Issue[] } {
  if (!isObject(raw)) return { ok: false, issues: [{ field: '_row', message: '每一行应为一个对象' }] };
  const issues: Issue[] = [];
  const data: Record<string, unknown> = { ...raw };
  data.field = translate(raw.field, fieldLookup, '领域', 'field', issues);
  data.category = translate(raw.category, categoryLookup, '类别', 'category', issues);
  for (const key of ['requiredCertifications', 'preferredCertifications']) if (key in raw) data[key] = translateList(raw[key], key, issues);
  const buyerRaw = isObject(raw.buyer) ? { ...raw.buyer } : {};
  buyerRaw.type = translate(buyerRaw.type, typeLookup, '单位类型', 'buyer.type', issues);
  buyerRaw.level = translate(buyerRaw.level, levelLookup, '层级', 'buyer.level', issues);

  const parsed = DemandUpdate.safeParse(data);
  if (!parsed.success) {
    for (const i of parsed.error.issues) {
      const numeric = i.path.findIndex((p) => typeof p === 'number');
      const field = (numeric >= 0 ? i.path.slice(0, numeric) : i.path).join('.') || '_row';
      if (!issues.some((x) => x.field === field)) issues.push({ field, message: i.message });
    }
  }
  // The organization: a name always; type, level and province are checked when given (and required for a new one, later).
  const buyerParsed = BuyerInput.partial().safeParse(Object.fromEntries(Object.entries(buyerRaw).filter(([, v]) => v !== '' && v !== undefined && v !== null)));
  const name = typeof buyerRaw.name === 'string' ? buyerRaw.name.trim() : '';
  if (name.length < 2) issues.push({ field: 'buyer.name', message: '请填写采购单位名称' });
  else if (name.length > 100) issues.push({ field: 'buyer.name', message: '采购单位名称最多 100 个字' });
  if (!buyerParsed.success) {
    for (const i of buyerParsed.error.issues) {
      const field = `buyer.${i.path.join('.')}`;
      if (!issues.some((x) => x.field === field)) issues.push({ field, message: i.message });
    }
  }
  if (issues.length || !parsed.success || !buyerParsed.success) return { ok: false, issues };
  const fieldsPresent = present ?? Object.keys(raw);
  return { ok: true, value: { fields: parsed.data, buyer: { ...buyerParsed.data, name }, present: fieldsPresent } };
}

// ---- reading sources -------------------------------------------------------------------------------

export interface RawRow { row: number; data: Record<string, unknown>; present: string[] }

export class DemandFileError extends Error {
  constructor(message: string, public issues: Array<{ row: number; field: string; column?: string; message: string }> = []) {
    super(message);
  }
}

function recordOf(byPosition: Map<number, DemandColumn>, cells: string[]): { data: Record<string, unknown>; present: string[] } {
  const data: Record<string, unknown> = {};
  const present = new Set<string>();
  for (const [i, column] of byPosition) {
    const value = (cells[i] ?? '').trim();
    if (column.path.startsWith('buyer.')) {
      const buyer = (data.buyer ??= {}) as Record<string, unknown>;
      buyer[column.path.slice(6)] = value;
    } else {
      data[column.path] = value;
      present.add(column.path);
    }
  }
  return { data, present: [...present] };
}

function headerMap(cells: string[], where: string) {
  const byPosition = new Map<number, DemandColumn>();
  const seen = new Set<DemandColumn>();
  cells.forEach((h, i) => {
    const column = headerIndex.get(normalizeHeader(h));
    if (column && !seen.has(column)) {
      byPosition.set(i, column);
      seen.add(column);
    }
  });
  const missing = demandColumns.filter((c) => c.required && !seen.has(c));
  if (missing.length) {
    throw new DemandFileError(`${where}缺少必填列：${missing.map((c) => c.header).join('、')}。请使用模板中的表头。`,
      missing.map((c) => ({ row: 1, field: c.path, column: c.header, message: `缺少必填列“${c.header}”` })));
  }
  return byPosition;
}

const pad = (n: number) => String(n).padStart(2, '0');
function cellText(value: ExcelJS.CellValue): string {
  if (value === null || value === undefined) return '';
  // Date cells: the day the person sees (ExcelJS gives that day at UTC midnight).
  if (value instanceof Date) return `${value.getUTCFullYear()}-${pad(value.getUTCMonth() + 1)}-${pad(value.getUTCDate())}`;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value === 'string') return restoreFormulaText(value);
  if (typeof value === 'object') {
    const v = value as unknown as Record<string, unknown>;
    if (Array.isArray(v.richText)) return restoreFormulaText((v.richText as Array<{ text: string }>).map((r) => r.text).join(''));
    if ('result' in v) return cellText(v.result as ExcelJS.CellValue);
    if (typeof v.text === 'string') return restoreFormulaText(v.text);
  }
  return '';
}

async function xlsxRows(buffer: Buffer): Promise<RawRow[]> {
  // Sizes, entry count and shared strings are checked before ExcelJS unzips anything (zip bombs).
  const problem = await checkXlsx(buffer);
  if (problem) throw new DemandFileError(problem);
  const wb = new ExcelJS.Workbook();
  try {
    await wb.xlsx.load(buffer as unknown as ArrayBuffer);
  } catch {
    throw new DemandFileError('无法读取该 Excel 文件：文件可能已损坏，或不是 .xlsx 格式（旧版 .xls 请另存为 .xlsx）。');
  }
  for (const sheet of wb.worksheets) {
    let map: Map<number, DemandColumn> | undefined;
    const rows: RawRow[] = [];
    let skip = false;
    sheet.eachRow({ includeEmpty: false }, (row, number) => {
      if (skip) return;
      const cells: string[] = [];
      for (let c = 1; c <= row.cellCount; c++) cells[c - 1] = cellText(row.getCell(c).value);
      if (isBlankRow(cells)) return;
      if (!map) {
        // A sheet whose first row is not a demand header (e.g. 说明) is not a demand list.
        if (!cells.some((h) => headerIndex.get(normalizeHeader(h))?.path === 'title')) {
          skip = true;
          return;
        }
        map = headerMap(cells, `“${sheet.name}”工作表`);
        return;
      }
      rows.push({ row: number, ...recordOf(map, cells) });
    });
    if (map) return rows;
  }
  throw new DemandFileError('未找到需求表：第一行应为表头，包含“需求标题”和“采购单位”。请使用下载的模板。');
}

function decodeText(buffer: Buffer): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(buffer);
  } catch {
    return new TextDecoder('gb18030').decode(buffer);
  }
}

function csvRows(buffer: Buffer): RawRow[] {
  let records: string[][];
  try {
    records = parseCsv(decodeText(buffer), { bom: true, relax_column_count: true, relax_quotes: true, skip_empty_lines: false }) as string[][];
  } catch {
    throw new DemandFileError('无法解析 CSV 文件：请确认是逗号分隔的 CSV 文件。');
  }
  if (!records.length || isBlankRow(records[0])) throw new DemandFileError('CSV 文件第一行应为表头（需求标题、采购单位……），不能为空。');
  const map = headerMap(records[0], 'CSV 文件');
  const rows: RawRow[] = [];
  records.slice(1).forEach((cells, i) => {
    if (!isBlankRow(cells)) rows.push({ row: i + 2, ...recordOf(map, cells.map((c) => restoreFormulaText(String(c ?? '')))) });
  });
  return rows;
}

function jsonRows(buffer: Buffer): RawRow[] {
  const body = JSON.parse(buffer.toString('utf8')) as { demands?: unknown[] };
  return (body.demands ?? []).map((data, i) => ({
    row: i + 1,
    data: isObject(data) ? data : { _invalid: data },
    present: isObject(data) ? Object.keys(data) : [],
  }));
}

export async function readDemandSource(format: 'json' | 'xlsx' | 'csv', buffer: Buffer): Promise<RawRow[]> {
  const rows = format === 'json' ? jsonRows(buffer) : format === 'csv' ? csvRows(buffer) : await xlsxRows(buffer);
  if (!rows.length) throw new DemandFileError('文件中没有数据行：请在表头下方填写要导入的需求。');
  if (rows.length > MAX_DEMAND_ROWS) throw new DemandFileError(`数据行数超过上限：一次最多导入 ${MAX_DEMAND_ROWS.toLocaleString('zh-CN')} 条需求，请分批导入。`);
  return rows;
}

// ---- templates -------------------------------------------------------------------------------------

const widthOf = (header: string) => Math.max(10, header.length * 2 + 4);

export async function demandTemplateXlsx(): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  const sheet = wb.addWorksheet('需求', { views: [{ state: 'frozen', ySplit: 1 }] });
  sheet.columns = demandColumns.map((c) => ({ header: c.header, width: widthOf(c.header) }));
  sheet.addRow(demandColumns.map((c) => c.example));
  sheet.getRow(1).font = { bold: true };
  demandColumns.forEach((c, i) => {
    if (c.required) sheet.getCell(1, i + 1).font = { bold: true, color: { argb: 'FFC0392B' } };
  });
  const help = wb.addWorksheet('说明');
  help.columns = [{ width: 26 }, { width: 30 }, { width: 12 }, { width: 60 }];
  const add = (values: unknown[], bold = false) => {
    const row = help.addRow(values);
    if (bold) row.font = { bold: true };
  };
  add(['填写说明'], true);
  add(['“需求”工作表第一行为表头，示例行请删除后再导入。红色表头为必填列。']);
  add(['同一采购单位的同一需求标题再次导入时更新原需求，不会重复创建。有误的行会被跳过并列出行号和原因，其余行照常导入。']);
  add(['领域、类别、认证、单位类型、层级可以填代码或名称；多个认证用“、”分隔。']);
  add([]);
  add(['列', '对应字段', '是否必填', '说明'], true);
  for (const c of demandColumns) add([c.header, c.path, c.required ? '必填' : '选填', c.note ?? '']);
  add([]);
  add(['领域代码', '领域名称'], true);
  for (const f of taxonomy.fields) add([f.code, f.name]);
  add([]);
  add(['类别代码', '类别名称', '所属领域'], true);
  for (const f of taxonomy.fields) for (const c of f.categories) add([c.code, c.name, f.name]);
  add([]);
  add(['认证代码', '认证名称'], true);
  for (const c of taxonomy.certifications) add([c.code, c.name]);
  add([]);
  add(['单位类型', 'enterprise 企业 · hospital 医院 · school 学校 · agency 机关单位 · other 其他'], true);
  add(['层级', 'province 省级 · city 市级 · district 区级'], true);
  return xlsxBuffer(wb);
}

export function demandTemplateCsv(): string {
  return csvText([demandColumns.map((c) => c.header), demandColumns.map((c) => c.example)]);
}

// ---- jobs ------------------------------------------------------------------------------------------

const JobErrorSchema = new Schema({ kind: String, row: Number, field: String, column: String, message: String }, { _id: false });
const DemandImportJobSchema = new Schema(
  {
    status: { type: String, enum: ['queued', 'running', 'done', 'failed'], default: 'queued', index: true },
    format: { type: String, enum: ['json', 'xlsx', 'csv'], required: true },
    filename: String,
    fileId: Schema.Types.ObjectId,
    /** New demands open at once (else they are drafts). */
    open: { type: Boolean, default: true },
    createdBy: { id: String, name: String, role: String },
    total: { type: Number, default: 0 },
    processed: { type: Number, default: 0 },
    created: { type: Number, default: 0 },
    updated: { type: Number, default: 0 },
    unchanged: { type: Number, default: 0 },
    rejected: { type: Number, default: 0 },
    errorCount: { type: Number, default: 0 },
    rowErrors: { type: [JobErrorSchema], default: [] },
    /** Rows left alone because their demand is closed. */
    skipped: { type: Number, default: 0 },
    skippedRows: { type: [new Schema({ kind: String, row: Number, message: String }, { _id: false })], default: [] },
    failure: String,
    /** Rows (in file order) already written; everything before it is committed. */
    cursor: { type: Number, default: 0 },
    owner: String,
    leaseUntil: { type: Date, default: null },
    claims: { type: Number, default: 0 },
    startedAt: Date,
    finishedAt: Date,
  },
  { timestamps: true },
);
DemandImportJobSchema.index({ createdAt: -1 });

export type DemandImportJob = import('mongoose').InferSchemaType<typeof DemandImportJobSchema> & { _id: Types.ObjectId; createdAt?: Date };

class LeaseLost extends Error {}
const closedNames: Record<string, string> = { fulfilled: '已完成', cancelled: '已取消', expired: '已过期' };

export type DemandImportService = ReturnType<typeof createDemandImportService>;

export function createDemandImportService(options: {
  conn: Connection; models: Models; clock: () => Date; batchSize?: number;
  log?: { error(obj: object, msg: string): void };
  onOpened?: (demandId: string, session: ClientSession) => Promise<unknown>;
}) {
  const { conn, models, clock } = options;
  const batchSize = options.batchSize ?? 200;
  const Job = (conn.models.DemandImportJob ?? conn.model('DemandImportJob', DemandImportJobSchema, 'demand_import_jobs')) as Model<DemandImportJob>;
  const { Demand, BuyerOrg } = models;
  const bucket = () => new mongo.GridFSBucket(conn.db!, { bucketName: 'demandImports' });
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
  async function finish(job: DemandImportJob, owner: string, $set: Record<string, unknown>, issues: object[] = []) {
    const res = await Job.updateOne(
      { _id: job._id, owner, status: 'running' },
      { $set: { ...$set, finishedAt: clock(), owner: null, leaseUntil: null }, $inc: { errorCount: issues.length }, $push: { rowErrors: { $each: issues, $slice: ERROR_CAP } } },
    );
    if (job.fileId) await bucket().delete(job.fileId).catch(() => {});
    return res.matchedCount === 1;
  }

  /** Writes rows [from, from + n) of the source in one transaction with the job's progress. */
  async function writeBatch(job: DemandImportJob, owner: string, rows: RawRow[], duplicates: Map<number, number>, from: number) {
    const isFile = job.format !== 'json';
    const actor: Actor = { id: `import:${String(job._id)}`, name: `需求导入（${job.createdBy?.name ?? '未知用户'}）`, role: job.createdBy?.role ?? 'organizer' };
    await conn.transaction(async (session: ClientSession) => {
      const now = clock();
      const issues: object[] = [];
      const skipped: Array<{ kind: 'demand'; row: number; message: string }> = [];
      const rejected = new Set<number>();
      let created = 0;
      let updated = 0;
      let unchanged = 0;
      const reject = (r: RawRow, field: string, message: string) => {
        const name = field === '_row' ? '' : field;
        const column = isFile && name ? headerOfPath(name) : undefined;
        issues.push({ kind: 'demand', row: r.row, field: name, ...(column ? { column } : {}), message });
        rejected.add(r.row);
      };
      for (const r of rows) {
        const dup = duplicates.get(r.row);
        if (dup !== undefined) {
          reject(r, 'title', `与第 ${dup} 行的采购单位和需求标题重复，本行已跳过`);
          continue;
        }
        const result = validateDemandRow(r.data, job.format === 'json' ? undefined : r.present);
        if (!result.ok) {
          result.issues.forEach((i) => reject(r, i.field, i.message));
          continue;
        }
        const { fields, buyer, present } = result.value;
        if (fields.deadline && fields.deadline.getTime() < now.getTime()) {
          reject(r, 'deadline', '截止日期已过，不能导入（请核对日期）');
          continue;
        }
        let org = await BuyerOrg.findOne({ name: buyer.name }).session(session).lean();
        if (!org) {
          const full = BuyerInput.safeParse(buyer);
          if (!full.success) {
            for (const i of full.error.issues) reject(r, `buyer.${i.path.join('.')}`, `平台上还没有“${buyer.name}”，新建单位须填写：${i.message}`);
            continue;
          }
          const clean = Object.fromEntries(Object.entries(full.data).filter(([, v]) => v !== undefined));
          [org] = (await BuyerOrg.create([clean], { session })).map((o) => o.toObject());
        }
        const existing = await Demand.findOne({ buyerOrg: org!._id, title: fields.title }).session(session).lean();
        const values = fields as unknown as Record<string, unknown>;
        if (existing?.status === 'closed') {
          // Closing (fulfilled, cancelled or expired) was decided on the platform: a re-sent list neither reopens nor edits it.
          skipped.push({ kind: 'demand', row: r.row, message: `该需求已关闭（${closedNames[existing.closedAs ?? ''] ?? '已关闭'}），导入不会重新开放，也不会修改其内容` });
          continue;
        }
        if (!existing) {
          const status = job.open ? 'open' : 'draft';
          const _id = new Types.ObjectId();
          await Demand.create([{
            _id, ...Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined)),
            buyerOrg: org!._id, status, source: 'import', postedBy: actor,
            history: [{ action: 'create', to: status, by: actor, at: now }],
          }], { session });
          if (status === 'open') await options.onOpened?.(String(_id), session);
          created++;
          continue;
        }
        // Only the columns the file has count: a list without 内部备注 never clears the buyer's notes.
        const next = Object.fromEntries(present.map((p) => [p, values[p]]));
        if ('category' in next && !('field' in next)) next.field = values.field;
        const changed = changedFields(existing as unknown as Record<string, unknown>, next);
        if (!changed.length) {
          unchanged++;
          continue;
        }
        const { $set, $unset } = updateOf(next, changed);
        await Demand.updateOne(
          { _id: existing._id },
          { $set, ...(Object.keys($unset).length ? { $unset } : {}), $push: { history: { action: 'import', by: actor, at: now, fields: changed } } },
          { session },
        );
        updated++;
      }
      const advanced = await Job.updateOne(
        { _id: job._id, owner, status: 'running', cursor: from },
        {
          $inc: { processed: rows.length, created, updated, unchanged, rejected: rejected.size, errorCount: issues.length, skipped: skipped.length },
          $set: { cursor: from + rows.length, leaseUntil: new Date(Date.now() + LEASE_MS) },
          $push: { rowErrors: { $each: issues, $slice: ERROR_CAP }, skippedRows: { $each: skipped, $slice: ERROR_CAP } },
        },
        { session },
      );
      if (advanced.matchedCount !== 1) throw new LeaseLost();
    });
  }

  /** Rows whose natural key (organization name + title) appeared on an earlier row: row → earlier row. */
  function duplicatesOf(rows: RawRow[]): Map<number, number> {
    const seen = new Map<string, number>();
    const dups = new Map<number, number>();
    for (const r of rows) {
      const buyer = isObject(r.data.buyer) ? r.data.buyer : {};
      const name = typeof buyer.name === 'string' ? buyer.name.trim() : '';
      const title = typeof r.data.title === 'string' ? r.data.title.trim() : '';
      if (!name || !title) continue;
      const key = `${name}\u0000${title}`;
      const first = seen.get(key);
      if (first === undefined) seen.set(key, r.row);
      else dups.set(r.row, first);
    }
    return dups;
  }

  return {
    Job,

    async createJob(input: { format: 'json' | 'xlsx' | 'csv'; filename: string; open: boolean; buffer: Buffer; user: { id: string; name: string; role: string } }) {
      const fileId = await storeFile(input.buffer, input.filename);
      const job = await Job.create({
        format: input.format, filename: input.filename, fileId, open: input.open,
        createdBy: { id: input.user.id, name: input.user.name, role: input.user.role }, status: 'queued',
      });
      return String(job._id);
    },

    async claimJob(owner: string = instanceId): Promise<DemandImportJob | null> {
      for (;;) {
        const now = new Date();
        const job = await Job.findOneAndUpdate(
          { status: { $in: ['queued', 'running'] }, $or: [{ leaseUntil: null }, { leaseUntil: { $lt: now } }] },
          { $set: { status: 'running', owner, leaseUntil: new Date(now.getTime() + LEASE_MS) }, $inc: { claims: 1 }, $min: { startedAt: clock() } },
          { sort: { createdAt: 1 }, new: true },
        ).lean<DemandImportJob>();
        if (!job) return null;
        if (job.claims <= MAX_CLAIMS) return job;
        await finish(job, owner, { status: 'failed', failure: '导入任务多次中断，已停止。已写入的行已保存，请检查文件后重新导入。' });
      }
    },

    /** Works on a claimed job until it ends (or `maxBatches` batches: tests stop early to simulate a crash). */
    async runJob(job: DemandImportJob, owner: string = instanceId, opts: { maxBatches?: number } = {}): Promise<'done' | 'failed' | 'paused' | 'lost'> {
      try {
        let rows: RawRow[];
        try {
          rows = await readDemandSource(job.format as 'json' | 'xlsx' | 'csv', await readFile(job.fileId!));
        } catch (err) {
          if (err instanceof DemandFileError) {
            await finish(job, owner, { status: 'failed', failure: err.message }, err.issues.map((i) => ({ kind: 'file', ...i })));
            return 'failed';
          }
          if (err instanceof SyntaxError) {
            await finish(job, owner, { status: 'failed', failure: '内容不是有效的 JSON。' });
            return 'failed';
          }
          throw err;
        }
        await Job.updateOne({ _id: job._id, owner }, { $set: { total: rows.length } });
        const duplicates = duplicatesOf(rows);
        let cursor = job.cursor ?? 0;
        let batches = 0;
        while (cursor < rows.length) {
          if (stopping || (opts.maxBatches !== undefined && batches >= opts.maxBatches)) {
            if (stopping) await Job.updateOne({ _id: job._id, owner }, { $set: { owner: null, leaseUntil: null } });
            return 'paused';
          }
          const batch = rows.slice(cursor, cursor + batchSize);
          await writeBatch(job, owner, batch, duplicates, cursor);
          cursor += batch.length;
          batches++;
          await new Promise<void>((resolve) => setImmediate(resolve));
        }
        return (await finish(job, owner, { status: 'done' })) ? 'done' : 'lost';
      } catch (err) {
        if (err instanceof LeaseLost) return 'lost';
        options.log?.error({ err, jobId: String(job._id) }, '需求导入任务出错');
        await finish(job, owner, { status: 'failed', failure: `导入出错，已停止（此前的批次已保存）：${err instanceof Error ? err.message.slice(0, 200) : '未知错误'}` }).catch(() => {});
        return 'failed';
      }
    },

    async runPending(owner: string = instanceId): Promise<boolean> {
      let ran = false;
      for (let job = await this.claimJob(owner); job && !stopping; job = await this.claimJob(owner)) {
        await this.runJob(job, owner);
        ran = true;
      }
      return ran;
    },

    stop() {
      stopping = true;
    },

    async getJob(id: string): Promise<DemandImportJob> {
      if (!Types.ObjectId.isValid(id)) throw notFound('未找到该导入任务。');
      const job = await Job.findById(id).lean<DemandImportJob>();
      if (!job) throw notFound('未找到该导入任务。');
      return job;
    },

    async listJobs(limit = 20) {
      return Job.find({}, { rowErrors: 0, skippedRows: 0 }).sort({ createdAt: -1 }).limit(limit).lean<DemandImportJob[]>();
    },
  };
}

/** The job as the API reports it (same shape as the supplier import's, kinds 'demand' | 'file'). */
export function demandJobView(job: DemandImportJob) {
  return {
    id: String(job._id),
    status: (job.status === 'queued' ? 'running' : job.status) as 'running' | 'done' | 'failed',
    stage: job.status ?? 'queued',
    format: job.format,
    filename: job.filename ?? '',
    open: job.open !== false,
    total: job.total ?? 0,
    processed: job.processed ?? 0,
    created: job.created ?? 0,
    updated: job.updated ?? 0,
    unchanged: job.unchanged ?? 0,
    rejected: job.rejected ?? 0,
    errors: (job.rowErrors ?? []).map((e) => ({
      kind: (e.kind === 'file' ? 'file' : 'demand') as 'demand' | 'file',
      row: e.row ?? 0, field: e.field ?? '', ...(e.column ? { column: e.column } : {}), message: e.message ?? '',
    })),
    errorsTruncated: (job.errorCount ?? 0) > (job.rowErrors?.length ?? 0),
    skipped: (job.skippedRows ?? []).map((s) => ({ kind: 'demand' as const, row: s.row ?? 0, message: s.message ?? '' })),
    skippedCount: job.skipped ?? 0,
    ...(job.failure ? { failure: job.failure } : {}),
    createdBy: job.createdBy?.name ?? '',
    createdAt: job.createdAt ? new Date(job.createdAt).toISOString() : '',
    finishedAt: job.finishedAt ? new Date(job.finishedAt).toISOString() : null,
  };
}
export type DemandJobView = ReturnType<typeof demandJobView>;
