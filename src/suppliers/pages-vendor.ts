/**
 * The vendor's workbench: the company, its freshness, what needs attention, and its profile, with forms
 * that show their errors next to the field. The product pages are in pages-products.ts. Everything goes
 * through the supplier service.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Config } from '../config.js';
import { certificationName } from '../taxonomy/index.js';
import { AppError } from '../web/errors.js';
import { formErrors, serviceFailure, type FieldErrors } from '../web/forms.js';
import { effectiveCertifications, freshnessDeadlines, freshnessOf, type FreshnessPolicy } from './freshness.js';
import {
  categoryName, displayValue, fieldLabel, historyView, isoDay, productStatusName, vendorFormInput, vendorFormView,
  VendorProfileForm, VendorRegisterForm,
} from './pages-forms.js';
import { statusNames, type SupplierService } from './service.js';
import { readImageUpload, storeImage, withImageUploads } from './pages-files.js';
import { removeFiles } from './files.js';
import { requireUser } from '../accounts/index.js';

const DAY = 86_400_000;

export const freshnessNames = { current: '信息有效', stale: '待更新', hidden: '已暂停展示' } as const;

export function policyOf(config: Pick<Config, 'FRESHNESS_DAYS' | 'FRESHNESS_GRACE_DAYS'>): FreshnessPolicy {
  return { days: config.FRESHNESS_DAYS, graceDays: config.FRESHNESS_GRACE_DAYS };
}

/** The freshness panel of the workbench: where the company stands and when it must confirm next. */
export function freshnessPanel(vendor: { confirmedAt?: Date | null }, now: Date, policy: FreshnessPolicy) {
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

type WorkbenchVendor = NonNullable<Awaited<ReturnType<SupplierService['vendorOf']>>>;
type WorkbenchProduct = Awaited<ReturnType<SupplierService['vendorProducts']>>[number];

/** What needs the vendor's attention, most pressing kinds first in each group. */
export function vendorReminders(vendor: WorkbenchVendor, products: WorkbenchProduct[], freshness: ReturnType<typeof freshnessPanel>, now: Date) {
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
  return reminders;
}

/** View model of the workbench (dashboards/vendor.hbs). */
export function workbenchView(vendor: WorkbenchVendor, products: WorkbenchProduct[], now: Date, policy: FreshnessPolicy) {
  const freshness = freshnessPanel(vendor, now, policy);
  const effective = effectiveCertifications(vendor.certifications ?? [], vendor.qualifications ?? [], now);
  return {
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
    reminders: vendorReminders(vendor, products, freshness, now),
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
  };
}

/** A company's change log as the history page lists it: each entry names the product it concerns. */
export async function vendorHistory(suppliers: SupplierService, vendorId: unknown) {
  const entries = await suppliers.vendorHistory(String(vendorId));
  return entries.map(({ entry, productName }) => ({
    ...historyView(entry),
    subject: productName === undefined ? '企业' : `产品 ${productName}`,
  }));
}

type ProfileVendor = { _id: unknown; creditCode: string; name: string; status: string; logo?: { fileId: unknown } | null; pendingRevision?: { changes?: unknown; submittedBy?: string | null; submittedAt?: Date | null } | null };

/** What the company form starts from: the record, with a pending revision's proposals over it. */
const profileValues = (vendor: ProfileVendor) =>
  ({ ...(vendor as unknown as Record<string, unknown>), ...((vendor.pendingRevision?.changes ?? {}) as Record<string, unknown>) });

const vendorPages: FastifyPluginAsyncZod = async (app) => {
  const suppliers = app.suppliers;
  const ownVendor = (request: FastifyRequest) => suppliers.vendorOf(requireUser(request));

  async function renderDashboard(request: FastifyRequest, reply: FastifyReply, registerForm?: { values: Record<string, unknown>; errors: FieldErrors; status: number }) {
    const vendor = await ownVendor(request);
    if (!vendor) {
      const view = vendorFormView(registerForm?.values ?? {}, registerForm?.errors ?? {});
      return reply.code(registerForm?.status ?? 200).page('suppliers/vendor-profile.hbs', { title: '登记企业', register: true, action: '/vendor/register', ...view });
    }
    const products = await suppliers.vendorProducts(vendor._id);
    return reply.page('dashboards/vendor.hbs', workbenchView(vendor, products, app.clock(), policyOf(app.config)));
  }

  app.get('/vendor', { config: { access: ['vendor'] } }, async (request, reply) => renderDashboard(request, reply));

  app.post('/vendor/register', { config: { access: ['vendor'] }, schema: { body: VendorRegisterForm }, attachValidation: true }, async (request, reply) => {
    const errors = formErrors(request);
    if (errors) return renderDashboard(request, reply, { values: vendorFormInput(request.body), errors, status: 400 });
    try {
      await suppliers.createVendor(requireUser(request), request.body);
    } catch (err) {
      return renderDashboard(request, reply, { values: request.body, ...serviceFailure(err) });
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

  async function renderProfile(reply: FastifyReply, vendor: ProfileVendor, values: Record<string, unknown>, errors: FieldErrors = {}, status = 200, logoError?: string) {
    const evidence = await suppliers.evidenceFiles(String(vendor._id));
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
    return renderProfile(reply, vendor, profileValues(vendor));
  });

  app.post('/vendor/profile', { config: { access: ['vendor'] }, schema: { body: VendorProfileForm }, attachValidation: true }, async (request, reply) => {
    const vendor = await ownVendor(request);
    if (!vendor) return reply.redirect('/vendor', 303);
    const errors = formErrors(request);
    if (errors) return renderProfile(reply, vendor, vendorFormInput(request.body), errors, 400);
    let pending = false;
    try {
      ({ pending } = await suppliers.updateVendor(requireUser(request), String(vendor._id), { ...request.body, creditCode: vendor.creditCode }));
    } catch (err) {
      const failure = serviceFailure(err);
      return renderProfile(reply, vendor, request.body, failure.errors, failure.status);
    }
    request.flash('success', pending ? '企业资料已保存。名称、地区、网站、领域、认证和资质证书的修改已提交主办方审核，通过后在推介清单中生效。' : '企业资料已保存。');
    return reply.redirect('/vendor', 303);
  });

  app.get('/vendor/history', { config: { access: ['vendor'] } }, async (request, reply) => {
    const vendor = await ownVendor(request);
    if (!vendor) return reply.redirect('/vendor', 303);
    return reply.page('suppliers/history.hbs', { title: '变更记录', heading: `${vendor.name} · 变更记录`, back: '/vendor', entries: await vendorHistory(suppliers, vendor._id) });
  });

  // The company logo: same checks as product images; it shows at once (it is the vendor's own mark).
  await withImageUploads(app, async (uploads) => {
    uploads.post('/vendor/logo', { config: { access: ['vendor'] } }, async (request, reply) => {
      const vendor = await ownVendor(request);
      if (!vendor) return reply.redirect('/vendor', 303);
      const fail = (status: number, message: string) =>
        renderProfile(reply, vendor, vendor as unknown as Record<string, unknown>, {}, status, message);
      const upload = await readImageUpload(request);
      if (!upload.ok) return fail(upload.status, upload.message);
      const stored = await storeImage({ conn: app.conn, models: app.models, config: app.config }, upload.buf, { vendor: vendor._id, uploadedBy: requireUser(request).id, filename: upload.filename });
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
};

export default vendorPages;
