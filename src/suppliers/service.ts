/**
 * The supplier list's write side: vendors and products through their lifecycles. Every write runs in a
 * MongoDB transaction together with its change-log entry and its search-outbox mark, so history and
 * search never disagree with what was committed.
 */
import { mongo, type ClientSession, type Connection, type Types } from 'mongoose';
import type { Models } from '../infra/models.js';
import { actorOf, isStaff, type CurrentUser } from '../accounts/index.js';
import { badRequest, conflict, forbidden, notFound } from '../web/errors.js';
import { markProducts, markVendorProducts } from '../search/index.js';
import { fieldOfCategory } from '../taxonomy/index.js';
import { diffFields, recordChange } from './history.js';
import { refreshPublishedCounts } from './published-counts.js';
import { carryVerification, evidenceOf, stampVerified, type StoredQualification } from './qualifications.js';
import { productFields, reviewedVendorFields, vendorFields, type ProductInput, type VendorInput } from './schemas.js';

const plain = (doc: object) => JSON.parse(JSON.stringify(doc)) as Record<string, unknown>;
/** A vendor's fields as a change log and a reviewer compare them: certificates by their evidence only. */
const comparable = (values: Record<string, unknown>) => ({
  ...values,
  qualifications: ((values.qualifications ?? []) as StoredQualification[]).map(evidenceOf),
});
const LIVE_STATUSES = ['approved', 'suspended'];

/** A vendor's or product's move to `to` from one of `from` (a 409 with the Chinese reason otherwise): the status it had. */
function moveStatus(doc: { status: string; reviewNote?: string | null }, noun: '企业' | '产品', from: string[], to: string, action: string, note?: string): string {
  if (!from.includes(doc.status)) throw conflict(`${noun}当前状态为“${statusNames[doc.status]}”，不能${actionNames[action]}。`);
  const before = doc.status;
  doc.status = to;
  doc.reviewNote = note;
  return before;
}

export type SupplierService = ReturnType<typeof createSupplierService>;

