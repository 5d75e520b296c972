/** JSON API of the supplier list: vendors and products through their lifecycles, history, review. */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { STAFF_ROLES, isStaff, requireUser, type CurrentUser } from '../accounts/index.js';
import { ObjectIdParam } from '../accounts/index.js';
import { notFound } from '../web/errors.js';
import { freshnessOf } from './freshness.js';
import { ProductInput, ReasonBody, VendorInput } from './schemas.js';
import { apiRoute } from '../web/api-route.js';

const IdParams = z.object({ id: ObjectIdParam });
const staff = STAFF_ROLES;

const VendorOut = z.object({
  id: z.string(), name: z.string(), creditCode: z.string(), province: z.string(),
  city: z.string().optional(), district: z.string().optional(), address: z.string().optional(),
  fields: z.array(z.string()), certifications: z.array(z.string()),
  contact: z.object({ name: z.string().optional(), phone: z.string().optional(), email: z.string().optional() }).optional(),
  description: z.string().optional(), website: z.string().optional(),
  qualifications: z.array(z.object({
    certification: z.string(), number: z.string().optional(), issuer: z.string().optional(),
    validFrom: z.string().optional(), expiresAt: z.string().optional(),
    scan: z.object({ fileId: z.string(), contentType: z.string().optional(), filename: z.string().optional() }).optional(),
    verifiedAt: z.string().optional(), verifiedBy: z.object({ id: z.string().optional(), name: z.string().optional() }).optional(),
  })),
  status: z.string(), reviewNote: z.string().optional(),
  confirmedAt: z.string().optional(), freshness: z.enum(['current', 'stale', 'hidden']),
  /** The company's own and staff only: reviewed changes waiting for an organizer. */
  pendingRevision: z.object({ changes: z.record(z.string(), z.unknown()), submittedBy: z.string().optional(), submittedAt: z.string().optional() }).optional(),
});
const ProductOut = z.object({
  id: z.string(), vendorId: z.string(), vendorCreditCode: z.string(), name: z.string(), model: z.string(),
  category: z.string(), field: z.string(), description: z.string().optional(), certifications: z.array(z.string()),
  energyGrade: z.number().optional(), priceMin: z.number().optional(), priceMax: z.number().optional(),
  capacityPerMonth: z.number().optional(), leadTimeDays: z.number().optional(),
  specs: z.array(z.object({ key: z.string(), value: z.string() })),
  status: z.string(), reviewNote: z.string().optional(),
  pendingRevision: z.object({ changes: z.record(z.string(), z.unknown()), submittedBy: z.string().optional(), submittedAt: z.string().optional() }).optional(),
});
const HistoryOut = z.object({
  entries: z.array(z.object({
    entity: z.string(), entityId: z.string(), action: z.string(), at: z.string(), note: z.string().optional(),
    actor: z.object({ id: z.string().optional(), name: z.string().optional() }),
    changes: z.array(z.object({ field: z.string(), before: z.unknown(), after: z.unknown() })),
  })),
});

/**
 * Mongo documents to the JSON shape: ids as strings, dates as ISO strings, absent values left out — except
 * inside recorded changes, where null means "cleared".
 */
function withoutNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutNulls);
  if (!value || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([, v]) => v !== null)
      .map(([k, v]) => [k, k === 'changes' ? v : withoutNulls(v)]),
  );
}
const toJson = (doc: object) => withoutNulls(JSON.parse(JSON.stringify(doc))) as Record<string, unknown>;
const vendorJson = (v: { _id: unknown } & object) => ({ ...toJson(v), id: String(v._id) }) as z.infer<typeof VendorOut>;
const productJson = (p: { _id: unknown; vendor: unknown } & object) => ({ ...toJson(p), id: String(p._id), vendorId: String(p.vendor) }) as z.infer<typeof ProductOut>;

