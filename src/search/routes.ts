import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { unavailableAs503 } from '../infra/meili.js';
import { SearchQuery, SearchResult, SuggestQuery, SuggestResult, VendorSearchResult } from './schemas.js';
import { apiRoute } from '../web/api-route.js';

const route = apiRoute('搜索');

/** The public search API (docs/api.md): published listings of approved vendors whose listings are not hidden. */
const searchRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get('/api/v1/search', {
    ...route('public', {
      summary: '搜索推介清单中的产品（中文分词、同义词、拼音、容错），返回分面统计与高亮',
      description: '只返回已入库供应商的已发布产品；超期未确认信息的供应商排序靠后，超过宽限期的不再出现。',
      querystring: SearchQuery,
      response: { 200: SearchResult },
    }),
    // The busiest route: its answer is built field by field as a typed SearchResult (service.ts), so it is
    // written as it is, without zod walking every hit again (that was half of the serialising).
    serializerCompiler: () => (data: unknown) => JSON.stringify(data),
  }, async (request) => unavailableAs503(() => app.productSearch.search(request.query), '搜索服务'));

  app.get('/api/v1/search/vendors', route('public', {
    summary: '搜索推介清单中的企业：每家已入库企业一条（名称、地区、领域、已核验认证、产品数）',
    description: '与 /api/v1/search 同样的参数；按企业名称（含拼音、首字母）、统一社会信用代码、产品名称或型号查找。只列出有已发布产品的企业。',
    querystring: SearchQuery,
    response: { 200: VendorSearchResult },
  }), async (request) => unavailableAs503(() => app.productSearch.searchVendors(request.query), '搜索服务'));

  app.get('/api/v1/search/suggest', route('public', {
    summary: '输入联想：产品名与企业名（支持全拼与拼音首字母，如 hkws），最多 8 条',
    querystring: SuggestQuery,
    response: { 200: SuggestResult },
  }), async (request) => ({ suggestions: await unavailableAs503(() => app.productSearch.suggest(request.query.q), '搜索服务') }));
};
export default searchRoutes;
