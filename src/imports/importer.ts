/**
 * Importers: what the bulk-job engine needs to know about one kind of list. Read this file to add one.
 *
 * The engine (src/imports/engine.ts) does everything that is the same for every list: the upload
 * (multipart, .xlsx zip-bomb guard, CSV encodings), the file in GridFS, the job in MongoDB with claim,
 * lease and resume (a job cut off by a restart continues at its last committed batch), reading sheets
 * (headers and aliases, dates, rich text, formulas, the `'` that exports put before = + - @), staging the
 * rows, duplicate natural keys, progress, the row-error report (JSON and an .xlsx of the bad rows with the
 * reason beside each), the skipped-rows report, the templates (.xlsx with dropdowns for coded columns,
 * .csv) and one pair of pages. An importer declares only its columns, natural key, row validation and
 * batch writer:
 *
 * ```ts
 * // src/buyers/import.ts — a third importer: buyer organizations by name.
 * export const buyerImporter = defineImporter<BuyerInput>({
 *   kind: 'buyer', title: '采购单位导入', maxRows: 10_000,
 *   storage: { jobs: 'buyer_import_jobs', rows: 'buyer_import_rows', bucket: 'buyerImports' },
 *   sheets: [{
 *     kind: 'buyer', name: '采购单位', jsonKey: 'buyers',            // sheet name, JSON body key
 *     detect: (headers) => headers.has('单位名称'),                   // normalized headers of a CSV / unnamed sheet
 *     columns: [
 *       { header: '单位名称', path: 'name', required: true, example: '杭州市某某局' },
 *       { header: '层级', path: 'level', example: '市级', choices: () => ['省级', '市级', '区级'] }, // template dropdown
 *     ],
 *   }],
 *   messages: { noSheet: '未找到“采购单位”工作表。', noRows: '文件中没有数据行。', csvUnknown: '无法从 CSV 表头识别。' },
 *   naturalKey: (_kind, raw) => (isObject(raw) && typeof raw.name === 'string' ? raw.name.trim() : undefined),
 *   duplicate: (_kind, first) => ({ field: 'name', message: `与第 ${first} 行的单位名称重复，本行已跳过` }),
 *   validateRow(_kind, raw) {                                        // values.ts has lookups and zodIssues
 *     const r = BuyerInput.safeParse(raw);
 *     return r.success ? { ok: true, value: r.data } : { ok: false, issues: zodIssues(r.error) };
 *   },
 *   async writeBatch(rows, ctx) {   // valid rows in file order, inside the batch's transaction (ctx.session)
 *     for (const r of rows) await ctx.models.BuyerOrg.updateOne({ name: r.value.name }, { $set: r.value }, { upsert: true, session: ctx.session });
 *     return { created: rows.length }; // per row you may also ctx.reject(row, field, message) or ctx.skip(row, message)
 *   },
 * });
 * // In the capability's plugin (see src/demands/index.ts and import-routes.ts for a full ImporterHttp):
 * // const engine = await mountImporter(app, buyerImporter, { api: '/api/v1/buyer-imports', page: '/organizer/buyers/import', … });
 * ```
 * That gives POST {api} (JSON or multipart) → 202 {jobId}, GET {api}/:jobId, GET {api}/:jobId/errors.xlsx,
 * the templates and the pages {page} and {page}/:jobId. Test a restart with engine.claimJob / runJob(…,
 * { maxBatches: 1 }) as test/imports/resume.test.ts does.
 */
import type { ClientSession, Types } from 'mongoose';
import type { Models } from '../infra/models.js';

/** One spreadsheet column: its Chinese header, where the value goes, and what the template shows. */
export interface Column {
  header: string;
  /** Input path; "contact.name" is nested. */
  path: string;
  required?: boolean;
  /** Other headers accepted on import (the path itself is always accepted). */
  aliases?: string[];
  example: string | number;
  note?: string;
  /** Coded column: the names offered as a dropdown in the .xlsx template (a list cell may hold several). */
  choices?: () => readonly string[];
  /** Nested values that are not a field of their own (e.g. the buyer's columns of a demand). */
  notAField?: boolean;
}

export interface SheetSpec {
  /** Row kind, as reported in errors ('vendor', 'product', 'demand'). */
  kind: string;
  /** Sheet name in the template; also how a workbook sheet is recognised, with `names`. */
  name: string;
  names?: string[];
  /** Key of the JSON body holding this kind's rows. */
  jsonKey: string;
  columns: Column[];
  /** Does a header row (normalized headers) describe this kind? Needed for CSV and unnamed sheets. */
  detect: (headers: Set<string>) => boolean;
}

export interface RowIssue { field: string; message: string }
export type Validation<V> = { ok: true; value: V } | { ok: false; issues: RowIssue[] };

/** A staged row that passed validation. */
export interface ValidRow<V> { kind: string; row: number; seq: number; raw: unknown; present: string[]; value: V }

export interface JobInfo {
  _id: Types.ObjectId;
  format: string;
  publish?: boolean | null;
  createdBy?: { id?: string | null; name?: string | null; role?: string | null } | null;
}

export interface BatchContext {
  session: ClientSession;
  models: Models;
  job: JobInfo;
  now: Date;
  /** Rejects a row: it is reported (and listed in the error workbook) and not written. */
  reject(row: ValidRow<unknown>, field: string, message: string): void;
  /** A row the list's own decisions keep as it is (reported as 保留原状的行). */
  skip(row: ValidRow<unknown>, message: string): void;
}

export interface BatchCounts { created?: number; updated?: number; unchanged?: number }

export interface Importer<V = unknown> {
  kind: string;
  /** What the jobs are called in messages and the change log, e.g. '批量导入'. */
  title: string;
  /** MongoDB collections and the GridFS bucket of this importer's jobs. */
  storage: { jobs: string; rows: string; bucket: string };
  /** In write order: every row of the first sheet is written before any of the second. */
  sheets: SheetSpec[];
  maxRows: number;
  batchSize?: number;
  /** File-level messages, in Chinese. */
  messages: { noSheet: string; noRows: string; csvUnknown: string };
  /** Chinese names of the row fields, for error lists of JSON imports (files name the column). */
  fieldLabels?: Record<string, string>;
  /** The template's 说明 sheet: lines of help, and rows added after the code tables. */
  template?: { help: string[]; extraRows?: unknown[][] };
  naturalKey(kind: string, raw: unknown): string | undefined;
  duplicate(kind: string, firstRow: number): RowIssue;
  validateRow(kind: string, raw: unknown, source: { present: string[]; fromFile: boolean }): Validation<V>;
  writeBatch(rows: Array<ValidRow<V>>, ctx: BatchContext): Promise<BatchCounts>;
}

export function defineImporter<V>(importer: Importer<V>): Importer<V> {
  return importer;
}

/** The sheet of a row kind. */
export function sheetOf(importer: Importer<never> | Importer<unknown>, kind: string): SheetSpec | undefined {
  return importer.sheets.find((s) => s.kind === kind);
}

/** The header a field came from, for messages about spreadsheet rows. */
export function headerOf(columns: Column[], field: string): string | undefined {
  return (columns.find((c) => c.path === field) ?? columns.find((c) => c.path.split('.')[0] === field))?.header;
}