export function createSupplierService(conn: Connection, models: Models, clock: () => Date = () => new Date()) {
  const { Vendor, Product } = models;
  const inTransaction = <T>(fn: (session: ClientSession) => Promise<T>) => conn.transaction(fn);

  /** A vendor the user may manage: their own company, or any for staff. Others do not exist for them. */
  async function managedVendor(user: CurrentUser, vendorId: string | Types.ObjectId, session?: ClientSession) {
    if (!isStaff(user) && String(user.vendorId) !== String(vendorId)) throw notFound('未找到该企业。');
    const vendor = await Vendor.findById(vendorId).session(session ?? null);
    if (!vendor) throw notFound('未找到该企业。');
    return vendor;
  }

  async function managedProduct(user: CurrentUser, productId: string, session?: ClientSession) {
    const product = await Product.findById(productId).session(session ?? null);
    if (!product || (!isStaff(user) && String(product.vendor) !== String(user.vendorId))) throw notFound('未找到该产品。');
    return product;
  }

  /** The evidence scans a submission names: each must be one this vendor uploaded (else a 400, nothing written). */
  async function evidenceScans(vendorId: string, ids: Array<string | undefined>) {
    const wanted = [...new Set(ids.filter((id): id is string => Boolean(id)))];
    const scans = new Map<string, { fileId: Types.ObjectId; contentType?: string; filename?: string }>();
    if (!wanted.length) return scans;
    const files = await conn.db!.collection('uploads.files')
      .find({ _id: { $in: wanted.map((id) => new mongo.ObjectId(id)) }, 'metadata.kind': 'evidence', 'metadata.vendor': new mongo.ObjectId(vendorId) })
      .toArray();
    for (const f of files) scans.set(String(f._id), { fileId: f._id as unknown as Types.ObjectId, contentType: f.metadata?.contentType, filename: f.filename });
    const missing = wanted.filter((id) => !scans.has(id));
    if (missing.length) throw badRequest('证书扫描件不存在或不属于本企业，请重新上传。', [{ path: 'qualifications', message: '扫描件不存在，请重新上传' }]);
    return scans;
  }

  async function vendorTransition(user: CurrentUser, vendorId: string, from: string[], to: string, action: string, note?: string) {
    return inTransaction(async (session) => {
      const vendor = await managedVendor(user, vendorId, session);
      const before = moveStatus(vendor, '企业', from, to, action, note);
      if (to === 'approved' && !vendor.confirmedAt) vendor.confirmedAt = clock();
      // Approving the company is the review of the certificates it submitted.
      if (to === 'approved') vendor.set('qualifications', stampVerified(vendor.toObject().qualifications as StoredQualification[], actorOf(user), clock()));
      await vendor.save({ session });
      await recordChange(models, { entity: 'vendor', entityId: vendor._id, vendor: vendor._id, action, actor: actorOf(user), note, changes: [{ field: 'status', before, after: to }] }, session, clock());
      await markVendorProducts(models, vendor._id, session);
      return vendor.toObject();
    });
  }

  async function productTransition(user: CurrentUser, productId: string, from: string[], to: string, action: string, note?: string) {
    return inTransaction(async (session) => {
      const product = await managedProduct(user, productId, session);
      const before = moveStatus(product, '产品', from, to, action, note);
      if (to !== 'published') product.pendingRevision = undefined;
      await product.save({ session });
      await recordChange(models, { entity: 'product', entityId: product._id, vendor: product.vendor, action, actor: actorOf(user), note, changes: [{ field: 'status', before, after: to }] }, session, clock());
      await markProducts(models, [product._id], session);
      await refreshPublishedCounts(models, [product.vendor], session);
      return product.toObject();
    });
  }

  return {
    managedVendor,
    managedProduct,

    /** The company a vendor user belongs to, or null before they registered one. */
    async vendorOf(user: CurrentUser) {
      return user.vendorId ? Vendor.findById(user.vendorId).lean() : null;
    },

    /** A company's products, the latest changed first. */
    async vendorProducts(vendorId: Types.ObjectId | string) {
      return Product.find({ vendor: vendorId }).sort({ updatedAt: -1 }).lean();
    },

    /** The certificate scans a company uploaded, newest first, for the qualification rows to pick from. */
    async evidenceFiles(vendorId: Types.ObjectId | string) {
      const files = await conn.db!.collection('uploads.files')
        .find({ 'metadata.vendor': new mongo.ObjectId(String(vendorId)), 'metadata.kind': 'evidence' }, { projection: { filename: 1, uploadDate: 1 } })
        .sort({ uploadDate: -1 }).limit(200).toArray();
      return files.map((f) => ({ id: String(f._id), filename: String(f.filename), uploadedAt: f.uploadDate as Date }));
    },

    /** What waits for an organizer: submitted companies and products, pending revisions, and the owners' names. */
    async reviewQueue() {
      const [vendors, products, productRevisions, vendorRevisions] = await Promise.all([
        Vendor.find({ status: 'submitted' }).sort({ updatedAt: 1 }).lean(),
        Product.find({ status: 'submitted' }).sort({ updatedAt: 1 }).lean(),
        Product.find({ pendingRevision: { $exists: true, $ne: null } }).sort({ 'pendingRevision.submittedAt': 1 }).lean(),
        Vendor.find({ pendingRevision: { $exists: true, $ne: null } }).sort({ 'pendingRevision.submittedAt': 1 }).lean(),
      ]);
      const vendorIds = [...new Set([...products, ...productRevisions].map((p) => String(p.vendor)))];
      const owners = new Map((await Vendor.find({ _id: { $in: vendorIds } }, { name: 1 }).lean()).map((v) => [String(v._id), v.name]));
      return { vendors, products, productRevisions, vendorRevisions, owners };
    },

    /** A company with all its products, as staff review it. */
    async vendorRecord(vendorId: string) {
      const vendor = await Vendor.findById(vendorId).lean();
      if (!vendor) throw notFound('未找到该企业。');
      const products = await Product.find({ vendor: vendor._id }).sort({ status: 1, name: 1 }).lean();
      return { vendor, products };
    },

    /** Listed companies that may be overdue: stale or hidden as of the last sweep, or confirmed before `dueBefore`. */
    async overdueVendors(dueBefore: Date) {
      return Vendor.find({
        status: 'approved',
        $or: [{ freshness: { $in: ['stale', 'hidden'] } }, { confirmedAt: { $lt: dueBefore } }, { confirmedAt: null }],
      }).sort({ confirmedAt: 1, name: 1 }).limit(2000).lean();
    },

    /** A company of the public list (approved), or null. */
    async listedVendor(vendorId: string) {
      return Vendor.findOne({ _id: vendorId, status: 'approved' }).lean();
    },

    /** A company's published products, by category and name (its public page). */
    async publishedProducts(vendorId: Types.ObjectId | string) {
      return Product.find({ vendor: vendorId, status: 'published' }).sort({ category: 1, name: 1 }).lean();
    },

    /** A published product, or null. */
    async publishedProduct(productId: string) {
      return Product.findOne({ _id: productId, status: 'published' }).lean();
    },

    /** A product's change log, newest first. */
    async productHistory(productId: Types.ObjectId | string) {
      return models.ChangeLog.find({ entity: 'product', entityId: productId }).sort({ at: -1, _id: -1 }).limit(500).lean();
    },

    /** A company's whole change log, newest first, each entry with the product it concerns (if any) named. */
    async vendorHistory(vendorId: Types.ObjectId | string) {
      const entries = await models.ChangeLog.find({ vendor: vendorId }).sort({ at: -1, _id: -1 }).limit(1000).lean();
      const productIds = [...new Set(entries.filter((e) => e.entity === 'product').map((e) => String(e.entityId)))];
      const products = await Product.find({ _id: { $in: productIds } }, { name: 1, model: 1 }).lean();
      const names = new Map(products.map((p) => [String(p._id), `${p.name}（${p.model}）`]));
      return entries.map((entry) => ({ entry, productName: entry.entity === 'product' ? names.get(String(entry.entityId)) ?? '' : undefined }));
    },

    /** A vendor user registers their company (draft); staff may create any. The credit code is unique. */
    async createVendor(user: CurrentUser, input: VendorInput) {
      if (!isStaff(user) && user.vendorId) throw conflict('您的账号已关联企业，请编辑现有企业资料。');
      if (!isStaff(user) && user.role !== 'vendor') throw forbidden();
      return inTransaction(async (session) => {
        if (await Vendor.exists({ creditCode: input.creditCode }).session(session)) {
          throw conflict('该统一社会信用代码已登记，请联系主办方关联您的账号。');
        }
        const { qualifications = [], ...rest } = input;
        // Scans belong to a registered company: they are attached by a later edit.
        if (qualifications.some((q) => q.scanFileId)) throw badRequest('请先登记企业，再上传证书扫描件。', [{ path: 'qualifications', message: '登记后再上传扫描件' }]);
        const stored = qualifications.map(({ scanFileId: _s, ...q }) => q);
        const [vendor] = await Vendor.create([{ ...rest, qualifications: isStaff(user) ? stampVerified(stored, actorOf(user), clock()) : stored, status: 'draft' }], { session });
        if (!isStaff(user)) await models.User.updateOne({ _id: user.id }, { $set: { vendor: vendor._id } }, { session });
        await recordChange(models, { entity: 'vendor', entityId: vendor._id, vendor: vendor._id, action: 'create', actor: actorOf(user), changes: diffFields({}, plain(vendor.toObject()), vendorFields) }, session, clock());
        return vendor.toObject();
      });
    },

    /**
     * Profile edits, recorded in history. The credit code, the natural key, never changes. On an approved
     * (or suspended) company a vendor's change to what the list publishes under the district's name
     * (reviewedVendorFields) becomes the pending revision, replacing any earlier one, and the public profile
     * stays as it was; contact details and the description apply at once. Staff edits apply at once and
     * count as reviewed. A form or PUT carries the whole profile, so a field set back to its published
     * value leaves the revision.
     */
    async updateVendor(user: CurrentUser, vendorId: string, input: VendorInput) {
      const scans = await evidenceScans(vendorId, (input.qualifications ?? []).map((q) => q.scanFileId));
      return inTransaction(async (session) => {
        const vendor = await managedVendor(user, vendorId, session);
        if (input.creditCode !== vendor.creditCode) throw badRequest('统一社会信用代码不能修改。', [{ path: 'creditCode', message: '统一社会信用代码不能修改' }]);
        const { qualifications: submitted = [], ...rest } = input;
        const proposed: Record<string, unknown> = {
          ...rest,
          qualifications: submitted.map(({ scanFileId, ...q }): StoredQualification => ({ ...q, ...(scanFileId ? { scan: scans.get(scanFileId) } : {}) })),
        };
        const current = plain(vendor.toObject());
        const changes = diffFields(comparable(current), comparable(plain(proposed)), vendorFields);
        const awaitsReview = LIVE_STATUSES.includes(vendor.status) && !isStaff(user);
        const reviewed = awaitsReview ? changes.filter((c) => (reviewedVendorFields as readonly string[]).includes(c.field)) : [];
        const direct = changes.filter((c) => !reviewed.includes(c));
        const hadRevision = Boolean(vendor.pendingRevision);
        if (!direct.length && !reviewed.length && !hadRevision) return { vendor: vendor.toObject(), pending: false };

        for (const c of direct) {
          if (c.field !== 'qualifications') vendor.set(c.field, proposed[c.field] ?? undefined);
        }
        if (direct.some((c) => c.field === 'qualifications')) {
          const next = carryVerification(proposed.qualifications as StoredQualification[], current.qualifications as StoredQualification[]);
          vendor.set('qualifications', isStaff(user) ? stampVerified(next, actorOf(user), clock()) : next);
        }
        vendor.set('pendingRevision', reviewed.length
          ? { changes: Object.fromEntries(reviewed.map((c) => [c.field, proposed[c.field] ?? null])), submittedBy: user.name, submittedAt: clock() }
          : undefined);
        await vendor.save({ session });
        if (direct.length) {
          await recordChange(models, { entity: 'vendor', entityId: vendor._id, vendor: vendor._id, action: 'update', actor: actorOf(user), changes: direct }, session, clock());
          await markVendorProducts(models, vendor._id, session);
        }
        if (reviewed.length) await recordChange(models, { entity: 'vendor', entityId: vendor._id, vendor: vendor._id, action: 'propose', actor: actorOf(user), changes: reviewed }, session, clock());
        else if (hadRevision) await recordChange(models, { entity: 'vendor', entityId: vendor._id, vendor: vendor._id, action: 'withdraw-revision', actor: actorOf(user) }, session, clock());
        return { vendor: vendor.toObject(), pending: reviewed.length > 0 };
      });
    },

    /** The organizer accepts a company's pending revision: it becomes the public profile; its certificates count as reviewed. */
    async approveVendorRevision(user: CurrentUser, vendorId: string) {
      return inTransaction(async (session) => {
        const vendor = await managedVendor(user, vendorId, session);
        const revision = vendor.pendingRevision;
        if (!revision) throw conflict('该企业没有待审核的资料修改。');
        const proposed = revision.changes as Record<string, unknown>;
        const current = plain(vendor.toObject());
        const changes = diffFields(comparable(current), comparable(plain(proposed)), Object.keys(proposed));
        for (const field of Object.keys(proposed)) {
          if (field === 'qualifications') {
            const next = carryVerification(proposed.qualifications as StoredQualification[], current.qualifications as StoredQualification[]);
            vendor.set('qualifications', stampVerified(next, actorOf(user), clock()));
          } else vendor.set(field, proposed[field] ?? undefined);
        }
        vendor.set('pendingRevision', undefined);
        vendor.reviewNote = undefined;
        await vendor.save({ session });
        await recordChange(models, { entity: 'vendor', entityId: vendor._id, vendor: vendor._id, action: 'approve-revision', actor: actorOf(user), changes }, session, clock());
        await markVendorProducts(models, vendor._id, session);
        return vendor.toObject();
      });
    },

    async rejectVendorRevision(user: CurrentUser, vendorId: string, reason: string) {
      return inTransaction(async (session) => {
        const vendor = await managedVendor(user, vendorId, session);
        if (!vendor.pendingRevision) throw conflict('该企业没有待审核的资料修改。');
        vendor.set('pendingRevision', undefined);
        vendor.reviewNote = reason;
        await vendor.save({ session });
        await recordChange(models, { entity: 'vendor', entityId: vendor._id, vendor: vendor._id, action: 'reject-revision', actor: actorOf(user), note: reason }, session, clock());
        return vendor.toObject();
      });
    },

    /** Sets (or with `undefined` removes) the company logo, a GridFS image; recorded like any change. */
    async setVendorLogo(user: CurrentUser, vendorId: string, logo: { fileId: Types.ObjectId; contentType: string } | undefined) {
      return inTransaction(async (session) => {
        const vendor = await managedVendor(user, vendorId, session);
        const before = vendor.logo ? { fileId: String(vendor.logo.fileId) } : null;
        vendor.set('logo', logo);
        await vendor.save({ session });
        await recordChange(models, { entity: 'vendor', entityId: vendor._id, vendor: vendor._id, action: 'update', actor: actorOf(user), changes: [{ field: 'logo', before, after: logo ? { fileId: String(logo.fileId) } : null }] }, session, clock());
        return vendor.toObject();
      });
    },

    submitVendor: (user: CurrentUser, id: string) => vendorTransition(user, id, ['draft', 'rejected'], 'submitted', 'submit'),
    approveVendor: (user: CurrentUser, id: string) => vendorTransition(user, id, ['submitted', 'suspended'], 'approved', 'approve'),
    rejectVendor: (user: CurrentUser, id: string, reason: string) => vendorTransition(user, id, ['submitted'], 'rejected', 'reject', reason),
    suspendVendor: (user: CurrentUser, id: string, reason: string) => vendorTransition(user, id, ['approved'], 'suspended', 'suspend', reason),

    /** The vendor confirms its listings are current: the clock of freshness restarts. */
    async confirmListings(user: CurrentUser, vendorId: string) {
      return inTransaction(async (session) => {
        const vendor = await managedVendor(user, vendorId, session);
        const before = vendor.confirmedAt ?? null;
        vendor.confirmedAt = clock();
        vendor.freshness = 'current';
        await vendor.save({ session });
        await recordChange(models, { entity: 'vendor', entityId: vendor._id, vendor: vendor._id, action: 'confirm', actor: actorOf(user), changes: [{ field: 'confirmedAt', before, after: vendor.confirmedAt }] }, session, clock());
        await markVendorProducts(models, vendor._id, session);
        return vendor.toObject();
      });
    },

    async createProduct(user: CurrentUser, input: ProductInput) {
      return inTransaction(async (session) => {
        const vendor = await Vendor.findOne({ creditCode: input.vendorCreditCode }).session(session);
        if (!vendor) throw badRequest('未找到该统一社会信用代码对应的企业。', [{ path: 'vendorCreditCode', message: '企业不存在' }]);
        await managedVendor(user, vendor._id, session);
        if (await Product.exists({ vendorCreditCode: input.vendorCreditCode, model: input.model }).session(session)) {
          throw conflict(`型号 ${input.model} 已存在，请编辑原产品。`);
        }
        const [product] = await Product.create([{ ...input, vendor: vendor._id, field: fieldOfCategory(input.category), status: 'draft' }], { session });
        await recordChange(models, { entity: 'product', entityId: product._id, vendor: vendor._id, action: 'create', actor: actorOf(user), changes: diffFields({}, plain(product.toObject()), productFields) }, session, clock());
        return product.toObject();
      });
    },

    /**
     * Edits a product. A vendor's edit to a published product does not change what the public sees: it
     * becomes the pending revision (replacing any earlier one) for an organizer to approve. Staff edits,
     * and edits to unpublished products, apply at once. Either way the change is recorded.
     */
    async updateProduct(user: CurrentUser, productId: string, input: ProductInput) {
      return inTransaction(async (session) => {
        const product = await managedProduct(user, productId, session);
        if (input.vendorCreditCode !== product.vendorCreditCode) throw badRequest('产品不能转移到其他企业。', [{ path: 'vendorCreditCode', message: '不能修改所属企业' }]);
        if (input.model !== product.model && (await Product.exists({ vendorCreditCode: product.vendorCreditCode, model: input.model, _id: { $ne: product._id } }).session(session))) {
          throw conflict(`型号 ${input.model} 已存在。`);
        }
        const before = plain(product.toObject());
        // Every editable field takes the submitted value; an omitted optional value clears the field.
        const submitted = plain({ ...input, field: fieldOfCategory(input.category) });
        const after = Object.fromEntries(productFields.map((key) => [key, submitted[key] ?? null]));
        const changes = diffFields(before, after, productFields);
        if (!changes.length) return { product: product.toObject(), pending: false };
        if (product.status === 'published' && !isStaff(user)) {
          // A later text edit replaces the earlier proposal but keeps a pending image change.
          const earlier = (product.pendingRevision?.changes ?? {}) as Record<string, unknown>;
          const kept = 'images' in earlier ? { images: earlier.images } : {};
          product.pendingRevision = { changes: { ...kept, ...Object.fromEntries(changes.map((c) => [c.field, c.after])) }, submittedBy: user.name, submittedAt: clock() };
          await product.save({ session });
          await recordChange(models, { entity: 'product', entityId: product._id, vendor: product.vendor, action: 'propose', actor: actorOf(user), changes }, session, clock());
          return { product: product.toObject(), pending: true };
        }
        product.set(Object.fromEntries(changes.map((c) => [c.field, c.after ?? undefined])));
        await product.save({ session });
        await recordChange(models, { entity: 'product', entityId: product._id, vendor: product.vendor, action: 'update', actor: actorOf(user), changes }, session, clock());
        await markProducts(models, [product._id], session);
        await refreshPublishedCounts(models, [product.vendor], session);
        return { product: product.toObject(), pending: false };
      });
    },

    submitProduct: (user: CurrentUser, id: string) => productTransition(user, id, ['draft'], 'submitted', 'submit'),
    publishProduct: (user: CurrentUser, id: string) => productTransition(user, id, ['submitted'], 'published', 'publish'),
    rejectProduct: (user: CurrentUser, id: string, reason: string) => productTransition(user, id, ['submitted'], 'draft', 'reject', reason),
    archiveProduct: (user: CurrentUser, id: string) => productTransition(user, id, ['draft', 'submitted', 'published'], 'archived', 'archive'),
    restoreProduct: (user: CurrentUser, id: string) => productTransition(user, id, ['archived'], 'draft', 'restore'),

    /** The organizer accepts a pending revision: its fields become what the public sees. */
    async approveRevision(user: CurrentUser, productId: string) {
      return inTransaction(async (session) => {
        const product = await managedProduct(user, productId, session);
        const revision = product.pendingRevision;
        if (!revision) throw conflict('该产品没有待审核的修改。');
        const changes = Object.entries(revision.changes as Record<string, unknown>).map(([field, after]) => ({ field, before: (product.get(field) as unknown) ?? null, after }));
        product.set(Object.fromEntries(changes.map((c) => [c.field, c.after ?? undefined])));
        product.pendingRevision = undefined;
        product.reviewNote = undefined;
        await product.save({ session });
        await recordChange(models, { entity: 'product', entityId: product._id, vendor: product.vendor, action: 'approve-revision', actor: actorOf(user), changes: JSON.parse(JSON.stringify(changes)) }, session, clock());
        await markProducts(models, [product._id], session);
        await refreshPublishedCounts(models, [product.vendor], session);
        return product.toObject();
      });
    },

    async rejectRevision(user: CurrentUser, productId: string, reason: string) {
      return inTransaction(async (session) => {
        const product = await managedProduct(user, productId, session);
        if (!product.pendingRevision) throw conflict('该产品没有待审核的修改。');
        product.pendingRevision = undefined;
        product.reviewNote = reason;
        await product.save({ session });
        await recordChange(models, { entity: 'product', entityId: product._id, vendor: product.vendor, action: 'reject-revision', actor: actorOf(user), note: reason }, session, clock());
        return product.toObject();
      });
    },
  };
}

export const statusNames: Record<string, string> = {
  draft: '草稿', submitted: '待审核', approved: '已入库', rejected: '已退回', suspended: '已暂停', published: '已发布', archived: '已归档',
};
export const actionNames: Record<string, string> = {
  create: '创建', update: '修改', submit: '提交审核', approve: '审核通过', reject: '退回', suspend: '暂停', confirm: '确认信息有效',
  publish: '发布', archive: '归档', restore: '恢复为草稿', propose: '提交修改', 'approve-revision': '通过修改', 'reject-revision': '退回修改',
  import: '批量导入', freshness: '新鲜度变化',
};
