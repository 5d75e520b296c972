/**
 * The vendor's workbench: the company, its freshness, what needs attention, and the product listings,
 * with forms that show their errors next to the field. Everything goes through the supplier service.
 */
import fastifyMultipart from '@fastify/multipart';
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { certificationName } from '../taxonomy/index.js';
import { AppError, notFound } from '../web/errors.js';
import { errorsFrom, parseForm, type FieldErrors } from '../web/forms.js';
import { effectiveCertifications, freshnessDeadlines, freshnessOf, type FreshnessPolicy } from './freshness.js';
import {
  categoryName, displayValue, fieldLabel, historyView, isoDay, productFormInput, productFormView, revisionDiff, vendorFormInput, vendorFormView,
} from './pages-forms.js';
import { ProductInput, VendorInput } from './schemas.js';
import { statusNames } from './service.js';
import { changeProductImages, MAX_IMAGE_BYTES, readImageUpload, storeImage } from './pages-files.js';
import { removeFiles } from './files.js';
import { requireUser } from '../accounts/index.js';

const DAY = 86_400_000;
const OBJECT_ID = /^[0-9a-f]{24}$/i;

export const freshnessNames = { current: '信息有效', stale: '待更新', hidden: '已暂停展示' } as const;

export function policyOf(app: FastifyInstance): FreshnessPolicy {
  return { days: app.config.FRESHNESS_DAYS, graceDays: app.config.FRESHNESS_GRACE_DAYS };
}

/** A service error as an HTTP status plus inline field errors. */
export function serviceFailure(err: unknown): { status: number; errors: FieldErrors } {
  const errors = errorsFrom(err);
  return { status: (err as AppError).statusCode, errors };
}

export function productId(params: unknown): string {
  const id = (params as { id?: string }).id ?? '';
  if (!OBJECT_ID.test(id)) throw notFound('未找到该产品。');
  return id;
}

/** The product's status as the vendor should read it: a rejected submission is back to draft, with a note. */
function productStatusName(p: { status: string; reviewNote?: string | null; pendingRevision?: unknown }) {
  if (p.status === 'draft' && p.reviewNote) return '已退回';
  if (p.status === 'published' && p.pendingRevision) return '已发布（修改待审核）';
  return statusNames[p.status] ?? p.status;
}

