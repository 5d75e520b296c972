/**
 * The public directory (推介清单): search with facets, a vendor page and a product page. Works without
 * JavaScript; public/js/directory.js only adds as-you-type suggestions.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { certificationName, fieldName } from '../taxonomy/index.js';
import { effectiveCertifications, freshnessOf } from '../suppliers/index.js';
import { AppError, badRequest, notFound } from '../web/errors.js';
import { formErrors, IdParams } from '../web/forms.js';
import { badgesOf, categoryName } from './document.js';
import { SearchQuery, type SearchResult } from './schemas.js';

const filterKeys = ['field', 'category', 'province', 'city', 'district', 'certification'] as const;
type FilterKey = (typeof filterKeys)[number];

const filterLabels: Record<FilterKey, string> = {
  field: '领域', category: '品类', province: '省份', city: '城市', district: '区县', certification: '资质认证',
};
const labelOf = (key: FilterKey, value: string) =>
  key === 'field' ? fieldName(value) : key === 'category' ? categoryName(value) : key === 'certification' ? certificationName(value) : value;

type Params = Partial<Record<FilterKey | 'q' | 'page' | 'exact', string | number | undefined>>;

function href(params: Params): string {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '' && !(k === 'page' && v === 1)) qs.set(k, String(v));
  const s = qs.toString();
  return s ? `/directory?${s}` : '/directory';
}

function pagination(total: number, page: number, pageSize: number, base: Params) {
  const pages = Math.max(1, Math.ceil(total / pageSize));
  if (pages <= 1) return null;
  const from = Math.max(1, page - 3);
  const to = Math.min(pages, from + 6);
  return {
    prev: page > 1 ? href({ ...base, page: page - 1 }) : null,
    next: page < pages ? href({ ...base, page: page + 1 }) : null,
    pages: Array.from({ length: to - from + 1 }, (_, i) => from + i).map((n) => ({ n, href: href({ ...base, page: n }), current: n === page })),
    last: pages,
  };
}

function facetGroups(result: SearchResult, base: Params) {
  const groups: Array<{ key: FilterKey; facet: keyof SearchResult['facets'] }> = [
    { key: 'field', facet: 'field' },
    { key: 'category', facet: 'category' },
    { key: 'city', facet: 'city' },
    { key: 'district', facet: 'district' },
    { key: 'certification', facet: 'certification' },
  ];
  return groups.map(({ key, facet }) => ({
    key,
    label: filterLabels[key],
    values: Object.entries(result.facets[facet])
      .sort((a, b) => b[1] - a[1])
      .map(([value, count]) => {
        const active = base[key] === value;
        // A facet link toggles its filter and goes back to the first page.
        return { label: labelOf(key, value), count, active, href: href({ ...base, [key]: active ? undefined : value, page: undefined }) };
      }),
  })).filter((g) => g.values.length);
}

const directoryPages: FastifyPluginAsyncZod = async (app) => {
  const suppliers = app.suppliers;
  const policy = () => ({ days: app.config.FRESHNESS_DAYS, graceDays: app.config.FRESHNESS_GRACE_DAYS });

  app.get('/directory', { config: { access: 'public' }, schema: { querystring: SearchQuery }, attachValidation: true }, async (request, reply) => {
    const errors = formErrors(request);
    if (errors) throw badRequest(`筛选条件有误：${Object.values(errors).join('；')}。请返回推介清单重新选择。`);
    const query = request.query;
    const base: Params = { q: query.q || undefined, exact: query.exact, ...Object.fromEntries(filterKeys.map((k) => [k, query[k]])) };
    let result: SearchResult | null = null;
    let unavailable = false;
    try {
      result = await app.productSearch.search(query);
    } catch (err) {
      if (err instanceof AppError) throw err;
      request.log.error({ err }, 'directory search failed');
      unavailable = true;
    }
    const active = filterKeys
      .filter((k) => query[k])
      .map((k) => ({ label: filterLabels[k], value: labelOf(k, String(query[k])), removeHref: href({ ...base, [k]: undefined, page: undefined }) }));
    return reply.page('directory/index.hbs', {
      title: query.q ? `${query.q} · 推介清单` : '推介清单',
      q: query.q,
      active,
      clearHref: query.q ? href({ q: query.q }) : '/directory',
      unavailable,
      result: result && {
        total: result.total,
        from: (query.page - 1) * query.pageSize + 1,
        to: Math.min(result.total, query.page * query.pageSize),
        hits: result.hits.map((h) => ({
          ...h,
          stale: h.freshness === 'stale',
          location: [h.vendor.city, h.vendor.district].filter(Boolean).join(' '),
          url: `/directory/products/${h.productId}`,
          vendorUrl: `/directory/vendors/${h.vendor.id}`,
        })),
        facets: facetGroups(result, base),
        // "已按“消防”搜索", with a link back to the words as typed.
        understood: result.understood && {
          corrections: result.understood.corrections,
          exactHref: href({ ...base, exact: '1', page: undefined }),
        },
        pagination: pagination(result.total, query.page, query.pageSize, base),
      },
      hiddenFilters: filterKeys.filter((k) => query[k]).map((k) => ({ name: k, value: query[k] })),
    });
  });

  async function publicVendor(id: string) {
    const vendor = await suppliers.listedVendor(id);
    if (!vendor) throw notFound('该企业不存在或尚未入库。');
    const now = app.clock();
    const certifications = effectiveCertifications(vendor.certifications ?? [], vendor.qualifications ?? [], now);
    const freshness = vendor.freshness === 'current' ? freshnessOf(vendor.confirmedAt, now, policy()) : vendor.freshness;
    return {
      ...vendor,
      id: String(vendor._id),
      url: `/directory/vendors/${String(vendor._id)}`,
      logoUrl: vendor.logo ? `/files/${String(vendor.logo.fileId)}` : undefined,
      certificationNames: certifications.map(certificationName),
      certifications,
      fieldNames: (vendor.fields ?? []).map(fieldName),
      stale: freshness !== 'current',
      location: [vendor.province, vendor.city, vendor.district].filter(Boolean).join(' '),
    };
  }

  app.get('/directory/vendors/:id', { config: { access: 'public' }, schema: { params: IdParams } }, async (request, reply) => {
    const vendor = await publicVendor(request.params.id);
    const products = await suppliers.publishedProducts(vendor._id);
    return reply.page('directory/vendor.hbs', {
      title: vendor.name,
      vendor,
      products: products.map((p) => ({
        id: String(p._id),
        name: p.name,
        model: p.model,
        categoryName: categoryName(p.category),
        badges: badgesOf([...(p.certifications ?? []), ...vendor.certifications]),
        priceMin: p.priceMin,
        priceMax: p.priceMax,
      })),
    });
  });

  app.get('/directory/products/:id', { config: { access: 'public' }, schema: { params: IdParams } }, async (request, reply) => {
    const product = await suppliers.publishedProduct(request.params.id);
    if (!product) throw notFound('该产品不存在或尚未发布。');
    const vendor = await publicVendor(String(product.vendor)).catch(() => {
      throw notFound('该产品不存在或尚未发布。');
    });
    const certs = [...new Set([...(product.certifications ?? []), ...vendor.certifications])];
    return reply.page('directory/product.hbs', {
      title: product.name,
      product: {
        ...product,
        categoryName: categoryName(product.category),
        fieldName: fieldName(product.field),
        certificationNames: certs.map(certificationName),
        badges: badgesOf(certs),
        specs: product.specs ?? [],
      },
      vendor,
      categoryHref: href({ category: product.category }),
    });
  });
};
export default directoryPages;
