/**
 * The supplier list's write side: vendors and products through their lifecycles. Every write runs in a
 * MongoDB transaction together with its change-log entry and its search-outbox mark, so history and
 * search never disagree with what was committed.
 */
import type { ClientSession, Connection, Types } from 'mongoose';
import type { Models } from '../infra/models.js';
import type { CurrentUser } from '../accounts/access.js';
import { badRequest, conflict, forbidden, notFound } from '../web/errors.js';
import { markProducts, markVendorProducts } from '../search/outbox.js';
import { fieldOfCategory } from '../taxonomy/index.js';
import { diffFields, recordChange, type Actor } from './history.js';
import { productFields, vendorFields, type ProductInput, type VendorInput } from './schemas.js';

const isStaff = (user: CurrentUser) => user.role === 'organizer' || user.role === 'admin';
const actorOf = (user: CurrentUser): Actor => ({ id: user.id, name: user.name });
const plain = (doc: object) => JSON.parse(JSON.stringify(doc)) as Record<string, unknown>;

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

  async function vendorTransition(user: CurrentUser, vendorId: string, from: string[], to: string, action: string, note?: string) {
    return inTransaction(async (session) => {
      const vendor = await managedVendor(user, vendorId, session);
      if (!from.includes(vendor.status)) throw conflict(`企业当前状态为“${statusNames[vendor.status]}”，不能${actionNames[action]}。`);
      const before = vendor.status;
      vendor.status = to as never;
      vendor.reviewNote = note;
      if (to === 'approved' && !vendor.confirmedAt) vendor.confirmedAt = clock();
      await vendor.save({ session });
      await recordChange(models, { entity: 'vendor', entityId: vendor._id, vendor: vendor._id, action, actor: actorOf(user), note, changes: [{ field: 'status', before, after: to }] }, session, clock());
      await markVendorProducts(models, vendor._id, session);
      return vendor.toObject();
    });
  }

  async function productTransition(user: CurrentUser, productId: string, from: string[], to: string, action: string, note?: string) {
    return inTransaction(async (session) => {
      const product = await managedProduct(user, productId, session);
      if (!from.includes(product.status)) throw conflict(`产品当前状态为“${statusNames[product.status]}”，不能${actionNames[action]}。`);
      const before = product.status;
      product.status = to as never;
      product.reviewNote = note;
      if (to !== 'published') product.pendingRevision = undefined;
      await product.save({ session });
      await recordChange(models, { entity: 'product', entityId: product._id, vendor: product.vendor, action, actor: actorOf(user), note, changes: [{ field: 'status', before, after: to }] }, session, clock());
      await markProducts(models, [product._id], session);
      return product.toObject();
    });
  }

  return {
    managedVendor,
    managedProduct,

    /** A vendor user registers their company (draft); staff may create any. The credit code is unique. */
    async createVendor(user: CurrentUser, input: VendorInput) {
      if (!isStaff(user) && user.vendorId) throw conflict('您的账号已关联企业，请编辑现有企业资料。');
      if (!isStaff(user) && user.role !== 'vendor') throw forbidden();
      return inTransaction(async (session) => {
        if (await Vendor.exists({ creditCode: input.creditCode }).session(session)) {
          throw conflict('该统一社会信用代码已登记，请联系主办方关联您的账号。');
        }
        const [vendor] = await Vendor.create([{ ...input, status: 'draft' }], { session });
        if (!isStaff(user)) await models.User.updateOne({ _id: user.id }, { $set: { vendor: vendor._id } }, { session });
        await recordChange(models, { entity: 'vendor', entityId: vendor._id, vendor: vendor._id, action: 'create', actor: actorOf(user), changes: diffFields({}, plain(vendor.toObject()), vendorFields) }, session, clock());
        return vendor.toObject();
      });
    },

    /** Profile edits apply at once and are recorded; the credit code, the natural key, never changes. */
    async updateVendor(user: CurrentUser, vendorId: string, input: VendorInput) {
      return inTransaction(async (session) => {
        const vendor = await managedVendor(user, vendorId, session);
        if (input.creditCode !== vendor.creditCode) throw badRequest('统一社会信用代码不能修改。', [{ path: 'creditCode', message: '统一社会信用代码不能修改' }]);
        const before = plain(vendor.toObject());
        vendor.set(input);
        const changes = diffFields(before, plain(vendor.toObject()), vendorFields);
        if (!changes.length) return vendor.toObject();
        await vendor.save({ session });
        await recordChange(models, { entity: 'vendor', entityId: vendor._id, vendor: vendor._id, action: 'update', actor: actorOf(user), changes }, session, clock());
        await markVendorProducts(models, vendor._id, session);
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