const routes: FastifyPluginAsyncZod = async (app) => {
  const { Vendor, Product, ChangeLog } = app.models;
  const service = app.suppliers;
  const policy = { days: app.config.FRESHNESS_DAYS, graceDays: app.config.FRESHNESS_GRACE_DAYS };
  const route = apiRoute('供应商名录');

  // ---- vendors ----
  app.post('/api/v1/vendors', route(['vendor', ...staff], { summary: '登记企业（草稿）；供应商账号登记后即关联该企业', body: VendorInput, response: { 201: z.object({ id: z.string() }) } }), async (request, reply) => {
    const vendor = await service.createVendor(requireUser(request), request.body);
    return reply.code(201).send({ id: String(vendor._id) });
  });

  app.get('/api/v1/vendors/:id', route('public', { summary: '企业资料（已入库企业公开；其他仅本企业与主办方可见）', params: IdParams, response: { 200: z.object({ vendor: VendorOut }) } }), async (request) => {
    const { id } = request.params;
    const own = request.user && (isStaff(request.user) || request.user.vendorId === id);
    const vendor = await Vendor.findOne(own ? { _id: id } : { _id: id, status: 'approved' }).lean();
    if (!vendor) throw notFound('未找到该企业。');
    const json = vendorJson(vendor);
    // The public sees the approved profile; the proposal and the certificate scans are the company's and the reviewers'.
    if (!own) {
      delete json.pendingRevision;
      json.qualifications = json.qualifications.map(({ scan: _scan, ...q }) => q);
    }
    return { vendor: json };
  });

  app.put('/api/v1/vendors/:id', route(['vendor', ...staff], {
    summary: '修改企业资料（统一社会信用代码不可改）。已入库企业对名称、地区、网站、领域、认证和资质证书的修改由主办方审核后生效（pending: true）；联系人和简介立即生效',
    params: IdParams, body: VendorInput, response: { 200: z.object({ vendor: VendorOut, pending: z.boolean() }) },
  }), async (request) => {
    const result = await service.updateVendor(requireUser(request), request.params.id, request.body);
    return { vendor: vendorJson(result.vendor), pending: result.pending };
  });

  app.post('/api/v1/vendors/:id/revision/approve', route([...staff], { summary: '通过企业资料的待审核修改（其中的资质证书记为已核验）', params: IdParams, response: { 200: z.object({ vendor: VendorOut }) } }, { audit: 'vendor.revision.approve' }),
    async (request) => ({ vendor: vendorJson(await service.approveVendorRevision(requireUser(request), request.params.id)) }));

  app.post('/api/v1/vendors/:id/revision/reject', route([...staff], { summary: '退回企业资料的待审核修改（附原因）', params: IdParams, body: ReasonBody, response: { 200: z.object({ vendor: VendorOut }) } }, { audit: 'vendor.revision.reject' }),
    async (request) => ({ vendor: vendorJson(await service.rejectVendorRevision(requireUser(request), request.params.id, request.body.reason)) }));

  app.post('/api/v1/vendors/:id/submit', route(['vendor', ...staff], { summary: '提交企业审核', params: IdParams, response: { 200: z.object({ vendor: VendorOut }) } }),
    async (request) => ({ vendor: vendorJson(await service.submitVendor(requireUser(request), request.params.id)) }));

  app.post('/api/v1/vendors/:id/confirm', route(['vendor', ...staff], { summary: '确认企业与产品信息仍然有效（重新计算新鲜度）', params: IdParams, response: { 200: z.object({ vendor: VendorOut }) } }),
    async (request) => ({ vendor: vendorJson(await service.confirmListings(requireUser(request), request.params.id)) }));

  app.post('/api/v1/vendors/:id/approve', route([...staff], { summary: '审核通过（入库）或恢复已暂停的企业', params: IdParams, response: { 200: z.object({ vendor: VendorOut }) } }, { audit: 'vendor.approve' }),
    async (request) => ({ vendor: vendorJson(await service.approveVendor(requireUser(request), request.params.id)) }));

  for (const [action, summary] of [['reject', '退回企业（附原因）'], ['suspend', '暂停已入库企业（附原因）']] as const) {
    app.post(`/api/v1/vendors/:id/${action}`, route([...staff], { summary, params: IdParams, body: ReasonBody, response: { 200: z.object({ vendor: VendorOut }) } }, { audit: `vendor.${action}` }), async (request) => {
      const run = action === 'reject' ? service.rejectVendor : service.suspendVendor;
      return { vendor: vendorJson(await run(requireUser(request), request.params.id, request.body.reason)) };
    });
  }

  app.get('/api/v1/vendors/:id/history', route(['vendor', ...staff], { summary: '企业及其产品的全部变更记录', params: IdParams, response: { 200: HistoryOut } }), async (request) => {
    await service.managedVendor(requireUser(request), request.params.id);
    const entries = await ChangeLog.find({ vendor: request.params.id }).sort({ at: -1, _id: -1 }).limit(500).lean();
    return { entries: entries.map((e) => toJson(e)) as z.infer<typeof HistoryOut>['entries'] };
  });

  app.get('/api/v1/vendors/stale', route([...staff], {
    summary: '信息待更新的企业（超过确认周期），最久未确认的在前', response: { 200: z.object({ vendors: z.array(z.object({ id: z.string(), name: z.string(), creditCode: z.string(), confirmedAt: z.string().optional(), freshness: z.enum(['current', 'stale', 'hidden']), daysSinceConfirmed: z.number().nullable() })) }) },
  }), async () => {
    const now = app.clock();
    const cutoff = new Date(now.getTime() - policy.days * 86_400_000);
    const vendors = await Vendor.find({ status: 'approved', $or: [{ confirmedAt: { $lt: cutoff } }, { confirmedAt: null }] }).sort({ confirmedAt: 1 }).limit(1000).lean();
    return {
      vendors: vendors.map((v) => ({
        id: String(v._id), name: v.name, creditCode: v.creditCode, confirmedAt: v.confirmedAt?.toISOString(),
        freshness: freshnessOf(v.confirmedAt, now, policy),
        daysSinceConfirmed: v.confirmedAt ? Math.floor((now.getTime() - v.confirmedAt.getTime()) / 86_400_000) : null,
      })),
    };
  });

  // ---- products ----
  app.post('/api/v1/products', route(['vendor', ...staff], { summary: '新建产品（草稿）', body: ProductInput, response: { 201: z.object({ id: z.string() }) } }), async (request, reply) => {
    const product = await service.createProduct(requireUser(request), request.body);
    return reply.code(201).send({ id: String(product._id) });
  });

  app.get('/api/v1/products/:id', route('public', { summary: '产品详情（已发布产品公开；其他仅本企业与主办方可见）', params: IdParams, response: { 200: z.object({ product: ProductOut }) } }), async (request) => {
    const product = await Product.findById(request.params.id).lean();
    const own = product && request.user && (isStaff(request.user) || request.user.vendorId === String(product.vendor));
    const listed = product?.status === 'published' && (await Vendor.exists({ _id: product.vendor, status: 'approved' }));
    if (!product || (!own && !listed)) throw notFound('未找到该产品。');
    // The public sees the published values; a pending revision is for the owner and reviewers.
    const json = productJson(product);
    if (!own) delete json.pendingRevision;
    return { product: json };
  });

  app.put('/api/v1/products/:id', route(['vendor', ...staff], {
    summary: '修改产品；已发布产品的修改由主办方审核后生效（pending: true）', params: IdParams, body: ProductInput,
    response: { 200: z.object({ product: ProductOut, pending: z.boolean() }) },
  }), async (request) => {
    const result = await service.updateProduct(requireUser(request), request.params.id, request.body);
    return { product: productJson(result.product), pending: result.pending };
  });

  const productActions = [
    ['submit', '提交产品审核', ['vendor', ...staff], (u: CurrentUser, id: string) => service.submitProduct(u, id)],
    ['publish', '发布产品', [...staff], (u: CurrentUser, id: string) => service.publishProduct(u, id)],
    ['archive', '归档（下架）产品', ['vendor', ...staff], (u: CurrentUser, id: string) => service.archiveProduct(u, id)],
    ['restore', '恢复已归档产品为草稿', ['vendor', ...staff], (u: CurrentUser, id: string) => service.restoreProduct(u, id)],
    ['revision/approve', '通过待审核的修改', [...staff], (u: CurrentUser, id: string) => service.approveRevision(u, id)],
  ] as const;
  for (const [action, summary, roles, run] of productActions) {
    app.post(`/api/v1/products/:id/${action}`, route(roles, { summary, params: IdParams, response: { 200: z.object({ product: ProductOut }) } }, { audit: ({ publish: 'product.publish', 'revision/approve': 'product.revision.approve' } as Record<string, string>)[action] }),
      async (request) => ({ product: productJson(await run(requireUser(request), request.params.id)) }));
  }
  for (const [action, summary] of [['reject', '退回产品（附原因，回到草稿）'], ['revision/reject', '退回待审核的修改（附原因）']] as const) {
    app.post(`/api/v1/products/:id/${action}`, route([...staff], { summary, params: IdParams, body: ReasonBody, response: { 200: z.object({ product: ProductOut }) } }, { audit: `product.${action.replace('/', '.')}` }), async (request) => {
      const run = action === 'reject' ? service.rejectProduct : service.rejectRevision;
      return { product: productJson(await run(requireUser(request), request.params.id, request.body.reason)) };
    });
  }

  app.get('/api/v1/products/:id/history', route(['vendor', ...staff], { summary: '产品变更记录', params: IdParams, response: { 200: HistoryOut } }), async (request) => {
    await service.managedProduct(requireUser(request), request.params.id);
    const entries = await ChangeLog.find({ entity: 'product', entityId: request.params.id }).sort({ at: -1, _id: -1 }).limit(500).lean();
    return { entries: entries.map((e) => toJson(e)) as z.infer<typeof HistoryOut>['entries'] };
  });

  app.get('/api/v1/review', route([...staff], {
    summary: '审核队列：待审核企业、待审核产品、产品的待审核修改、企业资料的待审核修改', response: { 200: z.object({ vendors: z.array(VendorOut), products: z.array(ProductOut), revisions: z.array(ProductOut), vendorRevisions: z.array(VendorOut) }) },
  }), async () => {
    const [vendors, products, revisions, vendorRevisions] = await Promise.all([
      Vendor.find({ status: 'submitted' }).sort({ updatedAt: 1 }).limit(200).lean(),
      Product.find({ status: 'submitted' }).sort({ updatedAt: 1 }).limit(200).lean(),
      Product.find({ pendingRevision: { $exists: true } }).sort({ 'pendingRevision.submittedAt': 1 }).limit(200).lean(),
      Vendor.find({ pendingRevision: { $exists: true, $ne: null } }).sort({ 'pendingRevision.submittedAt': 1 }).limit(200).lean(),
    ]);
    return { vendors: vendors.map(vendorJson), products: products.map(productJson), revisions: revisions.map(productJson), vendorRevisions: vendorRevisions.map(vendorJson) };
  });
};
export default routes;
