/**
 * The public directory (推介清单): search with facets, a vendor page and a product page. Works without
 * JavaScript; public/js/directory.js only adds as-you-type suggestions.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { certificationName, fieldName } from '../taxonomy/index.js';
import { effectiveCertifications, freshnessOf } from '../suppliers/index.js';
import { AppError, badRequest, notFound } from '../web/errors.js';
import { formErrors, IdParams } from '../web/forms.js';
import { z } from 'zod';
import { badgesOf, categoryName, localityTierNames } from './document.js';
import { SearchQuery, sortKeys, sortNames, type SearchResult, type VendorSearchResult } from './schemas.js';
import { fieldIcon } from './icons.js';

const filterKeys = ['field', 'category', 'province', 'city', 'district', 'certification'] as const;
type FilterKey = (typeof filterKeys)[number];

const filterLabels: Record<FilterKey, string> = {
  field: '领域', category: '品类', province: '省份', city: '城市', district: '区县', certification: '资质认证',
};
const labelOf = (key: FilterKey, value: string) =>
  key === 'field' ? fieldName(value) : key === 'category' ? categoryName(value) : key === 'certification' ? certificationName(value) : value;

export const MAX_COMPARE = 4;
const idList = (max: number, tooMany: string) => z.preprocess(
  (v) => (v === '' || v === null ? undefined : v),
  z.string().max(200).optional()
    .transform((v) => [...new Set((v ?? '').split(',').map((s) => s.trim()).filter(Boolean))])
    .refine((ids) => ids.every((id) => /^[0-9a-f]{24}$/i.test(id)), '对比的产品编号有误，请从推介清单重新加入对比')
    .refine((ids) => ids.length <= max, tooMany),
);

/** The directory page's own choices beside the search API's: the tab, and the products put aside to compare. */
export const DirectoryQuery = SearchQuery.extend({
  tab: z.preprocess((v) => (v === '' || v === null ? undefined : v), z.enum(['products', 'vendors'], { error: '未知的标签页' }).default('products')),
  compare: idList(MAX_COMPARE, `最多同时对比 ${MAX_COMPARE} 个产品`),
});
type DirectoryQuery = z.output<typeof DirectoryQuery>;

export const CompareQuery = z.object({
  ids: idList(MAX_COMPARE, `最多同时对比 ${MAX_COMPARE} 个产品，请先移出一些`),
});

type Params = Partial<Record<FilterKey | 'q' | 'page' | 'exact' | 'sort' | 'tab' | 'compare', string | number | undefined>>;

function query(params: Params): string {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === '' || (k === 'page' && v === 1) || (k === 'sort' && v === 'relevance') || (k === 'tab' && v === 'products')) continue;
    qs.set(k, String(v));
  }
  return qs.toString();
}
function href(params: Params): string {
  const s = query(params);
  return s ? `/directory?${s}` : '/directory';
}
const compareHref = (ids: string[]) => `/directory/compare?ids=${ids.join(',')}`;

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

/** The public export with the same filters (it has no search words, sort or tab). */
function exportLinks(query: DirectoryQuery) {
  const qs = new URLSearchParams();
  for (const k of filterKeys) if (query[k]) qs.set(k, String(query[k]));
  const s = qs.toString();
  return {
    xlsx: `/api/v1/exports/suppliers.xlsx${s ? `?${s}` : ''}`,
    csv: `/api/v1/exports/suppliers.csv${s ? `?${s}` : ''}`,
    filtered: Boolean(s),
    withoutWords: Boolean(query.q),
  };
}

const tierName = (tier: number) => localityTierNames[tier] ?? '省外';

