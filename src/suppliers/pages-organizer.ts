/**
 * The organizers' side of the supplier list: the review queue (companies, products, pending revisions
 * with a field-by-field diff), a vendor's full record with its history, and the list of vendors whose
 * information is overdue for confirmation.
 */
import type { FastifyReply } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { certificationName, fieldName } from '../taxonomy/index.js';
import { AppError } from '../web/errors.js';
import { formErrors, IdParams, type FieldErrors } from '../web/forms.js';
import { freshnessDeadlines, freshnessOf } from './freshness.js';
import { categoryName, displayValue, isoDay, revisionDiff } from './pages-forms.js';
import { freshnessNames, policyOf, vendorHistory } from './pages-vendor.js';
import { withoutEvidence, type StoredQualification } from './qualifications.js';
import { ReasonBody } from './schemas.js';
import { statusNames } from './service.js';
import { requireUser, STAFF_ROLES, type CurrentUser } from '../accounts/index.js';

const STAFF = STAFF_ROLES;
const DAY = 86_400_000;

/** A reviewer's reason, and the page the form came from (checked by backOf, never trusted). */
const ReasonForm = ReasonBody.extend({ back: z.unknown().optional() });

/** Where to go after an action: the queue or a vendor's page, never anywhere else. */
function backOf(body: unknown): string {
  const back = (body as { back?: unknown } | undefined)?.back;
  return typeof back === 'string' && /^\/organizer\/(review|stale|vendors\/[0-9a-f]{24})$/.test(back) ? back : '/organizer/review';
}

/** A company's certificates as the reviewer checks them: evidence, validity, scan, and claims with no certificate. */
function evidenceView(certifications: readonly string[] = [], qualifications: readonly StoredQualification[] = []) {
  return {
    certificates: qualifications.map((q) => ({
      name: certificationName(q.certification),
      number: q.number ?? '—',
      issuer: q.issuer ?? '—',
      validity: `${q.validFrom ? isoDay(q.validFrom) : '—'} 至 ${q.expiresAt ? isoDay(q.expiresAt) : '长期'}`,
      scanUrl: q.scan?.fileId ? `/files/${String(q.scan.fileId)}` : undefined,
      scanName: q.scan?.filename ?? '扫描件',
      verified: q.verifiedAt ? `已核验（${q.verifiedBy?.name ?? ''} ${isoDay(q.verifiedAt)}）` : '待核验',
    })),
    unbacked: withoutEvidence(certifications, qualifications).map(certificationName),
  };
}