const vendorPages: FastifyPluginAsync = async (app) => {
  const { Vendor, Product, ChangeLog } = app.models;
  const suppliers = app.suppliers;

  async function ownVendor(request: FastifyRequest) {
    const id = requireUser(request).vendorId;
    return id ? Vendor.findById(id).lean() : null;
  }

  function freshnessPanel(vendor: { status: string; confirmedAt?: Date | null }) {
    const now = app.clock();
    const policy = policyOf(app);
    if (!vendor.confirmedAt) {
      return { unstarted: true, policyDays: policy.days };
    }
    const state = freshnessOf(vendor.confirmedAt, now, policy);
    const { staleAt, hiddenAt } = freshnessDeadlines(vendor.confirmedAt, policy);
    return {
      state,
      stateName: freshnessNames[state],
      isStale: state === 'stale',
      isHidden: state === 'hidden',
      confirmedAt: vendor.confirmedAt,
      dueAt: staleAt,
      hiddenAt,
      daysLeft: Math.max(0, Math.ceil((staleAt.getTime() - now.getTime()) / DAY)),
      policyDays: policy.days,
      graceDays: policy.graceDays,
    };
  }

  async function renderDashboard(request: FastifyRequest, reply: FastifyReply, registerForm?: { values: Record<string, unknown>; errors: FieldErrors; status: number }) {
    const vendor = await ownVendor(request);
    if (!vendor) {
      const view = vendorFormView(registerForm?.values ?? {}, registerForm?.errors ?? {});
      return reply.code(registerForm?.status ?? 200).page('suppliers/vendor-profile.hbs', { title: '登记企业', register: true, action: '/vendor/register', ...view });
    }
    const now = app.clock();
    const products = await Product.find({ vendor: vendor._id }).sort({ updatedAt: -1 }).lean();
    const freshness = freshnessPanel(vendor);
    const reminders: Array<{ kind: string; text: string; href?: string }> = [];
    if (vendor.status === 'draft') reminders.push({ kind: 'info', text: '企业资料尚未提交审核，提交并通过审核后产品才能对外展示。' });
    if (freshness.isStale) reminders.push({ kind: 'warn', text: `企业信息已超过 ${freshness.policyDays} 天未确认，产品在推介清单中标记为“待更新”并排序靠后。请核对后点击“确认信息有效”。` });
    if (freshness.isHidden) reminders.push({ kind: 'error', text: '企业信息长期未确认，产品已暂停在推介清单中展示。请核对后点击“确认信息有效”。' });
    if (vendor.pendingRevision) reminders.push({ kind: 'info', text: '企业资料的修改正在等待主办方审核，通过前推介清单仍显示原资料。', href: '/vendor/profile' });
    else if (vendor.status === 'approved' && vendor.reviewNote) reminders.push({ kind: 'warn', text: `企业资料的修改未通过审核：${vendor.reviewNote}`, href: '/vendor/profile' });
    for (const q of vendor.qualifications ?? []) {
      if (!q.expiresAt) continue;
      const label = `${certificationName(q.certification)}${q.number ? `（${q.number}）` : ''}`;
      if (q.expiresAt.getTime() < now.getTime()) {
        reminders.push({ kind: 'error', text: `资质证书 ${label} 已于 ${isoDay(q.expiresAt)} 过期，不再计入认证，请更新证书信息。`, href: '/vendor/profile' });
      } else if (q.expiresAt.getTime() - now.getTime() <= 30 * DAY) {
        reminders.push({ kind: 'warn', text: `资质证书 ${label} 将于 ${isoDay(q.expiresAt)} 到期。`, href: '/vendor/profile' });
      }
    }
    for (const p of products) {
      const href = `/vendor/products/${String(p._id)}/edit`;
      if (p.status === 'draft' && p.reviewNote) reminders.push({ kind: 'error', text: `产品“${p.name}”被退回：${p.reviewNote}。修改后请重新提交审核。`, href });
      else if (p.pendingRevision) reminders.push({ kind: 'info', text: `产品“${p.name}”的修改正在等待主办方审核。`, href });
      else if (p.status === 'published' && p.reviewNote) reminders.push({ kind: 'warn', text: `产品“${p.name}”的修改未通过审核：${p.reviewNote}`, href });
    }
    const effective = effectiveCertifications(vendor.certifications ?? [], vendor.qualifications ?? [], now);
    return reply.page('dashboards/vendor.hbs', {
      title: '我的企业',
      vendor: {
        ...vendor,
        id: String(vendor._id),
        statusName: statusNames[vendor.status] ?? vendor.status,
        contactText: displayValue('contact', vendor.contact),
        isRejected: vendor.status === 'rejected',
        isSuspended: vendor.status === 'suspended',
        isSubmitted: vendor.status === 'submitted',
        canSubmit: vendor.status === 'draft' || vendor.status === 'rejected',
        certificationNames: effective.map(certificationName),
        expiredCertificationNames: (vendor.certifications ?? []).filter((c) => !effective.includes(c)).map(certificationName),
      },
      freshness,
      reminders,
      products: products.map((p) => ({
        id: String(p._id),
        name: p.name,
        model: p.model,
        category: categoryName(p.category),
        status: p.status,
        statusName: productStatusName(p),
        reviewNote: p.reviewNote,
        priceMin: p.priceMin,
        priceMax: p.priceMax,
        canSubmit: p.status === 'draft',
        canArchive: ['draft', 'submitted', 'published'].includes(p.status),
        canRestore: p.status === 'archived',
      })),
    });
  }

  app.get('/vendor', { config: { access: ['vendor'] } }, async (request, reply) => renderDashboard(request, reply));

  app.post('/vendor/register', { config: { access: ['vendor'] } }, async (request, reply) => {
    const input = vendorFormInput(request.body);
    const form = parseForm(VendorInput, input);
    if (!form.ok) return renderDashboard(request, reply, { values: input, errors: form.errors, status: 400 });
    try {
      await suppliers.createVendor(requireUser(request), form.data);
    } catch (err) {
      const failure = serviceFailure(err);
      return renderDashboard(request, reply, { values: input, ...failure });
    }
    request.flash('success', '企业已登记为草稿。请完善资料后提交审核。');
    return reply.redirect('/vendor', 303);
  });

  /** The company actions: each a small form posting here. */
  const vendorAction = (path: string, run: (request: FastifyRequest, vendorId: string) => Promise<unknown>, done: string) =>
    app.post(path, { config: { access: ['vendor'] } }, async (request, reply) => {
      const vendorId = requireUser(request).vendorId;
      if (!vendorId) return reply.redirect('/vendor', 303);
      try {
        await run(request, vendorId);
        request.flash('success', done);
      } catch (err) {
        if (!(err instanceof AppError) || err.statusCode >= 500 || err.statusCode === 404) throw err;
        request.flash('error', err.message);
      }
      return reply.redirect('/vendor', 303);
    });
  vendorAction('/vendor/submit', (request, id) => suppliers.submitVendor(requireUser(request), id), '企业资料已提交，请等待主办方审核。');
  vendorAction('/vendor/confirm', (request, id) => suppliers.confirmListings(requireUser(request), id), '已确认企业与产品信息有效。');

  type ProfileVendor = { _id: unknown; creditCode: string; name: string; status: string; logo?: { fileId: unknown } | null; pendingRevision?: { changes?: unknown; submittedBy?: string | null; submittedAt?: Date | null } | null };

  /** What the company form starts from: the record, with a pending revision's proposals over it. */
  const profileValues = (vendor: ProfileVendor) =>
    ({ ...(vendor as unknown as Record<string, unknown>), ...((vendor.pendingRevision?.changes ?? {}) as Record<string, unknown>) });

  async function renderProfile(request: FastifyRequest, reply: FastifyReply, vendor: ProfileVendor, values: Record<string, unknown>, errors: FieldErrors = {}, status = 200, logoError?: string) {
    const files = await app.conn.db!.collection('uploads.files')
      .find({ 'metadata.vendor': vendor._id, 'metadata.kind': 'evidence' }, { projection: { filename: 1, uploadDate: 1 } }).sort({ uploadDate: -1 }).limit(200).toArray();
    const evidence = files.map((f) => ({ id: String(f._id), filename: String(f.filename), uploadedAt: f.uploadDate as Date }));
    const csrf = encodeURIComponent(await reply.generateCsrf());
    const pending = vendor.pendingRevision;
    return reply.code(status).page('suppliers/vendor-profile.hbs', {
      title: '编辑企业资料',
      action: '/vendor/profile',
      vendorName: vendor.name,
      logoUrl: vendor.logo ? `/files/${String(vendor.logo.fileId)}` : undefined,
      logoAction: `/vendor/logo?_csrf=${csrf}`,
      evidenceAction: `/vendor/evidence?_csrf=${csrf}`,
      evidenceFiles: evidence,
      logoError,
      reviewedNotice: vendor.status === 'approved' || vendor.status === 'suspended',
      pendingRevision: pending ? { submittedBy: pending.submittedBy, submittedAt: pending.submittedAt, fields: Object.keys((pending.changes ?? {}) as object).map(fieldLabel).join('、') } : undefined,
      ...vendorFormView({ ...values, creditCode: vendor.creditCode }, errors, evidence),
    });
  }

  app.get('/vendor/profile', { config: { access: ['vendor'] } }, async (request, reply) => {
    const vendor = await ownVendor(request);
    if (!vendor) return reply.redirect('/vendor', 303);
    return renderProfile(request, reply, vendor, profileValues(vendor));
  });

  app.post('/vendor/profile', { config: { access: ['vendor'] } }, async (request, reply) => {
    const vendor = await ownVendor(request);
    if (!vendor) return reply.redirect('/vendor', 303);
    const input = vendorFormInput(request.body, vendor.creditCode);
    const form = parseForm(VendorInput, input);
    if (!form.ok) return renderProfile(request, reply, vendor, input, form.errors, 400);
    let pending = false;
    try {
      ({ pending } = await suppliers.updateVendor(requireUser(request), String(vendor._id), form.data));
    } catch (err) {
      const failure = serviceFailure(err);
      return renderProfile(request, reply, vendor, input, failure.errors, failure.status);
    }
    request.flash('success', pending ? '企业资料已保存。名称、地区、网站、领域、认证和资质证书的修改已提交主办方审核，通过后在推介清单中生效。' : '企业资料已保存。');
    return reply.redirect('/vendor', 303);
  });

  app.get('/vendor/history', { config: { access: ['vendor'] } }, async (request, reply) => {
    const vendor = await ownVendor(request);
    if (!vendor) return reply.redirect('/vendor', 303);
    return reply.page('suppliers/history.hbs', { title: '变更记录', heading: `${vendor.name} · 变更记录`, back: '/vendor', entries: await vendorHistory(app, vendor._id) });
  });

  // Products.
  async function renderProductForm(request: FastifyRequest, reply: FastifyReply, opts: {
    product?: Awaited<ReturnType<typeof suppliers.managedProduct>>;
    values: Record<string, unknown>;
    errors?: FieldErrors;
    status?: number;
    imageError?: string;
  }) {
    const p = opts.product;
    const revision = p?.pendingRevision as { changes: Record<string, unknown>; submittedAt?: Date; submittedBy?: string } | undefined;
    const plain = p ? (p.toObject() as unknown as Record<string, unknown>) : undefined;
    const pendingImages = revision?.changes.images as Array<{ fileId: unknown }> | undefined;
    const images = (pendingImages ?? p?.images ?? []).map((img) => ({ id: String(img.fileId) }));
    return reply.code(opts.status ?? 200).page('suppliers/product-form.hbs', {
      title: p ? `编辑产品 · ${p.name}` : '新增产品',
      product: p && {
        id: String(p._id),
        name: p.name,
        statusName: productStatusName(p),
        isPublished: p.status === 'published',
        reviewNote: p.reviewNote,
        canSubmit: p.status === 'draft',
      },
      action: p ? `/vendor/products/${String(p._id)}` : '/vendor/products',
      revision: revision && plain && {
        submittedAt: revision.submittedAt,
        diff: revisionDiff(plain, revision.changes),
      },
      images,
      // Multipart bodies are read after the CSRF check, so the upload form carries its token in the URL.
      uploadAction: p ? `/vendor/products/${String(p._id)}/images?_csrf=${encodeURIComponent(await reply.generateCsrf())}` : undefined,
      imagesPending: Boolean(pendingImages),
      imageError: opts.imageError,
      ...productFormView(opts.values, opts.errors ?? {}),
    });
  }

  /** What the form should start from: the published values, with the vendor's pending revision over them. */
  function productValues(product: Awaited<ReturnType<typeof suppliers.managedProduct>>): Record<string, unknown> {
    const values = product.toObject() as unknown as Record<string, unknown>;
    const revision = product.pendingRevision as { changes?: Record<string, unknown> } | undefined;
    return { ...values, ...(revision?.changes ?? {}) };
  }

  app.get('/vendor/products/new', { config: { access: ['vendor'] } }, async (request, reply) => {
    const vendor = await ownVendor(request);
    if (!vendor) return reply.redirect('/vendor', 303);
    return renderProductForm(request, reply, { values: {} });
  });

  app.post('/vendor/products', { config: { access: ['vendor'] } }, async (request, reply) => {
    const vendor = await ownVendor(request);
    if (!vendor) return reply.redirect('/vendor', 303);
    const input = productFormInput(request.body, vendor.creditCode);
    const form = parseForm(ProductInput, input);
    if (!form.ok) return renderProductForm(request, reply, { values: input, errors: form.errors, status: 400 });
    let created;
    try {
      created = await suppliers.createProduct(requireUser(request), form.data);
    } catch (err) {
      const failure = serviceFailure(err);
      return renderProductForm(request, reply, { values: input, errors: failure.errors, status: failure.status });
    }
    request.flash('success', `产品“${created.name}”已保存为草稿，可上传图片后提交审核。`);
    return reply.redirect(`/vendor/products/${String(created._id)}/edit`, 303);
  });

  app.get('/vendor/products/:id/edit', { config: { access: ['vendor'] } }, async (request, reply) => {
    const product = await suppliers.managedProduct(requireUser(request), productId(request.params));
    return renderProductForm(request, reply, { product, values: productValues(product) });
  });

  app.post('/vendor/products/:id', { config: { access: ['vendor'] } }, async (request, reply) => {
    const product = await suppliers.managedProduct(requireUser(request), productId(request.params));
    const input = productFormInput(request.body, product.vendorCreditCode);
    const form = parseForm(ProductInput, input);
    if (!form.ok) return renderProductForm(request, reply, { product, values: input, errors: form.errors, status: 400 });
    let result;
    try {
      result = await suppliers.updateProduct(requireUser(request), String(product._id), form.data);
    } catch (err) {
      const failure = serviceFailure(err);
      return renderProductForm(request, reply, { product, values: input, errors: failure.errors, status: failure.status });
    }
    request.flash('success', result.pending ? '修改已提交，将在主办方审核后生效。' : '产品已保存。');
    return reply.redirect(`/vendor/products/${String(product._id)}/edit`, 303);
  });

  const productAction = (action: 'submit' | 'archive' | 'restore', done: string) =>
    app.post(`/vendor/products/:id/${action}`, { config: { access: ['vendor'] } }, async (request, reply) => {
      const id = productId(request.params);
      const run = { submit: suppliers.submitProduct, archive: suppliers.archiveProduct, restore: suppliers.restoreProduct }[action];
      try {
        const product = await run(requireUser(request), id);
        request.flash('success', `产品“${product.name}”${done}`);
      } catch (err) {
        if (!(err instanceof AppError) || err.statusCode >= 500 || err.statusCode === 404) throw err;
        request.flash('error', err.message);
      }
      return reply.redirect('/vendor', 303);
    });
  productAction('submit', '已提交审核。');
  productAction('archive', '已归档，不再对外展示。');
  productAction('restore', '已恢复为草稿。');

  app.get('/vendor/products/:id/history', { config: { access: ['vendor'] } }, async (request, reply) => {
    const product = await suppliers.managedProduct(requireUser(request), productId(request.params));
    const entries = await ChangeLog.find({ entity: 'product', entityId: product._id }).sort({ at: -1, _id: -1 }).limit(500).lean();
    return reply.page('suppliers/history.hbs', {
      title: `变更记录 · ${product.name}`,
      heading: `${product.name}（${product.model}）· 变更记录`,
      back: `/vendor/products/${String(product._id)}/edit`,
      entries: entries.map(historyView),
    });
  });

  // Image uploads: multipart, so scoped to this one plugin. The body is not parsed before the CSRF check
  // (preValidation), so the form carries its token in the query string and this hook hands it over.
  await app.register(async (uploads) => {
    if (!uploads.hasContentTypeParser('multipart/form-data')) {
      await uploads.register(fastifyMultipart, { limits: { fileSize: MAX_IMAGE_BYTES, files: 1, fields: 2, parts: 3 } });
    }
    uploads.addHook('preValidation', async (request) => {
      const token = (request.query as Record<string, unknown> | undefined)?._csrf;
      if (request.body == null && typeof token === 'string') request.body = { _csrf: token };
    });

    uploads.post('/vendor/products/:id/images', { config: { access: ['vendor'] } }, async (request, reply) => {
      const product = await suppliers.managedProduct(requireUser(request), productId(request.params));
      const fail = (status: number, imageError: string) =>
        renderProductForm(request, reply, { product, values: productValues(product), imageError, status });
      const upload = await readImageUpload(request);
      if (!upload.ok) return fail(upload.status, upload.message);
      const stored = await storeImage(app, upload.buf, { vendor: product.vendor, uploadedBy: requireUser(request).id, filename: upload.filename });
      if (!stored.ok) return fail(stored.status, stored.message);
      const { fileId, type } = stored;
      let result;
      try {
        result = await changeProductImages(app, requireUser(request), String(product._id), (images) => [...images, { fileId, contentType: type }]);
      } catch (err) {
        await removeFiles(app, [fileId]);
        const failure = serviceFailure(err);
        return fail(failure.status, failure.errors._form ?? '上传失败。');
      }
      request.flash('success', result.pending ? '图片已上传，将在主办方审核后展示。' : '图片已上传。');
      return reply.redirect(`/vendor/products/${String(product._id)}/edit`, 303);
    });

    // The company logo: same checks as product images; it shows at once (it is the vendor's own mark).
    uploads.post('/vendor/logo', { config: { access: ['vendor'] } }, async (request, reply) => {
      const vendor = await ownVendor(request);
      if (!vendor) return reply.redirect('/vendor', 303);
      const fail = (status: number, message: string) =>
        renderProfile(request, reply, vendor, vendor as unknown as Record<string, unknown>, {}, status, message);
      const upload = await readImageUpload(request);
      if (!upload.ok) return fail(upload.status, upload.message);
      const stored = await storeImage(app, upload.buf, { vendor: vendor._id, uploadedBy: requireUser(request).id, filename: upload.filename });
      if (!stored.ok) return fail(stored.status, stored.message);
      try {
        await suppliers.setVendorLogo(requireUser(request), String(vendor._id), { fileId: stored.fileId, contentType: stored.type });
      } catch (err) {
        await removeFiles(app, [stored.fileId]);
        throw err;
      }
      request.flash('success', '企业标志已更新。');
      return reply.redirect('/vendor/profile', 303);
    });
  });

  app.post('/vendor/logo/delete', { config: { access: ['vendor'] } }, async (request, reply) => {
    const vendor = await ownVendor(request);
    if (!vendor) return reply.redirect('/vendor', 303);
    await suppliers.setVendorLogo(requireUser(request), String(vendor._id), undefined);
    request.flash('success', '企业标志已删除。');
    return reply.redirect('/vendor/profile', 303);
  });

  app.post('/vendor/products/:id/images/:fileId/delete', { config: { access: ['vendor'] } }, async (request, reply) => {
    const id = productId(request.params);
    const fileId = (request.params as { fileId?: string }).fileId ?? '';
    const result = await changeProductImages(app, requireUser(request), id, (images) => images.filter((i) => String(i.fileId) !== fileId));
    request.flash('success', result.pending ? '删除图片的修改将在主办方审核后生效。' : '图片已删除。');
    return reply.redirect(`/vendor/products/${id}/edit`, 303);
  });
};

/** A vendor's whole history, newest first, each entry naming the product it concerns. */
export async function vendorHistory(app: FastifyInstance, vendorId: unknown) {
  const { ChangeLog, Product } = app.models;
  const entries = await ChangeLog.find({ vendor: vendorId }).sort({ at: -1, _id: -1 }).limit(1000).lean();
  const productIds = [...new Set(entries.filter((e) => e.entity === 'product').map((e) => String(e.entityId)))];
  const products = await Product.find({ _id: { $in: productIds } }, { name: 1, model: 1 }).lean();
  const names = new Map(products.map((p) => [String(p._id), `${p.name}（${p.model}）`]));
  return entries.map((e) => ({
    ...historyView(e),
    subject: e.entity === 'vendor' ? '企业' : `产品 ${names.get(String(e.entityId)) ?? ''}`,
  }));
}

export default vendorPages;
