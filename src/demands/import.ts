/**
 * The demand-list importer (the lists that arrive from the province and the city): one sheet 需求,
 * (buyer organization name + title) as the natural key, so importing the same list again updates rather
 * than duplicates. A row names its organization; one the platform lacks is created from the row's type,
 * level and region. A closed demand is never edited or reopened (reported as skipped). The engine
 * (src/imports/engine.ts) does the rest: upload, staging, batches, resume, the error report and workbook.
 */
import type { ClientSession } from 'mongoose';
import { Types } from 'mongoose';
import {
  categoryLookup, certificationLookup, choices, codes, defineImporter, fieldLookup, isObject, lookup, normalizeHeader, readSource, translate,
  type ImportFormat, type RowIssue, type Validation,
} from '../imports/index.js';
import { BuyerInput, createBuyerService } from '../buyers/index.js';
import { DemandUpdate, fieldLabels, type DemandFields } from './schemas.js';
import { changedFields, updateOf, type Actor } from './service.js';

export const MAX_DEMAND_ROWS = 10_000;

const buyerTypes = ['企业', '医院', '学校', '机关单位', '其他'];
const buyerLevels = ['省级', '市级', '区级'];

export const demandColumns = [
  { header: '需求标题', path: 'title', required: true, aliases: ['标题', '需求名称'], example: '中小学午休课桌椅更新采购', note: '同一采购单位的标题不能重复；再次导入即为更新' },
  { header: '需求描述', path: 'description', aliases: ['描述', '需求说明'], example: '约 3000 套，座椅可放倒躺睡，暑假内安装完毕。' },
  { header: '领域', path: 'field', example: '教育', note: '领域代码或名称；填了类别可不填', choices: choices.fields },
  { header: '类别', path: 'category', example: '课桌椅与午休设备', note: '类别代码或名称，见“说明”表', choices: choices.categories },
  { header: '数量', path: 'quantity', example: 3000, note: '大于 0 的数' },
  { header: '单位', path: 'unit', example: '套' },
  { header: '预算（元）', path: 'budgetYuan', aliases: ['预算'], example: 7500000, note: '不小于 0' },
  { header: '必需认证', path: 'requiredCertifications', example: 'ISO 9001 质量管理体系', note: '认证代码或名称，多个用“、”分隔；匹配时为硬性条件', choices: choices.certifications },
  { header: '优选认证', path: 'preferredCertifications', example: '品字标“浙江制造”、绿色产品认证', note: '认证代码或名称，多个用“、”分隔', choices: choices.certifications },
  { header: '截止日期', path: 'deadline', example: '2027-06-30', note: '日期，如 2027-06-30；不能早于今天' },
  { header: '采购单位', path: 'buyer.name', required: true, aliases: ['采购单位名称', '单位名称'], example: '杭州市某某区教育局', note: '按名称精确匹配已有单位；没有则新建', notAField: true },
  { header: '单位类型', path: 'buyer.type', example: '机关单位', note: '企业、医院、学校、机关单位、其他；新单位必填', notAField: true, choices: () => buyerTypes },
  { header: '层级', path: 'buyer.level', example: '市级', note: '省级、市级、区级；新单位必填', notAField: true, choices: () => buyerLevels },
  { header: '省份', path: 'buyer.province', example: '浙江省', note: '新单位必填', notAField: true },
  { header: '城市', path: 'buyer.city', example: '杭州市', notAField: true },
  { header: '区县', path: 'buyer.district', example: '', notAField: true },
];

const typeLookup = lookup([], {
  enterprise: 'enterprise', 企业: 'enterprise', 公司: 'enterprise', hospital: 'hospital', 医院: 'hospital', 医疗机构: 'hospital',
  school: 'school', 学校: 'school', 高校: 'school', agency: 'agency', 机关单位: 'agency', 机关: 'agency', 事业单位: 'agency', 政府部门: 'agency',
  other: 'other', 其他: 'other',
});
const levelLookup = lookup([], {
  province: 'province', 省级: 'province', 省: 'province', city: 'city', 市级: 'city', 市: 'city',
  district: 'district', 区级: 'district', 区: 'district', 区县级: 'district', 县级: 'district',
});

export interface DemandRowValue {
  fields: DemandFields;
  buyer: { name: string; type?: string; level?: string; province?: string; city?: string; district?: string };
  present: string[];
}