const organizerPages: FastifyPluginAsyncZod = async (app) => {
  const suppliers = app.suppliers;

  async function renderQueue(reply: FastifyReply, errors: FieldErrors = {}, values: Record<string, string> = {}, status = 200) {
    const { vendors, products: submitted, productRevisions: revisions, vendorRevisions, owners } = await suppliers.reviewQueue();
    const productRow = (p: (typeof submitted)[number]) => ({
      id: String(p._id),
      name: p.name,
      model: p.model,
      vendorId: String(p.vendor),
      vendorName: owners.get(String(p.vendor)) ?? '',
      category: categoryName(p.category),
      certifications: p.certifications.map(certificationName),
      price: p.priceMin !== undefined && p.priceMin !== null ? `${displayValue('priceMin', p.priceMin)}${p.priceMax ? ` – ${displayValue('priceMax', p.priceMax)}` : ''}` : '面议',
      description: p.description,
      specs: displayValue('specs', p.specs),
      updatedAt: p.updatedAt,
      rejectError: errors[`product-${String(p._id)}`],
      rejectValue: values[`product-${String(p._id)}`],
    });
    return reply.code(status).page('suppliers/review.hbs', {
      title: '审核队列',
      vendors: vendors.map((v) => ({
        id: String(v._id),
        name: v.name,
        creditCode: v.creditCode,
        location: [v.province, v.city, v.district].filter(Boolean).join(''),
        fields: v.fields.map(fieldName).join('、') || '—',
        certifications: v.certifications.map(certificationName).join('、') || '—',
        contact: displayValue('contact', v.contact),
        updatedAt: v.updatedAt,
        evidence: evidenceView(v.certifications, v.qualifications as StoredQualification[]),
        rejectError: errors[`vendor-${String(v._id)}`],
        rejectValue: values[`vendor-${String(v._id)}`],
      })),
      vendorRevisions: vendorRevisions.map((v) => {
        const revision = v.pendingRevision as { changes: Record<string, unknown>; submittedBy?: string; submittedAt?: Date };
        const proposed = { ...v, ...revision.changes } as Record<string, unknown>;
        const touchesCertificates = 'certifications' in revision.changes || 'qualifications' in revision.changes;
        return {
          id: String(v._id),
          name: v.name,
          creditCode: v.creditCode,
          submittedBy: revision.submittedBy,
          submittedAt: revision.submittedAt,
          diff: revisionDiff(v as unknown as Record<string, unknown>, revision.changes),
          evidence: touchesCertificates ? evidenceView(proposed.certifications as string[], proposed.qualifications as StoredQualification[]) : undefined,
          rejectError: errors[`vendor-revision-${String(v._id)}`],
          rejectValue: values[`vendor-revision-${String(v._id)}`],
        };
      }),
      products: submitted.map(productRow),
      revisions: revisions.map((p) => {
        const revision = p.pendingRevision as { changes: Record<string, unknown>; submittedBy?: string; submittedAt?: Date };
        return {
          ...productRow(p),
          submittedBy: revision.submittedBy,
          submittedAt: revision.submittedAt,
          diff: revisionDiff(p as unknown as Record<string, unknown>, revision.changes),
          rejectError: errors[`revision-${String(p._id)}`],
          rejectValue: values[`revision-${String(p._id)}`],
        };
      }),
      total: vendors.length + submitted.length + revisions.length + vendorRevisions.length,
    });
  }

  async function renderVendor(reply: FastifyReply, id: string, errors: FieldErrors = {}, values: Record<string, string> = {}, status = 200) {
    const { vendor, products } = await suppliers.vendorRecord(id);
    const now = app.clock();
    const freshness = vendor.confirmedAt ? freshnessOf(vendor.confirmedAt, now, policyOf(app.config)) : undefined;
    return reply.code(status).page('suppliers/organizer-vendor.hbs', {
      title: vendor.name,
      vendor: {
        id: String(vendor._id),
        name: vendor.name,
        creditCode: vendor.creditCode,
        status: vendor.status,
        statusName: statusNames[vendor.status] ?? vendor.status,
        reviewNote: vendor.reviewNote,
        location: [vendor.province, vendor.city, vendor.district, vendor.address].filter(Boolean).join(' '),
        fields: displayValue('fields', vendor.fields),
        certifications: displayValue('certifications', vendor.certifications),
        qualifications: displayValue('qualifications', vendor.qualifications),
        contact: displayValue('contact', vendor.contact),
        contactEmail: vendor.contact?.email,
        website: vendor.website,
        description: vendor.description,
        confirmedAt: vendor.confirmedAt,
        freshnessName: freshness ? freshnessNames[freshness] : '尚未开始计算',
        pendingRevision: Boolean(vendor.pendingRevision),
        canApprove: vendor.status === 'submitted' || vendor.status === 'suspended',
        canReject: vendor.status === 'submitted',
        canSuspend: vendor.status === 'approved',
        rejectError: errors.reject,
        suspendError: errors.suspend,
        rejectValue: values.reject,
        suspendValue: values.suspend,
      },
      products: products.map((p) => ({
        id: String(p._id),
        name: p.name,
        model: p.model,
        category: categoryName(p.category),
        statusName: statusNames[p.status] ?? p.status,
        pending: Boolean(p.pendingRevision),
        canPublish: p.status === 'submitted',
      })),
      history: await vendorHistory(suppliers, vendor._id),
    });
  }

  app.get('/organizer/review', { config: { access: STAFF } }, async (_request, reply) => renderQueue(reply));

  app.get('/organizer/vendors/:id', { config: { access: STAFF }, schema: { params: IdParams } }, async (request, reply) =>
    renderVendor(reply, request.params.id));

  /**
   * One review action. Actions with a reason re-render the page they came from with the error next to
   * that item when the reason is missing; a conflict (someone else acted first) becomes a flash.
   */
  function action(path: string, opts: {
    run: (user: CurrentUser, id: string, reason: string) => Promise<unknown>;
    done: string;
    reasonKey?: (id: string) => string;
  }) {
    app.post(path, {
      config: { access: STAFF, audit: path.replace(/^\/organizer\/|\/:id/g, '').replace(/s\//, '.').replace('/', '.') },
      schema: { params: IdParams, ...(opts.reasonKey ? { body: ReasonForm } : {}) },
      attachValidation: true,
    }, async (request, reply) => {
      const errors = formErrors(request);
      const id = request.params.id;
      const back = backOf(request.body);
      let reason = '';
      if (opts.reasonKey) {
        if (errors) {
          const key = opts.reasonKey(id);
          const raw = String((request.body as { reason?: unknown } | undefined)?.reason ?? '').slice(0, 500);
          const message = errors.reason ?? '请填写原因';
          if (back.startsWith('/organizer/vendors/')) {
            const detailKey = key.startsWith('suspend') ? 'suspend' : 'reject';
            return renderVendor(reply, back.slice('/organizer/vendors/'.length), { [detailKey]: message }, { [detailKey]: raw }, 400);
          }
          return renderQueue(reply, { [key]: message }, { [key]: raw }, 400);
        }
        reason = (request.body as z.output<typeof ReasonForm>).reason;
      }
      try {
        await opts.run(requireUser(request), id, reason);
        request.flash('success', opts.done);
      } catch (err) {
        if (!(err instanceof AppError) || err.statusCode >= 500 || err.statusCode === 404) throw err;
        request.flash('error', err.message);
      }
      return reply.redirect(back, 303);
    });
  }

  action('/organizer/vendors/:id/approve', { run: (user, id) => suppliers.approveVendor(user, id), done: '企业已审核通过，进入供应商清单。' });
  action('/organizer/vendors/:id/reject', { run: (user, id, reason) => suppliers.rejectVendor(user, id, reason), done: '已退回企业资料，供应商将看到退回原因。', reasonKey: (id) => `vendor-${id}` });
  action('/organizer/vendors/:id/suspend', { run: (user, id, reason) => suppliers.suspendVendor(user, id, reason), done: '已暂停该企业，其产品不再对外展示。', reasonKey: (id) => `suspend-${id}` });
  action('/organizer/vendors/:id/revision/approve', { run: (user, id) => suppliers.approveVendorRevision(user, id), done: '企业资料的修改已通过，推介清单已更新。' });
  action('/organizer/vendors/:id/revision/reject', { run: (user, id, reason) => suppliers.rejectVendorRevision(user, id, reason), done: '已退回企业资料的修改，公开资料保持不变。', reasonKey: (id) => `vendor-revision-${id}` });
  action('/organizer/products/:id/publish', { run: (user, id) => suppliers.publishProduct(user, id), done: '产品已发布。' });
  action('/organizer/products/:id/reject', { run: (user, id, reason) => suppliers.rejectProduct(user, id, reason), done: '已退回产品，供应商将看到退回原因。', reasonKey: (id) => `product-${id}` });
  action('/organizer/products/:id/revision/approve', { run: (user, id) => suppliers.approveRevision(user, id), done: '修改已通过，公开信息已更新。' });
  action('/organizer/products/:id/revision/reject', { run: (user, id, reason) => suppliers.rejectRevision(user, id, reason), done: '已退回修改，公开信息保持不变。', reasonKey: (id) => `revision-${id}` });

  app.get('/organizer/stale', { config: { access: STAFF } }, async (request, reply) => {
    const now = app.clock();
    const policy = policyOf(app.config);
    const dueBefore = new Date(now.getTime() - policy.days * DAY);
    // Listed vendors only: the stored freshness (as of the last sweep) or the confirmation date at this moment.
    const vendors = await suppliers.overdueVendors(dueBefore);
    const rows = vendors.map((v) => {
      const state = freshnessOf(v.confirmedAt, now, policy);
      const staleAt = v.confirmedAt ? freshnessDeadlines(v.confirmedAt, policy).staleAt : undefined;
      return {
        id: String(v._id),
        name: v.name,
        creditCode: v.creditCode,
        confirmedAt: v.confirmedAt,
        confirmedDay: v.confirmedAt ? isoDay(v.confirmedAt) : '从未确认',
        daysOverdue: staleAt ? Math.max(0, Math.floor((now.getTime() - staleAt.getTime()) / DAY)) : null,
        state,
        stateName: freshnessNames[state],
        isHidden: state === 'hidden',
        contact: displayValue('contact', v.contact),
      };
    });
    // Most overdue first; never confirmed counts as most overdue of all.
    rows.sort((a, b) => (a.confirmedAt?.getTime() ?? -Infinity) - (b.confirmedAt?.getTime() ?? -Infinity));
    return reply.page('suppliers/stale.hbs', { title: '信息待更新企业', rows, policy });
  });
};

export default organizerPages;
