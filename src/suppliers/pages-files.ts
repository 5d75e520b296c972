/**
 * Product images: checked by their first bytes (not their name), at most 2 MB, within the vendor's
 * storage quota, kept in the GridFS bucket "uploads" through the vendor file store (files.ts) and served
 * at /files/:id. Images of published products are public; the rest only reach the owning vendor's users
 * and staff. A vendor's image change to a published product waits for review like any other edit; images
 * dropped from a product (and referenced nowhere else) are deleted once the change has committed.
 */
import fastifyMultipart from '@fastify/multipart';
import { mongo, type Types } from 'mongoose';
import type { FastifyInstance, FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { isStaff, type CurrentUser } from '../accounts/index.js';
import { AppError, badRequest, notFound } from '../web/errors.js';
import { markProducts } from '../search/index.js';
import { recordChange } from './history.js';
import type { SupplierService } from './service.js';
import { MAX_IMAGE_BYTES, removeUnreferencedFiles, sniffImage, storeVendorFile, uploadsBucketOf, type VendorFileDeps } from './files.js';

export { MAX_IMAGE_BYTES, sniffImage };
export const MAX_IMAGES = 8;
const OBJECT_ID = /^[0-9a-f]{24}$/i;

export type ImageRef = { fileId: Types.ObjectId; contentType?: string | null };


/**
 * Stores an uploaded image through the vendor file store: type by content, size and the vendor's quota.
 * Either the file or the status and Chinese message to show by the field (nothing stored then).
 */
export async function storeImage(deps: VendorFileDeps, buf: Buffer, meta: { vendor: Types.ObjectId; uploadedBy: string; filename: string }): Promise<
  { ok: true; fileId: Types.ObjectId; type: string } | { ok: false; status: number; message: string }
> {
  try {
    const stored = await storeVendorFile(deps, { vendor: meta.vendor, buffer: buf, allowed: ['image'], filename: meta.filename, uploadedBy: meta.uploadedBy });
    return { ok: true, fileId: stored.fileId, type: stored.contentType };
  } catch (err) {
    if (err instanceof AppError && err.statusCode < 500) return { ok: false, status: err.statusCode, message: err.message };
    throw err;
  }
}


/**
 * Changes a product's image list. On a published product a vendor's change joins the pending revision
 * (the public keeps the old images until an organizer approves); otherwise it applies at once.
 */
/** What product image pages are handed: the file store's parts, the clock, the log and the product lookup. */
export type ImageDeps = VendorFileDeps & Pick<FastifyInstance, 'models' | 'clock' | 'log'> & { suppliers: Pick<SupplierService, 'managedProduct'> };

export async function changeProductImages(deps: ImageDeps, user: CurrentUser, productId: string, change: (images: ImageRef[]) => ImageRef[]): Promise<{ pending: boolean }> {
  // Images the change drops: deleted after the commit if nothing (published images, the revision) still uses them.
  const dropped: Types.ObjectId[] = [];
  const result = await deps.conn.transaction(async (session) => {
    dropped.length = 0;
    const product = await deps.suppliers.managedProduct(user, productId, session);
    const revision = product.pendingRevision as { changes?: Record<string, unknown> } | undefined;
    const published = (product.images ?? []).map((i) => ({ fileId: i.fileId, contentType: i.contentType }));
    const current = (revision?.changes?.images as ImageRef[] | undefined) ?? published;
    const next = change(current);
    if (next.length > MAX_IMAGES) throw badRequest(`每个产品最多 ${MAX_IMAGES} 张图片。`);
    const kept = new Set(next.map((i) => String(i.fileId)));
    dropped.push(...[...published, ...current].filter((i) => !kept.has(String(i.fileId))).map((i) => i.fileId));
    const actor = { id: user.id, name: user.name };
    const now = deps.clock();
    if (product.status === 'published' && !isStaff(user)) {
      product.pendingRevision = { changes: { ...(revision?.changes ?? {}), images: next }, submittedBy: user.name, submittedAt: now };
      product.markModified('pendingRevision');
      await product.save({ session });
      await recordChange(deps.models, { entity: 'product', entityId: product._id, vendor: product.vendor, action: 'propose', actor, changes: [{ field: 'images', before: published, after: next }] }, session, now);
      return { pending: true };
    }
    product.set('images', next);
    await product.save({ session });
    await recordChange(deps.models, { entity: 'product', entityId: product._id, vendor: product.vendor, action: 'update', actor, changes: [{ field: 'images', before: published, after: next }] }, session, now);
    await markProducts(deps.models, [product._id], session);
    return { pending: false };
  });
  await removeUnreferencedFiles(deps, dropped);
  return result;
}

/**
 * Reads the one image of a multipart upload and checks it: present, within the size limit, and a JPEG,
 * PNG or WebP by its content. Either the image or the status and Chinese message to show by the field.
 */
export async function readImageUpload(request: FastifyRequest): Promise<
  { ok: true; buf: Buffer; type: NonNullable<ReturnType<typeof sniffImage>>; filename: string } | { ok: false; status: number; message: string }
> {
  let buf: Buffer | undefined;
  let filename = 'image';
  try {
    const part = request.isMultipart() ? await request.file() : undefined;
    if (part) {
      filename = part.filename;
      buf = await part.toBuffer();
    }
  } catch (err) {
    const status = (err as { statusCode?: number }).statusCode ?? 500;
    if (status === 413) return { ok: false, status: 413, message: '图片不能超过 2 MB，请压缩后再上传。' };
    if (status >= 400 && status < 500) return { ok: false, status: 400, message: '未能读取上传的文件，请重新选择图片。' };
    throw err;
  }
  if (!buf || buf.length === 0) return { ok: false, status: 400, message: '请选择要上传的图片。' };
  const type = sniffImage(buf);
  if (!type) return { ok: false, status: 415, message: '只支持 JPEG、PNG 或 WebP 格式的图片（按文件内容判断，而非扩展名）。' };
  return { ok: true, buf, type, filename };
}

/**
 * Registers routes that take an image upload: multipart, so scoped to a plugin of their own. The body is
 * not parsed before the CSRF check (preValidation), so the form carries its token in the query string and
 * this hook hands it over.
 */
export async function withImageUploads(app: FastifyInstance, routes: FastifyPluginAsyncZod): Promise<void> {
  await app.register(async (uploads) => {
    if (!uploads.hasContentTypeParser('multipart/form-data')) {
      await uploads.register(fastifyMultipart, { limits: { fileSize: MAX_IMAGE_BYTES, files: 1, fields: 2, parts: 3 } });
    }
    uploads.addHook('preValidation', async (request) => {
      const token = (request.query as Record<string, unknown> | undefined)?._csrf;
      if (request.body == null && typeof token === 'string') request.body = { _csrf: token };
    });
    await uploads.register(routes);
  });
}

/** GET /files/:id */
const filePages: FastifyPluginAsync = async (app) => {
  app.get('/files/:id', { config: { access: 'public' } }, async (request, reply) => {
    const id = (request.params as { id?: string }).id ?? '';
    if (!OBJECT_ID.test(id)) throw notFound('文件不存在。');
    const oid = new mongo.ObjectId(id);
    const file = await app.conn.db!.collection('uploads.files').findOne({ _id: oid });
    if (!file) throw notFound('文件不存在。');
    const isPublic = Boolean(await app.models.Product.exists({ status: 'published', 'images.fileId': oid }))
      || Boolean(await app.models.Vendor.exists({ status: 'approved', 'logo.fileId': oid }));
    if (!isPublic) {
      const user = request.user;
      const owner = user && (isStaff(user) || (user.vendorId && String(user.vendorId) === String(file.metadata?.vendor)));
      // Not found rather than forbidden: an unpublished upload is nobody else's business.
      if (!owner) throw notFound('文件不存在。');
    }
    // A file id never gets new content, so the id is a strong validator.
    reply
      .header('cache-control', isPublic ? 'public, max-age=86400' : 'private, no-cache')
      .header('etag', `"${id}"`);
    if (request.headers['if-none-match'] === `"${id}"`) return reply.code(304).send();
    reply
      .type(String(file.metadata?.contentType ?? 'application/octet-stream'))
      .header('content-length', String(file.length))
      .header('content-disposition', 'inline');
    return reply.send(uploadsBucketOf(app.conn).openDownloadStream(oid));
  });
};

export default filePages;