const directoryPages: FastifyPluginAsyncZod = async (app) => {
  const suppliers = app.suppliers;
  const policy = () => ({ days: app.config.FRESHNESS_DAYS, graceDays: app.config.FRESHNESS_GRACE_DAYS });

  app.get('/directory', { config: { access: 'public' }, schema: { querystring: DirectoryQuery }, attachValidation: true }, async (request, reply) => {
    const errors = formErrors(request);
    if (errors) throw badRequest(`筛选条件有误：${Object.values(errors).join('；')}。请返回推介清单重新选择。`);
    const query = request.query;
    const compare = query.compare;
    const base: Params = {
      q: query.q || undefined, exact: query.exact, sort: query.sort, tab: query.tab,
      compare: compare.length ? compare.join(',') : undefined,
      ...Object.fromEntries(filterKeys.map((k) => [k, query[k]])),
    };
    const vendorsTab = query.tab === 'vendors';
    let result: SearchResult | null = null;
    let vendorResult: VendorSearchResult | null = null;
    let unavailable = false;
    try {
      if (vendorsTab) vendorResult = await app.productSearch.searchVendors(query);
      else result = await app.productSearch.search(query);
    } catch (err) {
      if (err instanceof AppError) throw err;
      request.log.error({ err }, 'directory search failed');
      unavailable = true;
    }
    const active = filterKeys
      .filter((k) => query[k])
      .map((k) => ({ label: filterLabels[k], value: labelOf(k, String(query[k])), removeHref: href({ ...base, [k]: undefined, page: undefined }) }));
    const shown = result ?? vendorResult;
    const page = shown?.page ?? query.page;
    const compareFull = compare.length >= MAX_COMPARE;
    return reply.page('directory/index.hbs', {
      title: query.q ? `${query.q} · 推介清单` : '推介清单',
      q: query.q,
      active,
      clearHref: href({ q: query.q || undefined, tab: query.tab, sort: query.sort, compare: base.compare }),
      unavailable,
      tabs: [
        { label: '产品', href: href({ ...base, tab: 'products', page: undefined }), current: !vendorsTab },
        { label: '企业', href: href({ ...base, tab: 'vendors', page: undefined }), current: vendorsTab },
      ],
      tab: query.tab,
      sorts: sortKeys.map((key) => ({ value: key, label: sortNames[key], selected: key === query.sort })),
      exports: exportLinks(query),
      compare: compare.length ? {
        count: compare.length,
        max: MAX_COMPARE,
        href: compareHref(compare),
        clearHref: href({ ...base, compare: undefined }),
      } : null,
      summary: shown && shown.total ? {
        total: shown.total,
        from: (page - 1) * shown.pageSize + 1,
        to: Math.min(shown.total, page * shown.pageSize),
      } : null,
      pagination: shown ? pagination(shown.total, page, shown.pageSize, base) : null,
      result: result && {
        total: result.total,
        hits: result.hits.map((h) => {
          const inCompare = compare.includes(h.productId);
          return {
            ...h,
            stale: h.freshness === 'stale',
            location: [h.vendor.city, h.vendor.district].filter(Boolean).join(' '),
            url: `/directory/products/${h.productId}`,
            vendorUrl: `/directory/vendors/${h.vendor.id}`,
            imageUrl: h.image ? `/files/${h.image}` : null,
            iconUrl: `/public/img/fields/${fieldIcon(h.field)}.svg`,
            tierName: tierName(h.localityTier),
            inCompare,
            compareToggleHref: inCompare
              ? href({ ...base, compare: compare.filter((id) => id !== h.productId).join(',') || undefined })
              : compareFull ? null : href({ ...base, compare: [...compare, h.productId].join(',') }),
          };
        }),
        facets: facetGroups(result, base),
        // "已按“消防”搜索", with a link back to the words as typed.
        understood: result.understood && {
          corrections: result.understood.corrections,
          exactHref: href({ ...base, exact: '1', page: undefined }),
        },
      },
      vendorResult: vendorResult && {
        total: vendorResult.total,
        vendors: vendorResult.vendors.map((v) => ({
          ...v,
          url: `/directory/vendors/${v.id}`,
          location: [v.province, v.city, v.district].filter(Boolean).join(' '),
          fieldNames: v.fields.map(fieldName),
          certificationNames: v.certifications.map(certificationName),
          productsHref: href({ q: v.name, sort: query.sort }),
        })),
      },
      hiddenFilters: [
        ...filterKeys.filter((k) => query[k]).map((k) => ({ name: k, value: query[k] })),
        ...(vendorsTab ? [{ name: 'tab', value: 'vendors' }] : []),
        ...(compare.length ? [{ name: 'compare', value: compare.join(',') }] : []),
      ],
    });
  });

  app.get('/directory/compare', { config: { access: 'public' }, schema: { querystring: CompareQuery }, attachValidation: true }, async (request, reply) => {
    const errors = formErrors(request);
    if (errors) throw badRequest(`${Object.values(errors).join('；')}。`);
    const ids = request.query.ids;
    const now = app.clock();
    const found = await Promise.all(ids.map(async (id) => {
      const product = await suppliers.publishedProduct(id);
      const vendor = product ? await suppliers.listedVendor(String(product.vendor)) : null;
      return product && vendor ? { product, vendor } : null;
    }));
    const items = found.filter((x): x is NonNullable<typeof x> => x !== null);
    const columns = items.map(({ product, vendor }) => {
      const vendorCerts = effectiveCertifications(vendor.certifications ?? [], vendor.qualifications ?? [], now);
      const certs = [...new Set([...(product.certifications ?? []), ...vendorCerts])];
      const id = String(product._id);
      const specs = new Map((product.specs ?? []).map((sp) => [String(sp.key ?? ''), String(sp.value ?? '')]));
      return {
        id,
        name: product.name,
        model: product.model,
        url: `/directory/products/${id}`,
        vendorName: vendor.name,
        vendorUrl: `/directory/vendors/${String(vendor._id)}`,
        location: [vendor.province, vendor.city, vendor.district].filter(Boolean).join(' '),
        categoryName: categoryName(product.category),
        fieldName: fieldName(product.field),
        imageUrl: product.images?.length ? `/files/${String(product.images[0].fileId)}` : null,
        iconUrl: `/public/img/fields/${fieldIcon(product.field)}.svg`,
        priceMin: product.priceMin ?? null,
        priceMax: product.priceMax ?? null,
        capacityPerMonth: product.capacityPerMonth ?? null,
        leadTimeDays: product.leadTimeDays ?? null,
        energyGrade: product.energyGrade ?? null,
        certificationNames: certs.map(certificationName),
        badges: badgesOf(certs),
        specs,
        removeHref: ids.length > 1 ? compareHref(ids.filter((x) => x !== id)) : '/directory',
      };
    });
    // One row per spec name, in the order they first appear; a product without it shows —.
    const specKeys = [...new Set(columns.flatMap((c) => [...c.specs.keys()]))].filter(Boolean);
    return reply.page('directory/compare.hbs', {
      title: '产品对比',
      columns: columns.map(({ specs: _s, ...c }) => c),
      specRows: specKeys.map((key) => ({ key, values: columns.map((c) => c.specs.get(key) ?? '—') })),
      missing: ids.length - columns.length,
      backHref: href({ compare: ids.join(',') || undefined }),
      empty: columns.length === 0,
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