/** Validates one raw row (from a sheet or JSON) into demand fields and the organization it belongs to. */
export function validateDemandRow(raw: unknown, present?: string[]): Validation<DemandRowValue> {
  if (!isObject(raw)) return { ok: false, issues: [{ field: '_row', message: '每一行应为一个对象' }] };
  const issues: RowIssue[] = [];
  const data: Record<string, unknown> = { ...raw };
  data.field = translate(raw.field, fieldLookup, '领域', 'field', issues);
  data.category = translate(raw.category, categoryLookup, '类别', 'category', issues);
  for (const key of ['requiredCertifications', 'preferredCertifications']) if (key in raw) data[key] = codes(raw[key], certificationLookup, '认证', key, issues);
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

/** (organization name, title) as validation would read them, for duplicates within one file. */
function demandKey(raw: unknown): string | undefined {
  if (!isObject(raw)) return undefined;
  const buyer = isObject(raw.buyer) ? raw.buyer : {};
  const name = typeof buyer.name === 'string' ? buyer.name.trim() : '';
  const title = typeof raw.title === 'string' ? raw.title.trim() : '';
  return name && title ? `${name}\u0000${title}` : undefined;
}

const closedNames: Record<string, string> = { fulfilled: '已完成', cancelled: '已取消', expired: '已过期' };
const titleHeaders = ['需求标题', 'title', '标题', '需求名称'].map(normalizeHeader);

/** The demand importer; `onOpened` runs for each demand the import opens, in its transaction (match alerts). */
export function demandImporter(onOpened?: (demandId: string, session: ClientSession) => Promise<unknown>) {
  return defineImporter<DemandRowValue>({
    kind: 'demand',
    title: '需求导入',
    storage: { jobs: 'demand_import_jobs', rows: 'demand_import_rows', bucket: 'demandImports' },
    maxRows: MAX_DEMAND_ROWS,
    batchSize: 200,
    sheets: [{ kind: 'demand', name: '需求', names: ['demands'], jsonKey: 'demands', columns: demandColumns, detect: (h) => titleHeaders.some((t) => h.has(t)) }],
    messages: {
      noSheet: '未找到需求表：第一行应为表头，包含“需求标题”和“采购单位”。请使用下载的模板。',
      noRows: '文件中没有数据行：请在表头下方填写要导入的需求。',
      csvUnknown: 'CSV 文件第一行应为表头（需求标题、采购单位……）。',
    },
    fieldLabels,
    template: {
      help: [
        '“需求”工作表第一行为表头，示例行请删除后再导入。红色表头为必填列。',
        '同一采购单位的同一需求标题再次导入时更新原需求，不会重复创建。有误的行会被跳过并列出行号和原因，其余行照常导入。',
        '领域、类别、认证、单位类型、层级可以填代码或名称（表格中可从下拉列表选择）；多个认证用“、”分隔。',
      ],
      extraRows: [[], ['单位类型', 'enterprise 企业 · hospital 医院 · school 学校 · agency 机关单位 · other 其他'], ['层级', 'province 省级 · city 市级 · district 区级']],
    },
    naturalKey: (_kind, raw) => demandKey(raw),
    duplicate: (_kind, first) => ({ field: 'title', message: `与第 ${first} 行的采购单位和需求标题重复，本行已跳过` }),
    validateRow: (_kind, raw, source) => validateDemandRow(raw, source.fromFile ? source.present : undefined),

    async writeBatch(rows, ctx) {
      const { session, now } = ctx;
      const { Demand } = ctx.models;
      const buyers = createBuyerService({ models: ctx.models });
      const by = ctx.job.createdBy;
      const actor: Actor = { id: `import:${String(ctx.job._id)}`, name: `需求导入（${by?.name ?? '未知用户'}）`, role: by?.role ?? 'organizer' };
      let created = 0;
      let updated = 0;
      let unchanged = 0;
    for (const r of rows) {
      const { fields, buyer, present } = r.value;
      if (fields.deadline && fields.deadline.getTime() < now.getTime()) {
        ctx.reject(r, 'deadline', '截止日期已过，不能导入（请核对日期）');
        continue;
      }
      let org = await buyers.findByName(buyer.name, session);
      if (!org) {
        const full = BuyerInput.safeParse(buyer);
        if (!full.success) {
          for (const i of full.error.issues) ctx.reject(r, `buyer.${i.path.join('.')}`, `平台上还没有“${buyer.name}”，新建单位须填写：${i.message}`);
          continue;
        }
        org = await buyers.create(full.data, session);
      }
      const existing = await Demand.findOne({ buyerOrg: org!._id, title: fields.title }).session(session).lean();
      const values = fields as unknown as Record<string, unknown>;
      if (existing?.status === 'closed') {
        // Closing (fulfilled, cancelled or expired) was decided on the platform: a re-sent list neither reopens nor edits it.
        ctx.skip(r, `该需求已关闭（${closedNames[existing.closedAs ?? ''] ?? '已关闭'}），导入不会重新开放，也不会修改其内容`);
        continue;
      }
      if (!existing) {
        const status = ctx.job.publish ? 'open' : 'draft';
        const _id = new Types.ObjectId();
        await Demand.create([{
          _id, ...Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined)),
          buyerOrg: org!._id, status, source: 'import', postedBy: actor,
          history: [{ action: 'create', to: status, by: actor, at: now }],
        }], { session });
        if (status === 'open') await onOpened?.(String(_id), session);
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
      return { created, updated, unchanged };
    },
  });
}

/** The demand rows of a source (tests, tools), read as a job would. */
export async function readDemandSource(format: ImportFormat, buffer: Buffer) {
  const rows = [];
  for await (const row of readSource(demandImporter() as never, format, buffer)) rows.push(row);
  return rows;
}
