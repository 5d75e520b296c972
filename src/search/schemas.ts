import { z } from 'zod';
import { certificationCodes, fieldCodes, taxonomy } from '../taxonomy/index.js';

const categoryCodes = taxonomy.fields.flatMap((f) => f.categories.map((c) => c.code));

// Empty query-string values (from a form with an empty select) count as absent.
const blank = (v: unknown) => (v === '' || v === null ? undefined : v);
const optional = <T extends z.ZodType>(schema: T) => z.preprocess(blank, schema.optional());

const region = z.string().trim().min(1).max(30, '地区名称最多 30 个字符');

export const sortKeys = ['relevance', 'newest', 'price', 'locality'] as const;
export type SortKey = (typeof sortKeys)[number];
export const sortNames: Record<SortKey, string> = { relevance: '相关度', newest: '最新发布', price: '价格从低到高', locality: '本地企业优先' };

export const SearchQuery = z.object({
  q: z.preprocess((v) => v ?? '', z.string().trim().max(100, '搜索词最多 100 个字符')),
  field: optional(z.enum(fieldCodes as [string, ...string[]], { error: '未知的领域代码' })),
  category: optional(z.enum(categoryCodes as [string, ...string[]], { error: '未知的品类代码' })),
  province: optional(region),
  city: optional(region),
  district: optional(region),
  certification: optional(z.enum(certificationCodes as [string, ...string[]], { error: '未知的资质认证代码' })),
  // A page past the last one is answered with the last page (the answer's `page` says which).
  page: z.preprocess(blank, z.coerce.number({ error: '页码必须是数字' }).int('页码必须是整数').min(1, '页码从 1 开始').max(100_000, '页码最大为 100000').default(1)),
  pageSize: z.preprocess(blank, z.coerce.number({ error: '每页条数必须是数字' }).int('每页条数必须是整数').min(1, '每页至少 1 条').max(50, '每页最多 50 条').default(20)),
  sort: z.preprocess(blank, z.enum(sortKeys, { error: '排序方式只能是 relevance（相关度）、newest（最新发布）、price（价格从低到高）或 locality（本地企业优先）' }).default('relevance')),
  exact: optional(z.enum(['1'], { error: 'exact 只能为 1（按原词搜索，不纠正错别字、不展开缩写）' })),
});
export type SearchQuery = z.output<typeof SearchQuery>;

const Facet = z.record(z.string(), z.number());

export const SearchHit = z.object({
  productId: z.string(),
  name: z.string(),
  model: z.string(),
  category: z.string(),
  categoryName: z.string(),
  field: z.string(),
  fieldName: z.string(),
  vendor: z.object({ id: z.string(), name: z.string(), creditCode: z.string(), city: z.string().nullable(), district: z.string().nullable() }),
  certifications: z.array(z.string()),
  badges: z.array(z.string()).describe('首台套、品字标、专精特新'),
  freshness: z.enum(['current', 'stale']).describe('stale：供应商超期未确认信息（排序靠后）'),
  priceMin: z.number().nullable(),
  priceMax: z.number().nullable(),
  capacityPerMonth: z.number().nullable(),
  leadTimeDays: z.number().nullable(),
  localityTier: z.number().describe('3 滨江区，2 杭州市其他区县，1 浙江省其他城市，0 省外（locality 排序的依据）'),
  listedAt: z.number().nullable().describe('产品入库时间（毫秒时间戳，newest 排序的依据）'),
  image: z.string().nullable().describe('第一张产品图片的文件 id（/files/:id），没有图片时为 null'),
  highlight: z
    .object({ name: z.string(), description: z.string() })
    .describe('已做 HTML 转义的片段，命中的词以 <mark>…</mark> 标出，可直接作为 HTML 插入'),
});
export type SearchHit = z.output<typeof SearchHit>;

export const SearchResult = z.object({
  total: z.number(),
  page: z.number().describe('实际返回的页码：请求的页码超过最后一页时为最后一页'),
  sort: z.enum(sortKeys),
  pageSize: z.number(),
  hits: z.array(SearchHit),
  facets: z.object({ field: Facet, category: Facet, city: Facet, district: Facet, certification: Facet }),
  understood: z.object({
    q: z.string().describe('实际搜索的词：纠正了错别字、展开了缩写、去掉了口语虚词'),
    corrections: z.array(z.object({ from: z.string(), to: z.string(), kind: z.enum(['slip', 'abbreviation']) })),
  }).optional().describe('只在搜索词被纠正或展开时出现；加 exact=1 按原词搜索'),
});
export type SearchResult = z.output<typeof SearchResult>;

export const SuggestQuery = z.object({
  q: z.preprocess((v) => v ?? '', z.string().trim().min(1, '请输入搜索词').max(50, '搜索词最多 50 个字符')),
});

export const Suggestion = z.object({
  text: z.string(),
  kind: z.enum(['product', 'vendor']),
  url: z.string(),
});
export type Suggestion = z.output<typeof Suggestion>;
export const SuggestResult = z.object({ suggestions: z.array(Suggestion) });

export const VendorCard = z.object({
  id: z.string(),
  name: z.string(),
  creditCode: z.string(),
  province: z.string(), city: z.string().nullable(), district: z.string().nullable(),
  fields: z.array(z.string()).describe('领域代码'),
  certifications: z.array(z.string()).describe('经核验且在有效期内的资质认证代码'),
  productCount: z.number().describe('推介清单中该企业的已发布产品数'),
});
export type VendorCard = z.output<typeof VendorCard>;
export const VendorSearchResult = z.object({
  total: z.number(),
  page: z.number().describe('实际返回的页码：请求的页码超过最后一页时为最后一页'),
  pageSize: z.number(),
  vendors: z.array(VendorCard),
});
export type VendorSearchResult = z.output<typeof VendorSearchResult>;
